package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"kigen"
	"kigen/desk"
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
		name := strings.ReplaceAll(string(k), "_", "-")
		dates[k] = fs.String(name, "", "expiry of the "+string(k)+" (any form: 2027-03-31, 令和9年3月31日, R9.3.31 …)")
		fs.StringVar(dates[k], string(k), "", "the same as --"+name) // the first spelling, kept working
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	p := desk.TimelineParams{Cards: map[kigen.CardKind]string{}, Status: kigen.Status(*status), Applied: *applied, From: *from,
		Calendar: kigen.OfficeCalendar{Holidays: m.Config.Holidays}} // KIGEN_HOLIDAYS_FILE
	for k, d := range dates {
		p.Cards[k] = *d
	}
	v, err := desk.Timeline(p, m.Config.Today(time.Now))
	var ke *kigen.Error
	switch {
	case errors.As(err, &ke) && ke.Field == "cards":
		return usageErrorf("timeline: give at least one card date, e.g. --residence-card 2027-03-31 --mynumber-card 2027-03-31")
	case errors.As(err, &ke):
		return usageErrorf("%v", asFlags(ke)) // the flags are the fields
	case err != nil:
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "date\tcard\texpires on\tnotice\tdays left\tgo by\tnote")
	for _, d := range v.Notices {
		goBy := "-" // the notice asks for no visit by a date
		if !d.GoBy.IsZero() {
			goBy = d.GoBy.String() + " " + d.GoBy.Weekday().String()[:3]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.On, d.Card, d.ExpiresOn, d.Stage, d.DaysLeft, goBy, noteFor(d))
	}
	tw.Flush()
	if len(v.Notices) == 0 {
		fmt.Fprintln(m.Stdout, "(no notice: every card is past its last reminder)")
	}
	for _, id := range v.Stale {
		fmt.Fprintf(m.Stdout, "card %d expired too long ago to be messaged: listed for staff\n", id)
	}
	return nil
}

func noteFor(d desk.TimelineNotice) string {
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
