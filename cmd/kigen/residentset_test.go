package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// residentEnv is a municipality with A-1 (email), A-2 (SMS), A-3 (both).
func residentEnv(t *testing.T) map[string]string {
	t.Helper()
	env := newEnv(t)
	env["KIGEN_NOW"] = "2026-12-04"
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,name,language,email,phone,residence_card_expires_on,consent,channel\n"+
		"A-1,An,en,a1@example.jp,,2027-01-31,yes,\nA-2,Binh,vi,,090-1234-5678,2027-06-30,yes,sms\nA-3,Chen,zh-CN,a3@example.jp,090-1234-5679,2029-01-31,yes,both\n")))
	return env
}

func TestResident_Set(t *testing.T) {
	t.Parallel()
	env := residentEnv(t)
	out := mustRun(t, env, "resident", "set", "A-1", "--phone", "090-2222-3333", "--mynumber-card", "R8.12.20")
	if !strings.Contains(out, "changed A-1") || !strings.Contains(out, "+819022223333") || !strings.Contains(out, "mynumber_card") {
		t.Errorf("set:\n%s", out)
	}
	// An empty value clears: the phone goes.
	if out := mustRun(t, env, "resident", "set", "--phone=", "A-1"); strings.Contains(out, "+819022223333") {
		t.Errorf("after --phone=:\n%s", out)
	}
	// Every problem, named by its flag, in the import's words; nothing saved.
	code, _, errOut := runKigen(t, env, "resident", "set", "A-1", "--residence-card", "2027-02-30", "--consent", "maybe")
	if code != exitInvalid || !strings.Contains(errOut, "nothing was saved") || !strings.Contains(errOut, "--residence-card: ") || !strings.Contains(errOut, "--consent: ") {
		t.Errorf("bad set: code %d, %q", code, errOut)
	}
	// set changes; --new registers, and only a new reference.
	if code, _, errOut := runKigen(t, env, "resident", "set", "Z-9", "--email", "z@example.jp"); code != exitInvalid || !strings.Contains(errOut, `no resident "Z-9"`) {
		t.Errorf("set of an unknown ref: code %d, %q", code, errOut)
	}
	out = mustRun(t, env, "resident", "set", "--new", "Z-9", "--name", "Zed", "--language", "en", "--email", "z@example.jp", "--consent", "yes",
		"--residence-card", "2027-03-31")
	if !strings.Contains(out, "registered Z-9") || !strings.Contains(out, "reached by email") {
		t.Errorf("set --new:\n%s", out)
	}
	if code, _, errOut := runKigen(t, env, "resident", "set", "--new", "Z-9", "--language", "en"); code != exitInvalid || !strings.Contains(errOut, "already registered") {
		t.Errorf("second --new: code %d, %q", code, errOut)
	}
	if code, _, _ := runKigen(t, env, "resident", "set", "A-1"); code != exitUsage {
		t.Errorf("set without a field: code %d, want usage", code)
	}
}

func TestResident_List(t *testing.T) {
	t.Parallel()
	env := residentEnv(t)
	out := mustRun(t, env, "resident", "list")
	for _, ref := range []string{"A-1", "A-2", "A-3"} {
		if !strings.Contains(out, ref) {
			t.Errorf("list without %s:\n%s", ref, out)
		}
	}
	out = mustRun(t, env, "resident", "list", "--search", "binh", "--json")
	var l struct {
		Residents []struct{ Ref, Name string }
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Residents) != 1 || l.Residents[0].Ref != "A-2" || l.Residents[0].Name != "Binh" {
		t.Errorf("--search binh: %s (%v)", out, err)
	}
	out = mustRun(t, env, "resident", "list", "--expiring-within", "90", "--json")
	if err := json.Unmarshal([]byte(out), &l); err != nil || len(l.Residents) != 1 || l.Residents[0].Ref != "A-1" {
		t.Errorf("--expiring-within 90: %s (%v)", out, err)
	}
	if code, _, errOut := runKigen(t, env, "resident", "list", "--expiring-within", "-3"); code != exitInvalid || !strings.Contains(errOut, "--expiring-within:") {
		t.Errorf("bad days: code %d, %q", code, errOut)
	}
}

func TestResident_AppliedUndo(t *testing.T) {
	t.Parallel()
	env := residentEnv(t)
	mustRun(t, env, "resident", "applied", "A-1")
	out := mustRun(t, env, "resident", "applied", "--undo", "A-1")
	if !strings.Contains(out, "undone: the application of 2026-12-04") {
		t.Errorf("undo: %q", out)
	}
	if out := mustRun(t, env, "resident", "show", "A-1"); !regexp.MustCompile(`residence_card\s+2027-01-31\s+58\s+-\s`).MatchString(out) {
		t.Errorf("after undo:\n%s", out)
	}
	if code, _, errOut := runKigen(t, env, "resident", "applied", "--undo", "A-1"); code != exitInvalid || !strings.Contains(errOut, "no application recorded") {
		t.Errorf("second undo: code %d, %q", code, errOut)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	env := residentEnv(t)
	mustRun(t, env, "resident", "set", "--new", "=cmd|' /C calc'!A0", "--name", "@SUM(1)", "--language", "en")
	out := mustRun(t, env, "export", "residents")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "resident_ref,name,language,email,phone,residence_status,residence_card_expires_on,mynumber_card_expires_on,mynumber_cert_expires_on,integrated_card_expires_on,consent,channel" {
		t.Errorf("header %q", rows[0])
	}
	if len(rows) != 5 || rows[4][0] != "'=cmd|' /C calc'!A0" || rows[4][1] != "'@SUM(1)" || rows[2][4] != "09012345678" {
		t.Errorf("rows %q", rows)
	}
	file := filepath.Join(t.TempDir(), "followup.csv")
	mustRun(t, env, "export", "followup", "--out", file)
	data, err := os.ReadFile(file)
	if err != nil || !strings.HasPrefix(string(data), "section,resident_ref,") || !strings.Contains(string(data), "unreachable,'=cmd|") {
		t.Errorf("followup export: %q, %v", data, err)
	}
	if code, _, _ := runKigen(t, env, "export", "nothing"); code != exitUsage {
		t.Errorf("export nothing: code %d", code)
	}
}
