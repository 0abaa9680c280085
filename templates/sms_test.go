package templates

import (
	"fmt"
	"strings"
	"testing"

	"kigen"
)

func TestSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantN   int
		wantEnc string
	}{
		{name: "empty", in: "", wantN: 0, wantEnc: GSM7},
		{name: "ascii", in: "Hello", wantN: 1, wantEnc: GSM7},
		{name: "160 GSM-7 in one", in: strings.Repeat("a", 160), wantN: 1, wantEnc: GSM7},
		{name: "161 GSM-7 in two", in: strings.Repeat("a", 161), wantN: 2, wantEnc: GSM7},
		{name: "306 GSM-7 in two", in: strings.Repeat("a", 306), wantN: 2, wantEnc: GSM7},
		{name: "307 GSM-7 in three", in: strings.Repeat("a", 307), wantN: 3, wantEnc: GSM7},
		{name: "GSM-7 accents é ñ ü à", in: "é ñ ü à Ç ¿¡ £ €", wantN: 1, wantEnc: GSM7},
		{name: "extension chars count two", in: strings.Repeat("€", 80), wantN: 1, wantEnc: GSM7},
		{name: "81 extension chars need two", in: strings.Repeat("€", 81), wantN: 2, wantEnc: GSM7},
		{name: "escape pair not split", in: strings.Repeat("a", 152) + "{" + strings.Repeat("a", 152), wantN: 3, wantEnc: GSM7},
		{name: "á is not GSM-7", in: "está", wantN: 1, wantEnc: UCS2},
		{name: "curly quote is not GSM-7", in: "it’s", wantN: 1, wantEnc: UCS2},
		{name: "70 UCS-2 in one", in: strings.Repeat("あ", 70), wantN: 1, wantEnc: UCS2},
		{name: "71 UCS-2 in two", in: strings.Repeat("あ", 71), wantN: 2, wantEnc: UCS2},
		{name: "134 UCS-2 in two", in: strings.Repeat("あ", 134), wantN: 2, wantEnc: UCS2},
		{name: "135 UCS-2 in three", in: strings.Repeat("あ", 135), wantN: 3, wantEnc: UCS2},
		{name: "emoji counts two", in: strings.Repeat("😀", 35), wantN: 1, wantEnc: UCS2},
		{name: "36 emoji need two", in: strings.Repeat("😀", 36), wantN: 2, wantEnc: UCS2},
		{name: "surrogate pair not split", in: strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 66), wantN: 3, wantEnc: UCS2},
		{name: "Thai combining marks count one each", in: strings.Repeat("ที่", 23), wantN: 1, wantEnc: UCS2},
		{name: "Thai over one segment", in: strings.Repeat("ที่", 24), wantN: 2, wantEnc: UCS2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, enc := Segments(tt.in)
			if n != tt.wantN || enc != tt.wantEnc {
				t.Errorf("Segments = %d, %s; want %d, %s", n, enc, tt.wantN, tt.wantEnc)
			}
		})
	}
}

// gsmLanguages are the languages whose SMS must be GSM-7 (docs/domain.md §8,
// §11.16); every other language's SMS is UCS-2.
var gsmLanguages = map[kigen.Language]bool{
	kigen.English: true, kigen.Spanish: true, kigen.Portuguese: true,
	kigen.Indonesian: true, kigen.Vietnamese: true, kigen.Tagalog: true,
}

// TestSMS_Budget renders every SMS (every language, card, stage and
// context, one, two and three notices at once, dates in every month) for
// the longest municipality names and a message URL of SMSURLBudget
// characters: each fits 2 segments in the encoding its language must use,
// names every card it concerns and keeps the states of their dates
// (docs/domain.md §7, §14.1). What else it keeps is TestSMS_Keeps'.
func TestSMS_Budget(t *testing.T) {
	t.Parallel()
	if len(longURL) != SMSURLBudget {
		t.Fatalf("the fixture URL has %d characters, want SMSURLBudget = %d", len(longURL), SMSURLBudget)
	}
	r := mustRenderer(t)
	for _, l := range kigen.Languages {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			worst, worstName := 0, ""
			for month := range 12 {
				day := today.AddMonths(month) // every month's name, as long as it gets
				for _, m := range messages(t, day) {
					p := params(l, longest, m.notices)
					p.Today = day
					checkSMS(t, r, l, p, m.name, &worst, &worstName)
				}
			}
			t.Logf("longest: %s, %d of %d", worstName, worst, budget(l))
		})
	}
}

// checkSMS renders one SMS and checks its encoding, its size and that it
// names every card with its state; it keeps the longest seen in worst.
func checkSMS(t *testing.T, r *Renderer, l kigen.Language, p Params, name string, worst *int, worstName *string) {
	t.Helper()
	s, _, err := r.sms(p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	n, enc := Segments(s)
	wantEnc := UCS2
	if gsmLanguages[l] {
		wantEnc = GSM7
	}
	if enc != wantEnc {
		t.Errorf("%s: %s, want %s: %q", name, enc, wantEnc, s)
	}
	if n > MaxSMSSegments {
		t.Errorf("%s: %d segments: %q", name, n, s)
	}
	ns, _ := notices(p)
	pr := &printer{cat: r.cats[l]}
	base := r.smsTerms(pr, p.Municipality)
	for _, nt := range ns {
		if card := smsForm(l, base[cardTerm(nt.Kind)]); !strings.Contains(strings.ToLower(s), strings.ToLower(card)) {
			t.Errorf("%s: the SMS does not name the %s (%q): %q", name, nt.Kind, card, s)
		}
	}
	if status := smsForm(l, tidy(smsStatuses(pr, base, ns))); !strings.Contains(strings.ToLower(s), strings.ToLower(status)) {
		t.Errorf("%s: the SMS lost its statuses %q: %q", name, status, s)
	}
	if size := smsSize(s); size > *worst {
		*worst, *worstName = size, name
	}
}

// smsForm is s as an SMS of l writes it: folded to GSM-7.
func smsForm(l kigen.Language, s string) string {
	switch {
	case l == kigen.Vietnamese:
		return asciiFold(s)
	case gsmLanguages[l]:
		return gsmFold(s)
	}
	return s
}

// TestSMS_Keeps pins what an SMS keeps besides the cards and their dates,
// with the sample municipality (小樽市, Otaru City) and the longest names
// of Japan (いちき串木野市, Higashimatsushima City). An SMS that would be
// over 2 segments drops, in this order, what to bring (gap), the day to go
// by where it is the card's date, the day to go by, the action (Renderer.SMS).
//   - Every language but Thai and Nepali keeps the action and an earlier day
//     to go by with the sample name, and the action with the longest.
//   - Thai and Nepali, whose scripts take two to three times the code units
//     of Japanese, keep the action (the gap's explanation, the My Number
//     card's visit after the renewal, "closed until …") with the sample
//     name, except where two dates or a stay's limit fill the SMS; with the
//     longest name they may keep the cards and dates alone.
//   - A special period's SMS may be its status alone: it states the limit.
//   - Three cards may be named alone.
func TestSMS_Keeps(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	dense := map[kigen.Language]bool{kigen.Thai: true, kigen.Nepali: true}
	full := map[string]bool{"mynumber_then_cert": true, "mynumber_cert/expired": true, "integrated_card/expired": true}
	for _, l := range kigen.Languages {
		t.Run(string(l), func(t *testing.T) {
			t.Parallel()
			for month := range 12 {
				day := today.AddMonths(month)
				for _, m := range messages(t, day) {
					for _, muni := range []kigen.Municipality{otaru, longest, longestTown, sapporoChuo} {
						allowed := 2 // what to bring, a day to go by that is the card's date
						switch {
						case m.name == "three_cards" || strings.Contains(m.name, "special_period"):
							allowed = 4
						case dense[l] && (muni.Name != otaru.Name || full[m.name]):
							allowed = 4
						case dense[l] || muni.Name != otaru.Name: // a long name (longest, longestTown, sapporoChuo)
							allowed = 3
						}
						p := params(l, muni, m.notices)
						p.Today = day
						s, dropped, err := r.sms(p)
						if err != nil {
							t.Fatal(err)
						}
						if dropped > allowed {
							t.Errorf("%s, %s, %s: %d parts dropped, want at most %d: %q", m.name, muni.Name, day, dropped, allowed, s)
						}
					}
				}
			}
		})
	}
}

// smsSize is the length Segments counts: septets or UTF-16 code units.
func smsSize(s string) int {
	_, enc := Segments(s)
	return smsUnits(s, enc)
}

func budget(l kigen.Language) int {
	if gsmLanguages[l] {
		return MaxSMSSegments * gsmPart
	}
	return MaxSMSSegments * ucs2Part
}

// TestSMS_LongURL gives every SMS a URL 30 characters over the budget:
// the text drops parts, keeps the link whole and every card named, and
// costs at most one more segment (a reminder that costs one more segment
// is better than none).
func TestSMS_LongURL(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	url := longBase + "/m/" + strings.Repeat("x", len(longToken)+30)
	for _, l := range kigen.Languages {
		for _, m := range messages(t, today) {
			p := params(l, longest, m.notices)
			p.MessageURL = url
			s, err := r.SMS(p)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := Segments(s)
			if n > MaxSMSSegments+1 || !strings.Contains(s, url) || gsmLanguages[l] && n > MaxSMSSegments {
				t.Errorf("%s %s: %d segments: %q", l, m.name, n, s)
			}
		}
	}
}

func TestSMS_ShortensWhenOverBudget(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	p := params(kigen.Thai, longest, []kigen.Due{
		mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today),
		mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today),
	})
	p.MessageURL = longBase + "/m/" + strings.Repeat("x", 60)
	s, dropped, err := r.sms(p)
	if err != nil {
		t.Fatal(err)
	}
	if dropped == 0 {
		t.Errorf("nothing dropped for an 87-character URL: %q", s)
	}
	if !strings.Contains(s, p.MessageURL) {
		t.Errorf("the link was dropped: %q", s)
	}
}

func TestSMS_MunicipalityName(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	otsu := kigen.Municipality{Name: "大津市", NameLatin: "Ōtsu"}
	d := mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today)
	tests := []struct {
		lang kigen.Language
		want string
	}{
		{kigen.English, "Otsu City:"}, // folded to stay GSM-7
		{kigen.Vietnamese, "Thanh pho Otsu:"},
		{kigen.Spanish, "Otsu:"},
		{kigen.Indonesian, "Kota Otsu:"},
		{kigen.Japanese, "大津市"},
		{kigen.Chinese, "大津市"},
		{kigen.Korean, "大津市"}, // no Hangul name
		{kigen.Thai, "【大津市】"}, // UCS-2: the shortest name
		{kigen.Nepali, "【大津市】"},
	}
	for _, tt := range tests {
		s, err := r.SMS(params(tt.lang, otsu, []kigen.Due{d}))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(s, tt.want) {
			t.Errorf("%s: %q does not name %q", tt.lang, s, tt.want)
		}
		if _, enc := Segments(s); gsmLanguages[tt.lang] && enc != GSM7 {
			t.Errorf("%s: %q is %s", tt.lang, s, enc)
		}
	}
}

func ExampleSegments() {
	fmt.Println(Segments("Otaru City: your residence card expires on Mar 31, 2027."))
	fmt.Println(Segments("【小樽市】在留カードの有効期限は2027/03/31です。"))
	fmt.Println(Segments(strings.Repeat("x", 161)))
	// Output:
	// 1 GSM-7
	// 1 UCS-2
	// 2 GSM-7
}
