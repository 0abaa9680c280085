package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

// mustEmail renders the email of one message in English by default.
func mustEmail(t *testing.T, l kigen.Language, m kigen.Municipality, ds ...kigen.Due) Email {
	t.Helper()
	e, err := mustRenderer(t).Email(params(l, m, ds))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEmail_JapaneseTerms checks that the words a resident shows at a
// counter appear in Japanese next to every translation.
func TestEmail_JapaneseTerms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    Case
		want []string
	}{
		{name: "residence card", c: Case{kigen.ResidenceCard, kigen.D30, ContextNone},
			want: []string{"在留カード", "出入国在留管理局", "在留期間更新許可申請", "小樽市役所"}},
		{name: "My Number card, gap", c: Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap},
			want: []string{"マイナンバーカード", "在留カード", "小樽市役所", "暗証番号", "有効期間の変更", "電子証明書", "資格確認書", "マイナ保険証"}},
		{name: "My Number card, pending", c: Case{kigen.MyNumberCard, kigen.D14, ContextPending},
			want: []string{"マイナンバーカード", "申請中", "小樽市役所"}},
		{name: "certificate", c: Case{kigen.MyNumberCert, kigen.Expired, ContextNone},
			want: []string{"電子証明書", "資格確認書", "小樽市役所"}},
		{name: "integrated card", c: Case{kigen.IntegratedCard, kigen.D60, ContextNone},
			want: []string{"特定在留カード", "出入国在留管理局"}},
	}
	for _, l := range kigen.Languages {
		for _, tt := range tests {
			e := mustEmail(t, l, otaru, mustDue(t, tt.c, today))
			for _, w := range tt.want {
				if !strings.Contains(e.Text, w) || !strings.Contains(e.HTML, w) {
					t.Errorf("%s, %s: no %q in the email", l, tt.name, w)
				}
			}
		}
	}
}

func TestEmail_TownOffice(t *testing.T) {
	t.Parallel()
	e := mustEmail(t, kigen.English, town, mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today))
	if !strings.Contains(e.Text, "Yoichi Town Office (余市町役場)") {
		t.Errorf("the office of a town is not 余市町役場:\n%s", e.Text)
	}
	if strings.Contains(e.Text, "市役所") {
		t.Errorf("a town has no 市役所:\n%s", e.Text)
	}
}

func TestEmail_WhatEachNoticeSays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		notices func() []kigen.Due
		want    []string
		notWant []string
	}{
		{
			name: "residence card goes to immigration, then the My Number card to the office",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D90, ContextNone}, today)}
			},
			want: []string{"Regional Immigration Services Bureau (出入国在留管理局)", "your passport", "one photo, 4 cm high and 3 cm wide",
				"take it with your My Number card to Otaru City Hall (小樽市役所)", "You can apply for the renewal now."},
		},
		{
			name: "integrated card needs no visit to the office",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.IntegratedCard, kigen.D30, ContextNone}, today)}
			},
			want: []string{"also updates the My Number side", "no visit to Otaru City Hall (小樽市役所) is needed"},
		},
		{
			name: "gap: new residence card, weekday, certificate at the same visit, insurance",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)}
			},
			want: []string{"Your period of stay was renewed until March 1, 2030, but your My Number card still expires on April 15, 2027: it is not extended when your period of stay is renewed.",
				"your NEW residence card (在留カード)", "the card's 4-digit PIN (暗証番号)", "Go on an ordinary weekday",
				"also renew the electronic certificate (電子証明書): it expires on April 15, 2027.",
				"it stops working, including as your health insurance card (マイナ保険証).", "qualification certificate (資格確認書)"},
		},
		{
			name: "gap without the certificate",
			notices: func() []kigen.Due {
				d := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)
				d.CertExpiresOn = kigen.Date{}
				return []kigen.Due{d}
			},
			want:    []string{"Go on an ordinary weekday"},
			notWant: []string{"At the same visit"},
		},
		{
			name: "pending: extend until the end of the special period, bring the stamped card",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.D7, ContextPending}, today)}
			},
			want: []string{"You applied to extend your period of stay on February 8, 2027.",
				"can extend your My Number card once, until May 8, 2027", "This has to be done before the card expires.",
				"stamped “application pending” (申請中), or the receipt email of your online application"},
		},
		{
			name: "special period",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.SpecialPeriod, ContextPending}, today)}
			},
			want: []string{"Your period of stay ended on February 25, 2027.", "until the decision, April 25, 2027 at the latest",
				"You applied to extend your period of stay on January 6, 2027."},
		},
		{
			name: "expired certificate: insurance until the end of the third month after (DOMAIN §9b)",
			notices: func() []kigen.Due {
				return []kigen.Due{mustDue(t, Case{kigen.MyNumberCert, kigen.Expired, ContextNone}, today)}
			},
			want: []string{"It expired on February 24, 2027, 5 days ago.", "until May 31, 2027", "qualification certificate (資格確認書)"},
		},
		{
			name: "renewal_gap and a stage of the same card are one part",
			notices: func() []kigen.Due {
				g := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)
				s := mustDue(t, Case{kigen.MyNumberCard, kigen.D60, ContextGap}, today)
				s.ExpiresOn = g.ExpiresOn
				return []kigen.Due{g, s}
			},
			want: []string{"Plan your visit soon.", "At the same visit"},
		},
		{
			name: "same day: one message listing both cards, most urgent first",
			notices: func() []kigen.Due {
				return []kigen.Due{
					mustDue(t, Case{kigen.MyNumberCert, kigen.D90, ContextNone}, today),
					mustDue(t, Case{kigen.ResidenceCard, kigen.D7, ContextNone}, today),
					mustDue(t, Case{kigen.MyNumberCard, kigen.D7, ContextNone}, today),
				}
			},
			want: []string{"[Otaru City] Your residence card, My Number card and electronic certificate: dates to act on"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustEmail(t, kigen.English, otaru, tt.notices()...)
			all := e.Subject + "\n" + e.Text
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("no %q in:\n%s", w, all)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(all, w) {
					t.Errorf("%q should not be in:\n%s", w, all)
				}
			}
		})
	}
}

func TestEmail_OneBlockPerCard(t *testing.T) {
	t.Parallel()
	g := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)
	s := mustDue(t, Case{kigen.MyNumberCard, kigen.D60, ContextGap}, today)
	s.ExpiresOn = g.ExpiresOn
	e := mustEmail(t, kigen.English, otaru, g, s)
	if n := strings.Count(e.HTML, `class="notice `); n != 1 {
		t.Errorf("%d notice parts for one card, want 1", n)
	}
	r := mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)
	m := mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today)
	e = mustEmail(t, kigen.English, otaru, m, r)
	if n := strings.Count(e.HTML, `class="notice `); n != 2 {
		t.Errorf("%d notice parts for two cards, want 2", n)
	}
	if strings.Index(e.Text, "Residence card\n") > strings.Index(e.Text, "My Number card\n") {
		t.Errorf("on the same day the residence card comes first:\n%s", e.Text)
	}
}

func TestEmail_Hotlines(t *testing.T) {
	t.Parallel()
	d := mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today)
	tests := []struct {
		lang    kigen.Language
		want    []string
		notWant []string
	}{
		{kigen.English, []string{"0120-0178-26", "0120-0178-27", "Every day 8:30–20:00", "en-otoiawase"}, []string{"0120-95-0178", "9:00–18:00"}},
		{kigen.Thai, []string{"0120-0178-26", "0120-0178-27", "ทุกวัน 9:00–18:00 น.", "en-link"}, []string{"0120-95-0178", "8:30", "en-otoiawase"}},
		{kigen.Japanese, []string{"0120-95-0178", "en-otoiawase"}, []string{"0120-0178-26", "0120-0178-27", "en-link"}},
		// Easy Japanese readers also get the multilingual line.
		{kigen.EasyJapan, []string{"0120-95-0178", "0120-0178-26", "英語・中国語"}, []string{"0120-0178-27"}},
	}
	for _, tt := range tests {
		e := mustEmail(t, tt.lang, otaru, d)
		for _, w := range tt.want {
			if !strings.Contains(e.Text, w) {
				t.Errorf("%s: no %q in:\n%s", tt.lang, w, e.Text)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(e.Text, w) {
				t.Errorf("%s: %q should not be in:\n%s", tt.lang, w, e.Text)
			}
		}
		if !strings.Contains(e.HTML, `href="tel:0120017826"`) && tt.lang != kigen.Japanese && tt.lang != kigen.EasyJapan {
			t.Errorf("%s: the hotline is not a tel: link", tt.lang)
		}
	}
}

// TestEmail_NoHotlineForTheLanguage uses hotline data in which no line
// answers in Thai: the message says so and points to the municipality.
func TestEmail_NoHotlineForTheLanguage(t *testing.T) {
	t.Parallel()
	h, err := ParseHotlines([]byte(`{"phones": [{"number": "0120-0178-26", "free": true, "topic": "mynumber",
		"groups": [{"languages": ["en", "zh", "ko", "es", "pt"], "hours": [{"days": "weekdays", "from": "9:30", "to": "20:00"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Email(params(kigen.Thai, otaru, []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"สายด่วนระดับประเทศยังไม่มีบริการภาษาไทย กรุณาติดต่อ เมืองโอตารุ", "0134-00-0000"} {
		if !strings.Contains(e.Text, w) {
			t.Errorf("no %q in:\n%s", w, e.Text)
		}
	}
	if strings.Contains(e.Text, "0120-0178-26") {
		t.Errorf("a line that does not answer in Thai is listed:\n%s", e.Text)
	}
}

func TestParseHotlines(t *testing.T) {
	t.Parallel()
	if _, err := ParseHotlines(defaultHotlines); err != nil {
		t.Fatalf("built-in hotlines.json: %v", err)
	}
	tests := []struct {
		name, in, wantErr string
	}{
		{name: "unknown field", in: `{"phones": [], "fax": []}`, wantErr: "unknown field"},
		{name: "unknown language", in: `{"phones": [{"number": "1", "topic": "mynumber", "groups": [{"languages": ["fr"], "hours": []}]}]}`, wantErr: `unknown language "fr"`},
		{name: "unknown topic", in: `{"phones": [{"number": "1", "topic": "tax", "groups": [{"languages": ["en"], "hours": []}]}]}`, wantErr: `unknown topic "tax"`},
		{name: "unknown days", in: `{"phones": [{"number": "1", "topic": "loss", "groups": [{"languages": ["en"], "hours": [{"days": "sundays", "from": "9:00", "to": "17:00"}]}]}]}`, wantErr: `unknown days "sundays"`},
		{name: "bad time", in: `{"phones": [{"number": "1", "topic": "loss", "groups": [{"languages": ["en"], "hours": [{"days": "every_day", "from": "9h", "to": "17:00"}]}]}]}`, wantErr: "not H:MM"},
		{name: "every problem at once", in: `{"web": [{"url": "", "topic": "x", "languages": []}]}`, wantErr: "no url\nweb[0]: unknown topic \"x\"\nweb[0]: no languages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseHotlines([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadHotlines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hotlines.json")
	if _, err := LoadHotlines(path); err == nil {
		t.Error("a missing file loaded")
	}
	if err := os.WriteFile(path, defaultHotlines, 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := LoadHotlines(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultHotlines(), h); diff != "" {
		t.Errorf("LoadHotlines differs from DefaultHotlines (-want +got):\n%s", diff)
	}
}

// TestEmail_WhereCapital: the "Where" line is a heading-like line and starts
// with a capital (review defect 8: "municipalidad de …").
func TestEmail_WhereCapital(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		v, err := r.view(params(l, otaru, []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today)}))
		if err != nil {
			t.Fatal(err)
		}
		if w := v.Notices[0].Where; upperFirst(w) != w {
			t.Errorf("%s: %q", l, w)
		}
	}
}
