package templates

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"kigen"
)

// leftover finds what a render must never leave behind: an unfilled
// placeholder, html/template's mark of a refused value, text/template's
// mark of a missing one.
var leftover = regexp.MustCompile(`\{[a-z0-9_]+\}|ZgotmplZ|<no value>|%!`)

func TestRender_EveryMessage(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			for _, m := range messages(t, today) {
				for _, muni := range []kigen.Municipality{otaru, longest, town} {
					p := params(l, muni, m.notices)
					e, err := r.Email(p)
					if err != nil {
						t.Fatalf("%s: Email: %v", m.name, err)
					}
					s, err := r.SMS(p)
					if err != nil {
						t.Fatalf("%s: SMS: %v", m.name, err)
					}
					for part, text := range map[string]string{"subject": e.Subject, "html": e.HTML, "text": e.Text, "sms": s} {
						if text == "" {
							t.Errorf("%s: empty %s", m.name, part)
						}
						if bad := leftover.FindString(text); bad != "" {
							t.Errorf("%s: %s holds %q", m.name, part, bad)
						}
					}
					if !strings.Contains(e.HTML, `<html lang="`+htmlLang(l)+`">`) {
						t.Errorf("%s: HTML without lang=%q", m.name, htmlLang(l))
					}
					if !strings.Contains(e.Text, longUnsub) || !strings.Contains(e.HTML, longUnsub) {
						t.Errorf("%s: no unsubscribe link", m.name)
					}
					if !strings.Contains(s, longURL) {
						t.Errorf("%s: SMS without the message link", m.name)
					}
				}
			}
		})
	}
}

// japaneseTerms returns the Japanese words a message may carry in any
// language: the terms, the card titles, the municipality and its office.
func japaneseTerms(r *Renderer, m kigen.Municipality) []string {
	ja := r.cats[kigen.Japanese]
	var out []string
	for k, e := range ja.entries {
		if strings.HasPrefix(k, "term.") || strings.HasPrefix(k, "card.") {
			s, _ := expand(e.text, args{"office_ja": m.OfficeJA(), "term": "", "ja": "", "short": ""})
			name, gloss := splitTerm(s)
			out = append(out, s, name, gloss)
		}
	}
	out = append(out, m.OfficeJA(), m.Name, "マイナポータル")
	// Longest first, so that マイナンバーカードの電子証明書 goes before
	// マイナンバーカード.
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if len(out[j]) > len(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func count(s string, in func(rune) bool) int {
	n := 0
	for _, r := range s {
		if in(r) {
			n++
		}
	}
	return n
}

func isKana(r rune) bool {
	return unicode.In(r, unicode.Hiragana, unicode.Katakana) || r == 'ー'
}

func isVietnamese(r rune) bool {
	return r >= 0x1EA0 && r <= 0x1EF9 || strings.ContainsRune("ăâđêôơưĂÂĐÊÔƠƯ", r)
}

func TestRender_Scripts(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	han := func(r rune) bool { return unicode.Is(unicode.Han, r) }
	tests := []struct {
		name   string
		lang   kigen.Language
		want   func(rune) bool // at least a third of the letters
		noHan  bool            // besides the Japanese terms
		script string
	}{
		{name: "ja", lang: kigen.Japanese, want: func(r rune) bool { return isKana(r) || han(r) }, script: "kana and kanji"},
		{name: "ja-easy", lang: kigen.EasyJapan, want: isKana, script: "kana"},
		{name: "zh", lang: kigen.Chinese, want: han, script: "Han"},
		{name: "ko", lang: kigen.Korean, want: func(r rune) bool { return unicode.Is(unicode.Hangul, r) }, noHan: true, script: "Hangul"},
		{name: "th", lang: kigen.Thai, want: func(r rune) bool { return unicode.Is(unicode.Thai, r) }, noHan: true, script: "Thai"},
		{name: "ne", lang: kigen.Nepali, want: func(r rune) bool { return unicode.Is(unicode.Devanagari, r) }, noHan: true, script: "Devanagari"},
		{name: "vi", lang: kigen.Vietnamese, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
		{name: "en", lang: kigen.English, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
		{name: "es", lang: kigen.Spanish, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
		{name: "pt", lang: kigen.Portuguese, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
		{name: "id", lang: kigen.Indonesian, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
		{name: "tl", lang: kigen.Tagalog, want: func(r rune) bool { return unicode.Is(unicode.Latin, r) }, noHan: true, script: "Latin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range messages(t, today) {
				e, err := r.Email(params(tt.lang, otaru, m.notices))
				if err != nil {
					t.Fatal(err)
				}
				text := e.Subject + "\n" + e.Text
				if tt.lang != kigen.Japanese && tt.lang != kigen.EasyJapan {
					for _, term := range japaneseTerms(r, otaru) {
						text = strings.ReplaceAll(text, term, "")
					}
					if n := count(text, isKana); n > 0 {
						t.Errorf("%s: %d kana outside the Japanese terms", m.name, n)
					}
				}
				if n := count(text, han); tt.noHan && n > 0 {
					t.Errorf("%s: %d Han characters outside the Japanese terms", m.name, n)
				}
				letters := count(text, unicode.IsLetter)
				if got := count(text, tt.want); got*3 < letters {
					t.Errorf("%s: only %d of %d letters are %s", m.name, got, letters, tt.script)
				}
				if tt.lang == kigen.Vietnamese && count(text, isVietnamese) < 20 {
					t.Errorf("%s: hardly any Vietnamese diacritics", m.name)
				}
			}
		})
	}
}

func TestRender_Dates(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	tests := []struct {
		lang      kigen.Language
		long, sms string
	}{
		{kigen.Japanese, "2027年3月31日", "2027年3月31日"}, // as on the card (review ja)
		{kigen.EasyJapan, "2027年3月31日", "2027年3月31日"},
		{kigen.English, "March 31, 2027", "Mar 31, 2027"},
		{kigen.Chinese, "2027年3月31日", "2027年3月31日"},
		{kigen.Korean, "2027년 3월 31일", "2027.3.31."},
		{kigen.Spanish, "31 de marzo de 2027", "31 mar. 2027"},
		{kigen.Portuguese, "31 de março de 2027", "31 de mar. de 2027"},
		{kigen.Thai, "31 มีนาคม ค.ศ. 2027", "31/3/2027"},
		{kigen.Nepali, "2027 मार्च 31", "2027/3/31"},
		{kigen.Indonesian, "31 Maret 2027", "31 Mar 2027"},
		{kigen.Vietnamese, "31 tháng 3, 2027", "31/03/2027"}, // review vi
		{kigen.Tagalog, "Marso 31, 2027", "Mar 31, 2027"},
	}
	d := mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)
	d.ExpiresOn = kigen.MustParseISODate("2027-03-31")
	for _, tt := range tests {
		t.Run(string(tt.lang), func(t *testing.T) {
			t.Parallel()
			p := params(tt.lang, otaru, []kigen.Due{d})
			e, err := r.Email(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Text, tt.long) || !strings.Contains(e.HTML, tt.long) {
				t.Errorf("email does not hold the long date %q:\n%s", tt.long, e.Text)
			}
			s, err := r.SMS(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(s, tt.sms) {
				t.Errorf("SMS %q does not hold the date %q", s, tt.sms)
			}
		})
	}
}

func TestRender_DaysLeftOnSendingDay(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	d := mustDue(t, Case{kigen.ResidenceCard, kigen.D14, ContextNone}, today)
	d.ExpiresOn = kigen.MustParseISODate("2027-03-31")
	tests := []struct {
		name, today, want string
	}{
		{name: "planned day", today: "2027-03-17", want: "It expires on March 31, 2027, in 14 days."},
		{name: "held a day by quiet hours", today: "2027-03-18", want: "It expires on March 31, 2027, in 13 days."},
		{name: "tomorrow", today: "2027-03-30", want: "It expires tomorrow, March 31, 2027."},
		{name: "last day", today: "2027-03-31", want: "It expires today, March 31, 2027. Today is the last day it is valid."},
		{name: "one day late", today: "2027-04-01", want: "It expired on March 31, 2027, 1 day ago."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := params(kigen.English, otaru, []kigen.Due{d})
			p.Today = kigen.MustParseISODate(tt.today)
			e, err := r.Email(p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(e.Text, tt.want) {
				t.Errorf("text does not say %q:\n%s", tt.want, e.Text)
			}
		})
	}
}

func TestRender_Plurals(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	tests := []struct {
		lang kigen.Language
		left int
		want string
	}{
		{kigen.English, 2, "in 2 days"},
		{kigen.Spanish, 2, "2 días"},
		{kigen.Portuguese, 2, "2 dias"},
		{kigen.English, -1, "1 day ago"},
		{kigen.Spanish, -1, "1 día"},
		{kigen.Japanese, 2, "あと2日"},
	}
	for _, tt := range tests {
		d := mustDue(t, Case{kigen.MyNumberCert, kigen.D3, ContextNone}, today)
		d.ExpiresOn = today.AddDays(tt.left)
		if tt.left < 0 {
			d.Stage = kigen.Expired
		}
		e, err := r.Email(params(tt.lang, otaru, []kigen.Due{d}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.Text, tt.want) {
			t.Errorf("%s, %d days: text does not hold %q:\n%s", tt.lang, tt.left, tt.want, e.Text)
		}
	}
}

func TestEmail_Headers(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	e, err := r.Email(params(kigen.English, otaru, []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"List-Unsubscribe":      "<" + longUnsub + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}
	for k, v := range want {
		if e.Headers[k] != v {
			t.Errorf("header %s = %q, want %q", k, e.Headers[k], v)
		}
	}
	if len(e.Headers) != len(want) {
		t.Errorf("headers %v, want exactly %v", e.Headers, want)
	}
}

func TestRender_Errors(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	ok := params(kigen.English, otaru, []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)})
	tests := []struct {
		name  string
		edit  func(p *Params)
		email bool
		sms   bool
	}{
		{name: "unknown language", edit: func(p *Params) { p.Lang = "fr" }, email: true, sms: true},
		{name: "tl-PH is not a code", edit: func(p *Params) { p.Lang = "tl-PH" }, email: true, sms: true},
		{name: "no notice", edit: func(p *Params) { p.Notices = nil }, email: true, sms: true},
		{name: "no date", edit: func(p *Params) { p.Today = kigen.Date{} }, email: true, sms: true},
		{name: "bad stage", edit: func(p *Params) {
			p.Notices = []kigen.Due{{Kind: kigen.ResidenceCard, NoticeKey: kigen.NoticeKey{Stage: "d5", ExpiresOn: today}}}
		}, email: true, sms: true},
		{name: "no unsubscribe URL", edit: func(p *Params) { p.UnsubscribeURL = "" }, email: true},
		{name: "no message URL", edit: func(p *Params) { p.MessageURL = "" }, sms: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ok
			tt.edit(&p)
			if _, err := r.Email(p); (err != nil) != tt.email {
				t.Errorf("Email error %v, want an error: %v", err, tt.email)
			}
			if _, err := r.SMS(p); (err != nil) != tt.sms {
				t.Errorf("SMS error %v, want an error: %v", err, tt.sms)
			}
		})
	}
}
