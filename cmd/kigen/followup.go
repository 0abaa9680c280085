package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"text/tabwriter"

	"kigen"
	"kigen/desk"
)

func runFollowup(ctx context.Context, m *Main, args []string) error {
	fs := flag.NewFlagSet("followup", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("followup takes no arguments")
	}
	d, err := m.openDesk(ctx, actionLogger(m), true)
	if err != nil {
		return err
	}
	a, mu, err := m.admin(ctx, d, *code)
	if err != nil {
		return err
	}
	list, err := d.Followup(ctx, a, desk.FollowupParams{})
	if err != nil {
		return deskError(err)
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return printFollowup(m, mu, list)
}

func printFollowup(m *Main, mu *kigen.Municipality, list *desk.FollowupList) error {
	w := m.Stdout
	fmt.Fprintf(w, "follow-up for %s %s on %s\n", mu.Code, mu.Name, list.Date)

	fmt.Fprintf(w, "\ncannot be reached (%d): no message goes out until consent or a usable contact is entered\n", len(list.Unreachable))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ref\treason")
	for _, u := range list.Unreachable {
		fmt.Fprintf(tw, "  %s\t%s\n", u.Ref, u.Reason)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nstale cards (%d): expired too long ago to be messaged; enter the new expiry date\n", len(list.Stale))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ref\tcard\texpired on")
	for _, s := range list.Stale {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Ref, s.Card, s.ExpiresOn)
	}
	tw.Flush()

	fmt.Fprintf(w, "\nunknown sends (%d): settle each with kigen delivery resend ID or kigen delivery resolve ID --sent|--not-sent\n", len(list.Unknown))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  delivery\tmessage\tref\tchannel\tsince")
	for _, u := range list.Unknown {
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\n", u.DeliveryID, u.MessageID, u.Ref, u.Channel, u.Since.Format("2006-01-02 15:04 MST"))
	}
	tw.Flush()

	if len(list.GivenUp) > 0 {
		fmt.Fprintf(w, "\nsends given up (%d): the queue stopped trying; find out why in the logs, then kigen delivery retry MESSAGE\n", len(list.GivenUp))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  message\tref\tchannel\tplanned on")
		for _, g := range list.GivenUp {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", g.MessageID, g.Ref, g.Channel, g.TickDate)
		}
	}
	return tw.Flush()
}

// actionLogger logs an operator's actions at Info level on stderr, with ids
// only (m.logger shows warnings only).
func actionLogger(m *Main) *slog.Logger {
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
