package desk_test

import (
	"testing"

	"kigen"
	"kigen/desk"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	v, err := desk.Timeline(desk.TimelineParams{Cards: map[kigen.CardKind]string{
		kigen.ResidenceCard: "令和12年3月31日", kigen.MyNumberCard: "R9.3.31", kigen.MyNumberCert: "2020-01-01"}}, today)
	if err != nil {
		t.Fatal(err)
	}
	first := v.Notices[0]
	if first.On != today || first.Card != kigen.MyNumberCard || first.Stage != kigen.RenewalGap ||
		first.ResidenceExpiresOn != kigen.MustParseISODate("2030-03-31") || len(v.Stale) != 1 || v.Stale[0] != 4 {
		t.Errorf("first notice %+v, stale %v; want the renewal gap at once and the certificate (card 4) stale", first, v.Stale)
	}
	// 2027-03-31 is a Wednesday; 2030-03-31 a Sunday (docs/domain.md §12).
	if first.GoBy != kigen.MustParseISODate("2027-03-31") || v.Notices[len(v.Notices)-2].GoBy != kigen.MustParseISODate("2030-03-29") {
		t.Errorf("go by %v and %v, want 2027-03-31 and 2030-03-29", first.GoBy, v.Notices[len(v.Notices)-2].GoBy)
	}
	for _, tt := range []struct {
		name string
		p    desk.TimelineParams
		want string
	}{
		{"no card", desk.TimelineParams{}, "cards: give at least one card date"},
		{"bad status", desk.TimelineParams{Status: "tourist", Cards: map[kigen.CardKind]string{kigen.ResidenceCard: "2027-01-01"}},
			`status: "tourist" is not fixed_period, permanent or special_permanent`},
		{"bad date", desk.TimelineParams{Cards: map[kigen.CardKind]string{kigen.MyNumberCard: "2027-02-30"}},
			`mynumber_card: "2027-02-30" is not a date`},
	} {
		if _, err := desk.Timeline(tt.p, today); kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != tt.want {
			t.Errorf("%s: %v, want invalid %q", tt.name, err, tt.want)
		}
	}
}
