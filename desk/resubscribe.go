package desk

import (
	"context"
	"fmt"
	"strconv"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// ResubscribeParams switch a channel back on for a resident who opted out
// of it (STOP, the one-click unsubscribe) and asked, in person at the
// counter, to get reminders there again.
type ResubscribeParams struct {
	ResidentParams
	Channel kigen.Channel `json:"channel"`
}

// ResubscribeResult is what switching the channel back on changed.
type ResubscribeResult struct {
	Ref     string        `json:"ref"`
	Channel kigen.Channel `json:"channel"`
	// ReachedBy are the channels messages now go out on.
	ReachedBy []kigen.Channel `json:"reached_by"`
	// AddressFailed: the address bounced or was invalid earlier and stays
	// unusable until a new one is entered (docs/domain.md §11.17).
	AddressFailed bool `json:"address_failed,omitempty"`
	// Note is what staff should still tell the resident, one line each
	// ending in a newline ("" if nothing).
	Note string `json:"note,omitempty"`
}

// Notes of a resubscription.
const (
	noteAddressFailed = "note: this address failed earlier (bounced or invalid) and stays unusable until a new one is entered\n"
	noteSMSStart      = "note: if the resident texted STOP, the SMS provider also holds the number until they text START (再開) once\n"
)

// Resubscribe switches the resident's channel back on after their own
// opt-out, because they asked in person (docs/domain.md §11.17): a
// re-import never does, whatever its consent column says. The contact is
// consented and no longer opted out, and the resident's cards are planned
// again, so that the next tick sends what is most urgent then. Invalid: a
// channel other than email or sms (field "channel"), no address on it, or
// no opt-out to undo.
func (d *Desk) Resubscribe(ctx context.Context, a auth.Actor, p ResubscribeParams) (*ResubscribeResult, error) {
	if p.Channel != kigen.Email && p.Channel != kigen.SMS {
		return nil, kigen.FieldKeyf("channel", "resubscribe.channel", "%s is not a channel: email or sms", strconv.Quote(string(p.Channel)))
	}
	var res *ResubscribeResult
	err := d.residentAction(ctx, a, auth.ResidentResubscribe, p.ResidentParams, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		ref := h.Resident.Ref
		c := h.Contact(p.Channel)
		switch {
		case c == nil || c.Address == "":
			return kigen.Keyf(kigen.EINVALID, "resubscribe.no_address", "resident %s has no %s address: enter one first (kigen import)", ref, p.Channel)
		case !c.OptedOut:
			return kigen.Keyf(kigen.EINVALID, "resubscribe.not_opted_out", "resident %s has not opted out of %s: nothing to switch back on", ref, p.Channel)
		}
		c.OptedOut, c.Consent = false, true
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
		res = &ResubscribeResult{Ref: ref, Channel: p.Channel, AddressFailed: c.Failed,
			ReachedBy: append([]kigen.Channel{}, kigen.SendChannels(h.Resident.Channel, contacts)...)}
		if c.Failed {
			res.Note += noteAddressFailed
		}
		if p.Channel == kigen.SMS {
			res.Note += noteSMSStart
		}
		e.Detail = fmt.Sprintf("%s back on: the resident asked in person", p.Channel)
		return nil
	})
	return res, err
}
