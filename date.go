package kigen

import (
	"cmp"
	"database/sql/driver"
	"fmt"
	"strconv"
	"time"
)

// Date is a civil date in Japan: a card is valid through the whole of its
// expiry Date. It has no time and no zone, and is stored as DATE (PostgreSQL)
// or ISO text (SQLite), never as a timestamp. The zero Date is "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Tokyo is the zone in which Kigen's days begin and end.
var Tokyo = mustLoadTokyo()

func mustLoadTokyo() *time.Location {
	// Japan has had no daylight saving time since 1951; a fixed zone is
	// correct for every date Kigen handles and needs no tzdata on the host.
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	return time.FixedZone("JST", 9*60*60)
}

// NewDate returns the Date y-m-d. It does not normalise: check Valid.
func NewDate(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// DateOf returns the date in Asia/Tokyo at the instant t: "today" is
// DateOf(now).
func DateOf(t time.Time) Date {
	y, m, d := t.In(Tokyo).Date()
	return Date{y, m, d}
}

// MustParseISODate parses "YYYY-MM-DD" and panics on error. For tests and
// constants.
func MustParseISODate(s string) Date {
	d, err := ParseISODate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseISODate parses exactly "YYYY-MM-DD", the form dates are stored in.
// Use ParseDate for the many forms people type.
func ParseISODate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if HasLongDigitRun(s) || len(s) > 32 {
			return Date{}, Keyf(EINVALID, "date.not_iso", "not a date in the form YYYY-MM-DD")
		}
		return Date{}, Keyf(EINVALID, "date.not_iso.q", "%s is not a date in the form YYYY-MM-DD", strconv.Quote(s))
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether d is a real day of the Gregorian calendar.
func (d Date) Valid() bool {
	if d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Year, d.Month)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (d Date) t() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

func fromT(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// String returns the ISO form "YYYY-MM-DD" ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.t().Weekday() }

// AddDays returns d moved n days (n may be negative).
func (d Date) AddDays(n int) Date { return fromT(d.t().AddDate(0, 0, n)) }

// AddMonths returns the day n calendar months after d; when that month is
// shorter, the last day of the month (2027-12-31 + 2 months = 2028-02-29).
// This is how Japanese law counts a period of months (Civil Code art. 143).
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	day := min(d.Day, daysIn(first.Year(), first.Month()))
	return Date{first.Year(), first.Month(), day}
}

// AddYears returns the day n years after d, with 29 February becoming 28
// February in a common year.
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// Sub returns the number of days from e to d (d − e).
func (d Date) Sub(e Date) int { return int((d.t().Unix() - e.t().Unix()) / 86400) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmp.Compare(d.Year, e.Year)
	case d.Month != e.Month:
		return cmp.Compare(d.Month, e.Month)
	default:
		return cmp.Compare(d.Day, e.Day)
	}
}

// MarshalText implements encoding.TextMarshaler ("YYYY-MM-DD").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseISODate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value implements driver.Valuer: the ISO text, or NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan implements sql.Scanner from ISO text, a time.Time (read as a civil
// date, whatever its zone) or NULL (the zero Date).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	case time.Time:
		*d = Date{v.Year(), v.Month(), v.Day()}
		return nil
	}
	return fmt.Errorf("kigen.Date: cannot scan %T", src)
}
