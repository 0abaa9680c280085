package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"kigen"
	"kigen/store"
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

// load parses args and finds the resident with their contacts, cards and
// notices.
func (c *residentCmd) load(ctx context.Context, m *Main, args []string) (store.Store, *kigen.Municipality, *store.Holding, error) {
	ref, err := parseInterleaved(c.fs, args, "REF (the resident's reference)")
	if err != nil {
		return nil, nil, nil, err
	}
	s, err := m.openMigratedStore(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	mu, err := m.municipality(ctx, s, *c.code)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := s.GetResidentByRef(ctx, mu.ID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, fmt.Errorf("no resident %q in %s %s", ref, mu.Code, mu.Name)
	} else if err != nil {
		return nil, nil, nil, envError(err)
	}
	hs, err := store.HoldingsOf(ctx, s, mu.ID, []*kigen.Resident{r})
	if err != nil {
		return nil, nil, nil, envError(err)
	}
	return s, mu, hs[0], nil
}

func residentShow(ctx context.Context, m *Main, args []string) error {
	c := newResidentCmd(m, "show")
	_, mu, h, err := c.load(ctx, m, args)
	if err != nil {
		return err
	}
	today := m.Config.Today(time.Now)
	r := h.Resident
	w := m.Stdout
	fmt.Fprintf(w, "resident %s in %s %s\n", r.Ref, mu.Code, mu.Name)
	if r.Name != "" {
		fmt.Fprintf(w, "  name      %s\n", r.Name)
	}
	channel := string(r.Channel)
	if channel == "" {
		channel = "default (email if given, else SMS)"
	}
	fmt.Fprintf(w, "  language  %s\n  status    %s\n  channel   %s\n", r.Language, r.Status, channel)
	holder := h.Holder()
	if reach := kigen.SendChannels(r.Channel, contactValues(h.Contacts)); len(reach) > 0 {
		fmt.Fprintf(w, "  reached by %s\n", joinChannels(reach))
	} else {
		fmt.Fprintln(w, "  NOT REACHABLE: no consent or no usable contact; listed for staff follow-up")
	}

	fmt.Fprintln(w, "\ncontacts:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, ct := range h.Contacts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", ct.Channel, ct.Address, contactState(ct))
	}
	if len(h.Contacts) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()

	fmt.Fprintln(w, "\ncards:")
	plan := kigen.Plan(holder, today)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  card\texpires on\tdays left\trenewal applied\tnext notice")
	for i, cd := range h.Cards {
		applied := "-"
		if !cd.RenewalAppliedOn.IsZero() {
			applied = cd.RenewalAppliedOn.String()
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\n", cd.Kind, cd.ExpiresOn, cd.ExpiresOn.Sub(today), applied,
			nextNotice(holder, plan, i, today))
	}
	if len(h.Cards) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	tw.Flush()
	if h.GapOpen() {
		fmt.Fprintln(w, "  RENEWAL GAP: the My Number card still has the old expiry; the resident must have it changed at the municipal office")
	}

	fmt.Fprintln(w, "\nnotices sent:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kinds := map[int64]kigen.CardKind{}
	for _, cd := range h.Cards {
		kinds[cd.ID] = cd.Kind
	}
	for _, n := range h.Notices {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", n.TickDate, kinds[n.CardID], n.ExpiresOn, n.Stage)
	}
	if len(h.Notices) == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	return tw.Flush()
}

// nextNotice describes card i's next notice: today's if one is due, else
// the stage that falls due on its next date.
func nextNotice(h kigen.Holder, plan kigen.Outcome, i int, today kigen.Date) string {
	cp := plan.Cards[i]
	for _, d := range plan.Due {
		if d.CardID == cp.CardID {
			return fmt.Sprintf("%s today (%s)", d.Stage, today)
		}
	}
	switch {
	case cp.Stale:
		return "none: expired too long ago (stale, listed for staff)"
	case cp.Skipped:
		return "none: not watched for this resident"
	case !h.Reachable:
		return "none while the resident cannot be reached"
	case cp.Next.IsZero():
		return "none"
	}
	for _, d := range kigen.Plan(h, cp.Next).Due {
		if d.CardID == cp.CardID {
			return fmt.Sprintf("%s on %s", d.Stage, cp.Next)
		}
	}
	return cp.Next.String()
}

func contactValues(cs []*kigen.Contact) []kigen.Contact {
	out := make([]kigen.Contact, len(cs))
	for i, c := range cs {
		out[i] = *c
	}
	return out
}

func joinChannels(cs []kigen.Channel) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, " and ")
}

func contactState(c *kigen.Contact) string {
	var s []string
	if c.Consent {
		s = append(s, "consent")
	} else {
		s = append(s, "no consent")
	}
	if c.OptedOut {
		s = append(s, "opted out by the resident")
	}
	if c.Failed {
		s = append(s, "failed (bounced or invalid)")
	}
	return strings.Join(s, ", ")
}

func residentApplied(ctx context.Context, m *Main, args []string) error {
	c := newResidentCmd(m, "applied")
	on := c.fs.String("on", "", "the day the renewal was applied for (default: today)")
	s, mu, h, err := c.load(ctx, m, args)
	if err != nil {
		return err
	}
	today := m.Config.Today(time.Now)
	day := today
	if *on != "" {
		if day, err = kigen.ParseDate(*on); err != nil {
			return usageErrorf("%v", kigen.WithField(err, "--on"))
		}
	}
	card := h.Card(kigen.ResidenceCard)
	if card == nil {
		card = h.Card(kigen.IntegratedCard)
	}
	switch {
	case card == nil:
		return fmt.Errorf("resident %s has no residence card or integrated card: enter its expiry first", h.Resident.Ref)
	case day.After(today):
		return fmt.Errorf("--on: %s is in the future", day)
	case day.After(card.ExpiresOn):
		return fmt.Errorf("--on: %s is after the card's expiry %s: an application after the period of stay ends gives no special period", day, card.ExpiresOn)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.SetCardRenewalApplied(ctx, mu.ID, card.ID, day); err != nil {
			return err
		}
		return store.Replan(ctx, tx, mu.ID, h.Resident.ID, today)
	})
	if err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "recorded: %s applied on %s to renew the %s expiring on %s\n", h.Resident.Ref, day, card.Kind, card.ExpiresOn)
	fmt.Fprintf(m.Stdout, "reminders for %s stop; if no new expiry is entered by then, a special-period notice follows on %s (the resident may stay until %s)\n",
		card.ExpiresOn, card.ExpiresOn.AddDays(1), kigen.SpecialPeriodEnd(card.ExpiresOn))
	if day.Before(kigen.RenewalOpens(card.ExpiresOn)) {
		fmt.Fprintf(m.Stderr, "warning: %s is more than 3 months before the expiry %s; applications are usually accepted from 3 months before\n", day, card.ExpiresOn)
	}
	return nil
}

func residentErase(ctx context.Context, m *Main, args []string) error {
	c := newResidentCmd(m, "erase")
	yes := c.fs.Bool("yes", false, "erase for good (without it, only say what would be erased)")
	s, mu, h, err := c.load(ctx, m, args)
	if err != nil {
		return err
	}
	what := fmt.Sprintf("resident %s of %s %s with %d contacts and %d cards", h.Resident.Ref, mu.Code, mu.Name, len(h.Contacts), len(h.Cards))
	if !*yes {
		return usageErrorf("this erases %s for good; run again with --yes to do it", what)
	}
	if err := s.DeleteResident(ctx, mu.ID, h.Resident.ID); err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "erased %s; counts of notices and messages sent are kept, without personal data\n", what)
	return nil
}
