package templates

import (
	"strings"
	"testing"

	"kigen"
)

func TestCases(t *testing.T) {
	t.Parallel()
	seen := map[Case]bool{}
	for _, c := range Cases() {
		if err := c.Check(); err != nil {
			t.Errorf("%v: %v", c, err)
		}
		if seen[c] {
			t.Errorf("%v listed twice", c)
		}
		seen[c] = true
	}
	// 4 cards × 8 stages, the My Number card's 8 stages × 2 contexts,
	// renewal_gap, and special_period for 2 cards.
	if want := 4*8 + 2*8 + 1 + 2; len(seen) != want {
		t.Errorf("%d cases, want %d", len(seen), want)
	}
	if len(SampleParams(kigen.English, today).MessageURL) > SMSURLBudget {
		t.Error("the sample message URL is longer than SMSURLBudget")
	}
}

func TestCase_Check(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		c       Case
		wantErr string
	}{
		{name: "renewal gap of a residence card", c: Case{kigen.ResidenceCard, kigen.RenewalGap, ""}, wantErr: "renewal_gap is a notice of the mynumber_card"},
		{name: "special period of a certificate", c: Case{kigen.MyNumberCert, kigen.SpecialPeriod, ""}, wantErr: "special_period is a notice of the residence_card"},
		{name: "gap on a residence card", c: Case{kigen.ResidenceCard, kigen.D30, ContextGap}, wantErr: "only mynumber_card notices have a context"},
		{name: "unknown context", c: Case{kigen.MyNumberCard, kigen.D30, "soon"}, wantErr: `unknown context "soon"`},
		{name: "unknown card", c: Case{"passport", kigen.D30, ""}, wantErr: `unknown card "passport"`},
		{name: "unknown stage", c: Case{kigen.MyNumberCard, "d5", ""}, wantErr: `unknown stage "d5"`},
		{name: "special period while the gap is open", c: Case{kigen.ResidenceCard, kigen.SpecialPeriod, ContextGap}, wantErr: "cannot have the context gap"},
	}
	for _, tt := range tests {
		err := tt.c.Check()
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestSampleDue(t *testing.T) {
	t.Parallel()
	for _, c := range Cases() {
		d := mustDue(t, c, today)
		if d.Kind != c.Card || d.Stage != c.Stage || d.DaysLeft != d.ExpiresOn.Sub(today) {
			t.Errorf("%v: %+v", c, d)
		}
		if got := contextOf(d); (c.Context == ContextGap) != (got == gap) || (c.Context == ContextPending) != (got == pending) {
			t.Errorf("%v: read back as context %d", c, got)
		}
		if lead, ok := c.Stage.LeadDays(); ok && d.DaysLeft != lead {
			t.Errorf("%v: %d days left, want %d", c, d.DaysLeft, lead)
		}
	}
}

func TestGallery(t *testing.T) {
	t.Parallel()
	files, err := mustRenderer(t).Gallery(today)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(kigen.Languages)+1 {
		t.Errorf("%d files, want an index and %d pages", len(files), len(kigen.Languages))
	}
	index := string(files["index.html"])
	for _, l := range kigen.Languages {
		page := string(files[string(l)+".html"])
		if !strings.Contains(index, `href="`+string(l)+`.html"`) {
			t.Errorf("the index does not link %s", l)
		}
		if n := strings.Count(page, "<iframe srcdoc="); n != len(galleryCases()) {
			t.Errorf("%s: %d emails, want %d", l, n, len(galleryCases()))
		}
		if bad := leftover.FindString(page); bad != "" {
			t.Errorf("%s: page holds %q", l, bad)
		}
	}
	if strings.Contains(index, `class="over"`) || !strings.Contains(index, "<h2>Warnings</h2>\n<p class=\"meta\">None.</p>") {
		t.Error("the gallery has warnings (an SMS over 2 segments)")
	}
	// Beside each message: its SMS's segments and the days to go by.
	en := string(files["en.html"])
	for _, w := range []string{"SMS: 1 segment(s), GSM-7", "mynumber_card: go by 2027-01-08 Fri",
		"mynumber_card: go by 2026-12-28 Mon", "residence_card: go by 2027-01-08 Fri",
		"mynumber_card: no open day left before 2027-01-09; opens 2027-01-12 Tue"} {
		if !strings.Contains(en, w) {
			t.Errorf("the English page does not show %q", w)
		}
	}
}
