// Calendar feeds: a resident's card deadlines and the dates to go by, as
// an iCalendar feed at /cal/{token}.ics (docs/flyer-calendar.md). The token
// is the credential: issued to staff at the counter or to the resident
// from their own page, shown once, stored hashed, revocable.

package desk

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// CalendarPath is the path of the calendar feed of token.
func CalendarPath(token string) string { return "/cal/" + token + ".ics" }

// CalendarLink is a calendar feed link just issued: its token is shown
// this once (only its hash is stored).
type CalendarLink struct {
	Token string `json:"token"`
	Path  string `json:"path"` // CalendarPath(Token)
	// Revoked is how many earlier links of the resident the new one
	// replaced: a resident has one calendar link at a time.
	Revoked int `json:"revoked"`
}

// CalendarFeed is what a resident's calendar feed shows: their cards'
// deadlines and the dates to go by, in their language, with the
// municipality's names (no name, no address of the resident).
type CalendarFeed struct {
	// Municipality gives the office's name in the resident's language.
	Municipality kigen.Municipality `json:"-"`
	Language     kigen.Language     `json:"language"`
	// Key is stable for the resident and opaque: the events' UIDs derive
	// from it, so that calendar apps update an event when its date moves.
	Key   string         `json:"key"`
	Cards []CalendarCard `json:"cards"`
	// Updated is when a card last changed (zero: no card).
	Updated time.Time `json:"updated"`
}

// CalendarCard is one card of a calendar feed.
type CalendarCard struct {
	Kind      kigen.CardKind `json:"kind"`
	ExpiresOn kigen.Date     `json:"expires_on"`
	// GoBy is the last day on or before ExpiresOn on which the office the
	// card is renewed at is open for it (docs/domain.md §12), on the
	// municipality's calendar.
	GoBy  kigen.Date  `json:"go_by"`
	Visit kigen.Visit `json:"visit"`
	// SpecialPeriodEnds is, for a residence or integrated card whose
	// renewal was applied for, the last day the resident may stay while it
	// is decided (E + 2 months); zero otherwise.
	SpecialPeriodEnds kigen.Date `json:"special_period_ends,omitzero"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// IssueCalendarToken issues a new calendar feed link for the resident p
// names and revokes the resident's earlier ones: staff or an admin at the
// counter, or the resident themself (resident.calendar). The token is in
// the result only.
func (d *Desk) IssueCalendarToken(ctx context.Context, a auth.Actor, p ResidentParams) (*CalendarLink, error) {
	var out *CalendarLink
	err := d.residentAction(ctx, a, auth.ResidentCalendar, p, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		n, err := tx.RevokeCalendarTokens(ctx, mu.ID, h.Resident.ID, d.now())
		if err != nil {
			return err
		}
		token, hash := auth.NewToken()
		t := &store.CalendarToken{Hash: hash, MunicipalityID: mu.ID, ResidentID: h.Resident.ID, CreatedBy: a.ID, CreatedAt: d.now()}
		if err := tx.CreateCalendarToken(ctx, t); err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("calendar link %d issued, %d revoked", t.ID, n)
		out = &CalendarLink{Token: token, Path: CalendarPath(token), Revoked: n}
		return nil
	})
	return out, err
}

// RevokeCalendarToken revokes every calendar feed link of the resident p
// names (resident.calendar) and returns how many it revoked; none is not
// an error.
func (d *Desk) RevokeCalendarToken(ctx context.Context, a auth.Actor, p ResidentParams) (int, error) {
	var n int
	err := d.residentAction(ctx, a, auth.ResidentCalendar, p, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		var err error
		if n, err = tx.RevokeCalendarTokens(ctx, mu.ID, h.Resident.ID, d.now()); err != nil {
			return err
		}
		e.Detail = fmt.Sprintf("%d calendar links revoked", n)
		return nil
	})
	return n, err
}

// SelfCalendarLink is IssueCalendarToken for the resident actor a on
// their own page (/me/{token}, ResidentActor): a new calendar link for
// themself, the earlier ones revoked. The resident pages call it on a POST
// and show the link (CalendarLink.Path under KIGEN_PUBLIC_URL) once.
func (d *Desk) SelfCalendarLink(ctx context.Context, a auth.Actor) (*CalendarLink, error) {
	if a.Role != auth.Resident {
		return nil, kigen.Errorf(kigen.EUNAUTHORIZED, "only a resident asks for their own calendar link")
	}
	return d.IssueCalendarToken(ctx, a, ResidentParams{Ref: a.ResidentRef})
}

// SelfRevokeCalendar is RevokeCalendarToken for the resident actor a on
// their own page: every calendar link of theirs stops working.
func (d *Desk) SelfRevokeCalendar(ctx context.Context, a auth.Actor) (int, error) {
	if a.Role != auth.Resident {
		return 0, kigen.Errorf(kigen.EUNAUTHORIZED, "only a resident revokes their own calendar links here")
	}
	return d.RevokeCalendarToken(ctx, a, ResidentParams{Ref: a.ResidentRef})
}

// errNoFeed is the answer for a calendar token that is malformed, unknown
// or revoked: the same for all three.
var errNoFeed = kigen.Errorf(kigen.ENOTFOUND, "no calendar feed at this address: the link is unknown or was revoked")

// CalendarFeed returns the calendar feed of token, the path's credential:
// the resident it was issued for reads their own record, audited as
// resident.view by the actor "calendar:ID" (the token's ID). A malformed,
// unknown or revoked token is ENOTFOUND.
func (d *Desk) CalendarFeed(ctx context.Context, token string) (*CalendarFeed, error) {
	if b, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(b) != auth.TokenSize {
		return nil, errNoFeed
	}
	var out *CalendarFeed
	// The actor is known once the token is: fn names it.
	err := d.do(ctx, auth.Actor{ID: "calendar", Role: auth.Resident}, auth.ResidentView, func(tx store.Tx, e *store.AuditEntry) error {
		t, err := tx.GetCalendarTokenByHash(ctx, auth.HashToken(token))
		if errors.Is(err, store.ErrNotFound) || err == nil && !t.RevokedAt.IsZero() {
			return errNoFeed
		} else if err != nil {
			return err
		}
		mu, err := tx.GetMunicipality(ctx, t.MunicipalityID)
		if err != nil {
			return err
		}
		r, err := tx.GetResident(ctx, mu.ID, t.ResidentID)
		if err != nil {
			return err
		}
		a := auth.Actor{ID: "calendar:" + strconv.FormatInt(t.ID, 10), Role: auth.Resident, MunicipalityID: mu.ID,
			MunicipalityCode: mu.Code, ResidentRef: r.Ref}
		if err := auth.AuthorizeResident(a, auth.ResidentView, mu.ID, r.Ref); err != nil {
			return err
		}
		cards, err := tx.ListCards(ctx, mu.ID, r.ID)
		if err != nil {
			return err
		}
		out = calendarOf(mu, r, cards)
		e.ActorID, e.MunicipalityID, e.ResidentRef, e.Detail = a.ID, mu.ID, r.Ref, "calendar feed"
		return nil
	})
	return out, err
}

// calendarOf is the calendar feed of resident r of mu with these cards.
func calendarOf(mu *kigen.Municipality, r *kigen.Resident, cards []*kigen.Card) *CalendarFeed {
	key := sha256.Sum256([]byte("kigen calendar " + mu.Code + " " + strconv.FormatInt(r.ID, 10)))
	f := &CalendarFeed{Municipality: *mu, Language: r.Language, Key: hex.EncodeToString(key[:10]), Cards: []CalendarCard{}}
	for _, c := range cards {
		if r.Status == kigen.SpecialPermanent && c.Kind == kigen.ResidenceCard {
			continue // no residence card: nothing to renew (docs/domain.md §2)
		}
		v := c.Kind.Visit()
		cc := CalendarCard{Kind: c.Kind, ExpiresOn: c.ExpiresOn, GoBy: mu.Calendar.GoBy(c.ExpiresOn, v), Visit: v, UpdatedAt: c.UpdatedAt}
		if !c.RenewalAppliedOn.IsZero() && v == kigen.AtImmigration {
			cc.SpecialPeriodEnds = kigen.SpecialPeriodEnds(c.ExpiresOn)
		}
		f.Cards = append(f.Cards, cc)
		if c.UpdatedAt.After(f.Updated) {
			f.Updated = c.UpdatedAt
		}
	}
	slices.SortFunc(f.Cards, func(a, b CalendarCard) int {
		return slices.Index(kigen.CardKinds, a.Kind) - slices.Index(kigen.CardKinds, b.Kind)
	})
	return f
}

// Flyer returns the municipality whose printed flyer the actor prints:
// staff's or an admin's own (code may be empty), or the one code names for
// an operator (municipality.view, audited with the detail "flyer").
func (d *Desk) Flyer(ctx context.Context, a auth.Actor, code string) (*kigen.Municipality, error) {
	var out *kigen.Municipality
	err := d.do(ctx, a, auth.MunicipalityView, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.MunicipalityView, code, "")
		if err != nil {
			return err
		}
		out, e.MunicipalityID, e.Detail = mu, mu.ID, "flyer"
		return nil
	})
	return out, err
}
