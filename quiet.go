package kigen

import "time"

// SMS quiet hours (docs/domain.md §7): an SMS goes out only from 09:00 to 20:00
// Asia/Tokyo.
const (
	smsFirstHour = 9
	smsEndHour   = 20
)

// SMSQuietWait returns how long an SMS must wait at the instant now for the
// quiet hours to end (docs/domain.md §7): 0 from 09:00 to 20:00 Asia/Tokyo, else
// the time to the next 09:00 there. A retry falling outside the hours waits
// for 09:00.
func SMSQuietWait(now time.Time) time.Duration {
	t := now.In(Tokyo)
	if h := t.Hour(); h >= smsFirstHour && h < smsEndHour {
		return 0
	}
	next := time.Date(t.Year(), t.Month(), t.Day(), smsFirstHour, 0, 0, 0, Tokyo)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next.Sub(t)
}
