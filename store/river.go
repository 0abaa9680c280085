package store

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
)

// RiverOpener is the ability of a store whose database also holds River's
// job queue, so that a transaction can record rows and enqueue the jobs
// that act on them at once. Both backends have it: River's riverpgxv5
// driver on PostgreSQL, riversqlite on SQLite. The scheduler detects it
// with a type assertion.
type RiverOpener interface {
	// NewRiverClient returns a River client on the store's database,
	// configured by cfg (its Schema names the PostgreSQL schema of River's
	// tables, empty for the search_path; SQLite ignores it). It neither
	// migrates River's tables nor starts working jobs.
	NewRiverClient(cfg *river.Config) (RiverClient, error)
}

// RiverClient is River's client on a store's database, whatever the
// driver's transaction type, with the reads of River's job table that
// River's own API lacks. It is an internal seam between the scheduler and
// the stores, and may change with either.
type RiverClient interface {
	// Migrate applies River's migrations. It is idempotent.
	Migrate(ctx context.Context) error
	// Start starts working jobs (see river.Client.Start).
	Start(ctx context.Context) error
	// Stop stops working jobs gracefully (see river.Client.Stop).
	Stop(ctx context.Context) error
	// StopAndCancel stops at once, cancelling the running jobs' contexts
	// (see river.Client.StopAndCancel).
	StopAndCancel(ctx context.Context) error

	// InsertManyTx inserts jobs in the store's transaction tx: they commit
	// or roll back with it (river.Client.InsertManyTx). A tx of another
	// store is an error.
	InsertManyTx(ctx context.Context, tx Tx, params []river.InsertManyParams) error
	// InsertManyFastTx inserts, in tx, jobs that cannot be duplicates, in
	// bulk (river.Client.InsertManyFastTx: COPY on PostgreSQL).
	InsertManyFastTx(ctx context.Context, tx Tx, params []river.InsertManyParams) error
	// Insert inserts one job outside any transaction and reports whether it
	// did: false when a unique job like it was already there.
	Insert(ctx context.Context, args river.JobArgs) (inserted bool, err error)

	// CountRunnableJobs counts the jobs running, or available, scheduled
	// or waiting for a retry at a time no later than the database's clock
	// plus ahead: the jobs a worker could still take now.
	CountRunnableJobs(ctx context.Context, ahead time.Duration) (int, error)
	// CountJobsByState counts the jobs in each state River has, leaving out
	// the states with none.
	CountJobsByState(ctx context.Context) (map[string]int, error)
	// ListDiscardedJobArgs returns, in increasing order and once each, the
	// values of the integer argument arg (a key of the jobs' JSON args) of
	// the jobs of kind that River discarded and that have no other job of
	// that kind with the same value pending, available, scheduled,
	// running, waiting for a retry or completed: the work River gave up on
	// and nothing else will do.
	ListDiscardedJobArgs(ctx context.Context, kind, arg string) ([]int64, error)
	// ListJobs returns the jobs of kind in these states (River's names:
	// "available", "retryable" …), by ID, each with the value of its
	// integer argument arg (a key of the jobs' JSON args), when it is
	// scheduled and the text of its last error: where the work stands, for
	// a report. An argument that is not an integer is an error.
	ListJobs(ctx context.Context, kind, arg string, states []string) ([]Job, error)
	// DeleteJobs deletes every job, whatever its kind and state: for
	// benchmarks that work the same jobs again.
	DeleteJobs(ctx context.Context) error
}

// Job is a River job as RiverClient.ListJobs reads it.
type Job struct {
	ID          int64
	Arg         int64  // the integer argument asked for
	State       string // River's: "available", "running", "retryable" …
	Attempt     int    // attempts made
	ScheduledAt time.Time
	LastError   string // the text of its last error, "" if none
}

// RiverUIOpener is the ability of a store to serve River UI
// (riverqueue.com/riverui) on the job queue in its database: River's jobs
// and queues, and River UI's actions on them (cancel, retry or delete a
// job; pause or resume a queue). Both backends have it. The operators'
// pages mount it behind their login (web/ops.River).
type RiverUIOpener interface {
	// NewRiverUI returns River UI's handler for the requests under prefix
	// ("/ops/river"), on a River client of the store's database that works
	// no jobs; River's tables are found as the job queue finds them
	// (PostgreSQL: the search_path). River UI logs its failures to logger.
	NewRiverUI(prefix string, logger *slog.Logger) (RiverUI, error)
}

// RiverUI is River UI's handler: its single-page application and the JSON
// API the page calls, under the prefix it was made for. Start starts its
// background counts of jobs by state, until ctx ends; before Start it
// counts on demand.
type RiverUI interface {
	http.Handler
	Start(ctx context.Context) error
}
