package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// newEnv returns the environment of a fresh embedded store, on 2026-11-25.
func newEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "kigen.db"),
		"KIGEN_NOW":    "2026-11-25",
	}
}

func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	code, out, errOut := runKigen(t, env, args...)
	if code != exitOK {
		t.Fatalf("kigen %s: code %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMunicipality(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	out := mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City",
		"--contact-phone", "0134-32-4111", "--contact-url", "https://www.city.otaru.lg.jp/")
	if !strings.Contains(out, "added municipality 012033 小樽市 おたるし (Otaru City)") { // the Latin name stored as Otaru
		t.Errorf("add: %q", out)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "existing code", args: []string{"municipality", "add", "012033", "--name", "小樽市"}, wantCode: exitInvalid,
			wantErr: "municipality 012033 already exists"},
		{name: "bad check digit", args: []string{"municipality", "add", "012034", "--name", "x"}, wantCode: exitUsage,
			wantErr: `CODE "012034" has a wrong check digit (4): did you mean 012033 小樽市 (北海道)?`},
		{name: "not a code", args: []string{"municipality", "add", "Otaru", "--name", "x"}, wantCode: exitUsage,
			wantErr: "must be the 6-digit local government code"},
		{name: "no name, bad email and url at once", args: []string{"municipality", "add", "011002", "--name", " ", "--contact-email", "nope", "--contact-url", "ftp://x"},
			wantCode: exitInvalid, wantErr: "--name: the Japanese name is required (e.g. 小樽市)\n--contact-email: \"nope\" is not an email address\n--contact-url: \"ftp://x\" is not an http(s) address"},
		{name: "set unknown", args: []string{"municipality", "set", "011002", "--name", "札幌市"}, wantCode: exitUsage,
			wantErr: `unknown municipality "011002"; known: 012033 小樽市`},
		{name: "set a bad field", args: []string{"municipality", "set", "012033", "--name", " "}, wantCode: exitInvalid,
			wantErr: "--name: the Japanese name is required (e.g. 小樽市)"},
	}
	for _, tt := range tests {
		code, _, errOut := runKigen(t, env, tt.args...)
		if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tt.name, code, errOut, tt.wantCode, tt.wantErr)
		}
	}
	mustRun(t, env, "municipality", "set", "012033", "--contact-email", "kokusai@city.otaru.example")
	out = mustRun(t, env, "municipality", "list")
	if !strings.Contains(out, "Otaru City") || !strings.Contains(out, "kokusai@city.otaru.example") || !strings.Contains(out, "0134-32-4111") {
		t.Errorf("list after set: %q; want the new email and the kept phone", out)
	}
}

// sjisFile is a resident list as a municipal system exports it: Shift_JIS,
// Japanese headers, era dates.
const sjisFile = "宛名番号,氏名,言語,メール,電話番号,在留資格,在留カード有効期限,マイナンバーカード有効期限,同意,通知方法\r\n" +
	"1001,グエン・ヴァン・アン,ベトナム語,an@example.jp,,技術・人文知識・国際業務,令和12年3月31日,令和9年3月31日,はい,\r\n" +
	"1002,髙橋マリア,ポルトガル語,,090-1234-5678,定住者,R9.3.31,R9.3.31,有,SMS\r\n"

func TestImport_ShiftJISEndToEnd(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
	sjis, err := japanese.ShiftJIS.NewEncoder().String(sjisFile)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "residents.csv", []byte(sjis))

	out := mustRun(t, env, "import", path)
	for _, want := range []string{"(Shift_JIS)", "2 created, 0 updated, 0 unchanged", "renewal gaps now open: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("import summary lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, env, "import", "--json", path)
	var sum struct {
		Unchanged int    `json:"unchanged"`
		Encoding  string `json:"encoding"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Unchanged != 2 || sum.Encoding != "Shift_JIS" {
		t.Errorf("re-import JSON %q (%v): want 2 unchanged, Shift_JIS", out, err)
	}

	out = mustRun(t, env, "resident", "show", "1001")
	for _, want := range []string{"resident 1001 in 012033 小樽市", "language  vi", "reached by email",
		"renewal_gap today (2026-11-25)", "RENEWAL GAP"} {
		if !strings.Contains(out, want) {
			t.Errorf("resident show lacks %q:\n%s", want, out)
		}
	}
	out = mustRun(t, env, "resident", "show", "1002")
	if !strings.Contains(out, "+819012345678") || !strings.Contains(out, "d90 on 2026-12-31") {
		t.Errorf("resident show 1002:\n%s", out)
	}
}

func TestImport_Refused(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	path := writeFile(t, "r.csv", []byte("resident_ref,language\nA,en\n"))
	code, _, errOut := runKigen(t, env, "import", path)
	if code != exitUsage || !strings.Contains(errOut, "no municipality yet") {
		t.Errorf("no municipality: code %d, stderr %q", code, errOut)
	}
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	mustRun(t, env, "municipality", "add", "011002", "--name", "札幌市")
	code, _, errOut = runKigen(t, env, "import", path)
	if code != exitUsage || !strings.Contains(errOut, "several municipalities: choose one with --municipality CODE (011002 札幌市, 012033 小樽市)") {
		t.Errorf("two municipalities: code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runKigen(t, env, "import", "--municipality", "999999", path)
	if code != exitUsage || !strings.Contains(errOut, `unknown municipality "999999"; known: 011002 札幌市, 012033 小樽市`) {
		t.Errorf("unknown municipality: code %d, stderr %q", code, errOut)
	}

	// 150 bad rows and a good one: nothing written, 100 lines and "and 50 more".
	var b strings.Builder
	b.WriteString("resident_ref,language,mynumber_card_expires_on\nGOOD,en,2027-03-31\n")
	for i := 0; i < 150; i++ {
		b.WriteString("BAD" + string(rune('A'+i%26)) + strings.Repeat("x", i/26) + ",en,2027-02-30\n")
	}
	bad := writeFile(t, "bad.csv", []byte(b.String()))
	code, out, errOut := runKigen(t, env, "import", "--municipality", "012033", bad)
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if code != exitInvalid || out != "" {
		t.Errorf("bad file: code %d, stdout %q", code, out)
	}
	if len(lines) != 102 || lines[0] != `row 3: mynumber_card_expires_on: "2027-02-30" is not a date` ||
		lines[100] != "and 50 more" || !strings.Contains(lines[101], "150 problems: nothing was imported") {
		t.Errorf("bad file stderr: %d lines, first %q, last two %q", len(lines), lines[0], lines[len(lines)-2:])
	}
	// --json prints the refusal as JSON too, every problem listed there.
	code, out, _ = runKigen(t, env, "import", "--municipality", "012033", "--json", bad)
	var refusal struct {
		File    string `json:"file"`
		Refused bool   `json:"refused"`
		Errors  []struct {
			Row     int    `json:"row"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
		Total int `json:"total"`
	}
	if err := json.Unmarshal([]byte(out), &refusal); err != nil || code != exitInvalid || !refusal.Refused || refusal.File != bad ||
		refusal.Total != 150 || len(refusal.Errors) != 150 || refusal.Errors[0].Row != 3 || refusal.Errors[0].Field != "mynumber_card_expires_on" {
		t.Errorf("--json refusal: code %d, %v, stdout %q", code, err, out)
	}
	code, _, errOut = runKigen(t, env, "import", "--municipality", "012033", "--fallback-language", "Klingon", path)
	if code != exitUsage || !strings.Contains(errOut, `--fallback-language: "Klingon" is not a language Kigen writes in`) {
		t.Errorf("bad --fallback-language: code %d, stderr %q", code, errOut)
	}

	code, _, errOut = runKigen(t, env, "resident", "show", "--municipality", "012033", "GOOD")
	if code != exitInvalid || !strings.Contains(errOut, `no resident "GOOD" in 012033 小樽市`) {
		t.Errorf("after a refused import GOOD exists: code %d, %q", code, errOut)
	}

	mn := writeFile(t, "mn.csv", []byte("resident_ref,language,my_number\nA,en,\n"))
	code, _, errOut = runKigen(t, env, "import", "--municipality", "012033", mn)
	if code != exitInvalid || !strings.Contains(errOut, "names the individual number (My Number)") {
		t.Errorf("My Number column: code %d, stderr %q", code, errOut)
	}
	mnValue := writeFile(t, "mn2.csv", []byte("resident_ref,language,name\nA,en,1234 5678 9018\n"))
	code, _, errOut = runKigen(t, env, "import", "--municipality", "012033", mnValue)
	if code != exitInvalid || !strings.Contains(errOut, "row 2: name: holds a 12-digit number") || strings.Contains(errOut, "9018") {
		t.Errorf("My Number value: code %d, stderr %q", code, errOut)
	}
}

func TestResident_AppliedAndErase(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	path := writeFile(t, "r.csv", []byte("resident_ref,language,email,residence_card_expires_on,mynumber_card_expires_on,consent\n"+
		"A-1,en,a@example.jp,2027-01-31,2027-01-31,yes\n"))
	mustRun(t, env, "import", path)

	code, _, errOut := runKigen(t, env, "resident", "applied", "--on", "2027-02-01", "A-1")
	if code != exitInvalid || !strings.Contains(errOut, "2027-02-01 is in the future") {
		t.Errorf("applied in the future: code %d, %q", code, errOut)
	}
	out := mustRun(t, env, "resident", "applied", "--on", "2026-11-20", "A-1")
	if !strings.Contains(out, "recorded: A-1 applied on 2026-11-20 to renew the residence_card expiring on 2027-01-31") ||
		!strings.Contains(out, "special-period notice follows on 2027-02-01 (the resident may stay until 2027-03-31)") {
		t.Errorf("applied: %q", out)
	}
	out = mustRun(t, env, "resident", "show", "A-1 ")
	if !strings.Contains(out, "2026-11-20") || !strings.Contains(out, "special_period on 2027-02-01") {
		t.Errorf("show after applied:\n%s", out)
	}
	for _, ref := range []string{"123456789018", "1234.5678.9018"} {
		code, out, errOut := runKigen(t, env, "resident", "show", ref)
		if code != exitInvalid || !strings.Contains(errOut, "My Number") || strings.Contains(out+errOut, "9018") {
			t.Errorf("resident show %s: code %d, stdout %q, stderr %q; want refused, not echoed", ref, code, out, errOut)
		}
	}

	code, _, errOut = runKigen(t, env, "resident", "erase", "A-1")
	if code != exitUsage || !strings.Contains(errOut, "run again with --yes") {
		t.Errorf("erase without --yes: code %d, %q", code, errOut)
	}
	out = mustRun(t, env, "resident", "erase", "--yes", "A-1")
	if !strings.Contains(out, "erased resident A-1 of 012033 小樽市 with 1 contacts and 2 cards") {
		t.Errorf("erase: %q", out)
	}
	if code, _, _ := runKigen(t, env, "resident", "show", "A-1"); code != exitInvalid {
		t.Errorf("show after erase: code %d, want %d", code, exitInvalid)
	}
}

// TestImport_ReadmeExample keeps the README's example file importable.
func TestImport_ReadmeExample(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
	out := mustRun(t, env, "import", "--dry-run", filepath.Join("..", "..", "roster", "testdata", "residents-example.csv"))
	if !strings.Contains(out, "checked (dry run, nothing written)") || !strings.Contains(out, "5 created") {
		t.Errorf("dry run of the example: %s", out)
	}
	out = mustRun(t, env, "import", filepath.Join("..", "..", "roster", "testdata", "residents-example.csv"))
	for _, want := range []string{"5 created", "renewal gaps now open: 1", "cannot be reached (no consent or contact): 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("example import lacks %q:\n%s", want, out)
		}
	}
}
