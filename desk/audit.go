package desk

import (
	"context"
	"time"

	"kigen/auth"
	"kigen/store"
)

// AuditParams select a page of a municipality's audit log, newest first:
// every field set must match; From is included, To excluded.
type AuditParams struct {
	Municipality string    `json:"municipality,omitempty"`
	ActorID      string    `json:"actor_id,omitempty"`
	ResidentRef  string    `json:"resident_ref,omitempty"`
	Action       string    `json:"action,omitempty"`
	From         time.Time `json:"from,omitzero"`
	To           time.Time `json:"to,omitzero"`
	BeforeID     int64     `json:"before_id,omitempty"` // the last ID of the previous page
	Limit        int       `json:"limit,omitempty"`     // 0: 100; at most 1000
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	ActorID     string    `json:"actor_id"`
	ActorRole   string    `json:"actor_role"`
	Action      string    `json:"action"`
	ResidentRef string    `json:"resident_ref,omitempty"`
	Detail      string    `json:"detail,omitempty"`
}

// ListAudit returns a page of the municipality's audit log (its admin).
// Reading the log is not itself logged: it holds no personal data.
func (d *Desk) ListAudit(ctx context.Context, a auth.Actor, p AuditParams) ([]AuditEntry, error) {
	mu, err := scope(ctx, d.Store, a, auth.AuditView, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	es, err := d.Store.ListAuditEntries(ctx, store.AuditFilter{MunicipalityID: mu.ID, ActorID: p.ActorID,
		ResidentRef: p.ResidentRef, Action: p.Action, From: p.From, To: p.To, BeforeID: p.BeforeID, Limit: min(p.Limit, 1000)})
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(es))
	for _, e := range es {
		out = append(out, AuditEntry{ID: e.ID, At: e.At, ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action,
			ResidentRef: e.ResidentRef, Detail: e.Detail})
	}
	return out, nil
}
