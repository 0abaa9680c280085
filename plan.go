package kigen

// Holder is what Plan knows of one resident: their category, whether they
// can be reached at all, their cards and the notices already recorded.
type Holder struct {
	Status Status
	// Reachable is true when the resident consented and has at least one
	// usable contact. An unreachable resident gets nothing planned and no
	// next date: their cards are re-planned when consent or a contact
	// arrives (docs/domain.md §11.2, §11.19).
	Reachable bool
	// Cards are the resident's cards (at most one per kind). Plan reads ID,
	// Kind, ExpiresOn and RenewalAppliedOn.
	Cards []Card
	// Sent are the notices already recorded for these cards, for any date.
	Sent []NoticeKey
}

// Due is a notice due on the planned day, with the facts its text needs.
type Due struct {
	NoticeKey
	Kind CardKind
	// DaysLeft is ExpiresOn − today: negative once the card has expired.
	// A message states the days left on the day it is sent, so a renderer
	// recomputes it then; this is the value on the planned day.
	DaysLeft int
	// ResidenceExpiresOn is R, the renewed residence card's expiry, when the
	// My Number card lags behind it (the renewal gap is open): set on
	// renewal_gap and on every mynumber_card stage while the gap stands.
	ResidenceExpiresOn Date
	// CertExpiresOn is set on a renewal_gap notice when the electronic
	// certificate should be renewed at the same visit (C < R and C ≤ M).
	CertExpiresOn Date
	// RenewalAppliedOn is set while a renewal of the period of stay is
	// pending: on special_period, and on mynumber_card stages (the office
	// can extend the My Number card to the end of the special period).
	RenewalAppliedOn Date
	// SpecialPeriodEnds is the last day the resident may stay while the
	// application is decided (the residence card's expiry + 2 months), set
	// with RenewalAppliedOn.
	SpecialPeriodEnds Date
}

// CardPlan is what Plan decided for one card.
type CardPlan struct {
	CardID int64
	// Next is the first day after today on which a notice falls due for the
	// card, assuming the notices due today are recorded; zero when none
	// will (the card is done, stale, or its resident unreachable).
	Next Date
	// Stale is true for a card expired too long ago to be messaged (more
	// than 30 days, or past its special period): it is listed for staff
	// until its date is updated (docs/domain.md §11.5).
	Stale bool
	// Skipped is true for a card Kigen does not remind about for this
	// resident: a residence card of a special permanent resident.
	Skipped bool
}

// Outcome is the result of Plan for one resident and one day.
type Outcome struct {
	Due   []Due      // the notices due today, in card order
	Cards []CardPlan // one per card, in the order of Holder.Cards
}

// expiredWindow is how many days after expiry the `expired` notice may still
// go out; later the card is stale.
const expiredWindow = 30

// specialPeriodMonths is how long a resident whose renewal is pending may
// stay after the period of stay ends (出入国管理及び難民認定法 第20条第6項).
const specialPeriodMonths = 2

// Plan decides, for one resident on the day today (Asia/Tokyo), which notices
// are due and when each card's next notice falls due. It implements
// docs/domain.md §4–§6 and the decisions of §11:
//
//   - before-expiry stages d90…d1 while today ≤ E, of which only the most
//     urgent one due is sent (catch-up without a burst); never one already
//     sent, nor one less urgent than a stage already sent;
//   - `expired` once, within 30 days after E; later the card is stale;
//   - no residence-card notices for a special permanent resident;
//   - a residence or integrated card with a renewal applied for gets no
//     stages for that E, then one `special_period` after E (while within
//     E + 2 months);
//   - `renewal_gap` for a fixed-period resident whose My Number card expiry
//     M is before the residence card's R: once per M, at once, while
//     today ≤ M + 30;
//   - nothing at all for an unreachable resident.
//
// Plan is pure: the same Holder and day always give the same Outcome.
func Plan(h Holder, today Date) Outcome {
	sent := make(map[NoticeKey]bool, len(h.Sent))
	for _, k := range h.Sent {
		sent[k] = true
	}
	ctx := holderContext(h)
	out := Outcome{Cards: make([]CardPlan, 0, len(h.Cards))}
	for _, c := range h.Cards {
		cp := CardPlan{CardID: c.ID}
		var due []Due
		switch {
		case !c.Kind.Valid() || c.ExpiresOn.IsZero():
			cp.Skipped = true
		case c.Kind == ResidenceCard && h.Status == SpecialPermanent:
			cp.Skipped = true
		case c.Kind.IsResidence() && !c.RenewalAppliedOn.IsZero():
			due, cp.Next, cp.Stale = planPending(c, today, sent)
		default:
			due, cp.Next, cp.Stale = planStages(c, today, sent)
		}
		if c.Kind == MyNumberCard && ctx.gap(c) {
			k := NoticeKey{c.ID, c.ExpiresOn, RenewalGap}
			if !sent[k] && !today.After(c.ExpiresOn.AddDays(expiredWindow)) {
				d := Due{NoticeKey: k, Kind: c.Kind, CertExpiresOn: gapCert(ctx.residence, c.ExpiresOn, ctx.cert)}
				due = append([]Due{d}, due...)
			}
		}
		for i := range due {
			due[i].DaysLeft = c.ExpiresOn.Sub(today)
			if c.Kind == MyNumberCard {
				ctx.decorate(&due[i], c)
			}
		}
		if !h.Reachable {
			due, cp.Next = nil, Date{}
		}
		out.Due = append(out.Due, due...)
		out.Cards = append(out.Cards, cp)
	}
	return out
}

// NextDue returns, for each card (by ID), the date its next notice falls due
// counting today: today if a notice is due now, else Plan's Next. It is what
// a card's next_notice_on must be after the card, its resident or its
// notices change outside a tick (an import, a renewal recorded, consent
// given), so that the next tick looks at it on the right day.
func NextDue(h Holder, today Date) map[int64]Date {
	o := Plan(h, today)
	next := make(map[int64]Date, len(o.Cards))
	for _, cp := range o.Cards {
		next[cp.CardID] = cp.Next
	}
	for _, d := range o.Due {
		next[d.CardID] = today
	}
	return next
}

// planStages plans the ordinary life of a card: d90…d1 up to E, expired
// after it.
func planStages(c Card, today Date, sent map[NoticeKey]bool) (due []Due, next Date, stale bool) {
	e := c.ExpiresOn
	key := func(s Stage) NoticeKey { return NoticeKey{c.ID, e, s} }
	if today.After(e) {
		if today.After(e.AddDays(expiredWindow)) {
			return nil, Date{}, true
		}
		if !sent[key(Expired)] {
			due = []Due{{NoticeKey: key(Expired), Kind: c.Kind}}
		}
		return due, Date{}, false
	}
	// The most urgent before-expiry stage due today, if any, and the first
	// stage not yet due.
	urgent := -1
	next = e.AddDays(1) // after d1 comes expired
	for i, b := range beforeStages {
		on := e.AddDays(-b.days)
		if today.Before(on) {
			next = on
			break
		}
		urgent = i
	}
	if urgent < 0 {
		return nil, next, false
	}
	// Send it unless it, or a more urgent stage, was already sent (a clock
	// moved backwards must not resend a less urgent stage).
	for _, b := range beforeStages[urgent:] {
		if sent[key(b.stage)] {
			return nil, next, false
		}
	}
	return []Due{{NoticeKey: key(beforeStages[urgent].stage), Kind: c.Kind}}, next, false
}

// planPending plans a residence or integrated card whose renewal was applied
// for: silence until E, then one special_period notice while the resident
// may stay on the application.
func planPending(c Card, today Date, sent map[NoticeKey]bool) (due []Due, next Date, stale bool) {
	e := c.ExpiresOn
	ends := SpecialPeriodEnds(e)
	switch {
	case !today.After(e):
		return nil, e.AddDays(1), false
	case today.After(ends):
		return nil, Date{}, true
	}
	k := NoticeKey{c.ID, e, SpecialPeriod}
	if sent[k] {
		return nil, Date{}, false
	}
	return []Due{{NoticeKey: k, Kind: c.Kind, RenewalAppliedOn: c.RenewalAppliedOn, SpecialPeriodEnds: ends}}, Date{}, false
}

// cardContext holds the facts about a resident's other cards that the text of a
// My Number card notice depends on.
type cardContext struct {
	status    Status
	residence Date // the residence card's expiry R (not the integrated card's)
	cert      Date // the certificate's expiry C
	applied   Date // renewal applied on, for the residence card
}

func holderContext(h Holder) cardContext {
	ctx := cardContext{status: h.Status}
	for _, c := range h.Cards {
		switch c.Kind {
		case ResidenceCard:
			ctx.residence = c.ExpiresOn
			ctx.applied = c.RenewalAppliedOn
		case MyNumberCert:
			ctx.cert = c.ExpiresOn
		}
	}
	return ctx
}

// gap reports whether the My Number card c lags behind a renewed residence
// card: fixed_period, both cards, M < R strictly (docs/domain.md §5, §11.4).
func (x cardContext) gap(c Card) bool { return GapOpen(x.status, x.residence, c.ExpiresOn) }

// decorate adds to a My Number card notice the gap and pending-renewal facts
// its text names.
func (x cardContext) decorate(d *Due, c Card) {
	if x.gap(c) {
		d.ResidenceExpiresOn = x.residence
	}
	if !x.applied.IsZero() && d.Stage != RenewalGap {
		d.RenewalAppliedOn = x.applied
		d.SpecialPeriodEnds = SpecialPeriodEnds(x.residence)
	}
}

// Describe returns the notice k of card c as Plan would return it on day
// today: the facts its text needs (days left, the renewal gap, a pending
// renewal), computed from the resident's cards as they are now. A message
// is rendered when it is sent, maybe days after it was planned (docs/domain.md
// §11.6): its notices are described again then.
func Describe(h Holder, c Card, k NoticeKey, today Date) Due {
	d := Due{NoticeKey: k, Kind: c.Kind, DaysLeft: k.ExpiresOn.Sub(today)}
	if c.Kind.IsResidence() && !c.RenewalAppliedOn.IsZero() && k.Stage == SpecialPeriod {
		d.RenewalAppliedOn, d.SpecialPeriodEnds = c.RenewalAppliedOn, SpecialPeriodEnds(k.ExpiresOn)
	}
	if c.Kind != MyNumberCard {
		return d
	}
	ctx := holderContext(h)
	if k.Stage == RenewalGap {
		d.ResidenceExpiresOn = ctx.residence
		d.CertExpiresOn = gapCert(ctx.residence, k.ExpiresOn, ctx.cert)
		return d
	}
	ctx.decorate(&d, c)
	return d
}
