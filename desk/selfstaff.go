package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// SignupListParams list the sign-ups staff must look at in the actor's
// municipality (an operator may not: they hold addresses).
type SignupListParams struct {
	Municipality string `json:"municipality,omitempty"`
}

// SignupView is a sign-up confirmed by its address, not created because a
// resident of the municipality already has that address (a possible
// duplicate): staff compare it with that resident, update them if it is
// the same person, then dismiss it (DismissSignup).
type SignupView struct {
	ID          int64          `json:"id"`
	CreatedAt   time.Time      `json:"created_at"`
	ConfirmedAt time.Time      `json:"confirmed_at"`
	Channel     kigen.Channel  `json:"channel"`
	Address     string         `json:"address"`
	Language    kigen.Language `json:"language"`
	// DuplicateOf is the reference of the resident with the address (""
	// if erased since).
	DuplicateOf string         `json:"duplicate_of"`
	Fields      ResidentFields `json:"fields"`
}

// MaxSignupList bounds ListSignupDuplicates.
const MaxSignupList = 200

// ListSignupDuplicates lists the possible duplicates of the municipality,
// newest first (at most MaxSignupList). Audited as signup.list.
func (d *Desk) ListSignupDuplicates(ctx context.Context, a auth.Actor, p SignupListParams) ([]SignupView, error) {
	var out []SignupView
	err := d.do(ctx, a, auth.SignupList, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.SignupList, p.Municipality, "")
		if err != nil {
			return err
		}
		ss, err := tx.ListSignups(ctx, mu.ID, store.SignupDuplicate, MaxSignupList)
		if err != nil {
			return err
		}
		out = make([]SignupView, 0, len(ss))
		for _, s := range ss {
			v := SignupView{ID: s.ID, CreatedAt: s.CreatedAt, ConfirmedAt: s.ConfirmedAt, Channel: s.Channel, Address: s.Address,
				Language: s.Language}
			if s.Fields != "" {
				if err := json.Unmarshal([]byte(s.Fields), &v.Fields); err != nil {
					return fmt.Errorf("desk: signup %d: fields: %w", s.ID, err)
				}
			}
			if s.DuplicateOf != 0 {
				if r, err := tx.GetResident(ctx, mu.ID, s.DuplicateOf); err == nil {
					v.DuplicateOf = r.Ref
				} else if !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			out = append(out, v)
		}
		e.MunicipalityID = mu.ID
		e.Detail = fmt.Sprintf("duplicates: %d shown", len(out))
		return nil
	})
	return out, err
}

// SignupSettleParams name a possible duplicate to dismiss.
type SignupSettleParams struct {
	Municipality string `json:"municipality,omitempty"`
	ID           int64  `json:"id"`
}

// DismissSignup settles a possible duplicate: it leaves the list and its
// address and fields are forgotten. Not found: no such duplicate in the
// actor's municipality. Audited as signup.settle, naming the resident.
func (d *Desk) DismissSignup(ctx context.Context, a auth.Actor, p SignupSettleParams) error {
	return d.do(ctx, a, auth.SignupSettle, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.SignupSettle, p.Municipality, "")
		if err != nil {
			return err
		}
		s, err := tx.GetSignup(ctx, p.ID)
		if errors.Is(err, store.ErrNotFound) || err == nil && (s.MunicipalityID != mu.ID || s.State != store.SignupDuplicate) {
			return kigen.Errorf(kigen.ENOTFOUND, "no possible duplicate %d in %s %s", p.ID, mu.Code, mu.Name)
		} else if err != nil {
			return err
		}
		if s.DuplicateOf != 0 {
			if r, err := tx.GetResident(ctx, mu.ID, s.DuplicateOf); err == nil {
				e.ResidentRef = r.Ref
			}
		}
		s.State, s.Address, s.Fields = store.SignupDismissed, "", ""
		e.MunicipalityID = mu.ID
		e.Detail = fmt.Sprintf("signup %d dismissed", s.ID)
		return tx.UpdateSignup(ctx, s)
	})
}
