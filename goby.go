package kigen

// Deadline returns the day by which notice d asks the resident to act at an
// office (docs/domain.md §12): the card's expiry E for the stages before it,
// the renewal gap and a My Number card while a renewal is pending; the end
// of the card's use as the insurance card (§9b) for an expired certificate.
// It returns false for a notice that asks for no visit by a date: another
// expired card, the special period.
func (d Due) Deadline() (Date, bool) {
	switch {
	case d.Stage == SpecialPeriod:
		return Date{}, false
	case d.Stage == Expired && d.Kind == MyNumberCert:
		return InsuranceGraceEnds(d.ExpiresOn), true
	case d.Stage == Expired:
		return Date{}, false
	}
	return d.ExpiresOn, true
}

// GoByFor returns the date a reminder of notice d names as the day to go
// by: the last day on or before its deadline on which the office the card
// is renewed at is open for that visit (GoBy, CardKind.Visit). It returns
// false for a notice without a deadline (Due.Deadline).
func (c OfficeCalendar) GoByFor(d Due) (Date, bool) {
	deadline, ok := d.Deadline()
	if !ok {
		return Date{}, false
	}
	return c.GoBy(deadline, d.Kind.Visit()), true
}

// NextOpen returns the first day on or after from on which the office is
// open for visit v: what a reminder names when no open day is left before
// the deadline (the year-end closure, a long weekend).
func (c OfficeCalendar) NextOpen(from Date, v Visit) Date {
	d := from
	for i := 0; i < 60 && !c.Open(d, v); i++ {
		d = d.AddDays(1)
	}
	return d
}
