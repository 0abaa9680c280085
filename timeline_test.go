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
		lines = append(lines, fmt.Sprintf("%s %d %s", s.On, s.CardID, s.Stage))
	}
	want := []string{
		"2026-11-25 2 renewal_gap", // at once
		"2026-12-31 2 d90", "2027-01-30 2 d60", "2027-03-01 2 d30", "2027-03-17 2 d14",
		"2027-03-24 2 d7", "2027-03-28 2 d3", "2027-03-30 2 d1", "2027-04-01 2 expired",
		"2029-12-31 1 d90", "2030-01-30 1 d60", "2030-03-01 1 d30", "2030-03-17 1 d14",
		"2030-03-24 1 d7", "2030-03-28 1 d3", "2030-03-30 1 d1", "2030-04-01 1 expired",
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
