package postgres_test

import (
	"strings"
	"testing"

	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// TestAuditLog_AppendOnly: the schema refuses to change or remove an audit
// entry, even to the table's owner.
func TestAuditLog_AppendOnly(t *testing.T) {
	t.Parallel()
	s := postgrestest.NewStore(t)
	ctx := t.Context()
	e := &store.AuditEntry{ActorID: "cli:alice", ActorRole: "operator", Action: "municipality.list"}
	if err := s.CreateAuditEntry(ctx, e); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET actor_id = 'cli:mallory'`, `DELETE FROM audit_log`} {
		if _, err := s.Pool().Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the append-only refusal", q, err)
		}
	}
	got, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].ActorID != "cli:alice" {
		t.Errorf("after the refused statements: %+v, %v; want the entry unchanged", got, err)
	}
}
