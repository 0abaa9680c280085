package sqlite_test

import (
	"strings"
	"testing"

	"kigen/store"
)

// TestAuditLog_AppendOnly: the schema refuses to change or remove an audit
// entry, whatever SQL asks.
func TestAuditLog_AppendOnly(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	ctx := t.Context()
	e := &store.AuditEntry{ActorID: "cli:alice", ActorRole: "operator", Action: "municipality.list"}
	if err := s.CreateAuditEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET actor_id = 'cli:mallory'`, `DELETE FROM audit_log`} {
		if _, err := s.DB().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	got, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].ActorID != "cli:alice" {
		t.Errorf("after the refused statements: %+v, %v; want the entry unchanged", got, err)
	}
}
