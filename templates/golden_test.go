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
// each kind of text a resident gets.
var goldenCases = []struct {
	name  string
	cases []Case
}{
	{"residence card, 30 days before", []Case{{kigen.ResidenceCard, kigen.D30, ContextNone}}},
	{"renewal gap, certificate at the same visit", []Case{{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}}},
	{"My Number card while the renewal is pending, 14 days before", []Case{{kigen.MyNumberCard, kigen.D14, ContextPending}}},
	{"certificate expired", []Case{{kigen.MyNumberCert, kigen.Expired, ContextNone}}},
	{"special period", []Case{{kigen.ResidenceCard, kigen.SpecialPeriod, ContextPending}}},
	{"residence card and My Number card on the same day", []Case{
		{kigen.ResidenceCard, kigen.D7, ContextNone}, {kigen.MyNumberCard, kigen.D7, ContextNone}}},
}

// TestGolden compares the rendered messages (subject, SMS and plain-text
// email) with testdata/messages.<lang>.golden. Run
// `go test ./templates -update` to rewrite them, then review the diff like
// code.
func TestGolden(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
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
				e, err := r.Email(p)
				if err != nil {
					t.Fatal(err)
				}
				s, err := r.SMS(p)
				if err != nil {
					t.Fatal(err)
				}
				n, enc := Segments(s)
				fmt.Fprintf(&b, "=== %s\n--- subject\n%s\n--- sms (%d segments, %s)\n%s\n--- text\n%s\n", gc.name, e.Subject, n, enc, s, e.Text)
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
