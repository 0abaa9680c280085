// Package importer imports a resident list into the store: all or nothing,
// in one transaction, streaming in batches. It merges each row with what is
// stored (an absent column leaves the stored value alone, a blank cell
// clears it: docs/domain.md §11.8), applies the cross-field rules to the merged
// result, writes in bulk and re-plans each changed resident's cards.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"kigen"
	"kigen/roster"
	"kigen/store"
)

// DefaultBatchSize is how many rows are merged and written at once.
const DefaultBatchSize = 1000

// MaxListed is how many problems, and how many warnings, an import keeps
// to report; the rest are counted. A file of a million bad rows must not
// hold a million messages in memory, and nobody reads past the first few.
const MaxListed = 1000

// Options tune one import.
type Options struct {
	MunicipalityID int64
	// Today is the day of the import in Asia/Tokyo: next notice dates are
	// computed from it.
	Today kigen.Date
	// DryRun validates and counts everything, then rolls back.
	DryRun bool
	// BatchSize is the number of rows per batch (DefaultBatchSize if 0).
	BatchSize int
	// Progress, if set, is called after each batch with the rows read so far.
	Progress func(rows int)
	// Commit, if set, is called in the import's transaction once every row
	// is written (never for a dry run or a refused file), with the summary:
	// what the caller records with the import, so that both commit or
	// neither. An error from it rolls the import back and is returned.
	Commit func(ctx context.Context, tx store.Tx, sum Summary) error
	// Written, if set, is called with each resident written, its ID set
	// (ApplyTx: a caller that needs the ID of the resident it created
	// need not read it back).
	Written func(r *kigen.Resident)
}

// Summary counts what an import did (or, in a dry run, would do).
type Summary struct {
	Rows      int  `json:"rows"`       // data rows read
	Created   int  `json:"created"`    // residents created
	Updated   int  `json:"updated"`    // residents changed
	Unchanged int  `json:"unchanged"`  // residents the file left as they were
	Skipped   int  `json:"skipped"`    // blank rows
	Renewals  int  `json:"renewals"`   // residence or integrated card with a new expiry
	GapsOpen  int  `json:"gaps_open"`  // renewal gaps now open that were not before
	Stale     int  `json:"stale"`      // cards expired too long ago to be messaged
	NoContact int  `json:"no_contact"` // residents who cannot be reached (no consent or contact)
	DryRun    bool `json:"dry_run"`

	// Warnings are the first MaxListed warnings, in row order, of
	// WarningsTotal.
	Warnings      []RowError `json:"-"`
	WarningsTotal int        `json:"warnings_total"`
}

// RowError is a problem of one row.
type RowError struct {
	Row int
	Err error
}

// Error implements error: "row N: column: reason" (Row 0: the error names
// its place itself, as a CSV syntax error does).
func (e RowError) Error() string {
	if e.Row == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("row %d: %v", e.Row, e.Err)
}

// RefusedError reports that the file was refused: nothing was written.
type RefusedError struct {
	Rows  []RowError // the bad rows' problems, in row order: the first MaxListed
	Total int        // how many problems there are, listed or not
}

// Error implements error.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("%d %s in the file: nothing was imported", e.Total, plural(e.Total, "problem"))
}

// plural returns word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// errDryRun rolls back a dry run.
var errDryRun = errors.New("dry run")

// Import reads every row of r and applies it to the municipality in one
// transaction. If any row is bad it returns a *RefusedError listing all of
// them and writes nothing; a cancelled ctx also writes nothing.
func Import(ctx context.Context, s store.Store, r *roster.Reader, opt Options) (Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	var sum Summary
	var refused *RefusedError
	err := s.InTx(ctx, func(tx store.Tx) error {
		sum, refused = Summary{DryRun: opt.DryRun}, nil
		im := &run{tx: tx, opt: opt, sum: &sum, refused: &RefusedError{}}
		batches, stop := readAhead(ctx, r, opt.BatchSize)
		defer stop()
		for b := range batches {
			if err := ctx.Err(); err != nil {
				return err
			}
			sum.Rows += len(b.recs)
			if err := im.batch(ctx, b.recs); err != nil {
				return err
			}
			// The reading ended on the row after the batch.
			var se *roster.SyntaxError
			if errors.As(b.err, &se) {
				im.refuse([]RowError{{Row: se.Row, Err: se.Err}})
			} else if b.err != nil {
				im.refuse([]RowError{{Err: b.err}})
			}
			if opt.Progress != nil {
				opt.Progress(sum.Rows)
			}
		}
		// The reader stops early, without a word, when ctx is done: the
		// rows it did not read must not be taken for the end of the file.
		if err := ctx.Err(); err != nil {
			return err
		}
		sum.Skipped = r.Skipped()
		refused = im.refused
		switch {
		case refused.Total > 0:
			return refused
		case opt.DryRun:
			return errDryRun
		case opt.Commit != nil:
			return opt.Commit(ctx, tx, sum)
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return sum, err
}

// readBatch is a batch of records read ahead, and the error that ended the
// reading after them, if any.
type readBatch struct {
	recs []*roster.Record
	err  error
}

// readAhead reads r in batches of size records on a goroutine of its own,
// one batch ahead of the caller: the next batch is parsed while the caller
// writes the last one, and at most two batches are held at once. The last
// batch (possibly empty) ends with the file or carries the error that ended
// the reading; then batches is closed. When ctx is done the goroutine stops
// reading and closes batches. stop ends the goroutine and waits for it;
// after stop (or once batches is closed), r is the caller's again.
func readAhead(ctx context.Context, r *roster.Reader, size int) (batches <-chan readBatch, stop func()) {
	ch := make(chan readBatch) // unbuffered: the reader waits with one batch ready
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ch)
		send := func(b readBatch) bool {
			select {
			case ch <- b:
				return true
			case <-done:
				return false
			}
		}
		batch := make([]*roster.Record, 0, size)
		for ctx.Err() == nil {
			rec, err := r.Next()
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				send(readBatch{recs: batch, err: err})
				return
			}
			batch = append(batch, rec)
			if len(batch) == size {
				if !send(readBatch{recs: batch}) {
					return
				}
				batch = make([]*roster.Record, 0, size)
			}
		}
	})
	var once sync.Once
	return ch, func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// CheckNew checks records already parsed (roster.ParseFields) as ApplyTx
// would for residents not yet stored, without a store: the reader's
// problems and the cross-field rules of each record on its own. It
// returns ApplyTx's *RefusedError, or the summary with the warnings.
// It reads nothing and writes nothing: a resident whose reference is taken
// is ApplyTx's to find.
func CheckNew(recs []*roster.Record, opt Options) (Summary, error) {
	sum := Summary{Rows: len(recs)}
	im := &run{opt: opt, sum: &sum, refused: &RefusedError{}}
	var refused, warned []RowError
	for _, rec := range readProblems(recs, &refused, &warned) {
		ch, errs, warnings := judge(opt.MunicipalityID, nil, rec)
		refused, warned = append(refused, errs...), append(warned, warnings...)
		if len(errs) == 0 {
			im.count(ch)
		}
	}
	im.refuse(refused)
	im.warn(warned)
	if im.refused.Total > 0 {
		return sum, im.refused
	}
	return sum, nil
}

// ApplyTx applies records already parsed (roster.ParseFields: a resident
// registered or changed at the counter) in the caller's transaction, with
// the rules of Import: merged with what is stored, the cross-field rules
// applied to the result, written and re-planned. If a record is bad it
// returns a *RefusedError and writes nothing. DryRun, BatchSize and
// Progress are not read: to try records without keeping them, roll the
// transaction back.
func ApplyTx(ctx context.Context, tx store.Tx, recs []*roster.Record, opt Options) (Summary, error) {
	sum := Summary{Rows: len(recs)}
	im := &run{tx: tx, opt: opt, sum: &sum, refused: &RefusedError{}}
	if err := im.batch(ctx, recs); err != nil {
		return sum, err
	}
	if im.refused.Total > 0 {
		return sum, im.refused
	}
	return sum, nil
}
