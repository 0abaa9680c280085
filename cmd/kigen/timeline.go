package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"kigen"
)

// runTimeline shows, for card dates given on the command line, every notice
// Kigen would send and on which day, by running the domain rules day by day.
// It touches no database: staff use it to answer "what will this resident
// get?", newcomers to see what Kigen does.
func runTimeline(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("timeline")
	status := fs.String("status", string(kigen.FixedPeriod), "residence category: fixed_period, permanent or special_permanent")
	from := fs.String("from", "", "first day (default: today in Asia/Tokyo, or KIGEN_NOW)")
	applied := fs.String("applied", "", "renewal of the period of stay applied for on this date")
	dates := map[kigen.CardKind]*string{}
	for _, k := range kigen.CardKinds {
		dates[k] = fs.String(string(k), "", "expiry of the "+string(k)+" (any form: 2027-03-31, 令和9年3月31日, R9.3.31 …)")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	h := kigen.Holder{Status: kigen.Status(*status), Reachable: true}
	if !h.Status.Valid() {
		return usageErrorf("--status: %q is not fixed_period, permanent or special_permanent", *status)
	}
	today := m.Config.Today(time.Now)
	if *from != "" {
		d, err := kigen.ParseDate(*from)
		if err != nil {
			return usageErrorf("%v", kigen.WithField(err, "--from"))
		}
		today = d
	}
	for i, k := range kigen.CardKinds {
		if *dates[k] == "" {
			continue
		}
		e, err := kigen.ParseDate(*dates[k])
		if err != nil {
			return usageErrorf("%v", kigen.WithField(err, "--"+string(k)))
		}
		c := kigen.Card{ID: int64(i + 1), Kind: k, ExpiresOn: e}
		if *applied != "" { // Plan reads it on the cards that carry the period of stay only
			if c.RenewalAppliedOn, err = kigen.ParseDate(*applied); err != nil {
				return usageErrorf("%v", kigen.WithField(err, "--applied"))
			}
		}
		h.Cards = append(h.Cards, c)
	}
	if len(h.Cards) == 0 {
		return usageErrorf("timeline: give at least one card date, e.g. --residence_card 2027-03-31 --mynumber_card 2027-03-31")
	}
	printTimeline(m.Stdout, h, today)
	return nil
}

// printTimeline prints every notice from today on (kigen.Timeline) and
// the cards already stale.
func printTimeline(w io.Writer, h kigen.Holder, today kigen.Date) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "date\tcard\texpires on\tnotice\tdays left\tnote")
	notices := kigen.Timeline(h, today)
	for _, d := range notices {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", d.On, d.Kind, d.ExpiresOn, d.Stage, d.DaysLeft, noteFor(d.Due))
	}
	tw.Flush()
	if len(notices) == 0 {
		fmt.Fprintln(w, "(no notice: every card is past its last reminder)")
	}
	for _, cp := range kigen.Plan(h, today).Cards {
		if cp.Stale {
			fmt.Fprintf(w, "card %d expired too long ago to be messaged: listed for staff\n", cp.CardID)
		}
	}
}

func noteFor(d kigen.Due) string {
	switch {
	case d.Stage == kigen.RenewalGap && !d.CertExpiresOn.IsZero():
		return fmt.Sprintf("residence renewed to %s; renew the certificate (%s) at the same visit", d.ResidenceExpiresOn, d.CertExpiresOn)
	case d.Stage == kigen.RenewalGap:
		return fmt.Sprintf("residence renewed to %s; My Number card not updated", d.ResidenceExpiresOn)
	case !d.RenewalAppliedOn.IsZero():
		return fmt.Sprintf("renewal applied %s; may stay until %s", d.RenewalAppliedOn, d.SpecialPeriodEnds)
	case !d.ResidenceExpiresOn.IsZero():
		return fmt.Sprintf("gap open: residence until %s", d.ResidenceExpiresOn)
	}
	return ""
}
