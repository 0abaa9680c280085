package store

import (
	"context"
	"time"
)

// The states of an import (Import.State).
const (
	// ImportDryRun is a file checked and counted, nothing written.
	ImportDryRun = "dry-run"
	// ImportRunning is a confirmed import not finished yet: waiting for
	// its background job, or being written.
	ImportRunning = "running"
	// ImportDone is an import written, every row of it.
	ImportDone = "done"
	// ImportRefused is a file refused (bad rows, or not a resident list):
	// nothing written.
	ImportRefused = "refused"
	// ImportFailed is an import that met an error that was not the file's
	// (the database, a timeout, attempts run out): nothing written.
	ImportFailed = "failed"
)

// ImportQueries keep the history of a municipality's imports, part of
// Queries: who imported which file when, and what it did. A history row
// holds no personal data of the file: its name, size and encoding and the
// counts only. A background import also keeps, until it ends, the file it
// will import (an upload) and, once it ends, the problems it lists.
type ImportQueries interface {
	// CreateImport stores im and sets its ID and, when zero, CreatedAt (the
	// store's clock). ErrNotFound if the municipality does not exist.
	CreateImport(ctx context.Context, im *Import) error
	// UpdateImport saves im's state, encoding, counts, RowsDone and
	// FinishedAt (by ID and MunicipalityID; the rest stays as created).
	// ErrNotFound if the municipality has no such import.
	UpdateImport(ctx context.Context, im *Import) error
	// SetImportProgress sets RowsDone of an import still running, and
	// changes nothing once it is not (a late progress report must not undo
	// a finished import's counts). ErrNotFound if there is no such import.
	SetImportProgress(ctx context.Context, id int64, rowsDone int) error
	// GetImport returns the municipality's import with this ID, or
	// ErrNotFound (also for another municipality's). A zero
	// municipalityID finds the import whatever its municipality: for the
	// background job, which knows its import by ID alone.
	GetImport(ctx context.Context, municipalityID, id int64) (*Import, error)
	// ListImports returns a page of the imports f selects, newest first
	// (by ID).
	ListImports(ctx context.Context, f ImportFilter) ([]*Import, error)

	// CreateImportUpload keeps the file a background import will read.
	// ErrNotFound if there is no such import; ErrConflict if it has one.
	CreateImportUpload(ctx context.Context, importID int64, data []byte) error
	// GetImportUpload returns the file kept for the import, or ErrNotFound.
	GetImportUpload(ctx context.Context, importID int64) ([]byte, error)
	// DeleteImportUpload deletes the file kept for the import, or returns
	// ErrNotFound if there is none.
	DeleteImportUpload(ctx context.Context, importID int64) error

	// CreateImportProblems appends problems of the import (they are listed
	// in the order given, after those stored before). ErrNotFound if there
	// is no such import.
	CreateImportProblems(ctx context.Context, importID int64, ps []ImportProblem) error
	// ListImportProblems returns the import's problems in the order they
	// were stored; none (nil) if it has none.
	ListImportProblems(ctx context.Context, importID int64) ([]ImportProblem, error)
}

// Import is one import in a municipality's history: a dry run or a
// confirmed import, from the console, the API or the command line.
type Import struct {
	ID             int64
	MunicipalityID int64
	ActorID        string // who: "account:3", "token:5:crm", "cli:alice"
	ActorRole      string // their role then: staff, admin
	FileName       string // as uploaded, without its directory; may be empty (the API's body)
	Size           int64  // bytes
	Encoding       string // as detected: UTF-8, UTF-8 with BOM, Shift_JIS; empty if unreadable
	State          string // ImportDryRun, ImportRunning, ImportDone, ImportRefused, ImportFailed
	// Background is an import confirmed into a job, not written in the
	// request.
	Background bool
	Rows       int // data rows in the file (known after a dry run, or at the end)
	RowsDone   int // rows read so far by a running import
	Created    int // residents new
	Updated    int // residents changed
	Unchanged  int // residents the file left as they were
	GapsOpened int // renewal gaps opened
	BadRows    int // problems that refused the file (0 unless refused)
	Warnings   int // warnings of accepted rows
	CreatedAt  time.Time
	FinishedAt time.Time // zero while running
}

// ImportProblem is one problem, or one warning, an import listed: a row,
// a column and Kigen's reason (which never quotes an email address, a
// phone number or a 12-digit number).
type ImportProblem struct {
	Warning bool   // a warning of an accepted row; false: a problem that refused the file
	Row     int    // as a spreadsheet numbers it (the header is 1); 0: the file
	Field   string // the column, if any
	Message string // in English
	// Key and Args are the reason's catalog key and arguments
	// (kigen.Error's), for a page in another language; Key may be empty.
	Key  string
	Args []string
}

// ImportFilter selects a page of imports.
type ImportFilter struct {
	MunicipalityID int64 // non-zero: this municipality's only
	BeforeID       int64 // non-zero: imports older than this one (keyset paging)
	Limit          int   // at most this many; 0 means 100
}
