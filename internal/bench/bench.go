// Package bench holds the benchmark programs behind `kigen bench`: an
// import (Import), the daily tick (Tick) and delivery (Deliver), each on a
// throwaway database — a temporary SQLite file, or a temporary schema of a
// PostgreSQL database — that it drops at the end, printing figures.
//
// Every read and write of the database goes through store methods (the
// generated population through store.Bench.BulkLoad): the benchmarks hold
// no SQL, so a migration never has to change them. What kigen serve runs —
// the planner, the queue and its senders — comes from the command through
// Env.Engine, so that the figures are those of the real wiring.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
)

// Env is what the benchmarks take from the command that runs them.
type Env struct {
	Stdout, Stderr io.Writer
	Logger         *slog.Logger
	// Today is the bench day (Asia/Tokyo).
	Today kigen.Date
	// Getenv reads the variables passed on to kigen serve (GOGC,
	// GOMEMLIMIT, GOMAXPROCS, GODEBUG).
	Getenv func(string) string
	// Engine builds what kigen serve runs (Tick, Deliver).
	Engine EngineFunc
	// Serve returns the command that runs `kigen serve` with env as its
	// whole environment (Tick with TickOptions.Serve).
	Serve func(env []string) (*exec.Cmd, error)
}

// EngineFunc returns the planner and the queue, with its deliver worker,
// that kigen serve would run on s at the time now returns, sending as to
// says. With a non-zero tune, the queue is wired as kigen serve's but with
// those settings.
type EngineFunc func(ctx context.Context, s store.Store, now func() time.Time, to Senders, tune QueueTuning) (*scheduler.Planner, *scheduler.Queue, error)

// Senders says where the deliver worker sends: never to a real provider.
type Senders struct {
	// Outbox is the file of the outbox, which takes every channel without
	// a fake below.
	Outbox string
	// SendGrid, if set, takes email: the real sender against this fake.
	SendGrid *sendgridtest.Server
	// Twilio, if set, takes SMS: the real sender against this fake.
	Twilio *twiliotest.Server
}

// QueueTuning changes the queue's settings; the zero value is kigen
// serve's.
type QueueTuning struct {
	MaxWorkers        int
	FetchPollInterval time.Duration // and so the fetch cooldown
}

// benchStore is what a benchmark's database is: both backends.
type benchStore interface {
	store.Store
	store.Bench
	store.RiverOpener
}

// db is the throwaway database of a benchmark, with Kigen's and River's
// tables. Close drops it.
type db struct {
	backend string // "sqlite" or "postgres"
	store   benchStore
	jobs    store.RiverClient // River's job table: counted and emptied between runs
	url     string            // DATABASE_URL naming it, for a kigen subprocess
	dir     string            // a temporary directory for files, removed by Close
	drop    func() error
}

// openDB creates and migrates a throwaway database: a schema of the
// PostgreSQL database at pgURL, or (pgURL empty) a SQLite file in a
// temporary directory (b.dir, for other files too). Close removes both.
func openDB(ctx context.Context, pgURL string, logger *slog.Logger) (_ *db, err error) {
	dir, err := os.MkdirTemp("", "kigen-bench-")
	if err != nil {
		return nil, err
	}
	b := &db{backend: "sqlite", dir: dir, drop: func() error { return nil }}
	defer func() {
		if err != nil {
			if b.store != nil {
				b.Close()
			} else {
				_ = b.drop()
				os.RemoveAll(dir)
			}
		}
	}()
	if pgURL != "" {
		b.backend = "postgres"
		url, drop, err := postgres.CreateSchema(ctx, pgURL, "kigen_bench")
		if err != nil {
			return nil, err
		}
		b.url, b.drop = url, drop
		s, err := postgres.Open(ctx, b.url)
		if err != nil {
			return nil, err
		}
		b.store = s
	} else {
		path := filepath.Join(dir, "kigen.db")
		b.url = "sqlite:" + path
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		b.store = s
	}
	if err := b.store.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	// River's tables, beside Kigen's.
	if b.jobs, err = b.store.NewRiverClient(&river.Config{Logger: logger}); err != nil {
		return nil, err
	}
	if err := b.jobs.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate the job queue: %w", err)
	}
	return b, nil
}

// Close closes the store, drops the schema and removes the directory.
func (b *db) Close() error {
	err := errors.Join(b.store.Close(), b.drop())
	os.RemoveAll(b.dir)
	return err
}

// countJobs counts River's jobs in one state, or in all if state is "".
func (b *db) countJobs(ctx context.Context, state string) (int, error) {
	counts, err := b.jobs.CountJobsByState(ctx)
	if err != nil {
		return 0, err
	}
	if state != "" {
		return counts[state], nil
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, nil
}

// printMachine prints what the figures were measured on.
func printMachine(ctx context.Context, out io.Writer, b *db, what string) {
	version := ""
	if v, err := b.store.DatabaseVersion(ctx); err == nil {
		version = " " + v
	}
	mem := ""
	if kb, err := procMeminfoKB("MemTotal"); err == nil {
		mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
	}
	fmt.Fprintf(out, "kigen bench %s on %s%s; %s/%s, %d CPUs%s, %s\n", what, b.backend, version, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), mem, runtime.Version())
}

// peakRSS returns the process's peak resident set size (VmHWM), or "n/a"
// where /proc is not available.
func peakRSS() string {
	kb, err := procStatusKB(os.Getpid(), "VmHWM")
	if err != nil {
		return "n/a"
	}
	return fmt.Sprintf("%d MB", kb/1024)
}

// procStatusKB reads a field in kB (VmHWM, VmRSS) of /proc/PID/status.
func procStatusKB(pid int, field string) (int, error) {
	return procFieldKB("/proc/"+strconv.Itoa(pid)+"/status", field)
}

// procMeminfoKB reads a field in kB (MemTotal) of /proc/meminfo.
func procMeminfoKB(field string) (int, error) { return procFieldKB("/proc/meminfo", field) }

// procFieldKB reads a "Field: N kB" line of a /proc file.
func procFieldKB(path, field string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, field)
}

// secs formats a duration in seconds.
func secs(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// plural returns "n word" or "n words".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(n) + " " + word + "s"
}

// verdict says whether a target was met.
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// thousands formats n with thousands separators.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
