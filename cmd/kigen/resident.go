package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"kigen"
	"kigen/auth"
	"kigen/desk"
)

// runResident is counter work, as the municipality's admin: show a
// resident, record a renewal applied for, erase a resident, switch a
// channel they opted out of back on.
func runResident(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("resident: show, set, list, applied, erase or resubscribe")
	}
	if args[0] == "set" || args[0] == "list" {
		return runResidentSet(ctx, m, args)
	}
	sub := args[0]
	fs := m.flagSet("resident " + sub)
	code := fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")
	var on, channel string
	var yes, undo bool
	switch sub {
	case "show":
	case "applied":
		fs.StringVar(&on, "on", "", "the day the renewal was applied for (default: today)")
		fs.BoolVar(&undo, "undo", false, "take back the application recorded (entered by mistake, or withdrawn)")
	case "erase":
		fs.BoolVar(&yes, "yes", false, "erase for good (without it, only say what would be erased)")
	case "resubscribe":
		fs.StringVar(&channel, "channel", "", "email or sms: the channel the resident opted out of and asks, in person, to have back")
	default:
		return usageErrorf("resident: unknown subcommand %q (show, set, list, applied, erase or resubscribe)", sub)
	}
	ref, err := parseInterleaved(fs, args[1:], "REF (the resident's reference)")
	if err != nil {
		return err
	}
	d, a, _, err := m.adminDesk(ctx, *code, m.logger(), false)
	if err != nil {
		return err
	}
	p := desk.ResidentParams{Ref: ref}
	switch sub {
	case "show":
		var v *desk.ResidentView
		if v, err = d.ShowResident(ctx, a, p); err == nil {
			printResident(m.Stdout, v)
		}
	case "applied":
		if undo && on != "" {
			return usageErrorf("resident applied: give --on or --undo, not both")
		}
		return residentApplied(ctx, m, d, a, desk.AppliedParams{ResidentParams: p, Undo: undo}, on)
	case "resubscribe":
		var res *desk.ResubscribeResult
		if res, err = d.Resubscribe(ctx, a, desk.ResubscribeParams{ResidentParams: p, Channel: kigen.Channel(channel)}); err == nil {
			fmt.Fprintf(m.Stdout, "%s: %s back on, as the resident asked in person; reminders resume with the next tick (reached by %v)\n%s", res.Ref, res.Channel, res.ReachedBy, res.Note)
		}
	case "erase":
		var res *desk.EraseResult
		if res, err = d.EraseResident(ctx, a, desk.EraseParams{ResidentParams: p, DryRun: !yes}); err == nil {
			what := fmt.Sprintf("resident %s of %s %s with %d contacts and %d cards", res.Ref, res.Municipality, res.MunicipalityName, res.Contacts, res.Cards)
			if !res.Erased {
				return usageErrorf("this erases %s for good; run again with --yes to do it", what)
			}
			fmt.Fprintf(m.Stdout, "erased %s; counts of notices and messages sent are kept, without personal data\n", what)
		}
	}
	return deskError(err)
}

// printResident prints a resident as staff see them at the counter, a
// table a section (a line without a tab ends each table).
func printResident(out io.Writer, v *desk.ResidentView) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "resident %s in %s %s\n", v.Ref, v.Municipality, v.MunicipalityName)
	if v.Name != "" {
		fmt.Fprintf(w, "  name      %s\n", v.Name)
	}
	channel := string(v.Channel)
	if channel == "" {
		channel = "default (email if given, else SMS)"
	}
	fmt.Fprintf(w, "  language  %s\n  status    %s\n  channel   %s\n", v.Language, v.Status, channel)
	if len(v.ReachedBy) > 0 {
		cs := make([]string, len(v.ReachedBy))
		for i, c := range v.ReachedBy {
			cs[i] = string(c)
		}
		fmt.Fprintf(w, "  reached by %s\n", strings.Join(cs, " and "))
	} else {
		fmt.Fprintln(w, "  NOT REACHABLE: no consent or no usable contact; listed for staff follow-up")
	}
	fmt.Fprintln(w, "\ncontacts:")
	for _, ct := range v.Contacts {
		state := "no consent"
		if ct.Consent {
			state = "consent"
		}
		if ct.OptedOut {
			state += ", opted out by the resident"
		}
		if ct.Failed {
			state += ", failed (bounced or invalid)"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", ct.Channel, ct.Address, state)
	}
	none(w, len(v.Contacts))
	fmt.Fprintln(w, "\ncards:\n  card\texpires on\tdays left\trenewal applied\tnext notice")
	for _, cd := range v.Cards {
		applied := "-"
		if !cd.RenewalAppliedOn.IsZero() {
			applied = cd.RenewalAppliedOn.String()
		}
		fmt.Fprintf(w, "  %s\t%s\t%d\t%s\t%s\n", cd.Kind, cd.ExpiresOn, cd.DaysLeft, applied, nextNotice(cd.Next, v.Date))
	}
	none(w, len(v.Cards))
	if v.GapOpen {
		fmt.Fprintln(w, "  RENEWAL GAP: the My Number card still has the old expiry; the resident must have it changed at the municipal office")
	}
	fmt.Fprintln(w, "\nnotices and their messages (planned, waiting, sent, delivered, failed, unknown, dropped):")
	for _, n := range v.Notices {
		var ms []string
		for _, msg := range n.Messages {
			ms = append(ms, string(msg.Channel)+" "+msg.State)
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", n.TickDate, n.Card, n.ExpiresOn, n.Stage, cmp.Or(strings.Join(ms, ", "), "no message"))
	}
	none(w, len(v.Notices))
}

// none prints "(none)" for an empty list.
func none(w io.Writer, n int) {
	if n == 0 {
		fmt.Fprintln(w, "  (none)")
	}
}

// nextNotice describes a card's next notice.
func nextNotice(n desk.NextNotice, today kigen.Date) string {
	switch {
	case n.Stage != "" && n.On == today:
		return fmt.Sprintf("%s today (%s)", n.Stage, today)
	case n.Stage != "":
		return fmt.Sprintf("%s on %s", n.Stage, n.On)
	case !n.On.IsZero():
		return n.On.String()
	case n.None == desk.NoneStale:
		return "none: expired too long ago (stale, listed for staff)"
	case n.None == desk.NoneSkipped:
		return "none: not watched for this resident"
	case n.None == desk.NoneUnreachable:
		return "none while the resident cannot be reached"
	}
	return "none"
}

// residentApplied records a renewal applied for on the day on names
// (default: today).
func residentApplied(ctx context.Context, m *Main, d *desk.Desk, a auth.Actor, p desk.AppliedParams, on string) error {
	if on != "" {
		var err error
		if p.On, err = kigen.ParseDate(on); err != nil {
			return usageErrorf("%v", kigen.WithField(err, "--on"))
		}
	}
	res, err := d.RecordApplied(ctx, a, p)
	if err != nil {
		return deskError(err)
	}
	if res.Undone {
		fmt.Fprintf(m.Stdout, "undone: the application of %s to renew the %s expiring on %s is no longer recorded; its reminders resume\n", res.On, res.Card, res.ExpiresOn)
		return nil
	}
	fmt.Fprintf(m.Stdout, "recorded: %s applied on %s to renew the %s expiring on %s\n", res.Ref, res.On, res.Card, res.ExpiresOn)
	fmt.Fprintf(m.Stdout, "reminders for %s stop; if no new expiry is entered by then, a special-period notice follows on %s (the resident may stay until %s)\n",
		res.ExpiresOn, res.SpecialPeriodNoticeOn, res.StayUntil)
	if res.Early {
		fmt.Fprintf(m.Stderr, "warning: %s is more than 3 months before the expiry %s; applications are usually accepted from 3 months before\n", res.On, res.ExpiresOn)
	}
	return nil
}
