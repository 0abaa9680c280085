package store

import (
	"context"
	"time"
)

// CalendarQueries are the reads and writes of calendar feed tokens
// (/cal/{token}.ics), part of Queries. A token is stored as its hash only
// (auth.HashToken). Times are the caller's, but a zero CreatedAt is
// stamped by the store's clock.
type CalendarQueries interface {
	// CreateCalendarToken stores t and sets its ID (and a zero CreatedAt
	// to the store's clock). ErrNotFound if t.ResidentID is not a resident
	// of t.MunicipalityID; ErrConflict if the hash is taken.
	CreateCalendarToken(ctx context.Context, t *CalendarToken) error
	// GetCalendarTokenByHash returns the calendar token with this hash
	// (revoked or not), or ErrNotFound.
	GetCalendarTokenByHash(ctx context.Context, hash []byte) (*CalendarToken, error)
	// ListCalendarTokens returns the calendar tokens of the resident of
	// the municipality, revoked ones too, ordered by ID.
	ListCalendarTokens(ctx context.Context, municipalityID, residentID int64) ([]*CalendarToken, error)
	// RevokeCalendarTokens marks every token of the resident of the
	// municipality not yet revoked as revoked at at, and returns how many
	// it revoked (0 for none, or for a resident who is not there). The
	// tokens of an erased resident go with them.
	RevokeCalendarTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (int, error)
}

// CalendarToken is the secret of one resident's calendar feed, stored
// hashed.
type CalendarToken struct {
	ID             int64
	Hash           []byte
	MunicipalityID int64
	ResidentID     int64
	CreatedBy      string // the actor ID who issued it
	CreatedAt      time.Time
	RevokedAt      time.Time // zero: valid
}
