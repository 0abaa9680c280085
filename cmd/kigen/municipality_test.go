package main

import (
	"strings"
	"testing"
)

// TestMunicipality_LocalGov checks municipality add against the list of
// local governments: codes that are no municipality's are usage errors
// that say why (and which code may be meant), nothing written; a known
// code fills in the names; an empty contact block is a warning.
func TestMunicipality_LocalGov(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	for _, tt := range []struct{ code, want string }{
		{"999997", "kigen: CODE 999997 is not the code of a local government in the built-in list"},
		{"010006", "kigen: CODE 010006 is the code of 北海道, a prefecture: give the code of one of its cities, towns, villages or wards (e.g. 011002 札幌市)"},
		{"12033", `kigen: CODE "12033" is not a 6-digit local government code: did you mean 012033 小樽市 (北海道)?`},
	} {
		code, _, errOut := runKigen(t, env, "municipality", "add", tt.code, "--name", "x")
		if code != exitUsage || !strings.HasPrefix(errOut, tt.want) {
			t.Errorf("add %s: code %d, stderr %q; want %d and %q", tt.code, code, errOut, exitUsage, tt.want)
		}
	}
	if out := mustRun(t, env, "municipality", "list"); !strings.HasPrefix(out, "no municipality yet") {
		t.Errorf("refused codes wrote something: %q", out)
	}

	code, out, errOut := runKigen(t, env, "municipality", "add", "012033")
	if code != exitOK || out != "added municipality 012033 小樽市 おたるし (Otaru City)\n" ||
		!strings.Contains(errOut, "kigen: warning: the contact block is empty: messages will tell residents to contact 小樽市 and give no phone number") {
		t.Errorf("add 012033: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runKigen(t, env, "municipality", "set", "012033", "--contact-url", "https://www.city.otaru.lg.jp/")
	if code != exitOK || errOut != "" {
		t.Errorf("set a contact: code %d, stderr %q; want no warning", code, errOut)
	}
	code, _, errOut = runKigen(t, env, "municipality", "set", "012033", "--contact-url", "")
	if code != exitOK || !strings.Contains(errOut, "warning: the contact block is empty") {
		t.Errorf("clear the contact: code %d, stderr %q; want the warning", code, errOut)
	}
	mustRun(t, env, "municipality", "set", "012033", "--name-latin", "City of Otaru", "--contact-phone", "0134-32-4111")
	out = mustRun(t, env, "municipality", "list")
	if lines := strings.Split(out, "\n"); len(lines) < 2 || strings.Join(strings.Fields(lines[1]), " ") != "012033 小樽市 おたるし Otaru City 0134-32-4111 小樽市役所 -" {
		t.Errorf("list: %q", out)
	}
}

// TestMunicipality_LocalGovFile checks KIGEN_LOCALGOV_FILE: a newer list
// than the built-in one, checked with the configuration.
func TestMunicipality_LocalGovFile(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env["KIGEN_LOCALGOV_FILE"] = writeFile(t, "localgov.csv", []byte("pref,city,citykana,lgcode\n北海道,みらい町,みらいちょう,019992\n"))
	if out := mustRun(t, env, "municipality", "add", "019992", "--contact-phone", "0134-00-0000"); out != "added municipality 019992 みらい町 みらいちょう (Mirai Town)\n" {
		t.Errorf("add 019992: %q", out)
	}
	env["KIGEN_LOCALGOV_FILE"] = writeFile(t, "bad.csv", []byte("pref,city,citykana,lgcode\n北海道,みらい町,みらい,019992\n"))
	code, _, errOut := runKigen(t, env, "config")
	if code != exitUsage || !strings.Contains(errOut, `KIGEN_LOCALGOV_FILE: `) || !strings.Contains(errOut, `line 2: citykana: "みらい" does not end in the reading of 町`) {
		t.Errorf("a bad list: code %d, stderr %q", code, errOut)
	}
}

// TestMunicipality_NamesAndCalendar checks the flags of the names messages
// compose and of the office's own calendar (docs/domain.md §12–§13): a
// ward of a designated city gets its kind and its ward office from the
// list; a kind in the Latin name is taken off with a warning; a weekend
// opening day on a weekday is refused with the flag named.
func TestMunicipality_NamesAndCalendar(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	if out := mustRun(t, env, "municipality", "add", "011011", "--contact-phone", "011-231-2400"); out != "added municipality 011011 札幌市中央区 さっぽろし ちゅうおうく (Chuo Ward)\n" {
		t.Errorf("add a ward of Sapporo: %q", out)
	}
	code, _, errOut := runKigen(t, env, "municipality", "set", "011011", "--name-latin", "Chuo Ward, Sapporo City", "--name-hangul", "주오",
		"--name-thai", "ชูโอ", "--name-devanagari", "चुओ", "--office", "札幌市中央区役所 2階", "--closed-days", "2027-01-07, 2027-01-08", "--open-days", "2027-03-27")
	if code != exitOK || !strings.Contains(errOut, `warning: the Latin name is stored without its kind: "Chuo", not "Chuo Ward, Sapporo City"`) {
		t.Errorf("set names and calendar: code %d, stderr %q", code, errOut)
	}
	out := mustRun(t, env, "municipality", "list")
	if lines := strings.Split(out, "\n"); len(lines) < 2 || strings.Join(strings.Fields(lines[1]), " ") !=
		"011011 札幌市中央区 さっぽろし ちゅうおうく Chuo Ward 011-231-2400 札幌市中央区役所 2階 closed 2027-01-07,2027-01-08; open 2027-03-27" {
		t.Errorf("list: %q", out)
	}
	code, _, errOut = runKigen(t, env, "municipality", "set", "011011", "--open-days", "2027-03-26", "--kind", "県")
	if code != exitInvalid || !strings.Contains(errOut, "--kind: \"県\" is not a kind of municipality") ||
		!strings.Contains(errOut, "--open-days: 2027-03-26 is a Friday the office is open anyway") {
		t.Errorf("bad kind and open day: code %d, stderr %q", code, errOut)
	}
	mustRun(t, env, "municipality", "set", "011011", "--closed-days", "", "--open-days", "")
	if out := mustRun(t, env, "municipality", "list"); !strings.HasSuffix(strings.TrimSpace(out), "2階  -") {
		t.Errorf("calendar cleared: %q", out)
	}
}
