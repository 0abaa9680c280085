package bench

import (
	"context"
	"flag"
	"fmt"
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
		return usagef("bench: say what to measure: import, tick or deliver")
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
	default:
		return usagef("bench: unknown measure %q (import, tick or deliver)", name)
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
