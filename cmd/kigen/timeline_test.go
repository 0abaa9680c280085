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
