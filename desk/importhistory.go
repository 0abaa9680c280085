package desk

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// history is the history row of one import, filled in as the import goes.
type history struct {
	im         *store.Import
	now        func() time.Time
	dryRun     bool
	background bool
	// problems are a background import's problems or warnings, stored with
	// its result for its result page.
	problems []store.ImportProblem
	// size, if set, is the file's size once it is read (a file read as a
	// stream).
	size func() int64
}

func (d *Desk) newHistory(a auth.Actor, mu *kigen.Municipality, p ImportParams, background bool) *history {
	state := store.ImportRunning
	if p.DryRun {
		state = store.ImportDryRun
	}
	return &history{now: d.now, dryRun: p.DryRun, background: background, im: &store.Import{
		MunicipalityID: mu.ID, ActorID: a.ID, ActorRole: string(a.Role), FileName: fileName(p.FileName),
		State: state, Background: background, CreatedAt: d.now()}}
}

// fileName is the base name of an uploaded file's name, as a browser or a
// command line gives it (either kind of slash), at most 200 characters.
func fileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

// counted records a dry run's counts.
func (h *history) counted(res *ImportResult) {
	h.count(res)
	h.im.State, h.im.FinishedAt = store.ImportDryRun, h.now()
}

func (h *history) count(res *ImportResult) {
	im := h.im
	if h.size != nil {
		im.Size = h.size()
	}
	im.Encoding, im.Rows, im.RowsDone = res.Encoding, res.Rows, res.Rows
	im.Created, im.Updated, im.Unchanged, im.GapsOpened, im.Warnings = res.Created, res.Updated, res.Unchanged, res.GapsOpen, res.WarningsTotal
}

// refused records a refusal (of a dry run, the dry run's row).
func (h *history) refused(re *RefusedError) {
	im := h.im
	im.Encoding, im.BadRows, im.FinishedAt = re.Encoding, re.Total, h.now()
	if !h.dryRun {
		im.State = store.ImportRefused
	}
	if h.background {
		h.problems = problemsOf(re.Rows, false)
	}
}

// done records, in the import's transaction tx, an import written: a
// confirmed import's new row, or a background import's result (its row,
// its warnings, and its upload deleted).
func (h *history) done(ctx context.Context, tx store.Tx, res *ImportResult) error {
	h.count(res)
	h.im.State, h.im.FinishedAt = store.ImportDone, h.now()
	if !h.background {
		return tx.CreateImport(ctx, h.im)
	}
	h.problems = problemsOf(res.Warnings, true)
	return h.finish(ctx, tx)
}

// finish writes a background import's end in tx: its row, its problems,
// and its upload deleted.
func (h *history) finish(ctx context.Context, tx store.Tx) error {
	if err := tx.UpdateImport(ctx, h.im); err != nil {
		return err
	}
	if err := tx.CreateImportProblems(ctx, h.im.ID, h.problems); err != nil {
		return err
	}
	if err := tx.DeleteImportUpload(ctx, h.im.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

func problemsOf(rs []RowError, warning bool) []store.ImportProblem {
	out := make([]store.ImportProblem, len(rs))
	for i, r := range rs {
		out[i] = store.ImportProblem{Warning: warning, Row: r.Row, Field: r.Field, Message: r.Message, Key: r.Key, Args: r.Args}
	}
	return out
}

// ImportRecord is one import in a municipality's history: who, when, the
// file (its name, size and encoding, never its rows), what it did, and
// where it stands.
type ImportRecord struct {
	ID           int64  `json:"id"`
	Municipality string `json:"municipality"`
	// Actor is who imported: "account:3" (a console account), "token:5:crm"
	// (an API token), "cli:alice" (the command line); ActorRole their
	// role then.
	Actor     string `json:"actor"`
	ActorRole string `json:"actor_role"`
	FileName  string `json:"file_name"`
	Size      int64  `json:"size"`
	Encoding  string `json:"encoding"`
	// State is dry-run, running, done, refused or failed (store.ImportDryRun …).
	State      string     `json:"state"`
	Background bool       `json:"background"`
	Rows       int        `json:"rows"`
	RowsDone   int        `json:"rows_done"`
	Created    int        `json:"created"`
	Updated    int        `json:"updated"`
	Unchanged  int        `json:"unchanged"`
	GapsOpened int        `json:"gaps_opened"`
	BadRows    int        `json:"bad_rows"`
	Warnings   int        `json:"warnings"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Problems (refused) and WarningRows (done) are a background import's
	// listed problems, for its result page; GetImport fills them in,
	// ListImports does not.
	Problems    []RowError `json:"problems,omitempty"`
	WarningRows []RowError `json:"warning_rows,omitempty"`
}

// Finished reports whether the import has ended (done, refused, failed, or
// a dry run).
func (r *ImportRecord) Finished() bool { return r.State != store.ImportRunning }

func importRecord(mu *kigen.Municipality, im *store.Import) *ImportRecord {
	r := &ImportRecord{ID: im.ID, Municipality: mu.Code, Actor: im.ActorID, ActorRole: im.ActorRole, FileName: im.FileName,
		Size: im.Size, Encoding: im.Encoding, State: im.State, Background: im.Background, Rows: im.Rows, RowsDone: im.RowsDone,
		Created: im.Created, Updated: im.Updated, Unchanged: im.Unchanged, GapsOpened: im.GapsOpened, BadRows: im.BadRows,
		Warnings: im.Warnings, CreatedAt: im.CreatedAt}
	if !im.FinishedAt.IsZero() {
		t := im.FinishedAt
		r.FinishedAt = &t
	}
	return r
}

// ImportListParams select a page of a municipality's import history.
type ImportListParams struct {
	Municipality string `json:"municipality,omitempty"` // empty: the actor's own
	// Before pages on: the imports older than the import with this ID.
	Before int64 `json:"before,omitempty"`
	Limit  int   `json:"limit,omitempty"` // 1–100; 0: 50
}

// ImportPage is a page of the import history, newest first.
type ImportPage struct {
	Imports []*ImportRecord `json:"imports"`
	// Next is the Before of the next page; 0 when this is the last.
	Next int64 `json:"next,omitempty"`
}

// ListImports returns a page of the municipality's import history, newest
// first: dry runs and confirmed imports, from the console, the API and
// the command line. Staff and admins of the municipality may; operators
// may not (the history is the municipality's work, not delivery's). Not
// audited: it names no resident.
func (d *Desk) ListImports(ctx context.Context, a auth.Actor, p ImportListParams) (*ImportPage, error) {
	mu, err := scope(ctx, d.Store, a, auth.ImportView, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	limit := p.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 100:
		return nil, kigen.FieldErrorf("limit", "give a page size from 1 to 100, not %d", limit)
	}
	ims, err := d.Store.ListImports(ctx, store.ImportFilter{MunicipalityID: mu.ID, BeforeID: p.Before, Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	page := &ImportPage{Imports: []*ImportRecord{}}
	for i, im := range ims {
		if i == limit {
			page.Next = ims[i-1].ID
			break
		}
		page.Imports = append(page.Imports, importRecord(mu, im))
	}
	return page, nil
}

// GetImport returns one import of the municipality's history with, for a
// background import that ended, the problems or warnings it lists: its
// progress and result page. Another municipality's import is not found.
func (d *Desk) GetImport(ctx context.Context, a auth.Actor, municipality string, id int64) (*ImportRecord, error) {
	mu, err := scope(ctx, d.Store, a, auth.ImportView, municipality, "")
	if err != nil {
		return nil, err
	}
	im, err := d.Store.GetImport(ctx, mu.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "no import %d in %s %s", id, mu.Code, mu.Name)
	} else if err != nil {
		return nil, err
	}
	r := importRecord(mu, im)
	if im.Background && r.Finished() {
		ps, err := d.Store.ListImportProblems(ctx, im.ID)
		if err != nil {
			return nil, fmt.Errorf("problems of import %d: %w", im.ID, err)
		}
		for _, p := range ps {
			e := RowError{Row: p.Row, Field: p.Field, Message: p.Message, Key: p.Key, Args: p.Args}
			if p.Warning {
				r.WarningRows = append(r.WarningRows, e)
			} else {
				r.Problems = append(r.Problems, e)
			}
		}
	}
	return r, nil
}
