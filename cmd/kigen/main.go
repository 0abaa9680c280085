// Command kigen reminds foreign residents of Japan, in their own language,
// before their residence card, My Number card or its electronic
// certificate expires. This package only wires: configuration, the store,
// and the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes (docs/architecture.md).
const (
	exitOK      = 0 // success
	exitInvalid = 1 // the input was refused; nothing was written
	exitUsage   = 2 // the command line was wrong
	exitEnv     = 3 // the environment failed: database unreachable, …
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(os.Stdout, os.Stderr, os.Getenv)
	code := m.Run(ctx, os.Args[1:])
	m.Close()
	os.Exit(code)
}

// Main is one run of the kigen command.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Config         Config

	closers []func() error
}

// NewMain returns a Main that writes to stdout and stderr and reads its
// environment through getenv.
func NewMain(stdout, stderr io.Writer, getenv func(string) string) *Main {
	return &Main{Stdout: stdout, Stderr: stderr, Getenv: getenv}
}

// Close releases what Run opened.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

// command is one subcommand.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, m *Main, args []string) error
}

var commands = []command{
	{"serve", "kigen serve [--addr HOST:PORT]", "run Kigen: the daily tick, delivery workers and the HTTP server (health, readiness, metrics, webhooks)", runServe},
	{"demo", "kigen demo [--days N] [--full] [--keep]", "seed a municipality and a dozen residents into a temporary store and fast-forward through their reminders", runDemo},
	{"tick", "kigen tick [--now DATE|TIME] [--json]", "plan today's notices and deliver every job that can run now, then print a summary", runTick},
	{"migrate", "kigen migrate", "apply the database migrations (DATABASE_URL; default sqlite:kigen.db)", runMigrate},
	{"municipality", "kigen municipality add|set CODE [--name NAME] [--name-kana …] [--name-latin …] [--contact-phone|-email|-url …] | list", "manage municipalities and the contact block messages show", runMunicipality},
	{"import", "kigen import [--municipality CODE] [--dry-run] [--json] [--ignore-unknown-columns] [--fallback-language L] FILE.csv", "import a resident list: all rows or none", runImport},
	{"resident", "kigen resident show|set [--new] [--email E] [--phone P] [--language L] [--channel C] [--consent yes|no] [--status S] [--residence-card DATE] [--mynumber-card DATE] [--mynumber-cert DATE] [--integrated-card DATE] [--name N]|applied [--on DATE|--undo]|erase [--yes]|resubscribe --channel email|sms [--municipality CODE] REF | list [--search Q] [--expiring-within DAYS] [--gap-open] [--unreachable] [--json]", "counter work: look a resident up, register or change one (an empty value clears a field), list and search, record or undo a renewal applied for, erase a resident, switch a channel they opted out of back on (they asked in person)", runResident},
	{"export", "kigen export residents|followup [--municipality CODE] [--out FILE]", "write the residents (the import's own header) or the follow-up list as CSV, safe against spreadsheet formula injection", runExport},
	{"followup", "kigen followup [--municipality CODE | --all] [--json]", "list for staff (or, with --all, an operator): residents who cannot be reached, stale cards, unknown sends (refs only), streamed a page at a time", runFollowup},
	{"staff", "kigen staff add --role staff|admin --municipality CODE EMAIL | add --role operator EMAIL | list [--municipality CODE] [--json] | disable|reset|unlock EMAIL", "manage console accounts: add prints a one-time setup link (72 h); reset starts an account over with a new link", runStaff},
	{"token", "kigen token create --municipality CODE --name NAME [--scope read|write] | list [--municipality CODE] [--json] | revoke ID", "manage JSON API tokens: create prints the token once (it is stored hashed)", runToken},
	{"delivery", "kigen delivery resend ID | resolve ID --sent|--not-sent | retry MESSAGE", "settle an unknown send (send it again, or record what the provider says), or retry a send the queue gave up on", runDelivery},
	{"preview", "kigen preview --lang L --card KIND --stage STAGE [--context gap|pending] [--channel email|sms] [--now DATE] [--html] | --all --out DIR", "print one message with sample data, or write an HTML gallery of every message", runPreview},
	{"timeline", "kigen timeline --residence-card DATE --mynumber-card DATE …", "show every reminder Kigen would send for these card dates, and when (no database)", runTimeline},
	{"bench", "kigen bench import [--rows N] | tick [--residents N] [--serve] | deliver [--messages N] | console [--residents N] [--sessions N] [--rate N] [--duration D] | ops [--residents N] — each [--postgres URL]", "measure an import, the daily tick, delivery, the staff console or the ops page's queries on generated data (temporary SQLite file, or a temporary PostgreSQL schema)", runBench},
	{"config", "kigen config", "print the effective configuration, secrets redacted", runConfig},
	{"backup", "kigen backup FILE", "copy the embedded SQLite database to FILE while Kigen runs (PostgreSQL: use pg_dump)", runBackup},
	{"version", "kigen version", "print the version and the commit it was built from", runVersion},
}

// Run runs the subcommand named by args[0] and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		m.usage(m.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cfg, err := LoadConfig(m.Getenv)
	if err != nil {
		fmt.Fprintf(m.Stderr, "kigen: configuration:\n%v\n", err)
		return exitUsage
	}
	m.Config = cfg
	for _, c := range commands {
		if c.name == args[0] {
			return m.exit(c.run(ctx, m, args[1:]))
		}
	}
	fmt.Fprintf(m.Stderr, "kigen: unknown command %q\n\n", args[0])
	m.usage(m.Stderr)
	return exitUsage
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "kigen — expiry reminders for foreign residents of Japan\n\nUsage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %s\n      %s\n", c.usage, c.summary)
	}
	fmt.Fprintln(w, "\nEnvironment: DATABASE_URL (postgres://… or sqlite:PATH), KIGEN_NOW; see README.md.")
}

// exitError carries an exit code through a command's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func envError(err error) error { return &exitError{exitEnv, err} }

// exit prints err (if any) and maps it to an exit code.
func (m *Main) exit(err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintf(m.Stderr, "kigen: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitInvalid
}
