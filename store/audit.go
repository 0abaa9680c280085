package store

import (
	"context"
	"time"
)

// AuditQueries are the audit log's reads and writes, part of Queries. The
// log is append-only: there is no method to change or remove an entry, and
// the backends' schemas refuse UPDATE and DELETE on its table.
type AuditQueries interface {
	// CreateAuditEntry appends e to the audit log and sets its ID; a zero
	// At is stamped with the store's clock (and e.At set to the time as
	// stored). ErrNotFound if e.MunicipalityID names no municipality.
	// Called in the transaction of the action it records, it commits or
	// rolls back with it.
	CreateAuditEntry(ctx context.Context, e *AuditEntry) error
	// ListAuditEntries returns a page of the entries f selects, newest
	// first (by ID).
	ListAuditEntries(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}

// AuditEntry is one action in the audit log: who did what, where, to
// which resident, when. It holds no personal data: the resident is named
// by their municipality's ref, and Detail is a short text of the
// action's own (counts, IDs, a state), never a name, an address or a
// phone number.
type AuditEntry struct {
	ID        int64
	At        time.Time
	ActorID   string // who: "cli:alice", an account, an API token
	ActorRole string // their role then: staff, admin, operator, resident
	Action    string // what: municipality.create, resident.view, import, …
	// MunicipalityID is where (zero: a global action, such as adding a
	// municipality).
	MunicipalityID int64
	ResidentRef    string // to whom, if the action was on one resident
	Detail         string
}

// AuditFilter selects audit entries: every field set must match. Times
// bound At: From included, To excluded.
type AuditFilter struct {
	MunicipalityID int64  // non-zero: this municipality's entries only
	ActorID        string // non-empty: this actor's
	ResidentRef    string // non-empty: on this resident (with MunicipalityID, of that municipality)
	Action         string // non-empty: this action's
	From, To       time.Time
	BeforeID       int64 // non-zero: entries older than this one (keyset paging)
	Limit          int   // at most this many; 0 means 100
}
