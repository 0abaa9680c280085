package roster

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"kigen"
)

const languageErr = " is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)"

func TestParseLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want kigen.Language
		err  string
	}{
		{name: "ja", in: []string{"ja", "JA", "ja-JP", "Japanese", "日本語", "にほんご", "ｊａ"}, want: kigen.Japanese},
		{name: "ja-easy", in: []string{"ja-easy", "ja_easy", "JA-EASY", "Easy Japanese", "やさしい日本語", "やさしいにほんご"}, want: kigen.EasyJapan},
		{name: "en", in: []string{"en", "EN", "English", "english", " English ", "英語", "ＥＮＧＬＩＳＨ"}, want: kigen.English},
		{name: "zh", in: []string{"zh", "zh-CN", "zh-Hans", "zh_hans", "Chinese", "中文", "中国語", "简体中文"}, want: kigen.Chinese},
		{name: "ko", in: []string{"ko", "Korean", "한국어", "韓国語"}, want: kigen.Korean},
		{name: "es", in: []string{"es", "Spanish", "Español", "ESPAÑOL", "スペイン語"}, want: kigen.Spanish},
		{name: "pt", in: []string{"pt", "pt-BR", "Portuguese", "Português", "ポルトガル語"}, want: kigen.Portuguese},
		{name: "th", in: []string{"th", "Thai", "ไทย", "タイ語"}, want: kigen.Thai},
		{name: "ne", in: []string{"ne", "Nepali", "नेपाली", "ネパール語"}, want: kigen.Nepali},
		{name: "id", in: []string{"id", "Indonesian", "Bahasa Indonesia", "インドネシア語"}, want: kigen.Indonesian},
		// Decomposed (NFD) Vietnamese, as some macOS tools write it.
		{name: "vi", in: []string{"vi", "Vietnamese", "Tiếng Việt", "Tie\u0302\u0301ng Vie\u0323\u0302t", "ベトナム語"}, want: kigen.Vietnamese},
		{name: "tl", in: []string{"tl", "fil", "Tagalog", "Filipino", "タガログ語"}, want: kigen.Tagalog},
		{name: "empty", in: []string{"", " ", "\u3000"}, err: "is empty"},
		{name: "unknown", in: []string{"klingon"}, err: `"klingon"` + languageErr},
		{name: "Traditional Chinese is not Simplified", in: []string{"zh-TW"}, err: `"zh-TW"` + languageErr},
		{name: "not echoed", in: []string{"090-1234-5678", "taro@example.jp", "a very long text that is not a language"}, err: languageErr[1:]},
	}
	for _, tt := range tests {
		for _, in := range tt.in {
			t.Run(tt.name+"/"+in, func(t *testing.T) {
				t.Parallel()
				got, err := ParseLanguage(in)
				checkParse(t, got, err, tt.want, tt.err)
			})
		}
	}
}

// checkParse compares a parser's result with the wanted value or error
// message (an EINVALID *kigen.Error without a Field).
func checkParse[V comparable](t *testing.T, got V, err error, want V, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil {
			t.Fatalf("got %v, want error %s", got, wantErr)
		}
		if err.Error() != wantErr {
			t.Errorf("error = %s\nwant    %s", err, wantErr)
		}
		if kigen.ErrorCode(err) != kigen.EINVALID || fieldOf(err) != "" {
			t.Errorf("error %#v: want an EINVALID *kigen.Error without Field", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("error: %v", err)
	}
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	fixed := []string{
		"", "fixed_period", "外交", "公用", "教授", "芸術", "宗教", "報道",
		"高度専門職1号", "高度専門職１号", "高度専門職1号イ", "高度専門職1号(ロ)", "高度専門職１号（ハ）", "高度専門職1号ｲ",
		"経営・管理", "経営･管理", "経営·管理", "経営管理", "法律・会計業務", "医療", "研究", "教育",
		"技術・人文知識・国際業務", "技術･人文知識･国際業務", "技術·人文知識·国際業務",
		"企業内転勤", "介護", "興行", "技能", "特定技能1号", "特定技能２号",
		"技能実習1号イ", "技能実習1号ロ", "技能実習2号イ", "技能実習２号ロ", "技能実習3号イ", "技能実習3号ロ", "技能実習1号",
		"育成就労", "文化活動", "短期滞在", "留学", "研修", "家族滞在", "特定活動",
		"日本人の配偶者等", "永住者の配偶者等", "定住者",
		"Student", "STUDENT", "Dependent", "Long-Term Resident", "Spouse or Child of Japanese National",
		"Engineer/Specialist in Humanities/International Services", "Specified Skilled Worker (i)",
		"Specified Skilled Worker (ii)", "Technical Intern Training (i)", "Technical Intern Training (ii)",
		"Technical Intern Training (iii)", "Designated Activities", "Highly Skilled Professional (i)",
		"Business Manager", "Skilled Labor", "Intra-company Transferee", "Nursing Care",
	}
	permanent := []string{"permanent", "永住者", "高度専門職2号", "高度専門職２号", "Permanent Resident", "Highly Skilled Professional (ii)"}
	special := []string{"special_permanent", "特別永住者", "Special Permanent Resident", "special permanent resident"}
	for want, ins := range map[kigen.Status][]string{kigen.FixedPeriod: fixed, kigen.Permanent: permanent, kigen.SpecialPermanent: special} {
		for _, in := range ins {
			t.Run(in, func(t *testing.T) {
				t.Parallel()
				got, err := ParseStatus(in)
				checkParse(t, got, err, want, "")
			})
		}
	}
	for _, tt := range []struct{ in, err string }{
		{"foo", `"foo" is not a status of residence`},
		{"高度専門職", `"高度専門職" is not a status of residence`},
		{"Visa", `"Visa" is not a status of residence`},
		{"Yamada Taro 090-1234-5678", `is not a status of residence`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStatus(tt.in)
			checkParse(t, got, err, "", tt.err)
		})
	}
}

func TestParseConsent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want bool
		err  string
	}{
		{name: "yes", in: []string{"yes", "YES", "Yes", "y", "true", "TRUE", "1", "１", "はい", "有", "同意", "済", "○"}, want: true},
		{name: "no", in: []string{"", " ", "no", "NO", "n", "false", "0", "いいえ", "無", "×"}, want: false},
		{name: "other", in: []string{"maybe"}, err: `"maybe" is not yes or no`},
		{name: "not echoed", in: []string{"taro@example.jp"}, err: "is not yes or no"},
	}
	for _, tt := range tests {
		for _, in := range tt.in {
			t.Run(tt.name+"/"+in, func(t *testing.T) {
				t.Parallel()
				got, err := ParseConsent(in)
				checkParse(t, got, err, tt.want, tt.err)
			})
		}
	}
}

func TestParseChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []string
		want kigen.ChannelPref
		err  string
	}{
		{name: "default", in: []string{"", "default"}, want: kigen.PrefDefault},
		{name: "email", in: []string{"email", "EMAIL", "e-mail", "E-Mail", "メール", "ﾒｰﾙ"}, want: kigen.PrefEmail},
		{name: "sms", in: []string{"sms", "SMS", "ＳＭＳ", "ショートメール"}, want: kigen.PrefSMS},
		{name: "both", in: []string{"both", "Both", "両方", "email+sms"}, want: kigen.PrefBoth},
		{name: "other", in: []string{"fax"}, err: `"fax" is not email, sms or both`},
	}
	for _, tt := range tests {
		for _, in := range tt.in {
			t.Run(tt.name+"/"+in, func(t *testing.T) {
				t.Parallel()
				got, err := ParseChannel(in)
				checkParse(t, got, err, tt.want, tt.err)
			})
		}
	}
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	const bad = "is not a valid email address"
	tests := []struct {
		name, in, want, err string
	}{
		{name: "blank", in: " ", want: ""},
		{name: "plain", in: "taro@example.jp", want: "taro@example.jp"},
		{name: "domain lower-cased, local part kept", in: " Taro.Yamada@Example.CO.JP ", want: "Taro.Yamada@example.co.jp"},
		{name: "full width", in: "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", want: "taro@example.jp"},
		{name: "plus", in: "taro+kigen@example.jp", want: "taro+kigen@example.jp"},
		{name: "no dot in the domain", in: "taro@localhost", err: bad},
		{name: "display name", in: "Taro <taro@example.jp>", err: bad},
		{name: "angle brackets", in: "<taro@example.jp>", err: bad},
		{name: "two addresses", in: "a@example.jp, b@example.jp", err: bad},
		{name: "no at", in: "taro.example.jp", err: bad},
		{name: "trailing dot", in: "taro@example.jp.", err: bad},
		{name: "double dot", in: "taro@example..jp", err: bad},
		{name: "space", in: "taro yamada@example.jp", err: bad},
		{name: "too long", in: string(make([]byte, 0)) + repeat("a", 64) + "@" + repeat("b", 187) + ".jp", err: bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEmail(tt.in)
			checkParse(t, got, err, tt.want, tt.err)
		})
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

func TestParsePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, region string
		want             Phone
		err              string
	}{
		{name: "blank", in: "", region: "JP"},
		{name: "mobile", in: "090-1234-5678", region: "JP", want: Phone{"+819012345678", true}},
		{name: "mobile bare", in: "08012345678", region: "JP", want: Phone{"+818012345678", true}},
		{name: "mobile E.164", in: "+81 70 1234 5678", region: "JP", want: Phone{"+817012345678", true}},
		{name: "full width", in: "０９０－１２３４－５６７８", region: "JP", want: Phone{"+819012345678", true}},
		{name: "national prefix after the country code", in: "+81 (0)90-1234-5678", region: "JP", want: Phone{"+819012345678", true}},
		{name: "landline", in: "(03) 1234-5678", region: "JP", want: Phone{"+81312345678", false}},
		{name: "foreign", in: "+1 415 555 2671", region: "JP", want: Phone{"+14155552671", true}},
		{name: "other region", in: "0412 345 678", region: "AU", want: Phone{"+61412345678", true}},
		{name: "too short", in: "12345", region: "JP", err: "is not a valid phone number (region JP)"},
		{name: "invalid mobile", in: "090-0123-4567", region: "JP", err: "is not a valid phone number (region JP)"},
		{name: "words", in: "call me", region: "JP", err: "is not a valid phone number (region JP)"},
		{name: "region in the message", in: "12345", region: "AU", err: "is not a valid phone number (region AU)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePhone(tt.in, tt.region)
			checkParse(t, got, err, tt.want, tt.err)
		})
	}
}

// slowPhone is ParsePhone without the Japanese fast path.
func slowPhone(s, region string) (Phone, bool) {
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return Phone{}, false
	}
	return Phone{phonenumbers.Format(n, phonenumbers.E164), isMobile(phonenumbers.GetNumberType(n))}, true
}

// TestParsePhoneFastPath checks that the fast path for Japanese numbers
// agrees with phonenumbers on random numbers of every shape it takes.
func TestParsePhoneFastPath(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	taken := 0
	for i := range 20000 {
		var s string
		n := 9 + rng.IntN(2) // national significant digits
		nsn := fmt.Sprintf("%0*d", n, rng.Uint64N(pow10(n)))
		switch i % 4 {
		case 0:
			s = "0" + nsn
		case 1:
			s = "+81" + nsn
		case 2:
			s = "0" + nsn[:2] + "-" + nsn[2:6] + "-" + nsn[6:]
		default:
			s = "(0" + nsn[:1] + ") " + nsn[1:5] + " " + nsn[5:]
		}
		want, wantOK := slowPhone(s, "JP")
		got, ok := parseJP(s)
		if ok {
			taken++
			if !wantOK || got != want {
				t.Fatalf("parseJP(%q) = %v; phonenumbers: %v, %v", s, got, want, wantOK)
			}
		} else if wantOK && want.E164 == "+81"+nsn && nsn[0] != '0' {
			// Declining is safe (the full parser runs), but the fast path
			// should take every plain Japanese number; others, such as
			// 010… (the international prefix), are not its business.
			t.Fatalf("parseJP(%q) declined the valid number %v", s, want)
		}
	}
	if taken < 1000 {
		t.Errorf("fast path taken %d times only", taken)
	}
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// FuzzParsePhone checks that whatever the input, a number ParsePhone
// accepts is E.164 that reads back as itself, and that the fast path never
// disagrees with phonenumbers.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"090-1234-5678", "+819012345678", "(03) 1234-5678", "12345", "0120-123-456",
		"+81 (0)90-1234-5678", "０９０１２３４５６７８", "+1 415 555 2671", "090-0123-4567"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePhone(s, "JP")
		if err != nil || p.E164 == "" {
			return
		}
		again, err := ParsePhone(p.E164, "JP")
		if err != nil || again != p {
			t.Errorf("ParsePhone(%q) = %v; its E.164 reads back as %v, %v", s, p, again, err)
		}
		if fast, ok := parseJP(fold(s)); ok {
			if slow, _ := slowPhone(fold(s), "JP"); slow != fast {
				t.Errorf("parseJP(%q) = %v, phonenumbers %v", s, fast, slow)
			}
		}
	})
}

func TestLookupColumn(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Column{
		"resident_ref": ColRef, "\uFEFFresident_ref": ColRef, "Resident Ref": ColRef, "整理番号": ColRef, "宛名番号": ColRef,
		"氏名": ColName, "言語": ColLanguage, "メール": ColEmail, "メールアドレス": ColEmail, "電話番号": ColPhone,
		"携帯電話番号": ColPhone, "在留資格": ColStatus, "在留カード有効期限": ColResidenceCard,
		"マイナンバーカード有効期限": ColMyNumberCard, "電子証明書有効期限": ColMyNumberCert,
		"特定在留カード有効期限": ColIntegratedCard, "同意": ColConsent, "通知方法": ColChannel,
		"ref": ColRef, "email_address": ColEmail, "mobile": ColPhone, "status": ColStatus,
		"my_number_card_expires_on": ColMyNumberCard, "ＥＭＡＩＬ": ColEmail,
	} {
		if got, ok := LookupColumn(in); !ok || got != want {
			t.Errorf("LookupColumn(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "foo", "my_number", "マイナンバー", "number"} {
		if got, ok := LookupColumn(in); ok {
			t.Errorf("LookupColumn(%q) = %q, want none", in, got)
		}
	}
}
