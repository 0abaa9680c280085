package templates

import (
	"sync"
	"testing"

	"kigen"
)

// today is the sending day of most tests.
var today = kigen.MustParseISODate("2027-03-01")

// The municipalities of the tests. longest has the longest Japanese name
// (いちき串木野市, 7 characters) and the longest Latin name
// (Higashimatsushima, 17) of Japan's cities, so that every SMS budget
// holds for any real municipality.
var (
	otaru   = SampleMunicipality()
	longest = kigen.Municipality{
		Code: "462187", Name: "いちき串木野市", NameLatin: "Higashimatsushima",
		NameHangul: "히가시마쓰시마", NameThai: "ฮิงาชิมัตสึชิมะ", NameDevanagari: "हिगाशिमात्सुशिमा",
		ContactPhone: "0996-00-0000", ContactEmail: "kokusai-koryu-tantou@city.example.lg.jp",
		ContactURL: "https://www.city.ichikikushikino.example.lg.jp/kurashi/kokusai/tagengo-soudan/index.html",
	}
	town = kigen.Municipality{Code: "014087", Name: "余市町", NameLatin: "Yoichi"}
	// longestTown has the longest composed office name in Indonesian and
	// Vietnamese ("Kantor Pemerintah Higashiagatsuma", "Văn phòng thị
	// trấn Higashiagatsuma"): the longest Latin name of a town (15).
	longestTown = kigen.Municipality{Code: "104299", Name: "東吾妻町", NameLatin: "Higashiagatsuma",
		NameHangul: "히가시아가쓰마", NameThai: "ฮิงาชิอางัตสึมะ", NameDevanagari: "हिगाशिआगात्सुमा",
		ContactPhone: "0279-00-0000"}
	// sapporoChuo is a ward of a designated city: named as a ward, and its
	// office a ward office (docs/domain.md §13).
	sapporoChuo = kigen.Municipality{Code: "011011", Name: "札幌市中央区", Kind: kigen.KindWard, NameLatin: "Chuo",
		NameHangul: "주오", NameThai: "ชูโอ", NameDevanagari: "चुओ"}
)

// The links of the tests. longURL is as long as SMSURLBudget, the longest
// message URL every SMS is proven to fit with.
const (
	longBase  = "https://kigen.example.jp"
	longToken = "Xq3vT9bK2mPw7RfA8"
	longURL   = longBase + "/m/" + longToken
	longUnsub = longBase + "/u/" + longToken
)

var renderer = sync.OnceValues(func() (*Renderer, error) { return New(DefaultHotlines()) })

// mustRenderer returns the shared Renderer with the built-in data.
func mustRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := renderer()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// mustDue returns the sample notice of c on today.
func mustDue(t testing.TB, c Case, today kigen.Date) kigen.Due {
	t.Helper()
	d, err := SampleDue(c, today)
	if err != nil {
		t.Fatalf("SampleDue(%v): %v", c, err)
	}
	return d
}

// message is one message of the test matrix.
type message struct {
	name    string
	notices []kigen.Due
}

// messages returns every case of Cases as a one-notice message, the
// renewal gap without a certificate, a notice on its last day and the
// day after, and messages listing several notices (docs/domain.md §7, §11.1).
func messages(t testing.TB, today kigen.Date) []message {
	t.Helper()
	var ms []message
	for _, c := range Cases() {
		ms = append(ms, message{c.String(), []kigen.Due{mustDue(t, c, today)}})
	}
	gap := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)
	gap.CertExpiresOn = kigen.Date{}
	ms = append(ms, message{"mynumber_card/renewal_gap/no_cert", []kigen.Due{gap}})
	for _, left := range []int{0, 1} {
		for _, k := range kigen.CardKinds {
			d := mustDue(t, Case{k, kigen.D1, ContextNone}, today)
			d.ExpiresOn = today.AddDays(left)
			ms = append(ms, message{string(k) + "/d1/left" + string(rune('0'+left)), []kigen.Due{d}})
		}
	}
	ms = append(ms,
		message{"same_day", []kigen.Due{
			mustDue(t, Case{kigen.ResidenceCard, kigen.D30, ContextNone}, today),
			mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today),
		}},
		message{"mynumber_then_cert", []kigen.Due{
			mustDue(t, Case{kigen.MyNumberCard, kigen.D30, ContextNone}, today),
			mustDue(t, Case{kigen.MyNumberCert, kigen.D90, ContextNone}, today),
		}},
		message{"three_cards", []kigen.Due{
			mustDue(t, Case{kigen.ResidenceCard, kigen.D14, ContextNone}, today),
			mustDue(t, Case{kigen.MyNumberCard, kigen.D14, ContextNone}, today),
			mustDue(t, Case{kigen.MyNumberCert, kigen.D14, ContextNone}, today),
		}},
		message{"gap_and_stage", []kigen.Due{
			mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today),
			func() kigen.Due {
				d := mustDue(t, Case{kigen.MyNumberCard, kigen.D60, ContextGap}, today)
				d.ExpiresOn = today.AddDays(45)
				return d
			}(),
		}},
		message{"gap_after_expiry", []kigen.Due{
			func() kigen.Due {
				d := mustDue(t, Case{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, today)
				d.ExpiresOn = today.AddDays(-3)
				return d
			}(),
			func() kigen.Due {
				d := mustDue(t, Case{kigen.MyNumberCard, kigen.Expired, ContextGap}, today)
				d.ExpiresOn = today.AddDays(-3)
				return d
			}(),
		}},
	)
	return ms
}

// params returns the Params of a test message.
func params(l kigen.Language, m kigen.Municipality, notices []kigen.Due) Params {
	return Params{
		Lang: l, Municipality: m, Today: today, Notices: notices,
		MessageURL: longURL, UnsubscribeURL: longUnsub,
	}
}
