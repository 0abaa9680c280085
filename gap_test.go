package kigen_test

import (
	"testing"

	"kigen"
)

func TestGapOpen(t *testing.T) {
	t.Parallel()
	r, m := d("2030-03-31"), d("2027-03-31")
	tests := []struct {
		name   string
		status kigen.Status
		r, m   kigen.Date
		want   bool
	}{
		{"renewed, My Number card left behind", kigen.FixedPeriod, r, m, true},
		{"the same day is no gap", kigen.FixedPeriod, r, r, false},
		{"My Number card later", kigen.FixedPeriod, m, r, false},
		{"permanent: the card follows birthdays", kigen.Permanent, r, m, false},
		{"special permanent", kigen.SpecialPermanent, r, m, false},
		{"no residence card", kigen.FixedPeriod, kigen.Date{}, m, false},
		{"no My Number card", kigen.FixedPeriod, r, kigen.Date{}, false},
	}
	for _, tt := range tests {
		if got := kigen.GapOpen(tt.status, tt.r, tt.m); got != tt.want {
			t.Errorf("%s: GapOpen(%s, %s, %s) = %v, want %v", tt.name, tt.status, tt.r, tt.m, got, tt.want)
		}
	}
}
