package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/store"
)

// ResidentParams name a resident: by ref, in the actor's municipality (an
// operator names it by code).
type ResidentParams struct {
	Municipality string `json:"municipality,omitempty"`
	Ref          string `json:"ref"`
}

// ResidentView is a resident at the counter: everything `kigen resident
// show` prints. Shown by reference only (Redacted: an operator), it holds
// no name and no addresses.
type ResidentView struct {
	Municipality     string     `json:"municipality"` // code
	MunicipalityName string     `json:"municipality_name"`
	Date             kigen.Date `json:"date"` // the day it shows (days left, next notices)
	Ref              string     `json:"ref"`
	// Version changes with every change of the resident, their contacts or
	// cards (Version): the API's ETag, UpdateParams.IfMatch.
	Version  string            `json:"version"`
	Redacted bool              `json:"redacted,omitempty"`
	Name     string            `json:"name,omitempty"`
	Language kigen.Language    `json:"language"`
	Status   kigen.Status      `json:"status"`
	Channel  kigen.ChannelPref `json:"channel"` // "": the default (email if given, else SMS)
	// Source is where the resident came from: staff (the counter, an
	// import) or self (signed up themselves); set by ShowResident and
	// the resident's page.
	Source store.ResidentSource `json:"source,omitempty"`
	// ReachedBy are the channels messages go out on; none: the resident
	// cannot be reached (no consent or no usable contact) and is listed
	// for staff follow-up.
	ReachedBy []kigen.Channel `json:"reached_by"`
	Contacts  []ContactView   `json:"contacts"`
	Cards     []CardView      `json:"cards"`
	// GapOpen: the My Number card still has the old expiry after a renewal
	// of the period of stay; the resident must have it changed.
	GapOpen bool `json:"gap_open"`
	// Notices are the notices recorded for the resident's cards, oldest
	// first, each with what became of the messages that carry it.
	Notices []NoticeView `json:"notices"`
}

// ContactView is one of a resident's contacts.
type ContactView struct {
	Channel  kigen.Channel `json:"channel"`
	Address  string        `json:"address,omitempty"` // empty when redacted
	Consent  bool          `json:"consent"`
	OptedOut bool          `json:"opted_out"` // by the resident
	Failed   bool          `json:"failed"`    // bounced or invalid
}

// CardView is one of a resident's cards on the view's date.
type CardView struct {
	Kind             kigen.CardKind `json:"kind"`
	ExpiresOn        kigen.Date     `json:"expires_on"`
	DaysLeft         int            `json:"days_left"`
	RenewalAppliedOn kigen.Date     `json:"renewal_applied_on,omitzero"`
	Next             NextNotice     `json:"next"`
}

// NextNotice is a card's next notice: a stage on a date (the view's date
// if it is due today), or, with None, why there is none.
type NextNotice struct {
	On    kigen.Date  `json:"on,omitzero"`
	Stage kigen.Stage `json:"stage,omitempty"`
	None  string      `json:"none,omitempty"`
}

// Why a card has no next notice.
const (
	NoneStale       = "stale"       // expired too long ago; listed for staff
	NoneSkipped     = "skipped"     // not watched for this resident
	NoneUnreachable = "unreachable" // none while the resident cannot be reached
	NoneDone        = "done"        // every notice of the card went out
)

// NoticeView is a notice recorded for one of the resident's cards, and
// the messages that carry it (none: it never went in a message, as for a
// channel switched off before the tick sent it).
type NoticeView struct {
	TickDate  kigen.Date      `json:"tick_date"`
	Card      kigen.CardKind  `json:"card"`
	ExpiresOn kigen.Date      `json:"expires_on"`
	Stage     kigen.Stage     `json:"stage"`
	Messages  []MessageStatus `json:"messages"`
}

// MessageStatus is a message carrying a notice, and where it stands (one
// of the Message constants).
type MessageStatus struct {
	ID      int64         `json:"id"`
	Channel kigen.Channel `json:"channel"`
	State   string        `json:"state"`
}

// Where a message stands, as the counter says it.
const (
	MessagePlanned   = "planned"   // to be sent: not tried yet
	MessageWaiting   = "waiting"   // an attempt failed and it is tried again, or an SMS waits for 09:00
	MessageSent      = "sent"      // the provider took it
	MessageDelivered = "delivered" // the provider reported it delivered
	MessageFailed    = "failed"    // refused for good on its channel
	MessageUnknown   = "unknown"   // may have left: an operator settles it
	MessageDropped   = "dropped"   // not sent on purpose (no usable contact, too late)
)

// messageStatus says where message ms stands at now.
func messageStatus(ms store.MessageStatus, now time.Time) string {
	d := ms.Delivery
	switch ms.Message.State {
	case kigen.MessagePlanned:
		if d != nil && d.State == kigen.DeliveryFailed || d == nil && ms.Message.Channel == kigen.SMS && kigen.SMSQuietWait(now) > 0 {
			return MessageWaiting
		}
		return MessagePlanned
	case kigen.MessageSent:
		if d != nil && d.State == kigen.DeliveryDelivered {
			return MessageDelivered
		}
		return MessageSent
	}
	return string(ms.Message.State)
}

// holding finds the resident p names and loads them with their contacts,
// cards and notices, once scope has let a act on them in mu.
func holding(ctx context.Context, q store.Queries, mu *kigen.Municipality, ref string) (*store.Holding, error) {
	r, err := q.GetResidentByRef(ctx, mu.ID, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noResident(ref, mu)
	} else if err != nil {
		return nil, err
	}
	hs, err := store.HoldingsOf(ctx, q, mu.ID, []*kigen.Resident{r})
	if err != nil {
		return nil, err
	}
	return hs[0], nil
}

// residentRef returns a reference as it was typed, read as Kigen stores
// references (trimmed, full width folded: roster.NormalizeRef, as an import
// reads them). One holding a My Number, which no import stores, is invalid,
// and not echoed.
func residentRef(ref string) (string, error) {
	ref = roster.NormalizeRef(ref)
	if kigen.ContainsMyNumber(ref) {
		return "", kigen.Keyf(kigen.EINVALID, "mynumber.ref", "the reference %s", kigen.MyNumberReason).Keyed("mynumber.ref")
	}
	return ref, nil
}

// residentAction runs act on the resident p names: fn gets them loaded,
// and the audit entry names them.
func (d *Desk) residentAction(ctx context.Context, a auth.Actor, act auth.Action, p ResidentParams,
	fn func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error) error {
	var err error
	if p.Ref, err = residentRef(p.Ref); err != nil {
		return err
	}
	return d.do(ctx, a, act, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, act, p.Municipality, p.Ref)
		if err != nil {
			return err
		}
		h, err := holding(ctx, tx, mu, p.Ref)
		if err != nil {
			return err
		}
		e.MunicipalityID, e.ResidentRef = mu.ID, h.Resident.Ref
		return fn(tx, mu, h, e)
	})
}

// ShowResident returns a resident as staff see them at the counter; an
// operator sees them by reference only (resident.view_ref: no name, no
// addresses). The view is audited as resident.view or resident.view_ref.
func (d *Desk) ShowResident(ctx context.Context, a auth.Actor, p ResidentParams) (*ResidentView, error) {
	act := auth.ResidentView
	if mayTake(a, act, p.Ref) != nil {
		act = auth.ResidentViewRef
	}
	var v *ResidentView
	err := d.residentAction(ctx, a, act, p, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		ms, err := tx.ListResidentMessages(ctx, mu.ID, h.Resident.ID)
		if err != nil {
			return err
		}
		v = view(mu, h, d.today(), act == auth.ResidentViewRef)
		sources, err := tx.ResidentSources(ctx, mu.ID, h.Resident.ID)
		if err != nil {
			return err
		}
		v.Source = sources[h.Resident.ID]
		carried := map[int64][]MessageStatus{} // by notice
		for _, m := range ms {
			st := MessageStatus{ID: m.Message.ID, Channel: m.Message.Channel, State: messageStatus(m, d.now())}
			for _, id := range m.Message.NoticeIDs {
				carried[id] = append(carried[id], st)
			}
		}
		for i, n := range h.Notices {
			v.Notices[i].Messages = append([]MessageStatus{}, carried[n.ID]...)
		}
		return nil
	})
	return v, err
}

// view builds the view of h on today; redacted, without name and
// addresses.
func view(mu *kigen.Municipality, h *store.Holding, today kigen.Date, redacted bool) *ResidentView {
	r := h.Resident
	v := &ResidentView{Municipality: mu.Code, MunicipalityName: mu.Name, Date: today, Ref: r.Ref, Version: Version(h), Redacted: redacted,
		Name: r.Name, Language: r.Language, Status: r.Status, Channel: r.Channel, GapOpen: h.GapOpen(),
		Contacts: []ContactView{}, Cards: []CardView{}, Notices: []NoticeView{}}
	contacts := make([]kigen.Contact, len(h.Contacts))
	for i, c := range h.Contacts {
		contacts[i] = *c
		v.Contacts = append(v.Contacts, ContactView{Channel: c.Channel, Address: c.Address, Consent: c.Consent, OptedOut: c.OptedOut, Failed: c.Failed})
		if redacted {
			v.Contacts[i].Address = ""
		}
	}
	if redacted {
		v.Name = ""
	}
	v.ReachedBy = kigen.SendChannels(r.Channel, contacts)
	if v.ReachedBy == nil {
		v.ReachedBy = []kigen.Channel{}
	}
	holder := h.Holder()
	plan := kigen.Plan(holder, today)
	kinds := map[int64]kigen.CardKind{}
	for i, c := range h.Cards {
		kinds[c.ID] = c.Kind
		v.Cards = append(v.Cards, CardView{Kind: c.Kind, ExpiresOn: c.ExpiresOn, DaysLeft: c.ExpiresOn.Sub(today),
			RenewalAppliedOn: c.RenewalAppliedOn, Next: nextNotice(holder, plan, i, today)})
	}
	for _, n := range h.Notices {
		v.Notices = append(v.Notices, NoticeView{TickDate: n.TickDate, Card: kinds[n.CardID], ExpiresOn: n.ExpiresOn, Stage: n.Stage})
	}
	return v
}

// nextNotice is card i's next notice: today's if one is due, else the
// stage that falls due on its next date.
func nextNotice(h kigen.Holder, plan kigen.Outcome, i int, today kigen.Date) NextNotice {
	cp := plan.Cards[i]
	for _, d := range plan.Due {
		if d.CardID == cp.CardID {
			return NextNotice{On: today, Stage: d.Stage}
		}
	}
	switch {
	case cp.Stale:
		return NextNotice{None: NoneStale}
	case cp.Skipped:
		return NextNotice{None: NoneSkipped}
	case !h.Reachable:
		return NextNotice{None: NoneUnreachable}
	case cp.Next.IsZero():
		return NextNotice{None: NoneDone}
	}
	for _, d := range kigen.Plan(h, cp.Next).Due {
		if d.CardID == cp.CardID {
			return NextNotice{On: cp.Next, Stage: d.Stage}
		}
	}
	return NextNotice{On: cp.Next}
}

// AppliedParams record that a resident applied to renew their period of
// stay, on On (zero: today); with Undo, take back the application recorded
// (entered by mistake, or withdrawn).
type AppliedParams struct {
	ResidentParams
	On   kigen.Date `json:"on,omitzero"`
	Undo bool       `json:"undo,omitempty"`
}

// AppliedResult is what recording an application changed.
type AppliedResult struct {
	Ref       string         `json:"ref"`
	On        kigen.Date     `json:"on"`
	Card      kigen.CardKind `json:"card"` // the residence or integrated card
	ExpiresOn kigen.Date     `json:"expires_on"`
	// SpecialPeriodNoticeOn is when the special-period notice follows, if
	// no new expiry is entered by then; StayUntil the last day the
	// resident may stay on the application.
	SpecialPeriodNoticeOn kigen.Date `json:"special_period_notice_on"`
	StayUntil             kigen.Date `json:"stay_until"`
	// Early: On is before applications are usually accepted (more than 3
	// months before the expiry): recorded, but worth a second look.
	Early bool `json:"early,omitempty"`
	// Undone: the application recorded on On was taken back; reminders
	// for the card's expiry resume (SpecialPeriodNoticeOn and StayUntil
	// are zero).
	Undone bool `json:"undone,omitempty"`
}

// RecordApplied records that the resident applied to renew their period of
// stay (docs/domain.md §6): residence-card reminders for that expiry stop, and
// one special-period notice follows after it unless a new expiry is
// entered. Invalid: no residence or integrated card, a date in the future
// (field "on") or after the card's expiry. With p.Undo it takes back the
// application recorded (invalid if there is none): the card's reminders
// resume as if it had never been recorded, those already sent stay sent.
func (d *Desk) RecordApplied(ctx context.Context, a auth.Actor, p AppliedParams) (*AppliedResult, error) {
	today := d.today()
	on := p.On
	if on.IsZero() {
		on = today
	}
	var res *AppliedResult
	err := d.residentAction(ctx, a, auth.ResidentApplied, p.ResidentParams, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		card := h.Card(kigen.ResidenceCard)
		if card == nil {
			card = h.Card(kigen.IntegratedCard)
		}
		if p.Undo {
			return d.undoApplied(ctx, tx, mu, h, card, e, &res)
		}
		switch {
		case card == nil:
			return kigen.Keyf(kigen.EINVALID, "applied.no_card", "resident %s has no residence card or integrated card: enter its expiry first", h.Resident.Ref)
		case on.After(today):
			return kigen.FieldKeyf("on", "applied.future", "%s is in the future", on)
		case on.After(card.ExpiresOn):
			return kigen.FieldKeyf("on", "applied.after_expiry", "%s is after the card's expiry %s: an application after the period of stay ends gives no special period", on, card.ExpiresOn)
		}
		if err := tx.SetCardRenewalApplied(ctx, mu.ID, card.ID, on); err != nil {
			return err
		}
		if err := store.Replan(ctx, tx, mu.ID, h.Resident.ID, today); err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("%s expiring on %s: applied on %s", card.Kind, card.ExpiresOn, on)
		res = &AppliedResult{Ref: h.Resident.Ref, On: on, Card: card.Kind, ExpiresOn: card.ExpiresOn,
			SpecialPeriodNoticeOn: card.ExpiresOn.AddDays(1), StayUntil: kigen.SpecialPeriodEnds(card.ExpiresOn),
			Early: on.Before(kigen.RenewalOpens(card.ExpiresOn))}
		return nil
	})
	return res, err
}

// undoApplied takes back the application recorded on card (RecordApplied
// with Undo).
func (d *Desk) undoApplied(ctx context.Context, tx store.Tx, mu *kigen.Municipality, h *store.Holding, card *kigen.Card, e *store.AuditEntry, res **AppliedResult) error {
	if card == nil || card.RenewalAppliedOn.IsZero() {
		return kigen.Keyf(kigen.EINVALID, "applied.nothing_to_undo", "resident %s has no application recorded to undo", cmpRef(h.Resident.Ref))
	}
	if err := tx.SetCardRenewalApplied(ctx, mu.ID, card.ID, kigen.Date{}); err != nil {
		return err
	}
	if err := store.Replan(ctx, tx, mu.ID, h.Resident.ID, d.today()); err != nil {
		return err
	}
	e.Detail = fmt.Sprintf("%s expiring on %s: application of %s undone", card.Kind, card.ExpiresOn, card.RenewalAppliedOn)
	*res = &AppliedResult{Ref: h.Resident.Ref, On: card.RenewalAppliedOn, Card: card.Kind, ExpiresOn: card.ExpiresOn, Undone: true}
	return nil
}

// EraseParams erase a resident, or with DryRun only say what would be
// erased.
type EraseParams struct {
	ResidentParams
	DryRun bool `json:"dry_run,omitempty"`
}

// EraseResult says what was (or, in a dry run, would be) erased.
type EraseResult struct {
	Municipality     string `json:"municipality"`
	MunicipalityName string `json:"municipality_name"`
	Ref              string `json:"ref"`
	Contacts         int    `json:"contacts"`
	Cards            int    `json:"cards"`
	Erased           bool   `json:"erased"`
}

// EraseResident erases the resident, their contacts and cards for good;
// counts of the notices and messages sent stay, without personal data. The
// audit entry keeps the ref. A dry run changes nothing and is not audited.
func (d *Desk) EraseResident(ctx context.Context, a auth.Actor, p EraseParams) (*EraseResult, error) {
	var res *EraseResult
	errDryRun := errors.New("dry run")
	err := d.residentAction(ctx, a, auth.ResidentErase, p.ResidentParams, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		res = &EraseResult{Municipality: mu.Code, MunicipalityName: mu.Name, Ref: h.Resident.Ref,
			Contacts: len(h.Contacts), Cards: len(h.Cards)}
		if p.DryRun {
			return errDryRun
		}
		e.Detail = fmt.Sprintf("%d contacts, %d cards", res.Contacts, res.Cards)
		res.Erased = true
		return tx.DeleteResident(ctx, mu.ID, h.Resident.ID)
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return res, nil
}
