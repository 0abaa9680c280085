package main

import (
	"context"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"kigen"
	"kigen/desk"
)

func runFollowup(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("followup")
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("followup takes no arguments")
	}
	d, a, mu, err := m.adminDesk(ctx, *code, actionLogger(m), true)
	if err != nil {
		return err
	}
	list, err := d.Followup(ctx, a, desk.FollowupParams{})
	if err != nil {
		return deskError(err)
	}
	if *asJSON {
		return m.printJSON(list)
	}
	return printFollowup(m, mu, list)
}

// printFollowup prints the list, a table a section (a line without a tab
// ends each table).
func printFollowup(m *Main, mu *kigen.Municipality, list *desk.FollowupList) error {
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "follow-up for %s %s on %s\n", mu.Code, mu.Name, list.Date)
	fmt.Fprintf(w, "\ncannot be reached (%d): no message goes out until consent or a usable contact is entered\n  ref\treason\n", len(list.Unreachable))
	for _, u := range list.Unreachable {
		fmt.Fprintf(w, "  %s\t%s\n", u.Ref, u.Reason)
	}
	fmt.Fprintf(w, "\nstale cards (%d): expired too long ago to be messaged; enter the new expiry date\n  ref\tcard\texpired on\n", len(list.Stale))
	for _, s := range list.Stale {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", s.Ref, s.Card, s.ExpiresOn)
	}
	fmt.Fprintf(w, "\nunknown sends (%d): settle each with kigen delivery resend ID or kigen delivery resolve ID --sent|--not-sent\n  delivery\tmessage\tref\tchannel\tsince\n", len(list.Unknown))
	for _, u := range list.Unknown {
		fmt.Fprintf(w, "  %d\t%d\t%s\t%s\t%s\n", u.DeliveryID, u.MessageID, u.Ref, u.Channel, u.Since.Format("2006-01-02 15:04 MST"))
	}
	if len(list.GivenUp) > 0 {
		fmt.Fprintf(w, "\nsends given up (%d): the queue stopped trying; find out why in the logs, then kigen delivery retry MESSAGE\n  message\tref\tchannel\tplanned on\n", len(list.GivenUp))
		for _, g := range list.GivenUp {
			fmt.Fprintf(w, "  %d\t%s\t%s\t%s\n", g.MessageID, g.Ref, g.Channel, g.TickDate)
		}
	}
	return w.Flush()
}

// actionLogger logs an operator's actions at Info level on stderr, with ids
// only (m.logger shows warnings only).
func actionLogger(m *Main) *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
