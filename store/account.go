package store

import (
	"context"
	"time"
)

// AccountQueries are the reads and writes of staff accounts and what signs
// them in — setup links, sessions, failed logins, API tokens — part of
// Queries. Secrets are stored as their hash only (auth.HashToken): a
// method given a hash finds the row it belongs to.
//
// Times that decide expiry (a session's, a setup link's) and the times of
// use are the caller's: the service layer's clock, which a test or a
// time-travelling demo sets, decides what has expired. Only CreatedAt of
// an account and of an API token is stamped by the store's clock when
// zero.
type AccountQueries interface {
	// CreateAccount stores a and sets its ID (and a zero CreatedAt to the
	// store's clock). ErrConflict if the email is taken; ErrNotFound if
	// a.MunicipalityID names no municipality.
	CreateAccount(ctx context.Context, a *Account) error
	// GetAccount returns the account with this ID, or ErrNotFound.
	GetAccount(ctx context.Context, id int64) (*Account, error)
	// GetAccountByEmail returns the account with this email (compared
	// exactly: the caller normalizes), or ErrNotFound.
	GetAccountByEmail(ctx context.Context, email string) (*Account, error)
	// ListAccounts returns the accounts of the municipality, or every
	// account (operators' too) for municipalityID zero, ordered by email.
	ListAccounts(ctx context.Context, municipalityID int64) ([]*Account, error)
	// UpdateAccount saves the password hash, the TOTP secret, SetupDone,
	// LockedUntil and DisabledAt of a (by ID). The email, role and
	// municipality never change, and the TOTP last step only moves on
	// through UseTOTPStep. ErrNotFound if there is no such account.
	UpdateAccount(ctx context.Context, a *Account) error
	// UseTOTPStep records step as the account's last used TOTP step,
	// atomically, if it is after the one stored: ErrConflict if it is not
	// (the code was used already: a replay, or two logins racing with one
	// code), ErrNotFound if there is no such account.
	UseTOTPStep(ctx context.Context, accountID, step int64) error

	// CreateSetupToken stores t. ErrNotFound if its account does not
	// exist; ErrConflict if the hash is taken.
	CreateSetupToken(ctx context.Context, t *SetupToken) error
	// GetSetupToken returns the setup token with this hash (used or not,
	// expired or not), or ErrNotFound.
	GetSetupToken(ctx context.Context, hash []byte) (*SetupToken, error)
	// UseSetupToken marks the token with this hash used at at, atomically:
	// ErrNotFound if there is none, or it was used already.
	UseSetupToken(ctx context.Context, hash []byte, at time.Time) error
	// DeleteSetupTokens removes every setup token of the account (a reset
	// makes the old links useless). None is not an error.
	DeleteSetupTokens(ctx context.Context, accountID int64) error

	// CreateSession stores s. ErrNotFound if its account does not exist;
	// ErrConflict if the hash is taken.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with this hash (expired or not), or
	// ErrNotFound.
	GetSession(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession sets the session's LastSeenAt. ErrNotFound if there is
	// no such session.
	TouchSession(ctx context.Context, hash []byte, at time.Time) error
	// DeleteSession ends the session with this hash. ErrNotFound if there
	// is none.
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteAccountSessions ends every session of the account and returns
	// how many there were.
	DeleteAccountSessions(ctx context.Context, accountID int64) (int, error)
	// DeleteExpiredSessions removes the sessions expired at at (by their
	// absolute expiry or idle since before idleSince) and returns how many.
	DeleteExpiredSessions(ctx context.Context, at, idleSince time.Time) (int, error)

	// CreateLoginFailure records a failed login. ErrNotFound if
	// f.AccountID (non-zero) names no account.
	CreateLoginFailure(ctx context.Context, f LoginFailure) error
	// CountLoginFailures returns how many failed logins f selects.
	CountLoginFailures(ctx context.Context, f LoginFailureFilter) (int, error)
	// DeleteLoginFailures removes the failed logins of the account (an
	// unlock, a successful login). None is not an error.
	DeleteLoginFailures(ctx context.Context, accountID int64) error
	// DeleteLoginFailuresBefore removes every failed login before before
	// (too old to count) and returns how many.
	DeleteLoginFailuresBefore(ctx context.Context, before time.Time) (int, error)

	// CreateAPIToken stores t and sets its ID (and a zero CreatedAt to the
	// store's clock). ErrNotFound if its municipality does not exist;
	// ErrConflict if the hash is taken.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// GetAPIToken returns the API token with this ID (revoked or not), or
	// ErrNotFound.
	GetAPIToken(ctx context.Context, id int64) (*APIToken, error)
	// GetAPITokenByHash returns the API token with this hash (revoked or
	// not), or ErrNotFound.
	GetAPITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// ListAPITokens returns the API tokens of the municipality, or of
	// every municipality for zero, revoked ones too, ordered by ID.
	ListAPITokens(ctx context.Context, municipalityID int64) ([]*APIToken, error)
	// RevokeAPIToken marks the token revoked at at; a token revoked
	// already keeps its first time. ErrNotFound if there is no such token.
	RevokeAPIToken(ctx context.Context, id int64, at time.Time) error
	// TouchAPIToken sets the token's LastUsedAt. ErrNotFound if there is
	// no such token.
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// Account is a person who signs in: staff or admin of one municipality,
// or an operator (of none). It is created by an invitation, with a setup
// link; SetupDone once the person has set a password and enrolled an
// authenticator.
type Account struct {
	ID    int64
	Email string // lower-case; unique
	Role  string // staff, admin or operator (auth.Role)
	// MunicipalityID is the municipality of a staff member or an admin;
	// zero for an operator.
	MunicipalityID int64
	PasswordHash   string // auth.HashPassword's PHC string; "" before setup
	// TOTPSecret is the authenticator's secret, in base32, stored as it
	// is: the server needs it to compute codes (docs/accounts.md).
	TOTPSecret   string
	TOTPLastStep int64 // the last TOTP step used: a code of a step not after it is refused
	SetupDone    bool
	LockedUntil  time.Time // after too many failed logins; zero: not locked
	DisabledAt   time.Time // zero: active
	CreatedAt    time.Time
}

// SetupToken is a one-time setup link of an account (stored hashed).
type SetupToken struct {
	Hash      []byte
	AccountID int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: not used
}

// Session is a signed-in browser (stored by the hash of its cookie).
type Session struct {
	Hash       []byte
	AccountID  int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute: the session ends then however active
}

// LoginFailure is one failed login: of a known account (AccountID) or of
// an unknown email (zero), from a client (ClientKey: an opaque key of the
// client the web layer chooses, such as a hash of its address).
type LoginFailure struct {
	AccountID int64
	ClientKey string
	At        time.Time
}

// LoginFailureFilter selects failed logins: those of the account (non-zero
// AccountID) or those of the client (non-empty ClientKey), at or after
// Since.
type LoginFailureFilter struct {
	AccountID int64
	ClientKey string
	Since     time.Time
}

// APIToken is a bearer token of the JSON API (stored hashed), of one
// municipality, read or write.
type APIToken struct {
	ID             int64
	Hash           []byte
	Name           string
	MunicipalityID int64
	Scope          string // read or write
	CreatedBy      string // the actor ID who created it
	CreatedAt      time.Time
	LastUsedAt     time.Time // zero: never used
	RevokedAt      time.Time // zero: valid
}
