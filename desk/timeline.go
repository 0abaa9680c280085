package desk

import (
	"kigen"
	"strconv"
)

// TimelineParams are card dates, in any form kigen.ParseDate reads
// (2027-03-31, 令和9年3月31日, R9.3.31 …), and what else the rules read.
type TimelineParams struct {
	Cards   map[kigen.CardKind]string `json:"cards"`
	Status  kigen.Status              `json:"status,omitempty"`  // default fixed_period
	Applied string                    `json:"applied,omitempty"` // a renewal of the period of stay applied for on this day
	From    string                    `json:"from,omitempty"`    // the first day; default: today
	// Calendar is the office calendar the dates to go by are read from:
	// the operator's holiday corrections (KIGEN_HOLIDAYS_FILE), a
	// municipality's closed and opening days; zero: the national one.
	Calendar kigen.OfficeCalendar `json:"-"`
}

// TimelineView is every notice Kigen would send for some card dates, in
// order, and the cards already stale. A card is numbered by its kind's
// place in kigen.CardKinds, from 1.
type TimelineView struct {
	Notices []TimelineNotice `json:"notices"`
	Stale   []int64          `json:"stale"`
}

// TimelineNotice is a notice of a timeline, with the facts its text names.
type TimelineNotice struct {
	On                 kigen.Date     `json:"on"`
	Card               kigen.CardKind `json:"card"`
	ExpiresOn          kigen.Date     `json:"expires_on"`
	Stage              kigen.Stage    `json:"stage"`
	DaysLeft           int            `json:"days_left"`
	ResidenceExpiresOn kigen.Date     `json:"residence_expires_on,omitzero"`
	CertExpiresOn      kigen.Date     `json:"cert_expires_on,omitzero"`
	RenewalAppliedOn   kigen.Date     `json:"renewal_applied_on,omitzero"`
	SpecialPeriodEnds  kigen.Date     `json:"special_period_ends,omitzero"`
	// GoBy is the date the reminder names to go by, on p.Calendar
	// (docs/domain.md §12); zero when it asks for no visit by a date.
	GoBy kigen.Date `json:"go_by,omitzero"`
}

// Timeline answers "what will this resident get?" for card dates typed
// at the counter, without reading or writing anything: every notice the
// rules would send from today (or p.From) on (kigen.Timeline). Its errors
// are EINVALID, for the first bad field ("status", "from", a card kind,
// "applied"); no card at all is EINVALID for "cards".
func Timeline(p TimelineParams, today kigen.Date) (*TimelineView, error) {
	h := kigen.Holder{Status: p.Status, Reachable: true}
	if h.Status == "" {
		h.Status = kigen.FixedPeriod
	}
	if !h.Status.Valid() {
		return nil, kigen.FieldKeyf("status", "timeline.status", "%s is not fixed_period, permanent or special_permanent", strconv.Quote(string(p.Status)))
	}
	var err error
	if p.From != "" {
		if today, err = kigen.ParseDate(p.From); err != nil {
			return nil, kigen.WithField(err, "from")
		}
	}
	for i, k := range kigen.CardKinds {
		if p.Cards[k] == "" {
			continue
		}
		c := kigen.Card{ID: int64(i + 1), Kind: k}
		if c.ExpiresOn, err = kigen.ParseDate(p.Cards[k]); err != nil {
			return nil, kigen.WithField(err, string(k))
		}
		// Plan reads it on the cards that carry the period of stay only.
		if p.Applied != "" {
			if c.RenewalAppliedOn, err = kigen.ParseDate(p.Applied); err != nil {
				return nil, kigen.WithField(err, "applied")
			}
		}
		h.Cards = append(h.Cards, c)
	}
	if len(h.Cards) == 0 {
		return nil, kigen.FieldKeyf("cards", "timeline.cards", "give at least one card date")
	}
	return timelineOf(h, today, p.Calendar, func(c kigen.Card) int64 { return c.ID }), nil
}

// timelineOf is the timeline of h from today on the office calendar cal, each stale card numbered by
// number.
func timelineOf(h kigen.Holder, today kigen.Date, cal kigen.OfficeCalendar, number func(kigen.Card) int64) *TimelineView {
	v := &TimelineView{Notices: []TimelineNotice{}, Stale: []int64{}}
	for _, s := range kigen.TimelineOn(h, today, cal) {
		v.Notices = append(v.Notices, TimelineNotice{On: s.On, Card: s.Kind, ExpiresOn: s.ExpiresOn, Stage: s.Stage, DaysLeft: s.DaysLeft,
			ResidenceExpiresOn: s.ResidenceExpiresOn, CertExpiresOn: s.CertExpiresOn, RenewalAppliedOn: s.RenewalAppliedOn, SpecialPeriodEnds: s.SpecialPeriodEnds, GoBy: s.GoBy})
	}
	for _, c := range h.Cards {
		if kigen.Stale(c, today) {
			v.Stale = append(v.Stale, number(c))
		}
	}
	return v
}
