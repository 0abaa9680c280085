package kigen_test

import (
	"testing"
	"time"

	"kigen"
)

func TestSMSQuietWait(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, kigen.Tokyo)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		now  string
		want time.Duration
	}{
		{"2027-01-30 09:00:00", 0},
		{"2027-01-30 13:30:00", 0},
		{"2027-01-30 19:59:59", 0},
		{"2027-01-30 20:00:00", 13 * time.Hour},
		{"2027-01-30 23:30:00", 9*time.Hour + 30*time.Minute},
		{"2027-01-31 00:00:00", 9 * time.Hour},
		{"2027-01-31 08:59:59", time.Second},
	}
	for _, tt := range tests {
		if got := kigen.SMSQuietWait(at(tt.now)); got != tt.want {
			t.Errorf("SMSQuietWait(%s) = %v, want %v", tt.now, got, tt.want)
		}
	}
	// The same instant in another zone waits the same.
	if got := kigen.SMSQuietWait(at("2027-01-30 23:30:00").UTC()); got != 9*time.Hour+30*time.Minute {
		t.Errorf("SMSQuietWait in UTC = %v", got)
	}
}
