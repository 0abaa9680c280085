package desk

import (
	"context"
	"fmt"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// The resident's own page (/me/{token}, and a message's links): each
// method takes the resident actor of ResidentActor or MessageActor,
// authorized on themself only, and is audited. "I applied" is
// RecordApplied, "erase my data" EraseResident, with the same actor and
// ResidentParams{Ref: a.ResidentRef}.

// SelfPage is the resident's page: their record (cards with days left,
// contacts, the notices sent and what became of each message) and the
// timeline of what Kigen will send and when, with the dates to go by.
type SelfPage struct {
	Resident *ResidentView `json:"resident"`
	Timeline *TimelineView `json:"timeline"`
}

// SelfView returns the resident's page. Audited as resident.view.
func (d *Desk) SelfView(ctx context.Context, a auth.Actor) (*SelfPage, error) {
	var page *SelfPage
	err := d.residentAction(ctx, a, auth.ResidentView, ResidentParams{Ref: a.ResidentRef},
		func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
			v, err := d.fullView(ctx, tx, mu, h)
			if err != nil {
				return err
			}
			e.Detail = "own page"
			page = &SelfPage{Resident: v, Timeline: timelineOf(h.Holder(), d.today(), mu.Calendar, cardNumber)}
			return nil
		})
	return page, err
}

// fullView is the view of h with the messages of each notice.
func (d *Desk) fullView(ctx context.Context, tx store.Tx, mu *kigen.Municipality, h *store.Holding) (*ResidentView, error) {
	ms, err := tx.ListResidentMessages(ctx, mu.ID, h.Resident.ID)
	if err != nil {
		return nil, err
	}
	v := view(mu, h, d.today(), false)
	sources, err := tx.ResidentSources(ctx, mu.ID, h.Resident.ID)
	if err != nil {
		return nil, err
	}
	v.Source = sources[h.Resident.ID]
	carried := map[int64][]MessageStatus{}
	for _, m := range ms {
		st := MessageStatus{ID: m.Message.ID, Channel: m.Message.Channel, State: messageStatus(m, d.now())}
		for _, id := range m.Message.NoticeIDs {
			carried[id] = append(carried[id], st)
		}
	}
	for i, n := range h.Notices {
		v.Notices[i].Messages = append([]MessageStatus{}, carried[n.ID]...)
	}
	return v, nil
}

// SelfCardParams give a card's new expiry date: "I have my new residence
// card", "I updated my My Number card". ExpiresOn is read as an import
// reads dates.
type SelfCardParams struct {
	Card      kigen.CardKind `json:"card"`
	ExpiresOn string         `json:"expires_on"`
}

// SelfSetCard records the new expiry date of one of the resident's cards (or
// a card not held before), by the import's rules (a *FieldsError naming
// the card's field); an application recorded for the old date is
// cleared, and reminders are planned again. Audited as self.update.
func (d *Desk) SelfSetCard(ctx context.Context, a auth.Actor, p SelfCardParams) (*EditResult, error) {
	f := ResidentFields{}
	date := p.ExpiresOn
	switch p.Card {
	case kigen.ResidenceCard:
		f.ResidenceCard = &date
	case kigen.MyNumberCard:
		f.MyNumberCard = &date
	case kigen.MyNumberCert:
		f.MyNumberCert = &date
	case kigen.IntegratedCard:
		f.IntegratedCard = &date
	default:
		return nil, kigen.FieldErrorf("card", "%q is not a card", p.Card)
	}
	if kigen.ContainsMyNumber(date) {
		return nil, &FieldsError{Problems: []FieldProblem{{Field: p.Card.Field(), Reason: kigen.MyNumberReason}}}
	}
	if date == "" {
		return nil, &FieldsError{Problems: []FieldProblem{{Field: p.Card.Field(), Reason: "give the new card's expiry date"}}}
	}
	return d.selfEdit(ctx, a, f, fmt.Sprintf("%s: new expiry", p.Card))
}

// SelfLanguageParams change the resident's language.
type SelfLanguageParams struct {
	Language string `json:"language"`
}

// SelfSetLanguage changes the language of the resident's messages and pages.
// Audited as self.update.
func (d *Desk) SelfSetLanguage(ctx context.Context, a auth.Actor, p SelfLanguageParams) (*EditResult, error) {
	if p.Language == "" {
		return nil, &FieldsError{Problems: []FieldProblem{{Field: "language", Reason: "choose a language"}}}
	}
	return d.selfEdit(ctx, a, ResidentFields{Language: &p.Language}, "language")
}

func (d *Desk) selfEdit(ctx context.Context, a auth.Actor, f ResidentFields, detail string) (*EditResult, error) {
	var res *EditResult
	err := d.residentAction(ctx, a, auth.SelfUpdate, ResidentParams{Ref: a.ResidentRef},
		func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
			warnings, err := d.applyFields(ctx, tx, mu, h.Resident.Ref, h, f)
			if err != nil {
				return err
			}
			nh, err := reload(ctx, tx, mu, h.Resident.Ref)
			if err != nil {
				return err
			}
			e.Detail = detail
			res = &EditResult{Resident: view(mu, nh, d.today(), false), Warnings: warnings}
			return nil
		})
	return res, err
}

// SelfChannelParams add a channel: exactly one of an email address and a
// Japanese mobile number; Client is the client's key (SignupParams.Client).
type SelfChannelParams struct {
	Email  string `json:"email,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Client string `json:"-"`
}

// SelfAddChannel sends a confirmation to a new address of the resident (a
// second channel, or a new address on one they have), as StartSignup
// does, within the same limits; ConfirmSignup with its link or code adds
// it, consented, and reminders go out on both channels. Audited as
// self.channel when asked and when confirmed.
func (d *Desk) SelfAddChannel(ctx context.Context, a auth.Actor, p SelfChannelParams) (*SignupStarted, error) {
	if kigen.ContainsMyNumber(p.Email) || kigen.ContainsMyNumber(p.Phone) {
		return nil, &FieldsError{Problems: []FieldProblem{{Field: "phone", Reason: kigen.MyNumberReason}}}
	}
	ch, addr, prob := selfContact(p.Email, p.Phone)
	if prob != nil {
		return nil, &FieldsError{Problems: []FieldProblem{*prob}}
	}
	var (
		mu *kigen.Municipality
		r  *kigen.Resident
	)
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if mu, err = scope(ctx, tx, a, auth.SelfChannel, "", a.ResidentRef); err != nil {
			return err
		}
		h, err := holding(ctx, tx, mu, a.ResidentRef)
		if err != nil {
			return err
		}
		r = h.Resident
		if c := h.Contact(ch); c != nil && c.Address == addr && c.Consent && !c.OptedOut && !c.Failed {
			return kigen.FieldErrorf(string(ch), "is already yours, confirmed")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &store.Signup{MunicipalityID: mu.ID, Kind: store.SignupChannel, ResidentID: r.ID, Channel: ch, Address: addr,
		ClientKey: p.Client, Language: r.Language}
	return d.sendConfirmation(ctx, mu, s, auth.SelfChannel, a, r.Ref)
}

// SelfChannelSwitch names one of the resident's channels.
type SelfChannelSwitch struct {
	Channel kigen.Channel `json:"channel"`
}

// SelfChannelResult is the resident's channels after a switch.
type SelfChannelResult struct {
	Channel   kigen.Channel   `json:"channel"`
	OptedOut  bool            `json:"opted_out"`
	ReachedBy []kigen.Channel `json:"reached_by"`
}

// SelfUnsubscribe stops the resident's reminders on a channel (as the
// one-click unsubscribe does). Invalid: a channel they have no address on.
// Audited as self.unsubscribe.
func (d *Desk) SelfUnsubscribe(ctx context.Context, a auth.Actor, p SelfChannelSwitch) (*SelfChannelResult, error) {
	return d.selfSwitch(ctx, a, auth.SelfUnsubscribe, p.Channel, true)
}

// SelfResubscribe switches a channel the resident stopped back on (their own
// consent). Invalid: a channel they have no address on. Audited as
// self.resubscribe.
func (d *Desk) SelfResubscribe(ctx context.Context, a auth.Actor, p SelfChannelSwitch) (*SelfChannelResult, error) {
	return d.selfSwitch(ctx, a, auth.SelfResubscribe, p.Channel, false)
}

func (d *Desk) selfSwitch(ctx context.Context, a auth.Actor, act auth.Action, ch kigen.Channel, off bool) (*SelfChannelResult, error) {
	if !ch.Valid() {
		return nil, kigen.FieldErrorf("channel", "%q is not a channel: email or sms", ch)
	}
	var res *SelfChannelResult
	err := d.residentAction(ctx, a, act, ResidentParams{Ref: a.ResidentRef},
		func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
			c := h.Contact(ch)
			if c == nil || c.Address == "" {
				return kigen.FieldErrorf("channel", "you have no %s address", ch)
			}
			c.OptedOut = off
			if !off {
				c.Consent = true
			}
			if err := tx.UpsertContact(ctx, mu.ID, c); err != nil {
				return err
			}
			if err := store.Replan(ctx, tx, mu.ID, h.Resident.ID, d.today()); err != nil {
				return err
			}
			contacts := make([]kigen.Contact, len(h.Contacts))
			for i, ct := range h.Contacts {
				contacts[i] = *ct
			}
			res = &SelfChannelResult{Channel: ch, OptedOut: off,
				ReachedBy: append([]kigen.Channel{}, kigen.SendChannels(h.Resident.Channel, contacts)...)}
			e.Detail = string(ch)
			return nil
		})
	return res, err
}

// SelfData is everything Kigen holds of a resident, for them to download
// (JSON): their record with the notices and messages, the reminders to
// come, and where they came from.
type SelfData struct {
	ExportedAt time.Time     `json:"exported_at"`
	Source     string        `json:"source"`
	Resident   *ResidentView `json:"resident"`
	Timeline   *TimelineView `json:"timeline"`
}

// SelfExport returns everything Kigen holds of the resident. Audited as
// self.export.
func (d *Desk) SelfExport(ctx context.Context, a auth.Actor) (*SelfData, error) {
	var out *SelfData
	err := d.residentAction(ctx, a, auth.SelfExport, ResidentParams{Ref: a.ResidentRef},
		func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
			v, err := d.fullView(ctx, tx, mu, h)
			if err != nil {
				return err
			}
			out = &SelfData{ExportedAt: d.now().UTC(), Source: string(v.Source), Resident: v,
				Timeline: timelineOf(h.Holder(), d.today(), mu.Calendar, cardNumber)}
			return nil
		})
	return out, err
}

// SelfRevokeLinks ends every link to the resident's page (the one in use
// too) and returns how many. A fresh one is asked for with RequestLink.
// Audited as self.revoke.
func (d *Desk) SelfRevokeLinks(ctx context.Context, a auth.Actor) (int, error) {
	var n int
	err := d.residentAction(ctx, a, auth.SelfRevoke, ResidentParams{Ref: a.ResidentRef},
		func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
			var err error
			n, err = tx.RevokeResidentTokens(ctx, mu.ID, h.Resident.ID, d.now())
			e.Detail = fmt.Sprintf("%d links", n)
			return err
		})
	return n, err
}
