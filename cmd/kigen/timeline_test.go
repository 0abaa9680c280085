package main

import (
	"strings"
	"testing"
)

// TestTimeline_Flags: the card flags are hyphenated like every other
// command's, and the first spelling, with underscores, still works.
func TestTimeline_Flags(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIGEN_NOW": "2026-11-25"}
	args := map[string][]string{
		"hyphens":     {"--residence-card", "2030-03-31", "--mynumber-card", "2027-03-31", "--mynumber-cert", "2027-01-15", "--integrated-card", ""},
		"underscores": {"--residence_card", "2030-03-31", "--mynumber_card", "2027-03-31", "--mynumber_cert", "2027-01-15", "--integrated_card", ""},
	}
	outs := map[string]string{}
	for name, a := range args {
		code, out, errOut := runKigen(t, env, append([]string{"timeline"}, a...)...)
		if code != exitOK || !strings.Contains(out, "renewal_gap") {
			t.Errorf("%s: code %d, stdout %q, stderr %q", name, code, out, errOut)
		}
		outs[name] = out
	}
	if outs["hyphens"] != outs["underscores"] {
		t.Errorf("the two spellings differ:\n%s\n%s", outs["hyphens"], outs["underscores"])
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--mynumber_cert", "2027-02-30"}, `--mynumber-cert: "2027-02-30" is not a date`},
		{[]string{"--integrated-card", "R9.2.30"}, `--integrated-card: "R9.2.30" is not a date`},
		{nil, "give at least one card date, e.g. --residence-card 2027-03-31 --mynumber-card 2027-03-31"},
	} {
		code, _, errOut := runKigen(t, env, append([]string{"timeline"}, tt.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("timeline %v: code %d, stderr %q; want %d and %q", tt.args, code, errOut, exitUsage, tt.want)
		}
	}
}

// TestHolidaysFile: KIGEN_HOLIDAYS_FILE corrects a national holiday
// without a release, and the timeline and the preview name the date to go
// by from it; a bad file stops every command with the line and the reason.
func TestHolidaysFile(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIGEN_NOW": "2027-09-01"}
	// A My Number card expiring Friday 24 September 2027: on the rules'
	// calendar the office is open that day; declared a holiday, Thursday
	// 23 September is no longer the equinox, so go by the 23rd.
	args := []string{"timeline", "--mynumber-card", "2027-09-24"}
	if out := mustRun(t, env, args...); !strings.Contains(out, "2027-09-24 Fri") {
		t.Fatalf("timeline without corrections: %s", out)
	}
	env["KIGEN_HOLIDAYS_FILE"] = writeFile(t, "holidays.txt", []byte("-2027-09-23\n2027-09-24 秋分の日\n"))
	out := mustRun(t, env, args...)
	if !strings.Contains(out, "2027-09-23 Thu") || strings.Contains(out, "2027-09-24 Fri") {
		t.Errorf("timeline with the corrections: %s", out)
	}
	out = mustRun(t, env, "preview", "--lang", "en", "--card", "mynumber_card", "--stage", "d30", "--now", "2027-08-25", "--channel", "sms")
	if !strings.Contains(out, "by Thu, Sep 23") {
		t.Errorf("preview with the corrections: %s", out)
	}
	env["KIGEN_HOLIDAYS_FILE"] = writeFile(t, "bad.txt", []byte("# corrections\n2027-09-31\n"))
	code, _, errOut := runKigen(t, env, args...)
	if code != exitUsage || !strings.Contains(errOut, `KIGEN_HOLIDAYS_FILE: `) || !strings.Contains(errOut, `line 2: "2027-09-31" is not a date`) {
		t.Errorf("a bad file: code %d, stderr %q", code, errOut)
	}
}
