package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// FollowupParams name the municipality of a follow-up list (an operator's
// choice; staff get their own).
type FollowupParams struct {
	Municipality string `json:"municipality,omitempty"`
}

// FollowupList is what staff must follow up in one municipality (docs/domain.md
// §4, §7, §11.2, §11.5, §11.18): residents who cannot be reached, cards gone
// stale, sends whose outcome is unknown, and messages whose delivery the
// queue gave up on. It names residents by ref only: no addresses, no names.
type FollowupList struct {
	Municipality string            `json:"municipality"` // code
	Date         kigen.Date        `json:"date"`
	Unreachable  []UnreachableItem `json:"unreachable"`
	Stale        []StaleItem       `json:"stale"`
	Unknown      []UnknownItem     `json:"unknown"`
	GivenUp      []GivenUpItem     `json:"given_up"`
}

// UnreachableItem is a resident no message can reach, and why (one of the
// Reason constants).
type UnreachableItem struct {
	Ref    string `json:"ref"`
	Reason string `json:"reason"`
}

// StaleItem is a card expired too long ago to be messaged (kigen.Stale).
type StaleItem struct {
	Ref       string         `json:"ref"`
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
}

// UnknownItem is a send that may or may not have reached the provider: an
// operator settles it (ResendDelivery, ResolveDelivery).
type UnknownItem struct {
	DeliveryID int64         `json:"delivery_id"`
	MessageID  int64         `json:"message_id"`
	Ref        string        `json:"ref"`
	Channel    kigen.Channel `json:"channel"`
	Since      time.Time     `json:"since"`
}

// GivenUpItem is a message still planned whose deliver job the queue
// discarded (Queue.GivenUp): nothing sends it unless someone retries it
// (RetryMessage).
type GivenUpItem struct {
	MessageID int64         `json:"message_id"`
	Ref       string        `json:"ref"`
	Channel   kigen.Channel `json:"channel"`
	TickDate  kigen.Date    `json:"tick_date"`
}

// Why a resident cannot be reached.
const (
	ReasonNoContact     = "no contact"
	ReasonNoConsent     = "no consent"
	ReasonOptedOut      = "opted out"
	ReasonAddressFailed = "address failed"
	ReasonMessageFailed = "message failed, no other channel"
)

// ErasedRef stands for the ref of a resident erased since their message.
const ErasedRef = "(erased)"

// Followup returns the municipality's follow-up list on today. It needs
// the Queue (the sends it gave up on).
func (d *Desk) Followup(ctx context.Context, a auth.Actor, p FollowupParams) (*FollowupList, error) {
	if _, err := scope(ctx, d.Store, a, auth.FollowupView, p.Municipality, ""); err != nil {
		return nil, err // before asking the queue
	}
	q, err := d.queue()
	if err != nil {
		return nil, err
	}
	givenUp, err := q.GivenUp(ctx)
	if err != nil {
		return nil, err
	}
	var (
		list *FollowupList
		mu   *kigen.Municipality
	)
	err = d.do(ctx, a, auth.FollowupView, func(tx store.Tx, e *store.AuditEntry) error {
		var err error
		if mu, err = scope(ctx, tx, a, auth.FollowupView, p.Municipality, ""); err != nil {
			return err
		}
		if list, err = buildFollowup(ctx, tx, mu, d.today(), givenUp); err != nil {
			return err
		}
		e.MunicipalityID = mu.ID
		e.Detail = fmt.Sprintf("%d unreachable, %d stale, %d unknown, %d given up",
			len(list.Unreachable), len(list.Stale), len(list.Unknown), len(list.GivenUp))
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.logger().Info("followup listed", slog.Int64("municipality_id", mu.ID),
		slog.Int("unreachable", len(list.Unreachable)), slog.Int("stale", len(list.Stale)), slog.Int("unknown", len(list.Unknown)), slog.Int("given_up", len(list.GivenUp)))
	return list, nil
}

// buildFollowup reads the municipality's follow-up list on today: its
// residents page by page with their contacts, then its stale cards, failed
// messages and unknown deliveries, and which of the messages the queue gave
// up on (givenUp, of every municipality) are its own and still planned.
func buildFollowup(ctx context.Context, q store.Queries, mu *kigen.Municipality, today kigen.Date, givenUp []int64) (*FollowupList, error) {
	list := &FollowupList{Municipality: mu.Code, Date: today,
		Unreachable: []UnreachableItem{}, Stale: []StaleItem{}, Unknown: []UnknownItem{}, GivenUp: []GivenUpItem{}}
	refs := map[int64]string{}
	usable := map[int64]map[kigen.Channel]bool{} // the channels a resident can get messages on
	reported := map[int64]bool{}
	for after := int64(0); ; {
		rs, err := q.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mu.ID, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(rs) == 0 {
			break
		}
		after = rs[len(rs)-1].ID
		hs, err := store.HoldingsOf(ctx, q, mu.ID, rs)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			r := h.Resident
			refs[r.ID] = r.Ref
			usable[r.ID] = map[kigen.Channel]bool{}
			contacts := make([]kigen.Contact, len(h.Contacts))
			for i, c := range h.Contacts {
				contacts[i] = *c
				if c.Usable() {
					usable[r.ID][c.Channel] = true
				}
			}
			if len(kigen.SendChannels(r.Channel, contacts)) == 0 {
				list.Unreachable = append(list.Unreachable, UnreachableItem{Ref: r.Ref, Reason: unreachableReason(h.Contacts)})
				reported[r.ID] = true
			}
		}
	}

	// A message failed for good on its channel, with no other channel left
	// (docs/domain.md §7): the latest such message of each resident not already
	// listed.
	failed, err := q.ListDeliveriesByState(ctx, mu.ID, kigen.DeliveryFailed)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, d := range failed {
		if seen[d.MessageID] {
			continue
		}
		seen[d.MessageID] = true
		msg, err := q.GetMessage(ctx, d.MessageID)
		if err != nil {
			return nil, err
		}
		if msg.State != kigen.MessageFailed || msg.ResidentID == 0 || reported[msg.ResidentID] {
			continue
		}
		other := false
		for ch := range usable[msg.ResidentID] {
			other = other || ch != msg.Channel
		}
		if !other {
			list.Unreachable = append(list.Unreachable, UnreachableItem{Ref: refs[msg.ResidentID], Reason: ReasonMessageFailed})
			reported[msg.ResidentID] = true
		}
	}

	cards, err := q.ListStaleCards(ctx, mu.ID, kigen.StaleBefore(today))
	if err != nil {
		return nil, err
	}
	for _, c := range cards {
		if kigen.Stale(*c, today) {
			list.Stale = append(list.Stale, StaleItem{Ref: refs[c.ResidentID], Card: c.Kind, ExpiresOn: c.ExpiresOn})
		}
	}

	refOf := func(residentID int64) string {
		if ref, ok := refs[residentID]; ok {
			return ref
		}
		return ErasedRef
	}
	unknown, err := q.ListDeliveriesByState(ctx, mu.ID, kigen.DeliveryUnknown)
	if err != nil {
		return nil, err
	}
	for _, d := range unknown {
		msg, err := q.GetMessage(ctx, d.MessageID)
		if err != nil {
			return nil, err
		}
		list.Unknown = append(list.Unknown, UnknownItem{DeliveryID: d.ID, MessageID: msg.ID, Ref: refOf(msg.ResidentID),
			Channel: msg.Channel, Since: d.UpdatedAt.In(kigen.Tokyo)})
	}

	for _, id := range givenUp {
		msg, err := q.GetMessage(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if msg.MunicipalityID == mu.ID && msg.State == kigen.MessagePlanned {
			list.GivenUp = append(list.GivenUp, GivenUpItem{MessageID: msg.ID, Ref: refOf(msg.ResidentID), Channel: msg.Channel, TickDate: msg.TickDate})
		}
	}
	return list, nil
}

// unreachableReason says why no message can go to a resident with these
// contacts.
func unreachableReason(cs []*kigen.Contact) string {
	var withAddress, consented, optedOut, failed int
	for _, c := range cs {
		if c.Address == "" {
			continue
		}
		withAddress++
		if c.Consent {
			consented++
		}
		if c.OptedOut {
			optedOut++
		}
		if c.Failed {
			failed++
		}
	}
	switch {
	case withAddress == 0:
		return ReasonNoContact
	case optedOut > 0:
		return ReasonOptedOut
	case consented == 0:
		return ReasonNoConsent
	case failed > 0:
		return ReasonAddressFailed
	}
	return ReasonNoContact
}
