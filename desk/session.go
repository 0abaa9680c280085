// Signing in and out: logins with their throttle, sessions with their
// idle and absolute limits (docs/accounts.md).

package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// audit writes an entry of what is not an authorized action (setup,
// login, logout).
func audit(ctx context.Context, tx store.Tx, a auth.Actor, action string, municipalityID int64, detail string) error {
	e := &store.AuditEntry{ActorID: a.ID, ActorRole: string(a.Role), Action: action, MunicipalityID: municipalityID, Detail: detail}
	if err := tx.CreateAuditEntry(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// newSession starts a session of acc: a new token (never one the client
// had: no fixation), SessionMax from now at the latest.
func (d *Desk) newSession(ctx context.Context, tx store.Tx, acc *store.Account, code string, now time.Time) (*SessionToken, error) {
	// Sessions that ended by themselves are removed as new ones start: the
	// table holds those that may still be used, and a few more.
	if _, err := tx.DeleteExpiredSessions(ctx, now, now.Add(-SessionIdle)); err != nil {
		return nil, err
	}
	token, hash := auth.NewToken()
	s := &store.Session{Hash: hash, AccountID: acc.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionMax)}
	if err := tx.CreateSession(ctx, s); err != nil {
		return nil, err
	}
	return &SessionToken{Token: token, ExpiresAt: s.ExpiresAt, Actor: accountActor(acc, code), Staff: staffOf(acc, code, now)}, nil
}

// errLogin is the answer to a wrong email, password or code, the same for
// each so that no one learns which accounts exist.
var errLogin = kigen.Keyf(kigen.EUNAUTHORIZED, "login.refused", "the email address, the password or the code from the authenticator app is not right")

// Login signs a person in with their email, password and current TOTP
// code, and returns a new session. Refusals: unauthorized (the same
// answer for an unknown email, a wrong password or a wrong code, or an
// account not set up; a disabled account says so once the password and
// code are right); invalid (field totp) for a code used already; locked
// (kigen.ELOCKED, saying until when) for an account with LockAfter failed
// logins within LockWindow — locked for LockFor, or until an admin
// unlocks it — and for a client with ClientLimit. Every failure is
// recorded (and, for a known account, audited), even though the login is
// refused.
func (d *Desk) Login(ctx context.Context, p LoginParams) (*SessionToken, error) {
	now := d.now()
	var (
		out     *SessionToken
		refusal *kigen.Error
	)
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		out, refusal, err = d.login(ctx, tx, p, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, refusal
	}
	return out, nil
}

// login returns the session, or the refusal (with the failure recorded
// in tx, which commits), or an error (tx rolls back).
func (d *Desk) login(ctx context.Context, tx store.Tx, p LoginParams, now time.Time) (*SessionToken, *kigen.Error, error) {
	since := now.Add(-LockWindow)
	if p.ClientKey == "" {
		p.ClientKey = "unknown" // counted together, never as "any client"
	}
	if _, err := tx.DeleteLoginFailuresBefore(ctx, since); err != nil {
		return nil, nil, err
	}
	n, err := tx.CountLoginFailures(ctx, store.LoginFailureFilter{ClientKey: p.ClientKey, Since: since})
	if err != nil {
		return nil, nil, err
	}
	if n >= ClientLimit {
		return nil, kigen.Keyf(kigen.ELOCKED, "login.client_locked", "too many failed logins from here: try again after %s", tokyoTime(now.Add(LockWindow))), nil
	}
	acc, err := tx.GetAccountByEmail(ctx, normEmail(p.Email))
	if errors.Is(err, store.ErrNotFound) {
		_, _ = auth.VerifyPassword(d.dummyHash(), p.Password)
		return nil, errLogin, tx.CreateLoginFailure(ctx, store.LoginFailure{ClientKey: p.ClientKey, At: now})
	} else if err != nil {
		return nil, nil, err
	}
	code, err := codeOf(ctx, tx, acc.MunicipalityID)
	if err != nil {
		return nil, nil, err
	}
	actor := accountActor(acc, code)
	if acc.LockedUntil.After(now) {
		// Not counted against the account (it is locked already), but
		// against the client.
		return nil, locked(acc.LockedUntil), tx.CreateLoginFailure(ctx, store.LoginFailure{ClientKey: p.ClientKey, At: now})
	}
	// fail records a failed login of the account, locks it at the
	// LockAfter-th, and returns refusal (or the lock).
	fail := func(refusal *kigen.Error, why string) (*SessionToken, *kigen.Error, error) {
		if err := tx.CreateLoginFailure(ctx, store.LoginFailure{AccountID: acc.ID, ClientKey: p.ClientKey, At: now}); err != nil {
			return nil, nil, err
		}
		if err := audit(ctx, tx, actor, auditLoginFailed, acc.MunicipalityID, why); err != nil {
			return nil, nil, err
		}
		n, err := tx.CountLoginFailures(ctx, store.LoginFailureFilter{AccountID: acc.ID, Since: since})
		if err != nil {
			return nil, nil, err
		}
		if n < LockAfter {
			return nil, refusal, nil
		}
		acc.LockedUntil = now.Add(LockFor)
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return nil, nil, err
		}
		if err := tx.DeleteLoginFailures(ctx, acc.ID); err != nil {
			return nil, nil, err
		}
		return nil, locked(acc.LockedUntil), nil
	}
	if !acc.SetupDone || acc.PasswordHash == "" {
		_, _ = auth.VerifyPassword(d.dummyHash(), p.Password)
		return fail(errLogin, "not set up")
	}
	ok, err := auth.VerifyPassword(acc.PasswordHash, p.Password)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return fail(errLogin, "wrong password")
	}
	step, err := auth.VerifyTOTP(acc.TOTPSecret, p.TOTP, now, acc.TOTPLastStep)
	if errors.Is(err, auth.ErrTOTPUsed) {
		return fail(auth.ErrTOTPUsed, "code used already")
	} else if kigen.ErrorCode(err) == kigen.EINVALID {
		return fail(errLogin, "wrong code")
	} else if err != nil {
		return nil, nil, err
	}
	// Atomic: of two logins racing with one code, one wins.
	if err := tx.UseTOTPStep(ctx, acc.ID, step); errors.Is(err, store.ErrConflict) {
		return fail(auth.ErrTOTPUsed, "code used already")
	} else if err != nil {
		return nil, nil, err
	}
	if !acc.DisabledAt.IsZero() {
		return nil, kigen.Keyf(kigen.EUNAUTHORIZED, "login.disabled", "this account is disabled: ask an administrator"), nil
	}
	if err := tx.DeleteLoginFailures(ctx, acc.ID); err != nil {
		return nil, nil, err
	}
	if pp := d.passwordParams(); auth.NeedsRehash(acc.PasswordHash, pp) {
		acc.PasswordHash = auth.HashPassword(pp, p.Password)
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return nil, nil, err
		}
	}
	out, err := d.newSession(ctx, tx, acc, code, now)
	if err != nil {
		return nil, nil, err
	}
	return out, nil, audit(ctx, tx, actor, auditLogin, acc.MunicipalityID, "")
}

func locked(until time.Time) *kigen.Error {
	return kigen.Keyf(kigen.ELOCKED, "login.account_locked", "this account is locked after %d failed logins, until %s; an administrator can unlock it sooner",
		LockAfter, tokyoTime(until))
}

// errSession is the answer for a session that is unknown or has ended.
var errSession = kigen.Keyf(kigen.EUNAUTHORIZED, "login.session_ended", "not signed in, or the session ended: sign in again")

// Session returns the actor of the session token (a cookie's value).
// Unauthorized when there is no such session, or it has ended: idle for
// SessionIdle, SessionMax after its login, or its account disabled (all
// its sessions end then). Its last use is written at most once a minute.
func (d *Desk) Session(ctx context.Context, token string) (auth.Actor, error) {
	now := d.now()
	var a auth.Actor
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.GetSession(ctx, auth.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return errSession
		} else if err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, s.AccountID)
		if err != nil {
			return err
		}
		if !acc.DisabledAt.IsZero() {
			if _, err := tx.DeleteAccountSessions(ctx, acc.ID); err != nil {
				return err
			}
			return nil // committed: the sessions end; errSession below
		}
		if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= SessionIdle {
			return tx.DeleteSession(ctx, s.Hash)
		}
		if now.Sub(s.LastSeenAt) >= touchEvery {
			if err := tx.TouchSession(ctx, s.Hash, now); err != nil {
				return err
			}
		}
		code, err := codeOf(ctx, tx, acc.MunicipalityID)
		if err != nil {
			return err
		}
		a = accountActor(acc, code)
		return nil
	})
	if err != nil {
		return auth.Actor{}, err
	}
	if a.ID == "" {
		return auth.Actor{}, errSession
	}
	return a, nil
}

// Logout ends the session token (nothing if it has ended already).
func (d *Desk) Logout(ctx context.Context, token string) error {
	return d.Store.InTx(ctx, func(tx store.Tx) error {
		s, err := tx.GetSession(ctx, auth.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		acc, err := tx.GetAccount(ctx, s.AccountID)
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(ctx, s.Hash); err != nil {
			return err
		}
		code, err := codeOf(ctx, tx, acc.MunicipalityID)
		if err != nil {
			return err
		}
		return audit(ctx, tx, accountActor(acc, code), auditLogout, acc.MunicipalityID, "")
	})
}
