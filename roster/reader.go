package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"kigen"
)

// Options configure a Reader.
type Options struct {
	// Today is the day of the import (Asia/Tokyo): the plausibility limits
	// on expiry dates are measured from it (docs/domain.md §11.14). Required.
	Today kigen.Date
	// Region is the default region of phone numbers written without a
	// country code, an ISO 3166 code; "JP" when empty.
	Region string
	// IgnoreUnknownColumns skips columns Kigen does not know instead of
	// refusing the file. Their cells are still scanned for My Numbers, and
	// a column named for the My Number is refused regardless.
	IgnoreUnknownColumns bool
	// FallbackLanguage, when set, is the language of a row whose language
	// is blank or one Kigen does not write in, with a warning, instead of
	// an error.
	FallbackLanguage kigen.Language
}

// The encodings a Reader detects, as Encoding reports them.
const (
	EncodingUTF8    = "UTF-8"
	EncodingUTF8BOM = "UTF-8 with BOM"
	EncodingSJIS    = "Shift_JIS"
)

// sniffSize is how much of the file decides its encoding.
const sniffSize = 64 << 10

// MaxRecordSize is the longest row a Reader reads, in bytes of text (UTF-8,
// after decoding), its line breaks included. A real row is a few hundred
// bytes; a longer one is almost always a cell that opens a quote and never
// closes it, which would make the rest of the file one cell. The Reader
// refuses the row as soon as it passes the limit, so its memory stays flat
// whatever the file holds.
const MaxRecordSize = 64 << 10

// Reader reads a resident list one record at a time. It holds one row in
// memory at a time plus, to find duplicate references, each reference seen
// with its row: memory stays flat as the file grows, whatever its length.
type Reader struct {
	opt      Options
	enc      string
	cr       *csv.Reader
	h        header
	has      map[Column]bool // shared by every Record: read-only
	phoneIdx int             // index of the phone cell, or -1
	cardCols int

	row     int // spreadsheet row of the last record read
	endLine int // file line on which the last record ended
	skipped int
	refs    map[string]int // resident_ref → first row
	err     error          // sticky syntax or read error
}

// NewReader detects the encoding of r (a UTF-8 byte-order mark, else
// valid UTF-8 in the first 64 KiB, else Shift_JIS with the Windows
// extensions), reads the header row and maps it to columns. Every header
// problem is reported at once in a *HeaderError. A file that is empty,
// UTF-16 or binary (an Excel workbook not saved as CSV) is refused with an
// EINVALID *kigen.Error. Any other error is a read error of r.
func NewReader(r io.Reader, opt Options) (*Reader, error) {
	if !opt.Today.Valid() {
		return nil, errors.New("roster: Options.Today is not a date")
	}
	if opt.FallbackLanguage != "" && !opt.FallbackLanguage.Valid() {
		return nil, fmt.Errorf("roster: Options.FallbackLanguage %q is not a language", opt.FallbackLanguage)
	}
	if opt.Region == "" {
		opt.Region = "JP"
	}
	if !phonenumbers.GetSupportedRegions()[opt.Region] {
		return nil, kigen.Keyf(kigen.EINVALID, "phone.region", "%s is not a phone region (use a code such as JP)", strconv.Quote(opt.Region))
	}

	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("roster: read: %w", err)
	}
	full := err == nil
	var src io.Reader = br
	var enc string
	switch {
	case len(head) == 0:
		return nil, kigen.Keyf(kigen.EINVALID, "file.empty", "the file is empty: its first row must be the header")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, kigen.Keyf(kigen.EINVALID, "file.utf16", "the file is UTF-16 text: save it as CSV in UTF-8 or Shift_JIS")
	case bytes.IndexByte(head, 0) >= 0:
		return nil, kigen.Keyf(kigen.EINVALID, "file.binary", "the file is not a CSV text file (a spreadsheet must be saved as CSV first)")
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		_, _ = br.Discard(3) // peeked: cannot fail
		enc = EncodingUTF8BOM
	case utf8.Valid(trimPartialRune(head, full)):
		enc = EncodingUTF8
	default:
		src = transform.NewReader(br, japanese.ShiftJIS.NewDecoder())
		enc = EncodingSJIS
	}

	cr := csv.NewReader(&recordLimit{r: src, max: MaxRecordSize, line: 1, start: 1})
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	rd := &Reader{opt: opt, enc: enc, cr: cr, phoneIdx: -1, refs: map[string]int{}}

	cells, err := rd.read()
	if err == io.EOF {
		return nil, kigen.Keyf(kigen.EINVALID, "file.empty", "the file is empty: its first row must be the header")
	} else if err != nil {
		return nil, err
	}
	if rd.h, err = parseHeader(cells, opt.IgnoreUnknownColumns); err != nil {
		return nil, err
	}
	rd.has = make(map[Column]bool, len(rd.h.present))
	for _, c := range rd.h.present {
		rd.has[c] = true
		if _, ok := cardColumns[c]; ok {
			rd.cardCols++
		}
	}
	for i, c := range rd.h.cols {
		if c == ColPhone {
			rd.phoneIdx = i
		}
	}
	return rd, nil
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b when b
// was cut at the sniffing limit (full) rather than at the end of the file.
func trimPartialRune(b []byte, full bool) []byte {
	if !full {
		return b
	}
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// Columns returns the Kigen columns present in the file, in file order.
func (r *Reader) Columns() []Column { return append([]Column(nil), r.h.present...) }

// Encoding returns the detected encoding: EncodingUTF8, EncodingUTF8BOM or
// EncodingSJIS.
func (r *Reader) Encoding() string { return r.enc }

// Skipped returns how many rows of empty cells were skipped so far. Empty
// lines, which encoding/csv drops, are not counted but still advance row
// numbers, as a spreadsheet shows them.
func (r *Reader) Skipped() int { return r.skipped }

// Next returns the next resident row, parsed, with its problems in
// Record.Errs and Record.Warnings; a row with a problem is still returned
// and the rest of the file can be read. It returns io.EOF at the end of the
// file. A CSV syntax error (a stray quote) or a row longer than
// MaxRecordSize is a *SyntaxError naming the row (an EINVALID
// *kigen.Error), and ends the reading: Next keeps returning it, as it does
// a read error of the underlying reader.
func (r *Reader) Next() (*Record, error) {
	for {
		cells, err := r.read()
		if err != nil {
			return nil, err
		}
		if blankRow(cells) {
			r.skipped++
			continue
		}
		return r.parse(cells), nil
	}
}

// read reads one CSV record and advances the row count by it and by the
// empty lines before it.
func (r *Reader) read() ([]string, error) {
	if r.err != nil {
		return nil, r.err
	}
	cells, err := r.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		var long *recordTooLong
		// The row of a record starting on a line: the rows before it plus
		// the empty lines between the last record and it.
		rowAt := func(line int) int { return r.row + 1 + max(0, line-r.endLine-1) }
		switch {
		case err == io.EOF:
			// Not sticky in r.err: Next may be called again after io.EOF.
			return nil, io.EOF
		case errors.As(err, &pe):
			r.err = syntaxErrorf(rowAt(pe.StartLine), syntaxKey(pe.Err), "%s (line %d of the file)", syntaxReason(pe.Err), pe.Line)
		case errors.As(err, &long) && long.quoted:
			r.err = syntaxErrorf(rowAt(long.line), "csv.open_quote", "is longer than %d KiB (from line %d of the file): "+
				`a cell most likely opens a quote (") that is never closed, and the rest of the file ran into it`, MaxRecordSize>>10, long.line)
		case errors.As(err, &long):
			r.err = syntaxErrorf(rowAt(long.line), "csv.too_long", "is longer than %d KiB (line %d of the file): no row of a resident list is so long", MaxRecordSize>>10, long.line)
		default:
			r.err = fmt.Errorf("roster: read: %w", err)
		}
		return nil, r.err
	}
	start, _ := r.cr.FieldPos(0)
	last, _ := r.cr.FieldPos(len(cells) - 1)
	r.row += 1 + max(0, start-r.endLine-1)
	r.endLine = last + strings.Count(cells[len(cells)-1], "\n")
	return cells, nil
}

// SyntaxError is a problem that ends the reading of a file at a row: a CSV
// syntax error, or a row longer than MaxRecordSize. It unwraps to an
// EINVALID *kigen.Error without a Field whose message does not name the
// row.
type SyntaxError struct {
	Row int // as a spreadsheet numbers it (the header is 1)
	Err *kigen.Error
}

// Error reads "row N: reason".
func (e *SyntaxError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Err.Message) }

// Unwrap returns the reason.
func (e *SyntaxError) Unwrap() error { return e.Err }

func syntaxErrorf(row int, key, format string, args ...any) *SyntaxError {
	return &SyntaxError{Row: row, Err: kigen.Keyf(kigen.EINVALID, key, format, args...)}
}

// recordLimit passes a CSV text through and fails once one record (a line,
// or several while a quoted cell is open) passes max bytes: encoding/csv
// gathers a whole record in memory before it returns, however long, so the
// bound must come from below it. A '"' toggles whether a quoted cell is
// open, which is exact for valid CSV (an escaped quote is two); on invalid
// quoting encoding/csv stops at the bad cell first.
type recordLimit struct {
	r      io.Reader
	max    int
	n      int  // bytes of the current record so far
	quoted bool // a quoted cell is open: a line break does not end the record
	line   int  // line of the file being read, from 1
	start  int  // line on which the current record began
	err    error
}

// recordTooLong is recordLimit's error: the record that began on line is
// too long, quoted if a quoted cell was open when it passed the limit.
type recordTooLong struct {
	line   int
	quoted bool
}

func (e *recordTooLong) Error() string { return fmt.Sprintf("record from line %d too long", e.line) }

func (l *recordLimit) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		switch c {
		case '"':
			l.quoted = !l.quoted
		case '\n':
			l.line++
			if !l.quoted {
				l.n, l.start = 0, l.line
				continue
			}
		}
		if l.n++; l.n > l.max {
			l.err = &recordTooLong{line: l.start, quoted: l.quoted}
			return i, l.err
		}
	}
	return n, err
}

// syntaxKey is the catalog key of a CSV syntax error's message: its
// arguments are syntaxReason's English words and the line.
func syntaxKey(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return "csv.bare_quote"
	case errors.Is(err, csv.ErrQuote):
		return "csv.quote"
	}
	return "csv.other"
}

// syntaxReason words a CSV syntax error for the staff who will fix it.
func syntaxReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a cell holds a " but does not start with one (put the cell in quotes and double the inner quote: "")`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted cell is not closed, or has text after its closing "`
	}
	return err.Error()
}

// blankRow reports whether every cell is empty or spaces.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// fieldError returns err (from a value parser or kigen) naming the column.
func fieldError(err error, field string) error { return kigen.WithField(err, field) }

// parse turns the cells of one row into a Record.
func (r *Reader) parse(cells []string) *Record {
	rec := &Record{Row: r.row, has: r.has}
	fail := func(field, key, format string, args ...any) {
		rec.Errs = append(rec.Errs, kigen.FieldKeyf(field, key, format, args...))
	}
	if n := len(r.h.cols); len(cells) != n {
		rec.Errs = append(rec.Errs, kigen.Keyf(kigen.EINVALID, "row.cells", "has %d %s, the header has %d", len(cells), plural(len(cells), "cell"), n).
			Keyed("row.cells", strconv.Itoa(len(cells)), strconv.Itoa(n)))
		// The row cannot be read, but a My Number in it is still named.
		for i, c := range cells {
			if i != r.phoneIdx && kigen.ContainsMyNumber(c) {
				name := fmt.Sprintf("column %d", i+1)
				if i < n {
					name = r.h.names[i]
				}
				fail(name, "mynumber.file", myNumberMessage)
			}
		}
		return rec
	}
	if r.cardCols > 0 {
		rec.Cards = make(map[kigen.CardKind]kigen.Date, r.cardCols)
	}
	for i, raw := range cells {
		col, name := r.h.cols[i], r.h.names[i]
		v := strings.TrimSpace(raw)
		if col != ColPhone && v != "" && kigen.ContainsMyNumber(v) {
			fail(name, "mynumber.file", myNumberMessage)
			continue
		}
		if col == "" {
			continue // unknown column, ignored once scanned
		}
		if !r.validText(v) {
			fail(name, "text.encoding", "is not valid %s text (save the whole file in one encoding: UTF-8 or Shift_JIS)", r.encName())
			continue
		}
		switch col {
		case ColRef:
			r.parseRef(rec, v)
		case ColName:
			switch err := kigen.CheckText(v); {
			case utf8.RuneCountInString(v) > MaxNameLen:
				fail(name, "text.too_long", "is longer than %d characters", MaxNameLen)
			case err != nil:
				rec.Errs = append(rec.Errs, fieldError(err, name))
			default:
				rec.Name = v
			}
		case ColLanguage:
			l, err := ParseLanguage(v)
			switch fb := r.opt.FallbackLanguage; {
			case err == nil:
			case fb != "" && v == "":
				l = fb
				rec.Warnings = append(rec.Warnings, kigen.FieldKeyf(name, "language.fallback_empty", "is empty: messages go out in %s, the fallback language", fb))
			case fb != "":
				l = fb
				rec.Warnings = append(rec.Warnings, fieldError(refused(v, "language.fallback", "is not a language Kigen writes in: messages go out in "+string(fb)+", the fallback language", string(fb)), name))
			default:
				rec.Errs = append(rec.Errs, fieldError(err, name))
			}
			rec.Language = l
		case ColEmail:
			e, err := ParseEmail(v)
			if err != nil {
				rec.Errs = append(rec.Errs, fieldError(err, name))
			}
			rec.Email = e
		case ColPhone:
			p, err := ParsePhone(v, r.opt.Region)
			if err != nil {
				rec.Errs = append(rec.Errs, fieldError(err, name))
			} else if p.E164 != "" && !p.Mobile {
				rec.Warnings = append(rec.Warnings, kigen.FieldKeyf(name, "phone.not_mobile", "is not a mobile number: SMS cannot reach it"))
			}
			rec.Phone = p.E164
		case ColStatus:
			s, err := ParseStatus(v)
			if err != nil {
				rec.Errs = append(rec.Errs, fieldError(err, name))
			}
			rec.Status = s
		case ColConsent:
			c, err := ParseConsent(v)
			if err != nil {
				rec.Errs = append(rec.Errs, fieldError(err, name))
			}
			rec.Consent = c
		case ColChannel:
			p, err := ParseChannel(v)
			if err != nil {
				rec.Errs = append(rec.Errs, fieldError(err, name))
			}
			rec.Channel = p
		default:
			r.parseCard(rec, cardColumns[col], name, v)
		}
	}
	if len(rec.Cards) > 1 {
		errs, warnings := kigen.CheckCards(rec.Cards)
		rec.Errs = append(rec.Errs, errs...)
		rec.Warnings = append(rec.Warnings, warnings...)
	}
	return rec
}

// parseRef checks the resident reference and that no earlier row has it.
func (r *Reader) parseRef(rec *Record, v string) {
	name := string(ColRef)
	ref := NormalizeRef(v)
	switch {
	case ref == "":
		rec.Errs = append(rec.Errs, kigen.FieldKeyf(name, "value.empty", "is empty"))
		return
	case utf8.RuneCountInString(ref) > MaxRefLen:
		rec.Errs = append(rec.Errs, kigen.FieldKeyf(name, "text.too_long", "is longer than %d characters", MaxRefLen))
		return
	}
	if err := kigen.CheckText(ref); err != nil {
		rec.Errs = append(rec.Errs, fieldError(err, name))
		return
	}
	rec.Ref = ref
	if first, dup := r.refs[ref]; dup {
		if q, ok := quoteRef(ref); ok {
			rec.Errs = append(rec.Errs, kigen.FieldKeyf(name, "ref.duplicate.q", "%s also appears on row %d", q, first))
		} else {
			rec.Errs = append(rec.Errs, kigen.FieldKeyf(name, "ref.duplicate", "the same reference also appears on row %d", first))
		}
		return
	}
	// Clone: ref points into the row's text, which the map must not keep
	// alive.
	r.refs[strings.Clone(ref)] = rec.Row
}

// parseCard reads a card's expiry date: blank is the zero Date (no card);
// otherwise a date in any form of docs/domain.md §3 that passes the plausibility
// rules, an expiry already past being a warning.
func (r *Reader) parseCard(rec *Record, kind kigen.CardKind, name, v string) {
	if v == "" {
		rec.Cards[kind] = kigen.Date{}
		return
	}
	d, err := kigen.ParseDate(v)
	if err == nil {
		var warning string
		warning, err = kigen.CheckExpiry(kind, d, r.opt.Today)
		if warning != "" {
			rec.Warnings = append(rec.Warnings, kigen.FieldErrorf(name, "%s", warning).Keyed("expiry.passed", d.String()))
		}
	}
	if err != nil {
		rec.Errs = append(rec.Errs, fieldError(err, name))
		return
	}
	rec.Cards[kind] = d
}

// validText reports whether a cell decoded cleanly: valid UTF-8, and no
// replacement character (what the Shift_JIS decoder puts for bytes that
// are not Shift_JIS). A UTF-8 file can hide other bytes beyond the 64 KiB
// that decided its encoding.
func (r *Reader) validText(v string) bool {
	return utf8.ValidString(v) && !strings.ContainsRune(v, utf8.RuneError)
}

// encName names the encoding the file was read in, for messages.
func (r *Reader) encName() string {
	if r.enc == EncodingSJIS {
		return EncodingSJIS
	}
	return EncodingUTF8
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
