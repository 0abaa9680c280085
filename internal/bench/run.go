package bench

import (
	"context"
	"flag"
	"fmt"
	"time"
)

// UsageError is a command line Run refuses: the caller exits with its
// usage code.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// Run parses the arguments of `kigen bench` (the measure, then its flags)
// and runs that benchmark. A bad command line is a *UsageError.
func Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("bench: say what to measure: import, tick, deliver, console or ops")
	}
	name := args[0]
	if name == "selfservice" { // resident self-service: its own flags (selfservice.go)
		return runSelfService(ctx, env, args[1:])
	}
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	pgURL := fs.String("postgres", "", "use a temporary schema of this PostgreSQL database instead of a temporary SQLite file")
	var run func() error
	switch name {
	case "import":
		rows := fs.Int("rows", 100_000, "rows to generate and import")
		run = func() error { return Import(ctx, env, ImportOptions{Rows: *rows, PostgresURL: *pgURL}) }
	case "tick":
		n := fs.Int("residents", 100_000, "residents to seed (about 2.5 cards each)")
		munis := fs.Int("municipalities", 0, "municipalities to spread them over, sizes falling like 1/rank (default 1,741 as in Japan, or --residents if fewer)")
		serve := fs.Bool("serve", false, "also run `kigen serve` on the seeded database and report its peak RSS during the tick")
		run = func() error {
			if *munis == 0 && *n > 0 {
				*munis = min(1741, *n)
			}
			if *n < 1 || *munis < 1 || *munis > *n {
				return usagef("bench tick: need --residents ≥ 1 and 1 ≤ --municipalities ≤ --residents")
			}
			return Tick(ctx, env, TickOptions{Residents: *n, Municipalities: *munis, PostgresURL: *pgURL, Serve: *serve})
		}
	case "deliver":
		n := fs.Int("messages", 5_000, "messages to plan and deliver (each way)")
		run = func() error {
			if *n < 1 {
				return usagef("bench deliver: need --messages ≥ 1")
			}
			return Deliver(ctx, env, DeliverOptions{Messages: *n, PostgresURL: *pgURL})
		}
	case "console":
		n := fs.Int("residents", 100_000, "residents to seed (the tick's population)")
		munis := fs.Int("municipalities", 0, "municipalities to spread them over, sizes falling like 1/rank (default 1,741 as in Japan, or --residents if fewer); the staff are of the largest")
		sessions := fs.Int("sessions", 50, "staff members signed in at once (requests in flight at most)")
		rate := fs.Int("rate", 50, "requests a second, all sessions together, over the pages in turn (50: a request a second from each of 50 sessions)")
		duration := fs.Duration("duration", 30*time.Second, "how long to measure (after a warm-up of a tenth of it)")
		keep := fs.Bool("keep", false, "keep the seeded database and print its DATABASE_URL (for --seeded)")
		seeded := fs.String("seeded", "", "measure on this database, seeded and kept by an earlier run (--keep), instead of seeding one")
		run = func() error {
			if *munis == 0 && *n > 0 {
				*munis = min(1741, *n)
			}
			if *n < 1 || *munis < 1 || *munis > *n || *sessions < 1 || *rate < 1 || *duration <= 0 {
				return usagef("bench console: need --residents ≥ 1, 1 ≤ --municipalities ≤ --residents, --sessions ≥ 1, --rate ≥ 1 and --duration > 0")
			}
			return Console(ctx, env, ConsoleOptions{Residents: *n, Municipalities: *munis, PostgresURL: *pgURL, Sessions: *sessions,
				Rate: *rate, Duration: *duration, Keep: *keep, Seeded: *seeded})
		}
	case "ops":
		n := fs.Int("residents", 100_000, "residents to seed (the tick's population)")
		munis := fs.Int("municipalities", 0, "municipalities to spread them over (default 1,741, or --residents if fewer)")
		perDay := fs.Int("per-day", 0, "messages a day over the year (default residents × 2 / 365)")
		runs := fs.Int("runs", 50, "timed runs of each query")
		backlog := fs.Int("backlog", 10_000, "jobs left waiting in the queue")
		run = func() error {
			if *munis == 0 && *n > 0 {
				*munis = min(1741, *n)
			}
			if *n < 1 || *munis < 1 || *munis > *n || *perDay < 0 || *runs < 1 || *backlog < 0 {
				return usagef("bench ops: need --residents ≥ 1, 1 ≤ --municipalities ≤ --residents, --per-day ≥ 0, --runs ≥ 1, --backlog ≥ 0")
			}
			return Ops(ctx, env, OpsOptions{Residents: *n, Municipalities: *munis, PerDay: *perDay, Runs: *runs, Backlog: *backlog, PostgresURL: *pgURL})
		}
	default:
		return usagef("bench: unknown measure %q (import, tick, deliver, console or ops)", name)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("bench %s: unexpected argument %q", name, fs.Arg(0))
	}
	return run()
}
