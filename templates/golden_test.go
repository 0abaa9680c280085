package templates

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// goldenCases are the messages each language's golden file shows: one of
// each kind of text a resident gets, and the dates to go by of
// docs/domain.md §12.
var goldenCases = []struct {
	name  string
	cases []Case
	// edit, if set, changes the sample message (its dates, the status).
	edit func(p *Params)
}{
	{name: "residence card, 30 days before", cases: []Case{{kigen.ResidenceCard, kigen.D30, ContextNone}}},
	{name: "renewal gap, certificate at the same visit", cases: []Case{{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}}},
	{name: "My Number card while the renewal is pending, 14 days before", cases: []Case{{kigen.MyNumberCard, kigen.D14, ContextPending}}},
	{name: "certificate expired", cases: []Case{{kigen.MyNumberCert, kigen.Expired, ContextNone}}},
	{name: "special period", cases: []Case{{kigen.ResidenceCard, kigen.SpecialPeriod, ContextPending}}},
	{name: "residence card and My Number card on the same day", cases: []Case{
		{kigen.ResidenceCard, kigen.D7, ContextNone}, {kigen.MyNumberCard, kigen.D7, ContextNone}}},
	{name: "residence card expired", cases: []Case{{kigen.ResidenceCard, kigen.Expired, ContextNone}}},
	{name: "My Number card expiring on Saturday 9 January 2027, 3 days before: go by Friday", cases: []Case{{kigen.MyNumberCard, kigen.D3, ContextNone}},
		edit: sentOn("2027-01-06", "2027-01-09")},
	{name: "My Number card expiring on 3 January 2027, 7 days before: go by 28 December", cases: []Case{{kigen.MyNumberCard, kigen.D7, ContextGap}},
		edit: sentOn("2026-12-27", "2027-01-03")},
	{name: "residence card, tomorrow, on the last open day", cases: []Case{{kigen.ResidenceCard, kigen.D1, ContextNone}},
		edit: sentOn("2027-01-08", "2027-01-09")},
	{name: "My Number card on a Saturday, its last day: no open day left", cases: []Case{{kigen.MyNumberCard, kigen.D1, ContextNone}},
		edit: sentOn("2027-01-09", "2027-01-09")},
	{name: "permanent resident's My Number card, 60 days before", cases: []Case{{kigen.MyNumberCard, kigen.D60, ContextNone}},
		edit: func(p *Params) { p.Status = kigen.Permanent }},
}

// sentOn sets the sending day of a one-notice message and its card's date.
func sentOn(day, expires string) func(p *Params) {
	return func(p *Params) {
		p.Today, p.Notices[0].ExpiresOn = kigen.MustParseISODate(day), kigen.MustParseISODate(expires)
	}
}

// TestGolden compares the rendered messages (subject, SMS and plain-text
// email) with testdata/messages.<lang>.golden. Run
// `go test ./templates -update` to rewrite them, then review the diff like
// code.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, l := range kigen.Languages {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			for _, gc := range goldenCases {
				var ds []kigen.Due
				for _, c := range gc.cases {
					ds = append(ds, mustDue(t, c, today))
				}
				p := SampleParams(l, today, ds...)
				if gc.edit != nil {
					gc.edit(&p)
				}
				e, s := mustMessage(t, p)
				n, enc := Segments(s)
				fmt.Fprintf(&b, "=== %s\n--- subject\n%s\n--- sms (%d segments, %s, %d characters)\n%s\n--- text\n%s\n", gc.name, e.Subject, n, enc, smsSize(s), s, e.Text)
			}
			compareGolden(t, filepath.Join("testdata", "messages."+string(l)+".golden"), b.String())
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run go test ./templates -update and review the diff:\n%s", path, diff)
	}
}
