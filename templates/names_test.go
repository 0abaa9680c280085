package templates

import (
	"strings"
	"testing"

	"kigen"
)

// TestOfficeNames pins docs/domain.md §13: each language names the
// municipality and its office in its own script and word order, from the
// name without its kind, with the Japanese office name in brackets in the
// email, and never doubles "City".
func TestOfficeNames(t *testing.T) {
	t.Parallel()
	chiyoda := kigen.Municipality{Name: "千代田区", NameLatin: "Chiyoda"}
	village := kigen.Municipality{Name: "西興部村", NameLatin: "Nishiokoppe"}
	legacy := kigen.Municipality{Name: "小樽市", NameLatin: "Otaru City"} // stored before the kind was kept apart
	noScripts := kigen.Municipality{Name: "小樽市", NameLatin: "Otaru"}
	tests := []struct {
		name  string
		lang  kigen.Language
		m     kigen.Municipality
		email string // the office at its first use in the email
		sms   string
	}{
		{"en", kigen.English, otaru, "Otaru City Hall (小樽市役所)", "Otaru City Hall"},
		{"tl", kigen.Tagalog, otaru, "Otaru City Hall (小樽市役所)", "Otaru City Hall"},
		{"es", kigen.Spanish, otaru, "Municipalidad de Otaru (小樽市役所)", "la Municipalidad de Otaru"},
		{"pt", kigen.Portuguese, otaru, "Prefeitura de Otaru (小樽市役所)", "Prefeitura de Otaru"},
		{"id", kigen.Indonesian, otaru, "Balai Kota Otaru (小樽市役所)", "Balai Kota Otaru"},
		{"vi", kigen.Vietnamese, otaru, "Tòa thị chính Otaru (小樽市役所)", "Toa thi chinh Otaru"},
		{"ko", kigen.Korean, otaru, "오타루시청(小樽市役所)", "[오타루시]"},
		{"th", kigen.Thai, otaru, "ศาลาว่าการเมืองโอตารุ (小樽市役所)", "【小樽市】"},
		{"ne", kigen.Nepali, otaru, "ओतारु नगरपालिका कार्यालय (小樽市役所)", "【小樽市】"},
		{"ja", kigen.Japanese, otaru, "小樽市役所", "【小樽市】"},
		{"zh", kigen.Chinese, otaru, "小樽市政府（小樽市役所）", "【小樽市】"},
		{"ko without a Hangul name: the Japanese names, not bracketed twice", kigen.Korean, noScripts, "小樽市役所에서", "[小樽市]"},
		{"th without a Thai name: the Latin one", kigen.Thai, noScripts, "ศาลาว่าการเมือง Otaru (小樽市役所)", "【小樽市】"},
		{"ne without a Devanagari name: the Latin one", kigen.Nepali, noScripts, "Otaru नगरपालिका कार्यालय (小樽市役所)", "【小樽市】"},
		{"a ward of Sapporo: its ward office (en)", kigen.English, sapporoChuo, "Chuo Ward Office (札幌市中央区役所)", "Chuo Ward Office"},
		{"a ward of Sapporo (es)", kigen.Spanish, sapporoChuo, "Oficina del distrito de Chuo (札幌市中央区役所)", "Chuo:"},
		{"a ward of Sapporo (pt)", kigen.Portuguese, sapporoChuo, "Subprefeitura de Chuo (札幌市中央区役所)", "Subprefeitura de Chuo"},
		{"a ward of Sapporo (ko)", kigen.Korean, sapporoChuo, "주오구청(札幌市中央区役所)", "구청"},
		{"a ward of Sapporo (ja)", kigen.Japanese, sapporoChuo, "札幌市中央区役所", "区役所"},
		{"a ward of Sapporo (vi)", kigen.Vietnamese, sapporoChuo, "Văn phòng quận Chuo (札幌市中央区役所)", "Quan Chuo:"},
		{"a special ward of Tokyo calls itself a city in English", kigen.English, chiyoda, "Chiyoda City Office (千代田区役所)", "Chiyoda City:"},
		{"a village", kigen.English, village, "Nishiokoppe Village Office (西興部村役場)", "Nishiokoppe Village:"},
		{"a village (id)", kigen.Indonesian, village, "Kantor Desa Nishiokoppe (西興部村役場)", "Desa Nishiokoppe:"},
		{"a town (th)", kigen.Thai, longestTown, "ที่ว่าการเมืองฮิงาชิอางัตสึมะ (東吾妻町役場)", "【東吾妻町】"},
		{"a Latin name stored with its kind is not doubled (en)", kigen.English, legacy, "Otaru City Hall (小樽市役所)", "Otaru City:"},
		{"a Latin name stored with its kind is not doubled (es)", kigen.Spanish, legacy, "Municipalidad de Otaru (小樽市役所)", "Otaru:"},
		{"the office staff set", kigen.English, kigen.Municipality{Name: "小樽市", NameLatin: "Otaru", Office: "小樽市役所 本庁舎"},
			"Otaru City Hall (小樽市役所 本庁舎)", "Otaru City Hall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := params(tt.lang, tt.m, []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today)})
			text, _, sms := render(t, p)
			if !strings.Contains(text, tt.email) {
				t.Errorf("the email does not name %q:\n%s", tt.email, text)
			}
			if !strings.Contains(sms, tt.sms) {
				t.Errorf("the SMS does not name %q: %q", tt.sms, sms)
			}
		})
	}
}

// TestOfficeNames_NeverDoubled renders every message of every language for
// each kind of municipality and finds no kind written twice: no "City
// City", no "City Hall of … City", and no English kind word at all in
// the languages that write the kind in their own words.
func TestOfficeNames_NeverDoubled(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	munis := []kigen.Municipality{otaru, town, longestTown, sapporoChuo,
		{Name: "千代田区", NameLatin: "Chiyoda City"}, {Name: "小樽市", NameLatin: "Otaru City"}, {Name: "西興部村", NameLatin: "Nishiokoppe Village"}}
	english := map[kigen.Language]bool{kigen.English: true, kigen.Tagalog: true}
	for _, l := range kigen.Languages {
		for _, m := range messages(t, today) {
			for _, muni := range munis {
				p := params(l, muni, m.notices)
				e, err := r.Email(p)
				if err != nil {
					t.Fatal(err)
				}
				s, err := r.SMS(p)
				if err != nil {
					t.Fatal(err)
				}
				for _, text := range []string{e.Subject, e.Text, s} {
					for _, bad := range []string{"City City", "City Hall of", "Ward Ward", "Town Town", "Village Village", "市市", "市役所役所"} {
						if strings.Contains(text, bad) {
							t.Fatalf("%s, %s, %s: %q in:\n%s", l, m.name, muni.Name, bad, text)
						}
					}
					if english[l] {
						continue
					}
					for _, word := range []string{" City", " Ward", " Town", " Village"} {
						if strings.Contains(text, word) {
							t.Fatalf("%s, %s, %s: the English kind %q in:\n%s", l, m.name, muni.Name, word, text)
						}
					}
				}
			}
		}
	}
}

// TestSetHolidays: the operator's corrections to the national holidays
// (KIGEN_HOLIDAYS_FILE) move the date to go by in the email and the SMS;
// a municipality's calendar keeps its own closed days beside them.
func TestSetHolidays(t *testing.T) {
	t.Parallel()
	r, err := New(DefaultHotlines())
	if err != nil {
		t.Fatal(err)
	}
	// A My Number card expiring Friday 8 January 2027, the 8th declared
	// a holiday.
	r.SetHolidays(kigen.HolidayCorrections{Add: map[kigen.Date]string{kigen.NewDate(2027, 1, 8): "臨時の休日"}})
	p := oneNotice(t, kigen.English, Case{kigen.MyNumberCard, kigen.D7, ContextNone}, "2027-01-01", "2027-01-08")
	e, err := r.Email(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.SMS(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Text, "Go by Thursday, January 7, 2027") || !strings.Contains(s, "by Thu, Jan 7.") {
		t.Errorf("the corrected holiday does not move the date to go by:\n%s\n%s", e.Text, s)
	}
	p.Municipality.Calendar.Closed = []kigen.Date{kigen.NewDate(2027, 1, 7)}
	if s, err = r.SMS(p); err != nil || !strings.Contains(s, "by Wed, Jan 6.") {
		t.Errorf("with the municipality's closed day too: %q, %v", s, err)
	}
	// Without the correction, Friday 8 January.
	if s, err := mustRenderer(t).SMS(p); err != nil || !strings.Contains(s, "by Fri, Jan 8.") {
		t.Errorf("without the correction: %q, %v", s, err)
	}
}
