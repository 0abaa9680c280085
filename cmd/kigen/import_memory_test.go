//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestImport_StrayQuoteMemory imports, as a real kigen process, a resident
// list whose third row opens a quote that is never closed, followed by a 1
// GiB run of text: as a municipal export with one stray " becomes, the
// rest of the file one cell. The file is a named pipe written as kigen
// reads it, so nothing of it is stored. kigen must refuse the row, naming
// it, after reading little of the file, and its peak resident memory must
// stay under 200 MB; a watcher kills it should it pass that (without the
// bound on a row it read the whole gigabyte into memory: 5.6 GB).
func TestImport_StrayQuoteMemory(t *testing.T) {
	t.Parallel()
	const (
		fieldSize = 1 << 30
		limitRSS  = 200 << 20
	)
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	fifo := filepath.Join(t.TempDir(), "residents.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}

	// The writer: the header, a good row, the stray quote, then the field
	// until kigen closes the pipe (EPIPE) or the gigabyte is written.
	written := make(chan int64, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			written <- -1
			return
		}
		defer f.Close()
		n, _ := f.WriteString("resident_ref,name,language\nA-1,Ann,en\nA-2,\"Bob,en\nA-3,Cy,en\n")
		total := int64(n)
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for total < fieldSize {
			n, err := f.Write(chunk)
			total += int64(n)
			if err != nil {
				break
			}
		}
		written <- total
	}()

	p := mustStartKigen(t, "import", env, "import", fifo)
	peak := watchRSS(t, p, limitRSS)
	code, ok := p.wait(60 * time.Second)
	if !ok {
		p.kill()
		t.Fatal("kigen import did not end within 60 s")
	}
	// Unblock the writer if kigen never opened the pipe.
	if r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		r.Close()
	}
	sent := <-written
	maxRSS := int64(p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10 // KiB on Linux
	t.Logf("kigen import read a file with a %d MiB field: %d KiB written to the pipe before it was closed, "+
		"peak RSS %.1f MB (watched: %.1f MB), exit code %d", fieldSize>>20, sent>>10, float64(maxRSS)/1e6, float64(peak)/1e6, code)

	if maxRSS > limitRSS || peak > limitRSS {
		t.Errorf("peak RSS %.1f MB, want under %d MB", float64(max(maxRSS, peak))/1e6, limitRSS>>20)
	}
	if code != exitInvalid {
		t.Errorf("exit code %d, want %d (input refused)", code, exitInvalid)
	}
	want := `row 3: is longer than 64 KiB (from line 3 of the file): a cell most likely opens a quote (") that is never closed`
	if errOut := p.stderr.String(); !strings.Contains(errOut, want) || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if sent >= fieldSize {
		t.Errorf("kigen read the whole %d MiB field", fieldSize>>20)
	}
}

// watchRSS samples the resident memory of p until it exits and returns the
// highest value seen; past limit it kills p, so that a regression fails the
// test instead of exhausting the machine's memory.
func watchRSS(t *testing.T, p *kigenProc, limit int64) int64 {
	t.Helper()
	status := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "status")
	var peak int64
	for !p.exited() {
		b, err := os.ReadFile(status)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				peak = max(peak, kib<<10)
			}
		}
		if peak > limit {
			p.kill()
			t.Errorf("kigen import reached %.1f MB of resident memory: killed", float64(peak)/1e6)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return peak
}
