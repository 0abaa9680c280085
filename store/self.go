package store

import (
	"context"
	"time"

	"kigen"
)

// SelfQueries are the reads and writes of resident self-service (issue
// 20), part of Queries: what is sent to confirm an address (a sign-up, a
// second channel, a fresh link), the residents' own links, and where a
// resident came from. Secrets are stored as their hash only; times that
// decide expiry are the caller's.
type SelfQueries interface {
	// LockSignups serializes, until the transaction ends, the callers that
	// confirm sign-ups under the same key (the desk's: the municipality and
	// the address, so that two confirmations of one address make one
	// resident): on PostgreSQL a transaction-scoped advisory lock on the
	// key's hash, on SQLite nothing (one writer at a time already). Call
	// it in a transaction.
	LockSignups(ctx context.Context, key string) error
	// ReserveSignup counts one more sign-up of day (its date, in its
	// location) under every key of ls, but only if each count stays within
	// its Limit: all or none. It returns -1 when granted, or the index in
	// ls of the first limit that refused (nothing counted then). Call it
	// on the Store, not in a Tx: it runs in its own short transaction,
	// committed before the sign-up's, so that a busy key (a global budget)
	// is locked for one statement only. A reservation whose sign-up then
	// fails stays spent: the counts may run over the sign-ups made, never
	// under, so no more than a limit is ever sent. ForgetSignups deletes
	// the counts of old days.
	ReserveSignup(ctx context.Context, day time.Time, ls []SignupLimit) (refused int, err error)
	// CreateSignup stores p and sets its ID (and a zero CreatedAt to the
	// store's clock). ErrNotFound if its municipality or resident does not
	// exist; ErrConflict if its TokenHash is taken.
	CreateSignup(ctx context.Context, p *Signup) error
	// GetSignup returns the sign-up with this ID, or ErrNotFound.
	GetSignup(ctx context.Context, id int64) (*Signup, error)
	// GetSignupByToken returns the sign-up whose token hashes to hash, or
	// ErrNotFound.
	GetSignupByToken(ctx context.Context, hash []byte) (*Signup, error)
	// UpdateSignup saves p's Address, Fields, State, Attempts, ResidentID,
	// DuplicateOf, SentAt and ConfirmedAt (by ID). ErrNotFound if absent.
	UpdateSignup(ctx context.Context, p *Signup) error
	// AttemptSignup adds one to the sign-up's Attempts and returns the new
	// count, atomically. ErrNotFound if absent.
	AttemptSignup(ctx context.Context, id int64) (int, error)
	// CountSignups counts the sign-ups f selects.
	CountSignups(ctx context.Context, f SignupFilter) (int, error)
	// CountSignupsEach is CountSignups for each filter, in one statement
	// where the backend can: the counts, in order.
	CountSignupsEach(ctx context.Context, fs []SignupFilter) ([]int, error)
	// ListSignups returns the municipality's sign-ups in this state, newest
	// first, at most limit (> 0).
	ListSignups(ctx context.Context, municipalityID int64, state SignupState, limit int) ([]*Signup, error)
	// ForgetSignups clears the address and fields of every sign-up still
	// holding them that expired before before (their state becomes expired
	// if it was pending), deletes the sign-ups created before deleteBefore
	// and the ReserveSignup counts of days two days or more before
	// before's (UTC) date; it returns how many sign-ups it changed or
	// deleted.
	ForgetSignups(ctx context.Context, before, deleteBefore time.Time) (int, error)

	// CreateResidentToken stores t and sets its ID (and a zero CreatedAt to
	// the store's clock). ErrNotFound if the resident is not in its
	// municipality; ErrConflict if the hash is taken.
	CreateResidentToken(ctx context.Context, t *ResidentToken) error
	// GetResidentToken returns the token with this hash (expired or
	// revoked or not), or ErrNotFound.
	GetResidentToken(ctx context.Context, hash []byte) (*ResidentToken, error)
	// RevokeResidentTokens revokes at at every token of the resident not
	// revoked yet, and returns how many.
	RevokeResidentTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (int, error)

	// SetResidentSource records where the resident came from. ErrNotFound
	// if the resident is not in this municipality.
	SetResidentSource(ctx context.Context, municipalityID, residentID int64, source ResidentSource) error
	// ResidentSources returns where each of these residents of the
	// municipality came from (unknown IDs are left out).
	ResidentSources(ctx context.Context, municipalityID int64, residentIDs ...int64) (map[int64]ResidentSource, error)
}

// ResidentSource is where a resident came from.
type ResidentSource string

// The sources.
const (
	SourceStaff ResidentSource = "staff" // registered at the counter, imported
	SourceSelf  ResidentSource = "self"  // signed up themselves
)

// SignupKind is what a Signup confirms.
type SignupKind string

// The kinds.
const (
	// SignupNew is a new resident's sign-up (Fields holds it).
	SignupNew SignupKind = "signup"
	// SignupChannel is a resident's new address on a second channel.
	SignupChannel SignupKind = "channel"
	// SignupLink is a fresh link to the resident's page, asked for.
	SignupLink SignupKind = "link"
)

// SignupState is where a Signup stands.
type SignupState string

// The states.
const (
	SignupPending   SignupState = "pending"
	SignupConfirmed SignupState = "confirmed"
	// SignupDuplicate: confirmed, but the address is a known resident's:
	// staff decide (DuplicateOf).
	SignupDuplicate SignupState = "duplicate"
	SignupExpired   SignupState = "expired"
	// SignupDismissed: a duplicate staff settled.
	SignupDismissed SignupState = "dismissed"
)

// Signup is something sent to confirm an address: a sign-up's double
// opt-in, a second channel's confirmation, a fresh link. Its secret (a
// link token or a 6-digit code) is derived from the link secret and
// Nonce; TokenHash finds it.
type Signup struct {
	ID             int64
	MunicipalityID int64
	Kind           SignupKind
	ResidentID     int64 // SignupChannel, SignupLink; a confirmed SignupNew: the resident created
	Channel        kigen.Channel
	Address        string // cleared once confirmed or expired
	AddressKey     []byte // a hash of the address, kept for the limits
	ClientKey      string // an opaque key of the client (the web layer's)
	Language       kigen.Language
	Fields         string // SignupNew: the sign-up's fields (JSON); cleared once confirmed
	Nonce          []byte
	TokenHash      []byte
	State          SignupState
	Attempts       int
	DuplicateOf    int64 // SignupDuplicate: the resident who holds the address
	CreatedAt      time.Time
	ExpiresAt      time.Time
	SentAt         time.Time // zero: not sent yet
	ConfirmedAt    time.Time
}

// SignupFilter selects sign-ups created at or after Since; each other
// field, when set, narrows.
type SignupFilter struct {
	Since          time.Time
	MunicipalityID int64
	Channel        kigen.Channel
	AddressKey     []byte
	ClientKey      string
	// Sent: only those sent (SentAt set).
	Sent bool
}

// SignupLimit is one daily count of ReserveSignup: Key names what is
// counted (e.g. "address:<hex key>", "client:<key>", "municipality:<id>",
// "sms", "email"), Limit how many a day may hold.
type SignupLimit struct {
	Key   string
	Limit int
}

// ResidentToken is a resident's own link (/me/{token}), stored hashed.
type ResidentToken struct {
	ID             int64
	Hash           []byte
	MunicipalityID int64
	ResidentID     int64
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      time.Time // zero: not revoked
}
