package roster

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"kigen"
)

// fuzzMaxRecords bounds how many records FuzzReader reads from one input.
const fuzzMaxRecords = 1000

// FuzzReader reads any bytes as a resident list, with and without
// IgnoreUnknownColumns. Its seed corpus is in testdata/fuzz/FuzzReader: a
// good UTF-8 file, one with a BOM, one in Shift_JIS, a My Number in a cell
// and as a column, ragged rows and quoting mistakes. Whatever the input:
//   - nothing panics, and every error is an EINVALID *kigen.Error (the
//     input is in memory, so there are no read errors);
//   - no message, of an error or of a record's Errs and Warnings, holds a
//     run of 12 or more digits or an '@': personal data is never echoed;
//   - a syntax error is sticky;
//   - record rows strictly increase from row 2;
//   - a record without errors has a reference, a valid language, no My
//     Number in its reference or name, and a reference no earlier record
//     without errors had.
func FuzzReader(f *testing.F) {
	f.Add([]byte("resident_ref,language\nA-1,en\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ignore := range []bool{false, true} {
			fuzzRead(t, data, Options{Today: today, IgnoreUnknownColumns: ignore})
		}
	})
}

func fuzzRead(t *testing.T, data []byte, opt Options) {
	t.Helper()
	rd, err := NewReader(bytes.NewReader(data), opt)
	if err != nil {
		checkFuzzError(t, "NewReader", err)
		return
	}
	if enc := rd.Encoding(); enc != EncodingUTF8 && enc != EncodingUTF8BOM && enc != EncodingSJIS {
		t.Fatalf("Encoding() = %q", enc)
	}
	lastRow := 1 // the header
	okRefs := map[string]int{}
	for range fuzzMaxRecords {
		rec, err := rd.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			checkFuzzError(t, "Next", err)
			if _, again := rd.Next(); again != err {
				t.Fatalf("Next after %v returned %v: a syntax error must be sticky", err, again)
			}
			return
		}
		if rec.Row <= lastRow {
			t.Fatalf("record row %d after row %d: rows must strictly increase", rec.Row, lastRow)
		}
		lastRow = rec.Row
		for _, list := range [][]error{rec.Errs, rec.Warnings} {
			for _, e := range list {
				if !errors.As(e, new(*kigen.Error)) {
					t.Fatalf("row %d: problem %#v is not a *kigen.Error", rec.Row, e)
				}
				checkFuzzMessage(t, "row problem", e.Error())
			}
		}
		if !rec.OK() {
			continue
		}
		if rec.Ref == "" {
			t.Fatalf("row %d has no error but an empty reference", rec.Row)
		}
		if !rec.Language.Valid() {
			t.Fatalf("row %d has no error but language %q", rec.Row, rec.Language)
		}
		if kigen.ContainsMyNumber(rec.Ref) || kigen.ContainsMyNumber(rec.Name) {
			t.Fatalf("row %d has no error but holds a My Number", rec.Row)
		}
		if first, dup := okRefs[rec.Ref]; dup {
			t.Fatalf("rows %d and %d both have no error with the same reference", first, rec.Row)
		}
		okRefs[rec.Ref] = rec.Row
		for k, d := range rec.Cards {
			if d != (kigen.Date{}) && !d.Valid() {
				t.Fatalf("row %d: %s date %#v is not valid", rec.Row, k, d)
			}
		}
	}
}

// checkFuzzError checks an error of NewReader or Next: EINVALID, and a
// message that echoes no personal data.
func checkFuzzError(t *testing.T, op string, err error) {
	t.Helper()
	if code := kigen.ErrorCode(err); code != kigen.EINVALID {
		t.Fatalf("%s: error %#v has code %q, want %s", op, err, code, kigen.EINVALID)
	}
	checkFuzzMessage(t, op, err.Error())
}

// checkFuzzMessage fails when a message holds a long digit run or an '@'.
func checkFuzzMessage(t *testing.T, what, msg string) {
	t.Helper()
	if kigen.HasLongDigitRun(msg) {
		t.Fatalf("%s: message %q holds 12 or more digits in a row", what, msg)
	}
	if strings.ContainsAny(msg, "@＠") {
		t.Fatalf("%s: message %q holds an '@'", what, msg)
	}
}
