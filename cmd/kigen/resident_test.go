package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"kigen/store"
	"kigen/store/sqlite"
)

// TestResident_Resubscribe: a resident who unsubscribed asks at the
// counter to get email again; a re-import with consent=yes leaves the
// opt-out alone, `kigen resident resubscribe --channel email` switches it
// back on (audited), and the next tick sends the reminder.
func TestResident_Resubscribe(t *testing.T) {
	t.Parallel()
	env := summaryEnv(t)
	list := writeFile(t, "again.csv", []byte("resident_ref,language,email,residence_card_expires_on,consent\nA-1,en,a1-new@example.jp,2027-01-31,yes\n"))
	s, err := sqlite.Open(context.Background(), strings.TrimPrefix(env["DATABASE_URL"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	mu, _ := s.GetMunicipalityByCode(ctx, "012033")
	r, _ := s.GetResidentByRef(ctx, mu.ID, "A-1")
	cs, err := s.ListContacts(ctx, mu.ID, r.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("contacts of A-1: %v, %v", cs, err)
	}
	cs[0].OptedOut = true // the one-click unsubscribe
	if err := s.UpsertContact(ctx, mu.ID, cs[0]); err != nil {
		t.Fatal(err)
	}
	mustRun(t, env, "import", list) // a new address, consent=yes: still opted out
	if out := mustRun(t, env, "resident", "show", "A-1"); !strings.Contains(out, "opted out by the resident") || !strings.Contains(out, "NOT REACHABLE") {
		t.Fatalf("after a re-import:\n%s\nwant still opted out", out)
	}

	out := mustRun(t, env, "resident", "resubscribe", "--channel", "email", "A-1")
	if !strings.Contains(out, "A-1: email back on, as the resident asked in person") {
		t.Errorf("resubscribe: %q", out)
	}
	if out := mustRun(t, env, "resident", "show", "A-1"); strings.Contains(out, "opted out") || !strings.Contains(out, "reached by email") {
		t.Errorf("after resubscribe:\n%s\nwant reached by email", out)
	}
	es, err := s.ListAuditEntries(ctx, store.AuditFilter{MunicipalityID: mu.ID, ResidentRef: "A-1", Action: "resident.resubscribe"})
	if err != nil || len(es) != 1 || strings.Contains(es[0].Detail, "@") {
		t.Errorf("audit entries: %v, %v; want one, without the address", es, err)
	}
	code, rep, _ := tickJSON(t, env)
	if code != exitOK || rep.Day["sent"]["email"] != 2 {
		t.Errorf("the tick after: code %d, day %v; want A-1's email sent too", code, rep.Day)
	}
	lines := outboxLines(t, env["KIGEN_OUTBOX"])
	if !slices.Contains(lines, "A-1 email residence_card:d60") {
		t.Errorf("outbox %v; want A-1's email", lines)
	}

	// Nothing left to undo, or a bad channel: refused, nothing written.
	if code, _, errOut := runKigen(t, env, "resident", "resubscribe", "--channel", "email", "A-1"); code != exitInvalid || !strings.Contains(errOut, "has not opted out of email") {
		t.Errorf("second resubscribe: code %d, %q; want %d", code, errOut, exitInvalid)
	}
	if code, _, errOut := runKigen(t, env, "resident", "resubscribe", "--channel", "fax", "A-1"); code != exitInvalid || !strings.Contains(errOut, "--channel:") {
		t.Errorf("resubscribe --channel fax: code %d, %q; want %d naming --channel", code, errOut, exitInvalid)
	}
}
