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
}

// ImportResult is what an import did (or, in a dry run, would do).
type ImportResult struct {
	Municipality     string `json:"municipality"`
	MunicipalityName string `json:"municipality_name"`
	Encoding         string `json:"encoding"` // as detected: UTF-8, UTF-8 with BOM, Shift_JIS
	importer.Summary
	Warnings []RowError `json:"warnings"` // accepted rows' problems, in file order
}

// RowError is a problem of one row of an imported file.
type RowError struct {
	Row     int    `json:"row"` // as a spreadsheet numbers it (the header is 1); 0: the message names its place
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
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
		e := RowError{Row: r.Row, Message: r.Err.Error()}
		var ke *kigen.Error
		if errors.As(r.Err, &ke) {
			e.Field, e.Message = ke.Field, ke.Message
		}
		out = append(out, e)
	}
	return out
}

// RefusedError is an import refused for its bad rows: nothing was written.
// Its code (kigen.ErrorCode) is invalid.
type RefusedError struct {
	Rows []RowError // every bad row's problems, in file order
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("%d problems: nothing was imported", len(e.Rows))
}

// Unwrap makes the refusal an invalid *kigen.Error.
func (e *RefusedError) Unwrap() error { return kigen.Errorf(kigen.EINVALID, "%s", e.Error()) }

// Import reads a resident list and applies it to the municipality: every
// row or none, in one transaction with its audit entry (a dry run is not
// audited). A file that cannot be read as a list (no header, a My Number
// column, …) is invalid; one with bad rows is a *RefusedError listing them
// all. A cancelled ctx writes nothing.
func (d *Desk) Import(ctx context.Context, a auth.Actor, p ImportParams) (*ImportResult, error) {
	mu, err := scope(ctx, d.Store, a, auth.Import, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	today := d.today()
	r, err := roster.NewReader(p.CSV, roster.Options{Today: today, Region: p.Region, IgnoreUnknownColumns: p.IgnoreUnknownColumns})
	var ke *kigen.Error
	if errors.As(err, &ke) {
		return nil, ke
	} else if err != nil {
		return nil, kigen.Errorf(kigen.EINVALID, "%v", err)
	}
	rows := 0
	s := auditedStore{Store: d.Store, entry: func() *store.AuditEntry {
		return &store.AuditEntry{ActorID: a.ID, ActorRole: string(a.Role), Action: string(auth.Import),
			MunicipalityID: mu.ID, Detail: fmt.Sprintf("%d rows", rows)}
	}}
	sum, err := importer.Import(store.LongWrite(ctx), s, r, importer.Options{MunicipalityID: mu.ID, Today: today, DryRun: p.DryRun,
		Progress: func(n int) { rows = n }})
	var refused *importer.RefusedError
	if errors.As(err, &refused) {
		return nil, &RefusedError{Rows: rowErrors(refused.Rows)}
	} else if err != nil {
		return nil, err
	}
	return &ImportResult{Municipality: mu.Code, MunicipalityName: mu.Name, Encoding: r.Encoding(), Summary: sum,
		Warnings: rowErrors(sum.Warnings)}, nil
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
