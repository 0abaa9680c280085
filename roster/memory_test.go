package roster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"kigen"
)

// genReader generates a resident list of n rows as it is read, so that a
// test can read a large file without holding it in memory.
type genReader struct {
	n, i int
	buf  []byte
	off  int
}

// genHeader is the header genReader writes, in Japanese like a municipal
// export.
const genHeader = "宛名番号,氏名,言語,メールアドレス,携帯電話番号,在留資格,在留カード有効期限," +
	"マイナンバーカード有効期限,電子証明書有効期限,特定在留カード有効期限,同意,通知方法\r\n"

var (
	genLangs    = []string{"en", "中文", "Tiếng Việt", "ja-easy", "Português", "ネパール語", "한국어", "tl"}
	genStatuses = []string{"技術・人文知識・国際業務", "留学", "家族滞在", "特定技能1号", "永住者", "技能実習2号ロ", "定住者", ""}
)

func (g *genReader) Read(p []byte) (int, error) {
	if g.off == len(g.buf) {
		if g.i > g.n {
			return 0, io.EOF
		}
		g.buf, g.off = g.buf[:0], 0
		if g.i == 0 {
			g.buf = append(g.buf, genHeader...)
		}
		// Rows in batches, to keep the generator off the profile.
		for ; g.i < g.n && len(g.buf) < 32<<10; g.i++ {
			g.buf = genRow(g.buf, g.i)
		}
		if g.i == g.n {
			g.i++ // the end: the next empty buffer is EOF
		}
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

// genRow appends row i: a realistic resident with every column filled in,
// a third of them on an integrated card.
func genRow(b []byte, i int) []byte {
	residence, integrated := fmt.Sprintf("R%d.%d.%d", 9+i%4, 1+i%12, 1+i%28), ""
	mynumber := fmt.Sprintf("20%d/%d/%d", 29+i%3, 1+i%12, 1+i%28)
	if i%3 == 0 {
		residence, integrated, mynumber = "", fmt.Sprintf("2029-%02d-%02d", 1+i%12, 1+i%28), ""
	}
	return fmt.Appendf(b, "A-%08d,Nguyen Van %d Tran Thi Hoa,%s,resident.%d@example.co.jp,090-%04d-%04d,%s,%s,%s,R10.%d.%d,%s,はい,%s\r\n",
		i, i, genLangs[i%len(genLangs)], i, 1000+i%9000, i%10000, genStatuses[i%len(genStatuses)],
		residence, mynumber, 1+i%12, 1+i%28, integrated, []string{"email", "sms", "both", ""}[i%4])
}

// readGenerated reads n generated rows and returns the reader, failing on
// any bad row.
func readGenerated(tb testing.TB, n int) *Reader {
	tb.Helper()
	r, err := NewReader(&genReader{n: n}, Options{Today: today})
	if err != nil {
		tb.Fatal(err)
	}
	rows := 0
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			tb.Fatal(err)
		}
		if !rec.OK() {
			tb.Fatalf("row %d: %v", rec.Row, rec.Errs)
		}
		rows++
	}
	if rows != n {
		tb.Fatalf("read %d rows, want %d", rows, n)
	}
	return r
}

// heapInuse returns the heap in use after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestReader_FlatMemory reads 20,000 and 200,000 generated rows and checks
// that the heap grows by no more than the map of references the Reader
// keeps to find duplicates (measured here on its own). It does not call
// t.Parallel: parallel tests wait while it measures the heap.
func TestReader_FlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 220,000 rows")
	}
	const small, large = 20_000, 200_000
	heap := func(n int) uint64 {
		r := readGenerated(t, n)
		h := heapInuse()
		runtime.KeepAlive(r)
		return h
	}
	refsHeap := func(n int) uint64 {
		m := map[string]int{}
		for i := range n {
			m[fmt.Sprintf("A-%08d", i)] = i + 2
		}
		h := heapInuse()
		runtime.KeepAlive(m)
		return h
	}
	readerGrowth := int64(heap(large)) - int64(heap(small))
	mapGrowth := int64(refsHeap(large)) - int64(refsHeap(small))
	t.Logf("heap growth from %d to %d rows: reader %d KiB (%.1f B/row), reference map alone %d KiB",
		small, large, readerGrowth>>10, float64(readerGrowth)/(large-small), mapGrowth>>10)
	// The references are allocated between rows, so the spans holding
	// them are less full than those of the map built alone (measured:
	// 1.2 to 1.5 times): allow twice. Keeping the rows instead of their
	// references measured 4.5 times.
	if limit := mapGrowth*2 + 1<<20; readerGrowth > limit {
		t.Errorf("the heap grew by %d KiB, more than the reference map (%d KiB) allows (%d KiB): rows are kept",
			readerGrowth>>10, mapGrowth>>10, limit>>10)
	}
}

// BenchmarkReader parses 100,000 generated rows per iteration: every
// column, Japanese headers, era dates, Japanese status names. The file is
// generated before the clock starts (about 15 MB), so the figures are the
// Reader's own.
func BenchmarkReader(b *testing.B) {
	const rows = 100_000
	file, err := io.ReadAll(&genReader{n: rows})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(file), Options{Today: today})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil || !rec.OK() {
				b.Fatal(err, rec.Errs)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestGenRow(t *testing.T) {
	t.Parallel()
	row := string(genRow(nil, 1))
	if got := strings.Count(row, ","); got != strings.Count(genHeader, ",") {
		t.Errorf("genRow has %d commas, the header %d: %s", got, strings.Count(genHeader, ","), row)
	}
}

// endless reads as head followed by fill repeated, counting the bytes
// handed out; it ends after 16 MiB, so that a reader without a bound fails
// the test rather than the machine.
type endless struct {
	head []byte
	fill byte
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= 16<<20 {
		return 0, io.EOF
	}
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.fill
	}
	e.read += len(p)
	return len(p), nil
}

// TestReader_RecordTooLong feeds rows that never end: an unclosed quote
// that turns the rest of the file into one cell, and one endless line. The
// Reader refuses the row, naming it, having read little more than
// MaxRecordSize: without the bound encoding/csv reads until memory runs
// out (here, for ever).
func TestReader_RecordTooLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		fill byte
		err  string
	}{
		{
			name: "stray quote",
			head: "resident_ref,name,language\nA-1,ok,en\n\nA-2,\"Taro,en\nA-3,ok,en\n",
			fill: 'x',
			err: `row 4: is longer than 64 KiB (from line 4 of the file): a cell most likely opens a quote (") that is never closed, ` +
				`and the rest of the file ran into it`,
		},
		{
			name: "stray quote across lines",
			head: "resident_ref,name,language\nA-1,\"ok,en\n",
			fill: '\n',
			err: `row 2: is longer than 64 KiB (from line 2 of the file): a cell most likely opens a quote (") that is never closed, ` +
				`and the rest of the file ran into it`,
		},
		{
			name: "endless line",
			head: "resident_ref,name,language\nA-1,ok,en\nA-2,",
			fill: 'y',
			err:  "row 3: is longer than 64 KiB (line 3 of the file): no row of a resident list is so long",
		},
		{
			name: "endless header",
			head: "resident_ref,",
			fill: 'z',
			err:  "row 1: is longer than 64 KiB (line 1 of the file): no row of a resident list is so long",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &endless{head: []byte(tt.head), fill: tt.fill}
			var end error
			r, err := NewReader(src, Options{Today: today})
			if err != nil {
				end = err
			} else {
				for end == nil {
					_, end = r.Next()
				}
			}
			var se *SyntaxError
			if end == nil || end.Error() != tt.err || !errors.As(end, &se) || kigen.ErrorCode(end) != kigen.EINVALID {
				t.Errorf("error %v (%T), want the *SyntaxError %s", end, end, tt.err)
			}
			// The sniffed head, the row's bytes and one buffer of look-ahead.
			if limit := sniffSize + MaxRecordSize + 64<<10; src.read > limit {
				t.Errorf("read %d bytes of the endless file before refusing it, want at most %d", src.read, limit)
			}
			t.Logf("read %d KiB before refusing the row", src.read>>10)
		})
	}
}
