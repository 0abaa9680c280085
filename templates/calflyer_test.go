package templates

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"kigen"
)

// TestCalflyerCatalogs_Parity: the twelve calendar and flyer catalogs
// load (same keys as English, no empty text), and each text uses exactly
// the placeholders of the English one.
func TestCalflyerCatalogs_Parity(t *testing.T) {
	t.Parallel()
	cats, err := calflyerCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != len(kigen.Languages) {
		t.Fatalf("%d catalogs, want %d", len(cats), len(kigen.Languages))
	}
	ref := cats[referenceLanguage]
	for _, l := range kigen.Languages {
		for _, k := range slices.Sorted(maps.Keys(ref.entries)) {
			want, _ := placeholders(ref.entries[k].text)
			got, err := placeholders(cats[l].entries[k].text)
			if err != nil {
				t.Errorf("%s %s: %v", l, k, err)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(slices.Compact(got), slices.Compact(want)) {
				t.Errorf("%s %s: placeholders %v, want %v (as English)", l, k, got, want)
			}
		}
	}
	// A catalog with a key too many is refused.
	extra := mustParse(t, kigen.Spanish, `{"cal.name": "x"}`)
	if err := checkParity(ref, extra); err == nil || !strings.Contains(err.Error(), "missing cal.alarm") {
		t.Errorf("checkParity(incomplete) = %v, want missing keys", err)
	}
}

func TestCalendarTexts(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	m := SampleMunicipality()
	e := kigen.MustParseISODate("2027-01-31") // a Sunday
	goBy := kigen.MustParseISODate("2027-01-29")
	for _, l := range kigen.Languages {
		ct, err := r.Calendar(l, m)
		if err != nil {
			t.Fatalf("Calendar(%s): %v", l, err)
		}
		evs := []CalendarEvent{
			ct.Expires(kigen.ResidenceCard, e, kigen.AtImmigration),
			ct.Expires(kigen.MyNumberCard, e, kigen.ForMyNumberValidity),
			ct.Expires(kigen.MyNumberCert, e, kigen.AtMunicipalOffice),
			ct.GoBy(kigen.ResidenceCard, goBy, e, kigen.AtImmigration),
			ct.SpecialPeriod(kigen.ResidenceCard, e, kigen.SpecialPeriodEnds(e)),
		}
		if err := ct.Err(); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		for _, ev := range append(evs, CalendarEvent{Summary: ct.Name, Description: ct.Description, Alarm: "-"}) {
			for _, s := range []string{ev.Summary, ev.Description, ev.Alarm} {
				if s == "" || strings.ContainsAny(s, "{}") {
					t.Errorf("%s: text %q is empty or has a placeholder left", l, s)
				}
			}
		}
		// The card's date, and on the go-by event its date too.
		if !strings.Contains(evs[0].Description, "2027") || !strings.Contains(evs[3].Description, "29") {
			t.Errorf("%s: dates missing: %q / %q", l, evs[0].Description, evs[3].Description)
		}
	}
	en, _ := r.Calendar(kigen.English, m)
	for _, tt := range []struct{ got, want string }{
		{en.Name, "Otaru City: card deadlines (Kigen)"},
		{en.Expires(kigen.ResidenceCard, e, kigen.AtImmigration).Summary, "Residence card expires"},
		{en.Expires(kigen.MyNumberCard, e, kigen.ForMyNumberValidity).Description,
			"Your My Number card is valid through January 31, 2027. Have its validity period changed before then.\nWhere: Otaru City Hall (小樽市役所)"},
		{en.GoBy(kigen.ResidenceCard, goBy, e, kigen.AtImmigration).Summary, "Last day to go: residence card"},
		{en.GoBy(kigen.ResidenceCard, goBy, e, kigen.AtImmigration).Alarm, "Last day to go: residence card (Friday, January 29, 2027)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	ja, _ := r.Calendar(kigen.Japanese, m)
	if got := ja.Expires(kigen.MyNumberCard, e, kigen.ForMyNumberValidity).Description; !strings.HasSuffix(got, "場所：小樽市役所") {
		t.Errorf("ja description = %q, want the office in Japanese only", got)
	}
	if _, err := r.Calendar("xx", m); err == nil {
		t.Error("Calendar(xx) did not fail")
	}
}

func TestFlyerTexts(t *testing.T) {
	t.Parallel()
	fs, err := mustRenderer(t).Flyer(SampleMunicipality())
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != len(kigen.Languages) {
		t.Fatalf("%d languages, want %d", len(fs), len(kigen.Languages))
	}
	muni := map[kigen.Language]string{kigen.Japanese: "小樽市", kigen.English: "Otaru City", kigen.Korean: "오타루시",
		kigen.Thai: "โอตารุ", kigen.Nepali: "ओतारु", kigen.Vietnamese: "Otaru"}
	for i, f := range fs {
		if f.Lang != kigen.Languages[i] || f.Title == "" || f.What == "" || f.Font == "" || f.Language == "" {
			t.Errorf("flyer text %d = %+v", i, f)
		}
		if w, ok := muni[f.Lang]; ok && !strings.Contains(f.Scan, w) {
			t.Errorf("%s: %q does not name the municipality as %q", f.Lang, f.Scan, w)
		}
	}
}
