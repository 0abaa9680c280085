package kigen

import (
	"fmt"
	"testing"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	r := MustParseISODate("2030-03-31")
	m := MustParseISODate("2027-03-31")
	h := Holder{Status: FixedPeriod, Reachable: true, Cards: []Card{
		{ID: 1, Kind: ResidenceCard, ExpiresOn: r},
		{ID: 2, Kind: MyNumberCard, ExpiresOn: m},
	}}
	got := Timeline(h, MustParseISODate("2026-11-25"))
	var lines []string
	for _, s := range got {
		line := fmt.Sprintf("%s %d %s", s.On, s.CardID, s.Stage)
		if !s.GoBy.IsZero() {
			line += " by " + s.GoBy.String()
		}
		lines = append(lines, line)
	}
	// The My Number card expires on a Wednesday, the residence card on a
	// Sunday: its reminders name the Friday before (docs/domain.md §12).
	byM, byR := " by 2027-03-31", " by 2030-03-29"
	want := []string{
		"2026-11-25 2 renewal_gap" + byM, // at once
		"2026-12-31 2 d90" + byM, "2027-01-30 2 d60" + byM, "2027-03-01 2 d30" + byM, "2027-03-17 2 d14" + byM,
		"2027-03-24 2 d7" + byM, "2027-03-28 2 d3" + byM, "2027-03-30 2 d1" + byM, "2027-04-01 2 expired",
		"2029-12-31 1 d90" + byR, "2030-01-30 1 d60" + byR, "2030-03-01 1 d30" + byR, "2030-03-17 1 d14" + byR,
		"2030-03-24 1 d7" + byR, "2030-03-28 1 d3" + byR, "2030-03-30 1 d1" + byR, "2030-04-01 1 expired",
	}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("Timeline:\n got %q\nwant %q", lines, want)
	}
	if len(h.Sent) != 0 {
		t.Errorf("Timeline changed the holder's notices: %v", h.Sent)
	}
	if got := Timeline(Holder{Status: FixedPeriod, Reachable: true}, r); len(got) != 0 {
		t.Errorf("no card: %v", got)
	}
}
