package desk

import (
	"fmt"
	"io"
)

// followupTitles head each section, with its columns.
var followupTitles = map[string]string{
	SectionUnreachable: "cannot be reached: no message goes out until consent or a usable contact is entered\n  ref\treason",
	SectionStale:       "stale cards: expired too long ago to be messaged; enter the new expiry date\n  ref\tcard\texpired on",
	SectionUnknown:     "unknown sends: settle each with kigen delivery resend ID or kigen delivery resolve ID --sent|--not-sent\n  delivery\tmessage\tref\tchannel\tsince",
	SectionGivenUp:     "sends given up: the queue stopped trying; find out why in the logs, then kigen delivery retry MESSAGE\n  message\tref\tchannel\tplanned on",
}

// WriteText writes the page as kigen followup prints it, tab-separated
// for a text/tabwriter: the section's heading before its first page (and
// the municipality's before its first section), its count after its last
// page (n: the items of the section written before this page; the
// given-up section is left out when empty). It returns the section's count
// so far.
func (pg *FollowupPage) WriteText(w io.Writer, n int) int {
	if pg.Cursor == "" && pg.Section == SectionGivenUp && pg.Next == "" && pg.Len() == 0 {
		return 0 // shown only when there are some
	} else if pg.Cursor == "" {
		if n = 0; pg.Section == FollowupSections[0] {
			fmt.Fprintf(w, "follow-up for %s %s on %s\n", pg.Municipality, pg.MunicipalityName, pg.Date)
		}
		fmt.Fprintf(w, "\n%s\n", followupTitles[pg.Section])
	}
	for _, u := range pg.Unreachable {
		fmt.Fprintf(w, "  %s\t%s\n", u.Ref, u.Reason)
	}
	for _, s := range pg.Stale {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", s.Ref, s.Card, s.ExpiresOn)
	}
	for _, u := range pg.Unknown {
		fmt.Fprintf(w, "  %d\t%d\t%s\t%s\t%s\n", u.DeliveryID, u.MessageID, u.Ref, u.Channel, u.Since.Format("2006-01-02 15:04 MST"))
	}
	for _, g := range pg.GivenUp {
		fmt.Fprintf(w, "  %d\t%s\t%s\t%s\n", g.MessageID, g.Ref, g.Channel, g.TickDate)
	}
	if n += pg.Len(); pg.Next == "" && n == 0 {
		fmt.Fprintln(w, "  (none)")
	} else if pg.Next == "" {
		fmt.Fprintf(w, "  (%d in all)\n", n)
	}
	return n
}
