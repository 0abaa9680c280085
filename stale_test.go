package kigen

import "testing"

func TestStale(t *testing.T) {
	t.Parallel()
	e := MustParseISODate("2026-09-30")
	tests := []struct {
		name    string
		kind    CardKind
		applied string // renewal applied on, "" for none
		today   string
		want    bool
	}{
		{name: "BeforeExpiry", kind: MyNumberCard, today: "2026-09-01"},
		{name: "ExpiryDay", kind: MyNumberCard, today: "2026-09-30"},
		{name: "Day30", kind: MyNumberCard, today: "2026-10-30"},
		{name: "Day31", kind: MyNumberCard, today: "2026-10-31", want: true},
		{name: "ResidenceDay31", kind: ResidenceCard, today: "2026-10-31", want: true},
		{name: "PendingDay31", kind: ResidenceCard, applied: "2026-09-01", today: "2026-10-31"},
		{name: "PendingLastDay", kind: ResidenceCard, applied: "2026-09-01", today: "2026-11-30"},
		{name: "PendingAfterSpecialPeriod", kind: ResidenceCard, applied: "2026-09-01", today: "2026-12-01", want: true},
		{name: "PendingIntegrated", kind: IntegratedCard, applied: "2026-09-01", today: "2026-11-30"},
		// A renewal applies to the period of stay only: a My Number card
		// with a date in the field is stale after 30 days all the same.
		{name: "AppliedOnMyNumberCard", kind: MyNumberCard, applied: "2026-09-01", today: "2026-10-31", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Card{ID: 1, Kind: tt.kind, ExpiresOn: e}
			if tt.applied != "" {
				c.RenewalAppliedOn = MustParseISODate(tt.applied)
			}
			today := MustParseISODate(tt.today)
			if got := Stale(c, today); got != tt.want {
				t.Errorf("Stale = %v, want %v", got, tt.want)
			}
			// Every stale card expired before StaleBefore.
			if tt.want && !c.ExpiresOn.Before(StaleBefore(today)) {
				t.Errorf("stale card expired on %s, not before StaleBefore = %s", c.ExpiresOn, StaleBefore(today))
			}
		})
	}
}

func TestRenewalOpens(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ e, want string }{
		{"2027-01-31", "2026-10-31"},
		{"2026-12-31", "2026-09-30"}, // month ends clamp
		{"2027-05-31", "2027-02-28"},
	} {
		if got := RenewalOpens(MustParseISODate(tt.e)); got != MustParseISODate(tt.want) {
			t.Errorf("RenewalOpens(%s) = %s, want %s", tt.e, got, tt.want)
		}
	}
}
