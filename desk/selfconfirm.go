package desk

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/scheduler"
	"kigen/store"
)

// ConfirmParams confirm a sign-up or a second channel: Token is the token
// of the email's link, or the Handle of SignupStarted with the Code the
// SMS carried.
type ConfirmParams struct {
	Token string `json:"token"`
	Code  string `json:"code,omitempty"`
}

// Confirmed is what a confirmation did. A sign-up creates the resident
// (Ref, Source self) and gives a link to their page: Token (shown once;
// the page is /me/{Token}) until TokenExpiresAt. A sign-up whose address
// a resident of the municipality already has is not created: Duplicate,
// flagged for staff (ListSignupDuplicates), no token. A second channel's
// confirmation (Channel) adds it to the resident Ref.
type Confirmed struct {
	Municipality   string        `json:"municipality"`
	Ref            string        `json:"ref,omitempty"`
	Channel        kigen.Channel `json:"channel"`
	Token          string        `json:"token,omitempty"`
	TokenExpiresAt time.Time     `json:"token_expires_at,omitzero"`
	Duplicate      bool          `json:"duplicate,omitempty"`
	NewChannel     bool          `json:"new_channel,omitempty"`
}

// errNoConfirmation is the answer for a token unknown, used or expired:
// the same for each.
func errNoConfirmation() error {
	return kigen.Errorf(kigen.ENOTFOUND, "this confirmation is not known, was used already or has expired: sign up again")
}

// ConfirmSignup confirms a sign-up (or a second channel, SelfAddChannel) with
// the email link's token, or with the SMS handle and its code. A wrong
// code is invalid (field "code"); after MaxCodeTries wrong codes, or once
// expired, the confirmation is gone (not found). A sign-up confirmed
// creates the resident with a generated reference ("W" and 8 digits),
// source self, the contact consented, their reminders planned, and a link
// to their page (DefaultTokenLifetime); audited as signup.confirm. If a
// resident of the municipality already has the address, no resident is
// created: the sign-up waits for staff as a possible duplicate.
func (d *Desk) ConfirmSignup(ctx context.Context, p ConfirmParams) (*Confirmed, error) {
	hash := auth.HashToken(strings.TrimSpace(p.Token))
	s, err := d.Store.GetSignupByToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoConfirmation()
	} else if err != nil {
		return nil, err
	}
	now := d.now()
	if s.Kind == store.SignupLink || s.State != store.SignupPending || !now.Before(s.ExpiresAt) {
		return nil, errNoConfirmation()
	}
	if s.Channel == kigen.SMS {
		key, err := d.linkKey(ctx, d.Store)
		if err != nil {
			return nil, err
		}
		n, err := d.Store.AttemptSignup(ctx, s.ID)
		if err != nil {
			return nil, err
		}
		if n > MaxCodeTries {
			return nil, errNoConfirmation()
		}
		code := strings.Map(func(r rune) rune {
			if r >= '０' && r <= '９' {
				return r - '０' + '0'
			}
			if r == ' ' || r == '-' {
				return -1
			}
			return r
		}, p.Code)
		if !auth.CodeEqual(code, scheduler.SelfCode(key, s.Nonce)) {
			if n == MaxCodeTries {
				return nil, kigen.FieldErrorf("code", "is not the code sent, and that was the last try: sign up again for a new code")
			}
			return nil, kigen.FieldErrorf("code", "is not the code sent (%d tries left)", MaxCodeTries-n)
		}
	}
	var res *Confirmed
	// Two confirmations of one address in one municipality wait for each
	// other (the second finds the first's resident); others do not.
	lock := fmt.Sprintf("%d:%x", s.MunicipalityID, s.AddressKey)
	err = d.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.LockSignups(ctx, lock); err != nil {
			return err
		}
		s, err := tx.GetSignup(ctx, s.ID)
		if err != nil {
			return err
		}
		if s.State != store.SignupPending {
			return errNoConfirmation() // confirmed meanwhile
		}
		mu, err := d.self().Municipalities.Get(ctx, tx, s.MunicipalityID)
		if err != nil {
			return err
		}
		s.ConfirmedAt = now
		if s.Kind == store.SignupChannel {
			res, err = d.confirmChannel(ctx, tx, mu, s)
		} else {
			res, err = d.confirmSignup(ctx, tx, mu, s)
		}
		return err
	})
	return res, err
}

// confirmSignup creates the resident of sign-up s, or flags s as a
// possible duplicate.
func (d *Desk) confirmSignup(ctx context.Context, tx store.Tx, mu *kigen.Municipality, s *store.Signup) (*Confirmed, error) {
	res := &Confirmed{Municipality: mu.Code, Channel: s.Channel}
	e := &store.AuditEntry{ActorID: fmt.Sprintf("self:signup:%d", s.ID), ActorRole: string(auth.Resident),
		Action: string(auth.SignupConfirm), MunicipalityID: mu.ID}
	if dup, err := residentWithAddress(ctx, tx, mu.ID, s.Channel, s.Address); err != nil {
		return nil, err
	} else if dup != nil {
		s.State, s.DuplicateOf = store.SignupDuplicate, dup.ID
		if err := tx.UpdateSignup(ctx, s); err != nil {
			return nil, err
		}
		res.Duplicate = true
		e.ResidentRef = dup.Ref
		e.Detail = fmt.Sprintf("signup %d confirmed by %s: the address is resident %s's, left to staff", s.ID, s.Channel, cmpRef(dup.Ref))
		return res, tx.CreateAuditEntry(ctx, e)
	}
	var f ResidentFields
	if err := json.Unmarshal([]byte(s.Fields), &f); err != nil {
		return nil, fmt.Errorf("desk: signup %d: fields: %w", s.ID, err)
	}
	ref, err := newSelfRef(ctx, tx, mu.ID)
	if err != nil {
		return nil, err
	}
	id, _, err := d.applyFieldsID(ctx, tx, mu, ref, nil, f)
	if err != nil {
		return nil, err
	} else if id == 0 {
		return nil, fmt.Errorf("desk: signup %d: no resident written", s.ID)
	}
	if err := tx.SetResidentSource(ctx, mu.ID, id, store.SourceSelf); err != nil {
		return nil, err
	}
	token, t, err := d.newResidentToken(ctx, tx, mu.ID, id)
	if err != nil {
		return nil, err
	}
	s.State, s.ResidentID, s.Address, s.Fields = store.SignupConfirmed, id, "", ""
	if err := tx.UpdateSignup(ctx, s); err != nil {
		return nil, err
	}
	res.Ref, res.Token, res.TokenExpiresAt = ref, token, t.ExpiresAt
	e.ResidentRef = ref
	e.Detail = fmt.Sprintf("signup %d confirmed by %s: resident created, consent given", s.ID, s.Channel)
	return res, tx.CreateAuditEntry(ctx, e)
}

// confirmChannel adds the confirmed address of s to its resident, and
// has reminders go out on both channels.
func (d *Desk) confirmChannel(ctx context.Context, tx store.Tx, mu *kigen.Municipality, s *store.Signup) (*Confirmed, error) {
	r, err := tx.GetResident(ctx, mu.ID, s.ResidentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoConfirmation()
	} else if err != nil {
		return nil, err
	}
	h, err := holding(ctx, tx, mu, r.Ref)
	if err != nil {
		return nil, err
	}
	yes, both := "yes", string(kigen.PrefBoth)
	f := ResidentFields{Consent: &yes}
	if s.Channel == kigen.Email {
		f.Email = &s.Address
	} else {
		f.Phone = &s.Address
	}
	other := kigen.SMS
	if s.Channel == kigen.SMS {
		other = kigen.Email
	}
	if c := h.Contact(other); c != nil && c.Address != "" {
		f.Channel = &both
	}
	if _, err := d.applyFields(ctx, tx, mu, r.Ref, h, f); err != nil {
		return nil, err
	}
	// A confirmed address is the resident's own choice: on again if it
	// was opted out.
	if nh, err := reload(ctx, tx, mu, r.Ref); err != nil {
		return nil, err
	} else if c := nh.Contact(s.Channel); c != nil && (c.OptedOut || !c.Consent) {
		c.OptedOut, c.Consent = false, true
		if err := tx.UpsertContact(ctx, mu.ID, c); err != nil {
			return nil, err
		}
		if err := store.Replan(ctx, tx, mu.ID, r.ID, d.today()); err != nil {
			return nil, err
		}
	}
	s.State, s.Address = store.SignupConfirmed, ""
	if err := tx.UpdateSignup(ctx, s); err != nil {
		return nil, err
	}
	e := &store.AuditEntry{ActorID: fmt.Sprintf("self:signup:%d", s.ID), ActorRole: string(auth.Resident),
		Action: string(auth.SelfChannel), MunicipalityID: mu.ID, ResidentRef: r.Ref,
		Detail: fmt.Sprintf("%s confirmed: consent given", s.Channel)}
	return &Confirmed{Municipality: mu.Code, Ref: r.Ref, Channel: s.Channel, NewChannel: true}, tx.CreateAuditEntry(ctx, e)
}

// residentWithAddress returns a resident of the municipality with this
// address on ch (the first by ref), or nil.
func residentWithAddress(ctx context.Context, q store.Queries, municipalityID int64, ch kigen.Channel, addr string) (*kigen.Resident, error) {
	f := store.ResidentSearch{MunicipalityID: municipalityID, Limit: 1}
	if ch == kigen.Email {
		f.Email = addr
	} else {
		f.Phone = addr
	}
	rows, err := q.SearchResidents(ctx, f)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return q.GetResidentByRef(ctx, municipalityID, rows[0].Ref)
}

// newSelfRef returns a reference not taken in the municipality: "W" and 8
// random digits.
func newSelfRef(ctx context.Context, q store.Queries, municipalityID int64) (string, error) {
	for range 20 {
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			return "", err
		}
		ref := fmt.Sprintf("W%08d", n.Int64())
		if _, err := q.GetResidentByRef(ctx, municipalityID, ref); errors.Is(err, store.ErrNotFound) {
			return ref, nil
		} else if err != nil {
			return "", err
		}
	}
	return "", errors.New("desk: no free self-service reference after 20 tries")
}

// newResidentToken stores a new link to the resident's page and returns
// its token.
func (d *Desk) newResidentToken(ctx context.Context, tx store.Tx, municipalityID, residentID int64) (string, *store.ResidentToken, error) {
	token, hash := auth.NewResidentToken()
	now := d.now()
	t := &store.ResidentToken{Hash: hash, MunicipalityID: municipalityID, ResidentID: residentID, CreatedAt: now,
		ExpiresAt: now.Add(d.tokenLifetime())}
	if err := tx.CreateResidentToken(ctx, t); err != nil {
		return "", nil, err
	}
	return token, t, nil
}
