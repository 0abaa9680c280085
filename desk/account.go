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
		return kigen.FieldKeyf("email", "account.email", "%s is not an email address (name@example.jp)", kigen.Quote(email))
	}
	return nil
}

func noAccount(email string) error {
	return kigen.Keyf(kigen.ENOTFOUND, "account.not_found", "no account %s", kigen.Quote(normEmail(email)))
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
			errs = append(errs, kigen.FieldKeyf("municipality", "account.operator_municipality", "an operator belongs to no municipality: give none"))
		}
	default:
		errs = append(errs, kigen.FieldKeyf("role", "account.role", "%s is not a role of an account: staff, admin or operator", kigen.Quote(string(p.Role))))
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
			return kigen.Keyf(kigen.ECONFLICT, "account.exists", "there is already an account for %s", email)
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
	invalid := kigen.Keyf(kigen.ENOTFOUND, "setup.invalid", "this setup link is not valid: it was used or replaced, or never existed; ask an administrator for a new one")
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
		return nil, nil, kigen.Keyf(kigen.EINVALID, "setup.expired", "this setup link expired at %s: ask an administrator for a new one", tokyoTime(st.ExpiresAt))
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
			return kigen.FieldKeyf("totp", "setup.not_opened", "open the setup page first: it shows the authenticator to enrol")
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
