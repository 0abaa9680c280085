package desk

import (
	"context"
	"errors"
	"fmt"
	"io"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/store"
)

// ImportParams import a resident list (CSV: UTF-8 with or without BOM, or
// Shift_JIS) into a municipality.
type ImportParams struct {
	Municipality string    `json:"municipality,omitempty"`
	CSV          io.Reader `json:"-"` // the file, read once
	// DryRun checks everything and counts, writing nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// IgnoreUnknownColumns skips columns Kigen does not know (they are
	// still checked for My Numbers) instead of refusing the file.
	IgnoreUnknownColumns bool `json:"ignore_unknown_columns,omitempty"`
	// Region is the default region of phone numbers without a country
	// code (ISO 3166; empty: JP).
	Region string `json:"region,omitempty"`
	// FileName is the file's name as the user gave it, for the import
	// history (its base name is kept; may be empty).
	FileName string `json:"file_name,omitempty"`
	// FallbackLanguage, when set, is the language of a row whose language
	// is blank or one Kigen does not write in (ミャンマー語, fr), with a
	// warning for each such row, instead of refusing the file. A code or a
	// name, as the language column takes them.
	FallbackLanguage string `json:"fallback_language,omitempty"`
}

// ImportResult is what an import did (or, in a dry run, would do).
type ImportResult struct {
	Municipality     string `json:"municipality"`
	MunicipalityName string `json:"municipality_name"`
	Encoding         string `json:"encoding"` // as detected: UTF-8, UTF-8 with BOM, Shift_JIS
	importer.Summary
	// Warnings are accepted rows' problems, in row order: the first
	// importer.MaxListed of WarningsTotal.
	Warnings []RowError `json:"warnings"`
}

// RowError is a problem of one row of an imported file.
type RowError struct {
	Row     int    `json:"row"` // as a spreadsheet numbers it (the header is 1); 0: the message names its place
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// Key and Args are the message's catalog key and arguments
	// (kigen.Error's), for a surface that speaks other languages; Key is
	// empty when there is none.
	Key  string   `json:"-"`
	Args []string `json:"-"`
}

// Error reads "row N: field: message".
func (e RowError) Error() string {
	s := e.Message
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Row == 0 {
		return s
	}
	return fmt.Sprintf("row %d: %s", e.Row, s)
}

func rowErrors(rs []importer.RowError) []RowError {
	out := make([]RowError, 0, len(rs))
	for _, r := range rs {
		out = append(out, rowError(r.Row, r.Err))
	}
	return out
}

func rowError(row int, err error) RowError {
	e := RowError{Row: row, Message: err.Error()}
	var ke *kigen.Error
	if errors.As(err, &ke) {
		e.Field, e.Message, e.Key, e.Args = ke.Field, ke.Message, ke.Key, ke.Args
	}
	return e
}

// RefusedError is an import refused: the file is not a resident list
// Kigen reads (problems of row 0: the file or its header), or some of its
// rows are bad. Nothing was written. Its code (kigen.ErrorCode) is
// invalid; its JSON is what `kigen import --json` prints.
type RefusedError struct {
	Municipality string `json:"municipality"`
	Encoding     string `json:"encoding,omitempty"` // as detected; empty when the file could not be read
	Refused      bool   `json:"refused"`            // true: tells a refusal from an ImportResult
	// Rows are the problems in row order: the first importer.MaxListed of
	// Total.
	Rows  []RowError `json:"errors"`
	Total int        `json:"total"`
}

// Error implements error.
func (e *RefusedError) Error() string {
	word := "problems"
	if e.Total == 1 {
		word = "problem"
	}
	return fmt.Sprintf("%d %s: nothing was imported", e.Total, word)
}

// Unwrap makes the refusal an invalid *kigen.Error.
func (e *RefusedError) Unwrap() error { return kigen.Errorf(kigen.EINVALID, "%s", e.Error()) }

// Import reads a resident list and applies it to the municipality: every
// row or none, in one transaction with its audit entry (a dry run is not
// audited). A file that cannot be read as a list (no header, a My Number
// column, …) or one with bad rows is a *RefusedError listing the problems;
// a bad FallbackLanguage is invalid (field "fallback_language"). A
// cancelled ctx writes nothing of the file.
//
// Every import is recorded in the municipality's history (ListImports):
// a confirmed one that is written in the transaction that writes it, a dry
// run, a refusal or a failure (state failed: an error not the file's, a
// cancelled ctx) once it is known. The history keeps the file's name,
// size and encoding and the counts, never its rows.
func (d *Desk) Import(ctx context.Context, a auth.Actor, p ImportParams) (*ImportResult, error) {
	mu, err := scope(ctx, d.Store, a, auth.Import, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	fallback, err := fallbackLanguage(p.FallbackLanguage)
	if err != nil {
		return nil, err
	}
	in := &countingReader{r: p.CSV}
	h := d.newHistory(a, mu, p, false)
	h.size = func() int64 { return in.n }
	res, err := d.importFile(store.LongWrite(ctx), a, mu, in, p, fallback, h, nil)
	h.im.Size = in.n
	switch {
	case err == nil && !p.DryRun:
		return res, nil // its history row was written with it
	case err != nil && !isRefusal(err):
		h.im.State, h.im.FinishedAt = store.ImportFailed, d.now()
	}
	// A dry run, a refusal or a failure: nothing was written but its row,
	// also when the request was cancelled.
	if herr := d.Store.CreateImport(context.WithoutCancel(ctx), h.im); herr != nil {
		return nil, errors.Join(err, fmt.Errorf("record the import: %w", herr))
	}
	return res, err
}

// fallbackLanguage parses ImportParams.FallbackLanguage ("" for none).
func fallbackLanguage(s string) (kigen.Language, error) {
	if s == "" {
		return "", nil
	}
	l, err := roster.ParseLanguage(s)
	if err != nil {
		return "", kigen.WithField(err, "fallback_language")
	}
	return l, nil
}

// isRefusal reports whether err is an import refused: a *RefusedError.
func isRefusal(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// importFile reads r and applies it to mu as a (audited) with p's
// options, and fills in h's row from the outcome: done (h.done writes it
// in the import's transaction), dry-run or refused (for the caller to
// write). progress, if set, hears the rows read so far. A request marks ctx
// with store.LongWrite; a background job must not (see RunImport).
func (d *Desk) importFile(ctx context.Context, a auth.Actor, mu *kigen.Municipality, r io.Reader, p ImportParams,
	fallback kigen.Language, h *history, progress func(int)) (*ImportResult, error) {
	today := d.today()
	rr, err := roster.NewReader(r, roster.Options{Today: today, Region: p.Region, IgnoreUnknownColumns: p.IgnoreUnknownColumns,
		FallbackLanguage: fallback})
	if err != nil {
		err = unreadable(mu, err)
		h.refused(err.(*RefusedError))
		return nil, err
	}
	h.im.Encoding = rr.Encoding()
	rows := 0
	result := func(sum importer.Summary) *ImportResult {
		return &ImportResult{Municipality: mu.Code, MunicipalityName: mu.Name, Encoding: rr.Encoding(), Summary: sum,
			Warnings: rowErrors(sum.Warnings)}
	}
	s := auditedStore{Store: d.Store, entry: func() *store.AuditEntry {
		return &store.AuditEntry{ActorID: a.ID, ActorRole: string(a.Role), Action: string(auth.Import),
			MunicipalityID: mu.ID, Detail: fmt.Sprintf("%d rows", rows)}
	}}
	sum, err := importer.Import(ctx, s, rr, importer.Options{MunicipalityID: mu.ID, Today: today, DryRun: p.DryRun,
		Progress: func(n int) {
			rows = n
			if progress != nil {
				progress(n)
			}
		}, Commit: func(ctx context.Context, tx store.Tx, sum importer.Summary) error {
			return h.done(ctx, tx, result(sum))
		}})
	var refused *importer.RefusedError
	if errors.As(err, &refused) {
		re := &RefusedError{Municipality: mu.Code, Encoding: rr.Encoding(), Refused: true, Rows: rowErrors(refused.Rows), Total: refused.Total}
		h.im.Rows = sum.Rows
		h.refused(re)
		return nil, re
	} else if err != nil {
		return nil, err
	}
	res := result(sum)
	if p.DryRun {
		h.counted(res)
	}
	return res, nil
}

// unreadable returns the refusal of a file roster.NewReader could not
// read as a resident list: every problem of its header, or what ended the
// reading.
func unreadable(mu *kigen.Municipality, err error) error {
	re := &RefusedError{Municipality: mu.Code, Refused: true}
	var he *roster.HeaderError
	var se *roster.SyntaxError
	switch {
	case errors.As(err, &he):
		for _, p := range he.Problems {
			re.Rows = append(re.Rows, rowError(0, p))
		}
	case errors.As(err, &se):
		re.Rows = []RowError{rowError(se.Row, se.Err)}
	case kigen.ErrorCode(err) == kigen.EINVALID:
		re.Rows = []RowError{rowError(0, err)}
	default: // a read error
		re.Rows = []RowError{rowError(0, kigen.Errorf(kigen.EINVALID, "%v", err))}
	}
	re.Total = len(re.Rows)
	return re
}

// auditedStore is a Store whose InTx, once fn succeeds, writes the audit
// entry in fn's transaction: how an import, which runs its own transaction
// (importer.Import), commits with its entry or not at all.
type auditedStore struct {
	store.Store
	entry func() *store.AuditEntry
}

func (s auditedStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.CreateAuditEntry(ctx, s.entry())
	})
}
