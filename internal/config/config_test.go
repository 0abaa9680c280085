package config

import (
	"strings"
	"testing"
	"time"

	"kigen"
)

func TestParseNow(t *testing.T) {
	t.Parallel()
	got, err := ParseNow("2027-03-31")
	if err != nil || !got.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseNow(date) = %v, %v; want 09:00 Tokyo = 00:00 UTC", got, err)
	}
	got, err = ParseNow("2027-03-30T23:30:00Z")
	if err != nil || kigen.DateOf(got) != kigen.MustParseISODate("2027-03-31") {
		t.Errorf("ParseNow(RFC 3339) = %v, %v; want the Tokyo date 2027-03-31", got, err)
	}
	// The forms --on takes (kigen.ParseDate), each 09:00 Tokyo that day.
	nine := time.Date(2026, 12, 10, 9, 0, 0, 0, kigen.Tokyo)
	for _, in := range []string{"2026/12/10", "令和8年12月10日", "R8.12.10", "20261210", "２０２６－１２－１０", " 2026.12.10 "} {
		if got, err := ParseNow(in); err != nil || !got.Equal(nine) {
			t.Errorf("ParseNow(%q) = %v, %v; want %v", in, got, err, nine)
		}
	}
	for _, in := range []string{"tomorrow", "2026-02-30", "令和8年13月1日", "123456789012"} {
		if _, err := ParseNow(in); err == nil {
			t.Errorf("ParseNow(%q): no error", in)
		} else if strings.Contains(err.Error(), "123456789012") {
			t.Errorf("ParseNow(%q): the error echoes a run of 12 digits: %v", in, err)
		}
	}
}
