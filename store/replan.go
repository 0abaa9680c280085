package store

import (
	"context"
	"errors"
	"fmt"

	"kigen"
)

// Holding is a resident with everything the rules need: contacts, cards and
// the notices recorded for those cards.
type Holding struct {
	Resident *kigen.Resident
	Contacts []*kigen.Contact
	Cards    []*kigen.Card
	Notices  []*kigen.Notice
}

// Holder returns the view of h that kigen.Plan takes.
func (h *Holding) Holder() kigen.Holder {
	out := kigen.Holder{Status: h.Resident.Status}
	contacts := make([]kigen.Contact, 0, len(h.Contacts))
	for _, c := range h.Contacts {
		contacts = append(contacts, *c)
	}
	out.Reachable = len(kigen.SendChannels(h.Resident.Channel, contacts)) > 0
	for _, c := range h.Cards {
		out.Cards = append(out.Cards, *c)
	}
	for _, n := range h.Notices {
		out.Sent = append(out.Sent, n.Key())
	}
	return out
}

// LoadHoldings reads these residents of one municipality with their
// contacts, cards and notices. A resident ID not in the municipality is left
// out.
func LoadHoldings(ctx context.Context, q Queries, municipalityID int64, residentIDs ...int64) ([]*Holding, error) {
	var rs []*kigen.Resident
	for _, id := range residentIDs {
		r, err := q.GetResident(ctx, municipalityID, id)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("load resident %d: %w", id, err)
		}
		rs = append(rs, r)
	}
	return HoldingsOf(ctx, q, municipalityID, rs)
}

// HoldingsOf reads the contacts, cards and notices of residents already
// loaded (all of one municipality) in three queries, whatever their number,
// and returns a Holding per resident, in order.
func HoldingsOf(ctx context.Context, q Queries, municipalityID int64, rs []*kigen.Resident) ([]*Holding, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	contacts, err := q.ListContacts(ctx, municipalityID, ids...)
	if err != nil {
		return nil, fmt.Errorf("load contacts: %w", err)
	}
	cards, err := q.ListCards(ctx, municipalityID, ids...)
	if err != nil {
		return nil, fmt.Errorf("load cards: %w", err)
	}
	var notices []*kigen.Notice
	if len(cards) > 0 {
		cardIDs := make([]int64, 0, len(cards))
		for _, c := range cards {
			cardIDs = append(cardIDs, c.ID)
		}
		if notices, err = q.ListNotices(ctx, municipalityID, cardIDs...); err != nil {
			return nil, fmt.Errorf("load notices: %w", err)
		}
	}
	return assembleHoldings(rs, contacts, cards, notices), nil
}

// assembleHoldings returns a Holding for each resident of rs, in order,
// with the contacts, cards and notices among those given that are theirs
// (matched by resident and card ID, which are unique across
// municipalities), each list in the order given.
func assembleHoldings(rs []*kigen.Resident, contacts []*kigen.Contact, cards []*kigen.Card, notices []*kigen.Notice) []*Holding {
	out := make([]*Holding, 0, len(rs))
	byID := make(map[int64]*Holding, len(rs))
	for _, r := range rs {
		h := &Holding{Resident: r}
		out = append(out, h)
		byID[r.ID] = h
	}
	for _, c := range contacts {
		if h := byID[c.ResidentID]; h != nil {
			h.Contacts = append(h.Contacts, c)
		}
	}
	cardOwner := make(map[int64]*Holding, len(cards))
	for _, c := range cards {
		if h := byID[c.ResidentID]; h != nil {
			h.Cards = append(h.Cards, c)
			cardOwner[c.ID] = h
		}
	}
	for _, n := range notices {
		if h := cardOwner[n.CardID]; h != nil {
			h.Notices = append(h.Notices, n)
		}
	}
	return out
}

// DistinctKeys returns keys without repeats, in order of first appearance.
func DistinctKeys(keys []ResidentKey) []ResidentKey {
	seen := make(map[ResidentKey]bool, len(keys))
	out := make([]ResidentKey, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Replan recomputes the next due date of every card of a resident after the
// resident, a contact, a card or a renewal changed outside a tick, so that
// the next tick looks at the card on the right day (kigen.NextDue). Call it
// in the transaction that made the change. ErrNotFound if the resident is
// not in the municipality.
func Replan(ctx context.Context, q Queries, municipalityID, residentID int64, today kigen.Date) error {
	hs, err := LoadHoldings(ctx, q, municipalityID, residentID)
	if err != nil {
		return err
	} else if len(hs) == 0 {
		return fmt.Errorf("replan resident %d: %w", residentID, ErrNotFound)
	}
	h := hs[0]
	next := kigen.NextDue(h.Holder(), today)
	for _, c := range h.Cards {
		if n := next[c.ID]; n != c.NextNoticeOn {
			if err := q.SetCardNextNoticeOn(ctx, municipalityID, c.ID, n); err != nil {
				return fmt.Errorf("replan card %d: %w", c.ID, err)
			}
			c.NextNoticeOn = n
		}
	}
	return nil
}

// Contact returns the resident's contact on a channel, or nil.
func (h *Holding) Contact(ch kigen.Channel) *kigen.Contact {
	for _, c := range h.Contacts {
		if c.Channel == ch {
			return c
		}
	}
	return nil
}

// Card returns the resident's card of a kind, or nil.
func (h *Holding) Card(kind kigen.CardKind) *kigen.Card {
	for _, c := range h.Cards {
		if c.Kind == kind {
			return c
		}
	}
	return nil
}

// State returns the resident as the cross-field rules see it.
func (h *Holding) State() kigen.ResidentState {
	s := kigen.ResidentState{Status: h.Resident.Status, Channel: h.Resident.Channel, Cards: map[kigen.CardKind]kigen.Date{}}
	for _, c := range h.Cards {
		s.Cards[c.Kind] = c.ExpiresOn
	}
	for _, c := range h.Contacts {
		switch c.Channel {
		case kigen.Email:
			s.HasEmail = c.Address != ""
		case kigen.SMS:
			s.HasPhone = c.Address != ""
		}
		s.Consent = s.Consent || c.Consent
	}
	return s
}

// GapOpen reports whether the resident's My Number card lags behind their
// renewed residence card (kigen.GapOpen).
func (h *Holding) GapOpen() bool {
	var r, m kigen.Date
	if c := h.Card(kigen.ResidenceCard); c != nil {
		r = c.ExpiresOn
	}
	if c := h.Card(kigen.MyNumberCard); c != nil {
		m = c.ExpiresOn
	}
	return kigen.GapOpen(h.Resident.Status, r, m)
}
