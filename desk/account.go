package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// The account rules (docs/accounts.md).
const (
	// SetupLinkTTL is how long a setup link stays valid.
	SetupLinkTTL = 72 * time.Hour
	// SessionIdle ends a session not used for this long; SessionMax ends
	// any session this long after its login.
	SessionIdle = 30 * time.Minute
	SessionMax  = 12 * time.Hour
	// LockAfter failed logins of an account within LockWindow lock it for
	// LockFor; ClientLimit failed logins of one client within LockWindow
	// refuse that client's logins until fewer remain in the window.
	LockAfter   = 5
	LockWindow  = 15 * time.Minute
	LockFor     = 15 * time.Minute
	ClientLimit = 20
	// touchEvery is how often a session's last use, or an API token's, is
	// written: at most once a minute, not at every request.
	touchEvery = time.Minute
)

// The audit log's names for what is not an authorized action: signing in
// and out, and setting up an account through its link.
const (
	auditSetup       = "account.setup"
	auditLogin       = "session.login"
	auditLoginFailed = "session.login_failed"
	auditLogout      = "session.logout"
)

// Staff is an account as the desk shows it. Its email is shown to the
// admins and operators who manage it, never logged.
type Staff struct {
	ID    int64     `json:"id"`
	Email string    `json:"email"`
	Role  auth.Role `json:"role"`
	// Municipality is the code of a staff member's or admin's
	// municipality; empty for an operator.
	Municipality string `json:"municipality,omitempty"`
	// State is invited (the setup link not used yet), active, locked
	// (after failed logins, until LockedUntil) or disabled.
	State       string     `json:"state"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	DisabledAt  *time.Time `json:"disabled_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// The states of an account.
const (
	StaffInvited  = "invited"
	StaffActive   = "active"
	StaffLocked   = "locked"
	StaffDisabled = "disabled"
)

// StaffParams invite a person.
type StaffParams struct {
	Email string    `json:"email"`
	Role  auth.Role `json:"role"` // staff, admin or operator
	// Municipality is the code of the municipality of a staff member or an
	// admin (an admin inviting: their own, may be empty); empty for an
	// operator.
	Municipality string `json:"municipality,omitempty"`
}

// SetupLink is a one-time setup link: Token goes into the path
// /console/setup/{token}. It is shown once and stored hashed.
type SetupLink struct {
	Staff     *Staff    `json:"staff"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Setup is what the setup page shows: whose account, and the
// authenticator to enrol (the otpauth URI for a QR code, and the secret
// to type in).
type Setup struct {
	Email      string    `json:"email"`
	Role       auth.Role `json:"role"`
	TOTPURI    string    `json:"totp_uri"`
	TOTPSecret string    `json:"totp_secret"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// LoginParams are a login attempt. ClientKey is an opaque key of the
// client chosen by the surface (e.g. a hash of its address): failed logins
// are counted per account and per client key.
type LoginParams struct {
	Email     string `json:"email"`
	Password  string `json:"-"`
	TOTP      string `json:"-"`
	ClientKey string `json:"-"`
}

// SessionToken is a new session: Token goes into the cookie (shown once,
// stored hashed); the session ends at ExpiresAt at the latest.
type SessionToken struct {
	Token     string     `json:"-"`
	ExpiresAt time.Time  `json:"expires_at"`
	Actor     auth.Actor `json:"actor"`
	Staff     *Staff     `json:"staff"`
}

// TokenParams create an API token.
type TokenParams struct {
	// Municipality is the code of the token's municipality (an admin's
	// own: may be empty).
	Municipality string `json:"municipality,omitempty"`
	// Name says what the token is for (letters, digits, . _ -), e.g.
	// resident-system; it is part of the actor ID in the audit log.
	Name string `json:"name"`
	// Scope is read or write; empty: read.
	Scope string `json:"scope,omitempty"`
}

// The scopes of an API token.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// Token is an API token as the desk shows it (never its secret).
type Token struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Municipality string     `json:"municipality"`
	Scope        string     `json:"scope"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
}

// NewToken is a token just created: Secret is the bearer token, shown
// this once.
type NewToken struct {
	Token  *Token `json:"token"`
	Secret string `json:"secret"`
}

func (d *Desk) passwordParams() auth.PasswordParams {
	if d.PasswordParams == nil {
		return auth.DefaultPasswordParams
	}
	return *d.PasswordParams
}

// dummyHashes holds, per parameters, a hash that a login of an unknown
// email is checked against, so that it takes as long as a wrong password.
var dummyHashes sync.Map // auth.PasswordParams → string

func (d *Desk) dummyHash() string {
	p := d.passwordParams()
	if h, ok := dummyHashes.Load(p); ok {
		return h.(string)
	}
	h, _ := dummyHashes.LoadOrStore(p, auth.HashPassword(p, "no account has this password"))
	return h.(string)
}

// normEmail is the form an email is stored and looked up in.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

func checkEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return kigen.FieldErrorf("email", "%s is not an email address (name@example.jp)", kigen.Quote(email))
	}
	return nil
}

func noAccount(email string) error {
	return kigen.Errorf(kigen.ENOTFOUND, "no account %s", kigen.Quote(normEmail(email)))
}

// tokyoTime formats t for a message: 2026-12-04 12:34 JST.
func tokyoTime(t time.Time) string { return t.In(kigen.Tokyo).Format("2006-01-02 15:04 MST") }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// staffOf returns acc as the desk shows it at now; codes maps municipality
// IDs to codes.
func staffOf(acc *store.Account, code string, now time.Time) *Staff {
	s := &Staff{ID: acc.ID, Email: acc.Email, Role: auth.Role(acc.Role), Municipality: code, CreatedAt: acc.CreatedAt,
		DisabledAt: timePtr(acc.DisabledAt)}
	switch {
	case !acc.DisabledAt.IsZero():
		s.State = StaffDisabled
	case acc.LockedUntil.After(now):
		s.State, s.LockedUntil = StaffLocked, timePtr(acc.LockedUntil)
	case !acc.SetupDone:
		s.State = StaffInvited
	default:
		s.State = StaffActive
	}
	return s
}

// codeOf returns the code of the municipality id (zero: "").
func codeOf(ctx context.Context, q store.Queries, id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	mu, err := q.GetMunicipality(ctx, id)
	if err != nil {
		return "", err
	}
	return mu.Code, nil
}

// accountActor is the actor of a signed-in account.
func accountActor(acc *store.Account, code string) auth.Actor {
	return auth.Actor{ID: fmt.Sprintf("account:%d", acc.ID), Role: auth.Role(acc.Role), MunicipalityID: acc.MunicipalityID, MunicipalityCode: code}
}

// newSetupLink stores a new setup link of acc, valid SetupLinkTTL from now.
func (d *Desk) newSetupLink(ctx context.Context, tx store.Tx, acc *store.Account, code string, now time.Time) (*SetupLink, error) {
	token, hash := auth.NewToken()
	st := &store.SetupToken{Hash: hash, AccountID: acc.ID, CreatedAt: now, ExpiresAt: now.Add(SetupLinkTTL)}
	if err := tx.CreateSetupToken(ctx, st); err != nil {
		return nil, err
	}
	return &SetupLink{Staff: staffOf(acc, code, now), Token: token, ExpiresAt: st.ExpiresAt}, nil
}

// InviteStaff creates the account of a staff member or an admin of a
// municipality (its admin, or an operator), or of an operator (a local
// operator only: the command line), and returns its one-time setup link,
// valid SetupLinkTTL. Invalid: a bad email or role, a municipality given
// for an operator; conflict: the email has an account already.
func (d *Desk) InviteStaff(ctx context.Context, a auth.Actor, p StaffParams) (*SetupLink, error) {
	if err := mayTake(a, auth.StaffInvite, ""); err != nil {
		return nil, err
	}
	email := normEmail(p.Email)
	var errs []error
	if err := checkEmail(email); err != nil {
		errs = append(errs, err)
	}
	switch p.Role {
	case auth.Staff, auth.Admin:
	case auth.Operator:
		if p.Municipality != "" {
			errs = append(errs, kigen.FieldErrorf("municipality", "an operator belongs to no municipality: give none"))
		}
	default:
		errs = append(errs, kigen.FieldErrorf("role", "%s is not a role of an account: staff, admin or operator", kigen.Quote(string(p.Role))))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	now := d.now()
	var link *SetupLink
	err := d.do(ctx, a, auth.StaffInvite, func(tx store.Tx, e *store.AuditEntry) error {
		acc := &store.Account{Email: email, Role: string(p.Role), CreatedAt: now}
		var code string
		if p.Role == auth.Operator {
			if a.Role != auth.Operator || !a.Local {
				return kigen.Errorf(kigen.EUNAUTHORIZED, "only an operator at the command line (kigen staff add) may create an operator account")
			}
		} else {
			mu, err := scope(ctx, tx, a, auth.StaffInvite, p.Municipality, "")
			if err != nil {
				return err
			}
			acc.MunicipalityID, code = mu.ID, mu.Code
		}
		if err := tx.CreateAccount(ctx, acc); errors.Is(err, store.ErrConflict) {
			return kigen.Errorf(kigen.ECONFLICT, "there is already an account for %s", email)
		} else if err != nil {
			return err
		}
		var err error
		if link, err = d.newSetupLink(ctx, tx, acc, code, now); err != nil {
			return err
		}
		e.MunicipalityID, e.Detail = acc.MunicipalityID, fmt.Sprintf("account %d, role %s", acc.ID, acc.Role)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return link, nil
}

// setupAccount returns the account of a valid setup link: not found when
// the link is unknown, used or replaced, or its account disabled; invalid
// when it expired.
func (d *Desk) setupAccount(ctx context.Context, tx store.Tx, token string, now time.Time) (*store.SetupToken, *store.Account, error) {
	invalid := kigen.Errorf(kigen.ENOTFOUND, "this setup link is not valid: it was used or replaced, or never existed; ask an administrator for a new one")
	st, err := tx.GetSetupToken(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, invalid
	} else if err != nil {
		return nil, nil, err
	}
	if !st.UsedAt.IsZero() {
		return nil, nil, invalid
	}
	if !now.Before(st.ExpiresAt) {
		return nil, nil, kigen.Errorf(kigen.EINVALID, "this setup link expired at %s: ask an administrator for a new one", tokyoTime(st.ExpiresAt))
	}
	acc, err := tx.GetAccount(ctx, st.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if !acc.DisabledAt.IsZero() {
		return nil, nil, invalid
	}
	return st, acc, nil
}

// SetupInfo returns what the setup page of the link token shows. The
// authenticator's secret is chosen at the first visit and kept, so that
// the QR code stays the same if the page is loaded again.
func (d *Desk) SetupInfo(ctx context.Context, token string) (*Setup, error) {
	now := d.now()
	var out *Setup
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		st, acc, err := d.setupAccount(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if acc.TOTPSecret == "" {
			acc.TOTPSecret = auth.NewTOTPSecret()
			if err := tx.UpdateAccount(ctx, acc); err != nil {
				return err
			}
		}
		uri, err := auth.TOTPURI(acc.TOTPSecret, acc.Email)
		if err != nil {
			return err
		}
		out = &Setup{Email: acc.Email, Role: auth.Role(acc.Role), TOTPURI: uri, TOTPSecret: acc.TOTPSecret, ExpiresAt: st.ExpiresAt}
		return nil
	})
	return out, err
}

// CompleteSetup sets the password of the account of the setup link token
// and enrols its authenticator, proven by its first code; the link is then
// used, and the person signed in (a new session). Invalid: the password
// breaks the policy (field password, saying which rule) or the code is not
// right (field totp), both reported at once; SetupInfo must have been
// called first (it chooses the secret).
func (d *Desk) CompleteSetup(ctx context.Context, token, password, code string) (*SessionToken, error) {
	now := d.now()
	var out *SessionToken
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		st, acc, err := d.setupAccount(ctx, tx, token, now)
		if err != nil {
			return err
		}
		if acc.TOTPSecret == "" {
			return kigen.FieldErrorf("totp", "open the setup page first: it shows the authenticator to enrol")
		}
		var errs []error
		if err := auth.CheckPassword(password, acc.Email); err != nil {
			errs = append(errs, err)
		}
		step, err := auth.VerifyTOTP(acc.TOTPSecret, code, now, acc.TOTPLastStep)
		if kigen.ErrorCode(err) == kigen.EINVALID {
			errs = append(errs, err)
		} else if err != nil {
			return err
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
		if err := tx.UseSetupToken(ctx, st.Hash, now); err != nil {
			return err
		}
		if err := tx.UseTOTPStep(ctx, acc.ID, step); errors.Is(err, store.ErrConflict) {
			return auth.ErrTOTPUsed
		} else if err != nil {
			return err
		}
		acc.PasswordHash = auth.HashPassword(d.passwordParams(), password)
		acc.TOTPLastStep, acc.SetupDone, acc.LockedUntil = step, true, time.Time{}
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		if err := tx.DeleteLoginFailures(ctx, acc.ID); err != nil {
			return err
		}
		codeM, err := codeOf(ctx, tx, acc.MunicipalityID)
		if err != nil {
			return err
		}
		if out, err = d.newSession(ctx, tx, acc, codeM, now); err != nil {
			return err
		}
		return audit(ctx, tx, out.Actor, auditSetup, acc.MunicipalityID, fmt.Sprintf("account %d", acc.ID))
	})
	return out, err
}

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
var errLogin = kigen.Errorf(kigen.EUNAUTHORIZED, "the email address, the password or the code from the authenticator app is not right")

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
		return nil, kigen.Errorf(kigen.ELOCKED, "too many failed logins from here: try again after %s", tokyoTime(now.Add(LockWindow))), nil
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
		return nil, kigen.Errorf(kigen.EUNAUTHORIZED, "this account is disabled: ask an administrator"), nil
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
	return kigen.Errorf(kigen.ELOCKED, "this account is locked after %d failed logins, until %s; an administrator can unlock it sooner",
		LockAfter, tokyoTime(until))
}

// errSession is the answer for a session that is unknown or has ended.
var errSession = kigen.Errorf(kigen.EUNAUTHORIZED, "not signed in, or the session ended: sign in again")

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

// ListStaff returns the accounts of a municipality by email: an admin's
// own (code may be empty), or, for an operator, the one code names, or
// every account (operators' too) when code is empty.
func (d *Desk) ListStaff(ctx context.Context, a auth.Actor, code string) ([]*Staff, error) {
	if err := mayTake(a, auth.StaffList, ""); err != nil {
		return nil, err
	}
	now := d.now()
	var out []*Staff
	err := d.do(ctx, a, auth.StaffList, func(tx store.Tx, e *store.AuditEntry) error {
		var mid int64
		if a.Role != auth.Operator || code != "" {
			mu, err := scope(ctx, tx, a, auth.StaffList, code, "")
			if err != nil {
				return err
			}
			mid = mu.ID
		}
		accs, err := tx.ListAccounts(ctx, mid)
		if err != nil {
			return err
		}
		codes, err := municipalityCodes(ctx, tx)
		if err != nil {
			return err
		}
		for _, acc := range accs {
			out = append(out, staffOf(acc, codes[acc.MunicipalityID], now))
		}
		e.MunicipalityID, e.Detail = mid, fmt.Sprintf("%d accounts", len(out))
		return nil
	})
	return out, err
}

func municipalityCodes(ctx context.Context, q store.Queries) (map[int64]string, error) {
	ms, err := q.ListMunicipalities(ctx)
	codes := make(map[int64]string, len(ms))
	for _, mu := range ms {
		codes[mu.ID] = mu.Code
	}
	return codes, err
}

// manage runs act on the account email: found, and the actor may take act
// on it (an admin: of their municipality; an operator account: a local
// operator only), else not found — the same answer as for no account.
// fn changes acc; UpdateAccount saves it.
func (d *Desk) manage(ctx context.Context, a auth.Actor, act auth.Action, email string,
	fn func(tx store.Tx, acc *store.Account, code string) error) (*Staff, error) {
	if err := mayTake(a, act, ""); err != nil {
		return nil, err
	}
	now := d.now()
	var out *Staff
	err := d.do(ctx, a, act, func(tx store.Tx, e *store.AuditEntry) error {
		acc, err := tx.GetAccountByEmail(ctx, normEmail(email))
		if errors.Is(err, store.ErrNotFound) {
			return noAccount(email)
		} else if err != nil {
			return err
		}
		if err := auth.AuthorizeAccount(a, act, acc.MunicipalityID, auth.Role(acc.Role)); kigen.ErrorCode(err) == kigen.ENOTFOUND {
			return noAccount(email)
		} else if err != nil {
			return err
		}
		code, err := codeOf(ctx, tx, acc.MunicipalityID)
		if err != nil {
			return err
		}
		if err := fn(tx, acc, code); err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, acc); err != nil {
			return err
		}
		out = staffOf(acc, code, now)
		e.MunicipalityID, e.Detail = acc.MunicipalityID, fmt.Sprintf("account %d", acc.ID)
		return nil
	})
	return out, err
}

// DisableStaff disables the account email: its sessions end, its setup
// links stop working, it can no longer sign in (ResetStaff enables it
// again). Disabling a disabled account changes nothing.
func (d *Desk) DisableStaff(ctx context.Context, a auth.Actor, email string) (*Staff, error) {
	now := d.now()
	return d.manage(ctx, a, auth.StaffDisable, email, func(tx store.Tx, acc *store.Account, _ string) error {
		if acc.DisabledAt.IsZero() {
			acc.DisabledAt = now
		}
		if _, err := tx.DeleteAccountSessions(ctx, acc.ID); err != nil {
			return err
		}
		return tx.DeleteSetupTokens(ctx, acc.ID)
	})
}

// ResetStaff starts the account email over: its password and
// authenticator are cleared, its sessions and old setup links end, it is
// enabled and unlocked, and a new setup link (SetupLinkTTL) is returned —
// for a lost phone or a forgotten password, or to enable a disabled
// account again.
func (d *Desk) ResetStaff(ctx context.Context, a auth.Actor, email string) (*SetupLink, error) {
	now := d.now()
	var link *SetupLink
	_, err := d.manage(ctx, a, auth.StaffReset, email, func(tx store.Tx, acc *store.Account, code string) error {
		acc.PasswordHash, acc.TOTPSecret, acc.SetupDone = "", "", false
		acc.LockedUntil, acc.DisabledAt = time.Time{}, time.Time{}
		for _, f := range []func(context.Context, int64) error{tx.DeleteSetupTokens, tx.DeleteLoginFailures} {
			if err := f(ctx, acc.ID); err != nil {
				return err
			}
		}
		if _, err := tx.DeleteAccountSessions(ctx, acc.ID); err != nil {
			return err
		}
		var err error
		link, err = d.newSetupLink(ctx, tx, acc, code, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	link.Staff.State = StaffInvited
	return link, nil
}

// UnlockStaff lifts the lock of the account email after failed logins,
// and forgets them.
func (d *Desk) UnlockStaff(ctx context.Context, a auth.Actor, email string) (*Staff, error) {
	return d.manage(ctx, a, auth.StaffUnlock, email, func(tx store.Tx, acc *store.Account, _ string) error {
		acc.LockedUntil = time.Time{}
		return tx.DeleteLoginFailures(ctx, acc.ID)
	})
}

func tokenOf(t *store.APIToken, code string) *Token {
	return &Token{ID: t.ID, Name: t.Name, Municipality: code, Scope: t.Scope, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt,
		LastUsedAt: timePtr(t.LastUsedAt), RevokedAt: timePtr(t.RevokedAt)}
}

// checkTokenName: 1 to 64 letters, digits, '.', '_' or '-'; the name goes
// into the actor ID of every audit entry the token writes.
func checkTokenName(name string) error {
	if name == "" || len(name) > 64 || strings.TrimFunc(name, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
	}) != "" {
		return kigen.FieldErrorf("name", "a token's name has 1 to 64 letters, digits, dots, underscores or hyphens (e.g. resident-system)")
	}
	return nil
}

// CreateToken creates an API token of a municipality (its admin, or an
// operator) and returns it with its secret, shown this once (only its hash
// is stored). Invalid: a bad name or scope.
func (d *Desk) CreateToken(ctx context.Context, a auth.Actor, p TokenParams) (*NewToken, error) {
	if err := mayTake(a, auth.TokenCreate, ""); err != nil {
		return nil, err
	}
	if p.Scope == "" {
		p.Scope = ScopeRead
	}
	var errs []error
	if err := checkTokenName(p.Name); err != nil {
		errs = append(errs, err)
	}
	if p.Scope != ScopeRead && p.Scope != ScopeWrite {
		errs = append(errs, kigen.FieldErrorf("scope", "%s is not a scope: read or write", kigen.Quote(p.Scope)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	now := d.now()
	var out *NewToken
	err := d.do(ctx, a, auth.TokenCreate, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.TokenCreate, p.Municipality, "")
		if err != nil {
			return err
		}
		secret, hash := auth.NewToken()
		t := &store.APIToken{Hash: hash, Name: p.Name, MunicipalityID: mu.ID, Scope: p.Scope, CreatedBy: a.ID, CreatedAt: now}
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return err
		}
		out = &NewToken{Token: tokenOf(t, mu.Code), Secret: secret}
		e.MunicipalityID, e.Detail = mu.ID, fmt.Sprintf("token %d, scope %s", t.ID, t.Scope)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListTokens returns the API tokens of a municipality (revoked ones too)
// by ID: an admin's own (code may be empty), or, for an operator, the one
// code names, or every municipality's when code is empty.
func (d *Desk) ListTokens(ctx context.Context, a auth.Actor, code string) ([]*Token, error) {
	if err := mayTake(a, auth.TokenList, ""); err != nil {
		return nil, err
	}
	var out []*Token
	err := d.do(ctx, a, auth.TokenList, func(tx store.Tx, e *store.AuditEntry) error {
		var mid int64
		if a.Role != auth.Operator || code != "" {
			mu, err := scope(ctx, tx, a, auth.TokenList, code, "")
			if err != nil {
				return err
			}
			mid = mu.ID
		}
		ts, err := tx.ListAPITokens(ctx, mid)
		if err != nil {
			return err
		}
		codes, err := municipalityCodes(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			out = append(out, tokenOf(t, codes[t.MunicipalityID]))
		}
		e.MunicipalityID, e.Detail = mid, fmt.Sprintf("%d tokens", len(out))
		return nil
	})
	return out, err
}

// RevokeToken revokes the API token id: it stops working at once.
// Not found: no such token, or one of another municipality than the
// admin's. Revoking a revoked token changes nothing.
func (d *Desk) RevokeToken(ctx context.Context, a auth.Actor, id int64) (*Token, error) {
	if err := mayTake(a, auth.TokenRevoke, ""); err != nil {
		return nil, err
	}
	now := d.now()
	var out *Token
	err := d.do(ctx, a, auth.TokenRevoke, func(tx store.Tx, e *store.AuditEntry) error {
		t, err := tx.GetAPIToken(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return kigen.Errorf(kigen.ENOTFOUND, "no API token %d", id)
		} else if err != nil {
			return err
		}
		if err := auth.Authorize(a, auth.TokenRevoke, t.MunicipalityID); kigen.ErrorCode(err) == kigen.ENOTFOUND {
			return kigen.Errorf(kigen.ENOTFOUND, "no API token %d", id)
		} else if err != nil {
			return err
		}
		if err := tx.RevokeAPIToken(ctx, id, now); err != nil {
			return err
		}
		if t, err = tx.GetAPIToken(ctx, id); err != nil {
			return err
		}
		code, err := codeOf(ctx, tx, t.MunicipalityID)
		if err != nil {
			return err
		}
		out = tokenOf(t, code)
		e.MunicipalityID, e.Detail = t.MunicipalityID, fmt.Sprintf("token %d", t.ID)
		return nil
	})
	return out, err
}

// errToken is the answer for a bearer token that is not (or no longer)
// valid.
var errToken = kigen.Errorf(kigen.EUNAUTHORIZED, "the API token is not valid (unknown or revoked)")

// AuthenticateToken returns the actor of an API bearer token: a staff
// member of the token's municipality named "token:<id>:<name>", read-only
// for a token of scope read. Unauthorized: an unknown or revoked token.
// Its last use is written at most once a minute.
func (d *Desk) AuthenticateToken(ctx context.Context, bearer string) (auth.Actor, error) {
	now := d.now()
	var a auth.Actor
	err := d.Store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.GetAPITokenByHash(ctx, auth.HashToken(bearer))
		if errors.Is(err, store.ErrNotFound) {
			return errToken
		} else if err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			return errToken
		}
		if now.Sub(t.LastUsedAt) >= touchEvery {
			if err := tx.TouchAPIToken(ctx, t.ID, now); err != nil {
				return err
			}
		}
		code, err := codeOf(ctx, tx, t.MunicipalityID)
		if err != nil {
			return err
		}
		a = auth.Actor{ID: fmt.Sprintf("token:%d:%s", t.ID, t.Name), Role: auth.Staff, MunicipalityID: t.MunicipalityID,
			MunicipalityCode: code, ReadOnly: t.Scope != ScopeWrite}
		return nil
	})
	return a, err
}

// Me returns the account of a signed-in actor (from Session): for the
// console's header and the account page. Not found for an actor that is
// no account (a local user, an API token).
func (d *Desk) Me(ctx context.Context, a auth.Actor) (*Staff, error) {
	var id int64
	if _, err := fmt.Sscanf(a.ID, "account:%d", &id); err != nil || a.Validate() != nil {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "%s is not an account", a.ID)
	}
	acc, err := d.Store.GetAccount(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, kigen.Errorf(kigen.ENOTFOUND, "%s is not an account", a.ID)
	} else if err != nil {
		return nil, err
	}
	code, err := codeOf(ctx, d.Store, acc.MunicipalityID)
	if err != nil {
		return nil, err
	}
	return staffOf(acc, code, d.now()), nil
}
