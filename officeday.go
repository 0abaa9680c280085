package kigen

import "time"

// Visit is what a resident goes to an office for: it decides which days
// count as open (docs/domain.md §12).
type Visit string

// The visits a reminder asks for.
const (
	// AtImmigration: a renewal of the period of stay (residence and
	// integrated cards) at the Regional Immigration Services Bureau, open
	// on weekdays only.
	AtImmigration Visit = "immigration"
	// ForMyNumberValidity: the My Number card's validity change at the
	// municipal office; some offices cannot do it on weekend opening days,
	// so those never count.
	ForMyNumberValidity Visit = "mynumber_validity"
	// AtMunicipalOffice: any other counter of the municipal office (the
	// electronic certificate's renewal), weekend opening days included.
	AtMunicipalOffice Visit = "municipal_office"
)

// Visit returns what renewing a card of kind k asks of the resident.
func (k CardKind) Visit() Visit {
	switch k {
	case ResidenceCard, IntegratedCard:
		return AtImmigration
	case MyNumberCard:
		return ForMyNumberValidity
	}
	return AtMunicipalOffice
}

// OfficeCalendar says which days an office is open: weekdays that are not
// national holidays nor in the year-end closure (29 December – 3 January),
// less the municipality's own closed days, plus its weekend opening days
// (休日開庁) for the visits they serve. The zero value is the national
// calendar.
type OfficeCalendar struct {
	Closed      []Date             // extra closed days: an office move, a system changeover
	WeekendOpen []Date             // weekend or holiday opening days (休日開庁)
	Holidays    HolidayCorrections // the operator's corrections to the national holidays
}

// Open reports whether the office is open on day d for visit v.
func (c OfficeCalendar) Open(d Date, v Visit) bool {
	for _, x := range c.Closed {
		if x == d {
			return false
		}
	}
	if v == AtMunicipalOffice {
		for _, x := range c.WeekendOpen {
			if x == d {
				return true
			}
		}
	}
	return OrdinaryWorkday(d, c.Holidays)
}

// OrdinaryWorkday reports whether d is a weekday that is neither a
// holiday (with the corrections) nor in the year-end closure.
func OrdinaryWorkday(d Date, fix HolidayCorrections) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	if (d.Month == time.December && d.Day >= 29) || (d.Month == time.January && d.Day <= 3) {
		return false
	}
	for _, h := range Holidays(d.Year, fix) {
		if h.Date == d {
			return false
		}
	}
	return true
}

// GoBy returns the last day on or before deadline on which the office is
// open for visit v: the date a reminder tells the resident to go by
// ("go by Friday 4 December"), never a day after the deadline. A deadline
// on an open day is its own answer.
func (c OfficeCalendar) GoBy(deadline Date, v Visit) Date {
	d := deadline
	// An office is open at least one day in any 60: the longest closure
	// (the year-end and a long weekend) is a little over a week.
	for i := 0; i < 60 && !c.Open(d, v); i++ {
		d = d.AddDays(-1)
	}
	return d
}
