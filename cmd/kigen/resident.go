package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"kigen"
	"kigen/auth"
	"kigen/desk"
)

func runResident(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return usageErrorf("resident: show, applied or erase")
	}
	switch args[0] {
	case "show":
		return residentShow(ctx, m, args[1:])
	case "applied":
		return residentApplied(ctx, m, args[1:])
	case "erase":
		return residentErase(ctx, m, args[1:])
	}
	return usageErrorf("resident: unknown subcommand %q (show, applied or erase)", args[0])
}

// parseInterleaved parses flags and exactly one positional argument, in any
// order.
func parseInterleaved(fs *flag.FlagSet, args []string, what string) (string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", usageErrorf("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return "", usageErrorf("%s: give exactly one %s", fs.Name(), what)
	}
	return rest[0], nil
}

// residentCmd is the common part of the resident subcommands: the
// municipality flag and the resident's ref.
type residentCmd struct {
	fs   *flag.FlagSet
	code *string
}

func newResidentCmd(m *Main, name string) *residentCmd {
	fs := flag.NewFlagSet("resident "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	return &residentCmd{fs: fs, code: fs.String("municipality", "", "municipality CODE (may be omitted when there is only one)")}
}

// open parses args and returns the desk, the municipality's admin and the
// resident named.
func (c *residentCmd) open(ctx context.Context, m *Main, args []string) (*desk.Desk, auth.Actor, desk.ResidentParams, error) {
	ref, err := parseInterleaved(c.fs, args, "REF (the resident's reference)")
	if err != nil {
		return nil, auth.Actor{}, desk.ResidentParams{}, err
	}
	d, err := m.openDesk(ctx, m.logger(), false)
	if err != nil {
		return nil, auth.Actor{}, desk.ResidentParams{}, err
	}
	a, _, err := m.admin(ctx, d, *c.code)
	return d, a, desk.ResidentParams{Ref: ref}, err
}

func residentShow(ctx context.Context, m *Main, args []string) error {
	d, a, p, err := newResidentCmd(m, "show").open(ctx, m, args)
	if err != nil {
		return err
	}
	v, err := d.ShowResident(ctx, a, p)
	if err != nil {
		return deskError(err)
	}
	printResident(m.Stdout, v)
	return nil
}

// printResident prints a resident as staff see them at the counter.
func printResident(w io.Writer, v *desk.ResidentView) {
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
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, ct := range v.Contacts {
		state := []string{"no consent"}
		if ct.Consent {
			state[0] = "consent"
		}
		if ct.OptedOut {
			state = append(state, "opted out by the resident")
		}
		if ct.Failed {
			state = append(state, "failed (bounced or invalid)")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", ct.Channel, ct.Address, strings.Join(state, ", "))
	}
	if len(v.Contacts) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()

	fmt.Fprintln(w, "\ncards:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  card\texpires on\tdays left\trenewal applied\tnext notice")
	for _, cd := range v.Cards {
		applied := "-"
		if !cd.RenewalAppliedOn.IsZero() {
			applied = cd.RenewalAppliedOn.String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", cd.Kind, cd.ExpiresOn, cd.DaysLeft, applied, nextNotice(cd.Next, v.Date))
	}
	if len(v.Cards) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()
	if v.GapOpen {
		fmt.Fprintln(w, "  RENEWAL GAP: the My Number card still has the old expiry; the resident must have it changed at the municipal office")
	}

	fmt.Fprintln(w, "\nnotices sent:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range v.Notices {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.TickDate, n.Card, n.ExpiresOn, n.Stage)
	}
	if len(v.Notices) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()
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

func residentApplied(ctx context.Context, m *Main, args []string) error {
	c := newResidentCmd(m, "applied")
	on := c.fs.String("on", "", "the day the renewal was applied for (default: today)")
	d, a, p, err := c.open(ctx, m, args)
	if err != nil {
		return err
	}
	params := desk.AppliedParams{ResidentParams: p}
	if *on != "" {
		if params.On, err = kigen.ParseDate(*on); err != nil {
			return usageErrorf("%v", kigen.WithField(err, "--on"))
		}
	}
	res, err := d.RecordApplied(ctx, a, params)
	if err != nil {
		return deskError(err)
	}
	fmt.Fprintf(m.Stdout, "recorded: %s applied on %s to renew the %s expiring on %s\n", res.Ref, res.On, res.Card, res.ExpiresOn)
	fmt.Fprintf(m.Stdout, "reminders for %s stop; if no new expiry is entered by then, a special-period notice follows on %s (the resident may stay until %s)\n",
		res.ExpiresOn, res.SpecialPeriodNoticeOn, res.StayUntil)
	if res.Early {
		fmt.Fprintf(m.Stderr, "warning: %s is more than 3 months before the expiry %s; applications are usually accepted from 3 months before\n", res.On, res.ExpiresOn)
	}
	return nil
}

func residentErase(ctx context.Context, m *Main, args []string) error {
	c := newResidentCmd(m, "erase")
	yes := c.fs.Bool("yes", false, "erase for good (without it, only say what would be erased)")
	d, a, p, err := c.open(ctx, m, args)
	if err != nil {
		return err
	}
	res, err := d.EraseResident(ctx, a, desk.EraseParams{ResidentParams: p, DryRun: !*yes})
	if err != nil {
		return deskError(err)
	}
	what := fmt.Sprintf("resident %s of %s %s with %d contacts and %d cards", res.Ref, res.Municipality, res.MunicipalityName, res.Contacts, res.Cards)
	if !res.Erased {
		return usageErrorf("this erases %s for good; run again with --yes to do it", what)
	}
	fmt.Fprintf(m.Stdout, "erased %s; counts of notices and messages sent are kept, without personal data\n", what)
	return nil
}
