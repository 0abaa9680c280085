package main

import (
	"context"
	"log/slog"
	"text/tabwriter"

	"kigen/desk"
)

func runFollowup(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("followup")
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	all := fs.Bool("all", false, "every municipality, one after the other (an operator's list; refs only)")
	asJSON := fs.Bool("json", false, "print the list as JSON (with --all, an array of one list per municipality)")
	if err := parseFlags(fs, args); err != nil {
		return err
	} else if *all && *code != "" {
		return usageErrorf("followup: give --municipality or --all, not both")
	}
	var (
		d   *desk.Desk
		a   = m.operator()
		err error
	)
	if *all {
		d, err = m.openDesk(ctx, actionLogger(m), true)
	} else {
		d, a, _, err = m.adminDesk(ctx, *code, actionLogger(m), true)
	}
	if err != nil {
		return err
	}
	var lists []*desk.FollowupList
	w, n := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0), 0
	err = d.WalkFollowup(ctx, a, desk.FollowupParams{All: *all}, func(pg *desk.FollowupPage) error {
		if *asJSON {
			lists = desk.GatherFollowup(lists, pg)
			return nil
		}
		n = pg.WriteText(w, n)
		return w.Flush() // a page at a time: the first screen shows at once
	})
	switch {
	case err != nil:
		return deskError(err)
	case *asJSON && *all:
		return m.printJSON(lists)
	case *asJSON:
		return m.printJSON(lists[0])
	}
	return nil
}

// actionLogger logs an operator's actions at Info level on stderr, with ids
// only (m.logger shows warnings only).
func actionLogger(m *Main) *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
