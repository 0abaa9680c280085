package config

import (
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
}
