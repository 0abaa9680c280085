package templates

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"kigen"
)

// These tests pin, one by one, what docs/domain.md §12 and §14 ask of every
// message; each fails without the rule it names.

// oneNotice returns the Params of a message of one notice of case c whose
// card expires on expires, sent on day, to the sample municipality.
func oneNotice(t *testing.T, l kigen.Language, c Case, day, expires string) Params {
	t.Helper()
	d := mustDue(t, c, kigen.MustParseISODate(day))
	d.ExpiresOn = kigen.MustParseISODate(expires)
	p := params(l, otaru, []kigen.Due{d})
	p.Today = kigen.MustParseISODate(day)
	return p
}

// mustMessage renders the email and the SMS of p with the shared Renderer.
func mustMessage(t *testing.T, p Params) (Email, string) {
	t.Helper()
	r := mustRenderer(t)
	e, err := r.Email(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.SMS(p)
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

// render returns the plain-text email, its subject and the SMS of p.
func render(t *testing.T, p Params) (text, subject, sms string) {
	t.Helper()
	e, s := mustMessage(t, p)
	return e.Text, e.Subject, s
}

// printerOf returns a printer of language l's catalog.
func printerOf(t *testing.T, l kigen.Language) *printer {
	t.Helper()
	return &printer{cat: mustRenderer(t).cats[l]}
}

// TestGoBy pins §12: a reminder that asks for a visit names the last open
// day on or before the deadline, with its weekday, in the resident's
// language, in the email and the SMS.
func TestGoBy(t *testing.T) {
	t.Parallel()
	mynumber := Case{kigen.MyNumberCard, kigen.D3, ContextNone}
	tests := []struct {
		name          string
		lang          kigen.Language
		c             Case
		day, expires  string
		cal           kigen.OfficeCalendar
		email, sms    string
		notEmail, not string
	}{
		{name: "a My Number card expiring on Saturday 9 January: Friday 8 January", lang: kigen.English, c: mynumber,
			day: "2027-01-06", expires: "2027-01-09",
			email: "Go by Friday, January 8, 2027 at the latest: it is the last day the office is open before January 9, 2027.",
			sms:   "by Fri, Jan 8."},
		{name: "the same in Japanese", lang: kigen.Japanese, c: mynumber, day: "2027-01-06", expires: "2027-01-09",
			email: "2027年1月8日（金）までに行ってください。", sms: "1月8日（金）までに"},
		{name: "a card expiring on 3 January: 28 December, before the year-end closure", lang: kigen.English,
			c: Case{kigen.MyNumberCard, kigen.D7, ContextGap}, day: "2026-12-27", expires: "2027-01-03",
			email: "Go by Monday, December 28, 2026 at the latest", sms: "by Mon, Dec 28."},
		{name: "an open deadline is its own answer", lang: kigen.English, c: Case{kigen.ResidenceCard, kigen.D30, ContextNone},
			day: "2027-03-01", expires: "2027-03-31", email: "Go by Wednesday, March 31, 2027 at the latest.", sms: "by Wed, Mar 31."},
		{name: "the municipality's own closed day", lang: kigen.English, c: mynumber, day: "2027-01-06", expires: "2027-01-09",
			cal: kigen.OfficeCalendar{Closed: []kigen.Date{kigen.MustParseISODate("2027-01-08")}}, email: "Go by Thursday, January 7, 2027", sms: "by Thu, Jan 7."},
		{name: "a weekend opening counts for the certificate", lang: kigen.English, c: Case{kigen.MyNumberCert, kigen.D3, ContextNone},
			day: "2027-01-06", expires: "2027-01-09", cal: kigen.OfficeCalendar{WeekendOpen: []kigen.Date{kigen.MustParseISODate("2027-01-09")}},
			email: "Go by Saturday, January 9, 2027 at the latest.", sms: "by Sat, Jan 9."},
		{name: "but not for the My Number card's validity change", lang: kigen.English, c: mynumber, day: "2027-01-06", expires: "2027-01-09",
			cal: kigen.OfficeCalendar{WeekendOpen: []kigen.Date{kigen.MustParseISODate("2027-01-09")}}, email: "Go by Friday, January 8, 2027", sms: "by Fri, Jan 8."},
		{name: "the last open day is today", lang: kigen.English, c: Case{kigen.MyNumberCard, kigen.D1, ContextNone},
			day: "2027-01-08", expires: "2027-01-09", email: "Go today, Friday, January 8, 2027", sms: "update it at Otaru City Hall today."},
		{name: "no open day left: the day offices open again (Coming of Age Day is Monday 11 January)", lang: kigen.English,
			c: Case{kigen.MyNumberCard, kigen.D1, ContextNone}, day: "2027-01-09", expires: "2027-01-09",
			email: "Go on Tuesday, January 12, 2027, the first day it is open", sms: "Offices are closed until Tue, Jan 12", notEmail: "Go by"},
		{name: "an expired certificate: the end of its use as the insurance card", lang: kigen.English, c: Case{kigen.MyNumberCert, kigen.Expired, ContextNone},
			day: "2027-01-14", expires: "2027-01-09", email: "Go by Friday, April 30, 2027 at the latest.", sms: "by Fri, Apr 30."},
		{name: "no visit by a date for an expired My Number card", lang: kigen.English, c: Case{kigen.MyNumberCard, kigen.Expired, ContextNone},
			day: "2027-01-14", expires: "2027-01-09", notEmail: ">> ", not: " by "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := oneNotice(t, tt.lang, tt.c, tt.day, tt.expires)
			p.Municipality.Calendar = tt.cal
			text, _, sms := render(t, p)
			if tt.email != "" && !strings.Contains(text, tt.email) {
				t.Errorf("the email does not say %q:\n%s", tt.email, text)
			}
			if tt.sms != "" && !strings.Contains(sms, tt.sms) {
				t.Errorf("the SMS does not say %q: %q", tt.sms, sms)
			}
			if tt.notEmail != "" && strings.Contains(text, tt.notEmail) {
				t.Errorf("the email says %q:\n%s", tt.notEmail, text)
			}
			if tt.not != "" && strings.Contains(sms, tt.not) {
				t.Errorf("the SMS says %q: %q", tt.not, sms)
			}
		})
	}
}

// TestGoBy_EveryLanguage: the example in every language, the
// weekday and date in CLDR's words, in the email and the SMS.
func TestGoBy_EveryLanguage(t *testing.T) {
	t.Parallel()
	friday := kigen.MustParseISODate("2027-01-08")
	for _, l := range kigen.Languages {
		p := oneNotice(t, l, Case{kigen.MyNumberCard, kigen.D3, ContextNone}, "2027-01-06", "2027-01-09")
		text, _, sms := render(t, p)
		pr := printerOf(t, l)
		if want := pr.FullDate(friday); !strings.Contains(text, want) {
			t.Errorf("%s: the email does not name %q:\n%s", l, want, text)
		}
		if want := smsForm(l, pr.SMSDay(friday)); !strings.Contains(sms, want) {
			t.Errorf("%s: the SMS does not name %q: %q", l, want, sms)
		}
	}
}

// TestSMS_SameDay pins §14.1: when the residence card and the My Number card
// expire together, the SMS names both and says the My Number card needs its
// own visit to the municipal office, in every language.
func TestSMS_SameDay(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		ds := []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D7, ContextNone}, today), mustDue(t, Case{kigen.MyNumberCard, kigen.D7, ContextNone}, today)}
		s, err := r.SMS(params(l, otaru, ds))
		if err != nil {
			t.Fatal(err)
		}
		base := r.smsTerms(&printer{cat: r.cats[l]}, otaru)
		for _, w := range []string{base["residence_card"], base["mynumber_card"], base["office"]} {
			if w = smsForm(l, w); !strings.Contains(strings.ToLower(s), strings.ToLower(w)) {
				t.Errorf("%s: no %q in %q", l, w, s)
			}
		}
	}
}

// TestOneCardOnce pins §14.2: a renewal_gap and a stage of the same card
// make one part and one subject mention, even when a preview gives them
// different dates; in every language, in the email and the SMS.
func TestOneCardOnce(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		g := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today) // today+45
		s := mustDue(t, Case{kigen.MyNumberCard, kigen.D60, ContextGap}, today)        // today+60
		p := params(l, otaru, []kigen.Due{g, s})
		e, sms := mustMessage(t, p)
		name := r.cats[l].entries["card.mynumber_card.name"].text
		if n := strings.Count(e.HTML, `class="notice `); n != 1 {
			t.Errorf("%s: %d parts for one card", l, n)
		}
		if n := strings.Count(strings.ToLower(e.Subject), strings.ToLower(name)); n > 1 {
			t.Errorf("%s: the subject names the card %d times: %q", l, n, e.Subject)
		}
		ns, _ := notices(p)
		if status := tidy(smsStatuses(&printer{cat: r.cats[l]}, r.smsTerms(&printer{cat: r.cats[l]}, otaru), ns)); len(ns) != 1 || !strings.Contains(strings.ToLower(sms), strings.ToLower(smsForm(l, status))) {
			t.Errorf("%s: the SMS states %d cards: %q", l, len(ns), sms)
		}
	}
}

// TestExpiredResidence pins §14.3: an expired residence or integrated card
// says that an application made on or before E lets one stay until the
// decision, at the latest E + 2 months; in every language, email and SMS.
func TestExpiredResidence(t *testing.T) {
	t.Parallel()
	e, ends := "2027-02-24", kigen.MustParseISODate("2027-04-24")
	for _, l := range kigen.Languages {
		for _, k := range []kigen.CardKind{kigen.ResidenceCard, kigen.IntegratedCard} {
			p := oneNotice(t, l, Case{k, kigen.Expired, ContextNone}, "2027-03-01", e)
			text, _, sms := render(t, p)
			pr := printerOf(t, l)
			if !strings.Contains(text, pr.LongDate(ends)) || !strings.Contains(text, pr.LongDate(kigen.MustParseISODate(e))) {
				t.Errorf("%s %s: the email does not state %s and its limit %s:\n%s", l, k, e, ends, text)
			}
			if k == kigen.ResidenceCard && !strings.Contains(sms, smsForm(l, pr.SMSDate(ends))) {
				t.Errorf("%s: the SMS does not state the limit: %q", l, sms)
			}
		}
	}
	text, _, _ := render(t, oneNotice(t, kigen.English, Case{kigen.ResidenceCard, kigen.Expired, ContextNone}, "2027-03-01", e))
	if !strings.Contains(text, "If you applied for the extension on or before February 24, 2027, you may stay while it is decided, until the decision and at the latest until April 24, 2027") {
		t.Errorf("en: %s", text)
	}
	text, _, _ = render(t, oneNotice(t, kigen.Thai, Case{kigen.ResidenceCard, kigen.Expired, ContextNone}, "2027-03-01", e))
	if strings.Contains(text, "ก่อนวันนี้") {
		t.Errorf("th says \"before today\": %s", text)
	}
}

// TestWeeksForImmigrationOnly pins §14.4: "it can take weeks" at d30 for the
// cards renewed at immigration only.
func TestWeeksForImmigrationOnly(t *testing.T) {
	t.Parallel()
	for _, l := range kigen.Languages {
		weeks := printerOf(t, l).T("stage.d30.lead", nil)
		for _, k := range kigen.CardKinds {
			text, _, _ := render(t, params(l, otaru, []kigen.Due{mustDue(t, Case{k, kigen.D30, ContextNone}, today)}))
			if got := strings.Contains(text, weeks); got != k.IsResidence() {
				t.Errorf("%s %s: says %q: %v", l, k, weeks, got)
			}
		}
	}
}

// TestStatusTexts pins §14.5: a text for one residence category is shown
// to that category alone.
func TestStatusTexts(t *testing.T) {
	t.Parallel()
	for _, l := range kigen.Languages {
		pr := printerOf(t, l)
		// A text is recognised by its longest run of words the other text
		// lacks.
		marks := args{"office": "\x00", "immigration": "\x00", "validity_change": "\x00", "pending_stamp": "\x00",
			"extension": "\x00", "card": "\x00", "date": "\x00", "ends": "\x00", "insurance": "\x00"}
		own := func(key, other string) string {
			o := pr.T(other, marks)
			best := ""
			for _, part := range strings.Split(pr.T(key, marks), "\x00") {
				if len(part) > len(best) && !strings.Contains(o, part) {
					best = part
				}
			}
			return best
		}
		for _, tt := range []struct {
			c                Case
			fixed, permanent string
		}{
			{Case{kigen.MyNumberCard, kigen.D60, ContextNone}, "do.mynumber.before", "do.mynumber.before_permanent"},
			{Case{kigen.ResidenceCard, kigen.D60, ContextNone}, "do.residence.before", "do.residence.before_permanent"},
			{Case{kigen.IntegratedCard, kigen.D60, ContextNone}, "do.integrated.before", "do.integrated.before_permanent"},
			{Case{kigen.ResidenceCard, kigen.Expired, ContextNone}, "do.residence.expired", "do.residence.expired_permanent"},
		} {
			for _, st := range []kigen.Status{kigen.FixedPeriod, kigen.Permanent, kigen.SpecialPermanent, ""} {
				p := params(l, otaru, []kigen.Due{mustDue(t, tt.c, today)})
				p.Status = st
				text, _, _ := render(t, p)
				perm := st == kigen.Permanent || st == kigen.SpecialPermanent
				if strings.Contains(text, own(tt.permanent, tt.fixed)) != perm || strings.Contains(text, own(tt.fixed, tt.permanent)) == perm {
					t.Errorf("%s %v, status %q: the text for the wrong category:\n%s", l, tt.c, st, text)
				}
			}
		}
	}
}

// TestLastDays pins §14.6: the last days say "tomorrow" and "today is the
// last day", with the date to go by, in the email and the SMS.
func TestLastDays(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		pr := printerOf(t, l)
		base := r.smsTerms(pr, otaru)
		for _, tt := range []struct {
			day, goBy string
			key       string
		}{
			{"2027-03-30", "2027-03-31", "tomorrow"}, // Tuesday, before Wednesday the 31st, an open day
			{"2027-03-31", "2027-03-31", "today"},
		} {
			p := oneNotice(t, l, Case{kigen.MyNumberCard, kigen.D1, ContextNone}, tt.day, "2027-03-31")
			text, _, sms := render(t, p)
			card := base["mynumber_card"]
			status := pr.T("status."+tt.key, args{"date": pr.LongDate(kigen.MustParseISODate("2027-03-31"))})
			smsStatus := tidy(pr.N("sms.status."+tt.key, 1, base.with(args{"cards": card, "date": pr.SMSDate(kigen.MustParseISODate("2027-03-31"))})))
			if !strings.Contains(unread(text), unread(status)) || !strings.Contains(text, pr.FullDate(kigen.MustParseISODate(tt.goBy))) {
				t.Errorf("%s %s: the email lacks %q or the day to go by:\n%s", l, tt.key, status, text)
			}
			if !strings.Contains(strings.ToLower(sms), strings.ToLower(smsForm(l, smsStatus))) {
				t.Errorf("%s %s: the SMS lacks %q: %q", l, tt.key, smsForm(l, smsStatus), sms)
			}
			goBy := pr.T("sms.when.today", nil) // today is the last open day
			if tt.key == "tomorrow" {
				// Tomorrow is: the SMS names it, unless the catalog leaves
				// it to the card's date (Thai, Nepali).
				goBy = pr.T("sms.when.deadline", args{"goby": pr.SMSDay(kigen.MustParseISODate(tt.goBy))})
			}
			if goBy != noText && !strings.Contains(sms, smsForm(l, goBy)) {
				t.Errorf("%s %s: the SMS does not say to go %q: %q", l, tt.key, goBy, sms)
			}
		}
	}
}

// unread removes the readings Easy Japanese gives at first use.
func unread(s string) string {
	return easyReading.ReplaceAllStringFunc(s, func(w string) string { return w[:strings.Index(w, "（")] })
}

// TestInsuranceOnePhrase pins §14.7: the card stops working "including as
// your health insurance card (マイナ保険証)", one phrase, never the card's
// name composed into it twice.
func TestInsuranceOnePhrase(t *testing.T) {
	t.Parallel()
	for _, l := range kigen.Languages {
		pr := printerOf(t, l)
		insurance, _ := splitTerm(pr.T("term.insurance", nil))
		card, _ := splitTerm(pr.T("term.mynumber_card", nil))
		if strings.Contains(insurance, card) {
			t.Errorf("%s: the insurance term %q holds the card's %q", l, insurance, card)
		}
		names, _ := placeholders(pr.cat.entries["note.insurance"].text)
		if n := strings.Count(strings.Join(names, " "), "insurance"); n != 1 {
			t.Errorf("%s: note.insurance names the insurance card %d times", l, n)
		}
		text, _, _ := render(t, params(l, otaru, []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today)}))
		if l != kigen.Japanese && l != kigen.EasyJapan && strings.Count(text, "マイナ保険証") != 1 {
			t.Errorf("%s: マイナ保険証 %d times:\n%s", l, strings.Count(text, "マイナ保険証"), text)
		}
	}
}

// TestGlossary pins §14.8: each language's official terms (term.*) are the
// words of its email and its SMS alike — the SMS's short forms (sms.card.*,
// sms.immigration) appear in the email too — and the email gives the
// Japanese term in brackets at its first use only.
func TestGlossary(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	fold := func(l kigen.Language, s string) string {
		return strings.ToLower(asciiFold(s))
	}
	for _, l := range kigen.Languages {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			base := r.smsTerms(&printer{cat: r.cats[l]}, otaru)
			for _, m := range messages(t, today) {
				e, sms := mustMessage(t, params(l, otaru, m.notices))
				email := fold(l, e.Text)
				for _, d := range m.notices {
					words := []string{base[cardTerm(d.Kind)]}
					if d.Kind.Visit() == kigen.AtImmigration {
						words = append(words, base["immigration"])
					}
					for _, w := range words {
						if strings.Contains(fold(l, sms), fold(l, w)) && !strings.Contains(email, fold(l, w)) {
							t.Errorf("%s: the SMS says %q, the email never does", m.name, w)
						}
					}
				}
			}
		})
	}
	// First use: in the English gap email the qualification certificate
	// comes twice (the insurance note, the insurer line), its Japanese
	// once; the office's Japanese comes at its first use and on the
	// "Where" line.
	text, _, _ := render(t, params(kigen.English, otaru, []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)}))
	if n, m := strings.Count(text, "qualification certificate"), strings.Count(text, "(資格確認書)"); n != 2 || m != 1 {
		t.Errorf("the qualification certificate %d times, its Japanese %d times; want 2 and 1:\n%s", n, m, text)
	}
	if n := strings.Count(text, "Otaru City Hall (小樽市役所)"); n != 2 {
		t.Errorf("Otaru City Hall (小樽市役所) %d times, want twice (first use, Where):\n%s", n, text)
	}
}

// easyReading is a word with its reading in Easy Japanese: 期限（きげん）.
var easyReading = regexp.MustCompile(`[\p{Han}\p{Katakana}ー々]+（[\p{Hiragana} ]+）`)

// TestEasyJapanese pins §14.9: readings in brackets at first use (and once
// only), the guideline's words, dates as 2027年1月18日, short sentences,
// and the multilingual hotline too.
func TestEasyJapanese(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, m := range messages(t, today) {
		p := params(kigen.EasyJapan, otaru, m.notices)
		v, err := r.view(p)
		if err != nil {
			t.Fatal(err)
		}
		var body []string
		for _, n := range v.Notices {
			body = append(append(append(append(body, n.Status, n.GoBy, n.Lead, n.Situation), n.Do...), n.Bring...), n.Notes...)
		}
		seen := map[string]bool{}
		for _, w := range easyReading.FindAllString(strings.Join(append(body, v.Intro), "\n"), -1) {
			if seen[w] {
				t.Errorf("%s: the reading %q twice", m.name, w)
			}
			seen[w] = true
		}
		for _, s := range body {
			for _, sentence := range strings.Split(unread(s), "。") {
				if n := utf8.RuneCountInString(strings.ReplaceAll(sentence, " ", "")); n > 60 {
					t.Errorf("%s: a sentence of %d characters: %q", m.name, n, sentence)
				}
			}
		}
	}
	text, _, sms := render(t, params(kigen.EasyJapan, otaru, []kigen.Due{mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextGap}, today)}))
	for _, w := range []string{"期限（きげん）", "2027年3月31日", "0120-0178-26", "0120-95-0178", "入管（にゅうかん・出入国在留管理局）"} {
		if !strings.Contains(text, w) && !strings.Contains(w, "入管") {
			t.Errorf("no %q in:\n%s", w, text)
		}
	}
	if !strings.Contains(sms, "2027年3月31日") {
		t.Errorf("the SMS date is not 2027年3月31日: %q", sms)
	}
	text, _, _ = render(t, params(kigen.EasyJapan, otaru, []kigen.Due{mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)}))
	if !strings.Contains(text, "入管（にゅうかん・出入国在留管理局）") {
		t.Errorf("immigration without its reading and official name:\n%s", text)
	}
}
