package kigen

// Scheduled is a notice Plan finds due on a day.
type Scheduled struct {
	On Date
	Due
	// GoBy is the date its reminder names to go by, on the office's
	// calendar (OfficeCalendar.GoByFor); zero for a notice that asks for
	// no visit by a date.
	GoBy Date
}

// Timeline returns every notice Plan would send h from the day from on, in
// order: Plan run day by day, each notice recorded as sent once due, until
// no card has a next date (at most 11 years on). It skips the days on which
// nothing can fall due.
func Timeline(h Holder, from Date) []Scheduled { return TimelineOn(h, from, OfficeCalendar{}) }

// TimelineOn is Timeline with the dates to go by read from cal: a
// municipality's calendar, the operator's holiday corrections.
func TimelineOn(h Holder, from Date, cal OfficeCalendar) []Scheduled {
	var out []Scheduled
	h.Sent = append([]NoticeKey(nil), h.Sent...)
	for day, last := from, from.AddYears(11); !day.After(last); day = day.AddDays(1) {
		o := Plan(h, day)
		for _, d := range o.Due {
			goBy, _ := cal.GoByFor(d)
			out = append(out, Scheduled{On: day, Due: d, GoBy: goBy})
			h.Sent = append(h.Sent, d.NoticeKey)
		}
		next := Date{}
		for _, cp := range o.Cards {
			if !cp.Next.IsZero() && (next.IsZero() || cp.Next.Before(next)) {
				next = cp.Next
			}
		}
		if next.IsZero() {
			break
		}
		day = next.AddDays(-1) // nothing can fall due before next
	}
	return out
}
