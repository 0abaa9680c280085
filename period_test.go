package kigen_test

import (
	"testing"

	"kigen"
)

func TestSpecialPeriodEnds(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2027-03-31": "2027-05-31",
		"2027-12-31": "2028-02-29", // the last day of a shorter month
		"2026-12-30": "2027-02-28",
	} {
		if got := kigen.SpecialPeriodEnds(d(in)).String(); got != want {
			t.Errorf("SpecialPeriodEnds(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestInsuranceGraceEnds(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{name: "end of March", in: "2027-03-31", want: "2027-06-30"},
		{name: "start of month", in: "2027-03-01", want: "2027-06-30"},
		{name: "across the year, leap February", in: "2027-11-15", want: "2028-02-29"},
		{name: "common February", in: "2026-11-30", want: "2027-02-28"},
	}
	for _, tt := range tests {
		if got := kigen.InsuranceGraceEnds(d(tt.in)).String(); got != tt.want {
			t.Errorf("%s: %s → %s, want %s", tt.name, tt.in, got, tt.want)
		}
	}
}
