package main

import (
	"fmt"
	"testing"

	"kigen/store"
)

// TestCommands_Audited: the commands act as the local user ("cli:" and
// $USER), as the operator for municipality add and as the municipality's
// admin for the rest, and the audit log holds what they did, not what they
// were refused.
func TestCommands_Audited(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env["USER"] = "alice"
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,language,email,consent\nA-1,en,a@example.jp,yes\n")))
	mustRun(t, env, "resident", "show", "A-1")
	if code, _, _ := runKigen(t, env, "resident", "show", "A-2"); code != exitInvalid {
		t.Fatalf("show a missing resident: code %d", code)
	}
	es, err := openTestStore(t, env).ListAuditEntries(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.ActorID, e.ActorRole, e.Action, e.ResidentRef))
	}
	want := []string{"cli:alice admin resident.view A-1", "cli:alice admin import ", "cli:alice operator municipality.create "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit log, newest first:\n got %q\nwant %q", got, want)
	}
}
