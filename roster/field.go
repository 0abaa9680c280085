package roster

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"

	"kigen"
)

// The value parsers below return an EINVALID *kigen.Error without a Field,
// like kigen.ParseDate; the Reader adds the column with kigen.WithField. A
// message quotes the input only when it is a short word (quoteWord): never
// an e-mail address, a phone number, a name-length text or a run of digits.

// myNumberMessage is the reason given for a cell holding a My Number. It
// never shows the number (docs/domain.md §11.11).
const myNumberMessage = kigen.MyNumberReason + " — remove it from the file"

// MaxRefLen and MaxNameLen are the longest resident_ref and name accepted,
// in characters.
const (
	MaxRefLen  = 64
	MaxNameLen = 200
)

// fold returns s trimmed and, when it is not plain ASCII, NFKC-normalised
// (full-width letters and digits become ASCII, half-width katakana
// full-width).
func fold(s string) string {
	s = strings.TrimSpace(s)
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return strings.TrimSpace(norm.NFKC.String(s))
		}
	}
	return s
}

// wordKey normalises a word for lookup: NFKC, lower case, and without
// spaces or punctuation, so "Permanent Resident", "permanent-resident" and
// "技術・人文知識・国際業務" / "技術･人文知識･国際業務" match their keys.
func wordKey(s string) string {
	s = strings.ToLower(fold(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, s)
}

// lookupWord finds s in a table keyed by wordKey, trying s as typed first
// (the common case: a code, lower-case ASCII) to spare the normalisation.
func lookupWord[V any](table map[string]V, s string) (V, bool) {
	if v, ok := table[s]; ok {
		return v, true
	}
	v, ok := table[wordKey(s)]
	return v, ok
}

// quoteWord returns s quoted for a message and true when s may be echoed: a
// short word of valid text with no '@', no control character and at most
// four digits. Anything else might be personal data (a name, an address, a
// phone or My Number) and must not be echoed.
func quoteWord(s string) (string, bool) {
	return quoteSafe(s, 24, 4)
}

// quoteHeader is quoteWord for a header cell, which may be longer.
func quoteHeader(s string) (string, bool) {
	return quoteSafe(s, 64, 4)
}

// quoteRef is quoteWord for a resident reference: the municipality's own
// identifier, often digits, is shown unless it has as many digits as a
// phone number (10 or more) or holds an '@'.
func quoteRef(s string) (string, bool) {
	return quoteSafe(s, MaxRefLen, 9)
}

// quoteSafe quotes s when it has at most maxRunes characters and maxDigits
// digits, and nothing else that marks personal data.
func quoteSafe(s string, maxRunes, maxDigits int) (string, bool) {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxRunes ||
		kigen.HasLongDigitRun(s) {
		return "", false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r == '@' || r == '＠' || r == utf8.RuneError || unicode.IsControl(r):
			return "", false
		case unicode.IsDigit(r):
			digits++
		}
	}
	if digits > maxDigits {
		return "", false
	}
	return strconv.Quote(s), true
}

// invalidf returns an EINVALID *kigen.Error without a Field, with the
// catalog key of its message (kigen.Keyf).
func invalidf(key, format string, args ...any) *kigen.Error {
	return kigen.Keyf(kigen.EINVALID, key, format, args...)
}

// refused returns the error for a value that is not one of the words a
// column takes: `"foo" <reason>`, keyed key+".q" with the quoted value as
// its argument, or only the reason, keyed key, when the value must not be
// echoed. The reason's own arguments (say, a list of codes) follow.
func refused(s, key, reason string, args ...string) *kigen.Error {
	var e *kigen.Error
	if q, ok := quoteWord(strings.TrimSpace(s)); ok {
		e = invalidf(key+".q", "%s %s", q, reason)
		e.Args = append([]string{q}, args...)
	} else {
		e = invalidf(key, "%s", reason)
		e.Args = args
	}
	return e
}

// NormalizeRef returns a resident reference as Kigen stores and compares
// it: trimmed and NFKC-normalised, so "Ａ－０００１" is "A-0001". Callers
// looking a resident up by a typed reference normalise it the same way.
func NormalizeRef(s string) string { return fold(s) }

// languageNames maps wordKey forms of language codes and names to the code.
var languageNames = map[string]kigen.Language{}

// languageList is the list of codes that unknown-language errors show.
var languageList string

func init() {
	codes := make([]string, len(kigen.Languages))
	for i, l := range kigen.Languages {
		codes[i] = string(l)
	}
	languageList = strings.Join(codes, ", ")
	for l, names := range map[kigen.Language][]string{
		kigen.Japanese: {"ja", "ja-JP", "jpn", "jp", "Japanese", "Nihongo",
			"日本語", "にほんご"},
		kigen.EasyJapan: {"ja-easy", "ja_easy", "Easy Japanese", "Simple Japanese", "Plain Japanese",
			"やさしい日本語", "やさしいにほんご", "易しい日本語", "優しい日本語"},
		kigen.English: {"en", "en-US", "en-GB", "eng", "English",
			"英語", "えいご"},
		kigen.Chinese: {"zh", "zh-CN", "zh-Hans", "zh-SG", "zho", "chi", "Chinese",
			"Simplified Chinese", "Chinese (Simplified)", "Mandarin",
			"中文", "简体中文", "中文简体", "汉语", "普通话",
			"中国語", "簡体中文", "漢語", "ちゅうごくご"},
		kigen.Korean: {"ko", "ko-KR", "kor", "Korean",
			"한국어", "한국말", "조선어",
			"韓国語", "朝鮮語", "韓国・朝鮮語", "かんこくご"},
		kigen.Spanish: {"es", "es-ES", "es-MX", "es-419", "spa", "Spanish",
			"Español", "Espanol", "Castellano",
			"スペイン語"},
		kigen.Portuguese: {"pt", "pt-BR", "por", "Portuguese", "Brazilian Portuguese",
			"Português", "Portugues", "Português do Brasil",
			"ポルトガル語"},
		kigen.Thai: {"th", "th-TH", "tha", "Thai",
			"ไทย", "ภาษาไทย",
			"タイ語"},
		kigen.Nepali: {"ne", "ne-NP", "nep", "Nepali", "Nepalese",
			"नेपाली", "नेपाली भाषा",
			"ネパール語"},
		kigen.Indonesian: {"id", "id-ID", "ind", "Indonesian", "Indonesia",
			"Bahasa Indonesia",
			"インドネシア語"},
		kigen.Vietnamese: {"vi", "vi-VN", "vie", "Vietnamese",
			"Tiếng Việt", "Tieng Viet",
			"ベトナム語"},
		kigen.Tagalog: {"tl", "tl-PH", "fil", "fil-PH", "tgl", "Tagalog", "Filipino", "Pilipino",
			"Wikang Filipino", "Wikang Tagalog",
			"タガログ語", "フィリピノ語", "フィリピン語"},
	} {
		for _, n := range names {
			addWord(languageNames, n, l)
		}
		languageNames[string(l)] = l
	}
}

// addWord adds a name to a word table under its wordKey, and panics when
// the key already names something else: tables are built at init, so a
// clash is a bug caught by every test run.
func addWord[V comparable](table map[string]V, name string, v V) {
	k := wordKey(name)
	if prev, ok := table[k]; ok && prev != v {
		panic("roster: " + name + " is listed twice")
	}
	table[k] = v
}

// ParseLanguage reads a language as a code (ja, ja-easy, en, zh-CN, fil …)
// or a common name in English, in the language itself or in Japanese
// (English, 英語, 中文, 한국어, Tiếng Việt, やさしい日本語 …), ignoring case
// and width. A blank value or any other word is an error: there is no
// silent fallback (docs/domain.md §8).
func ParseLanguage(s string) (kigen.Language, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalidf("value.empty", "is empty")
	}
	if l, ok := lookupWord(languageNames, s); ok {
		return l, nil
	}
	return "", refused(s, "language.unknown", "is not a language Kigen writes in ("+languageList+")", languageList)
}

// statusNames maps wordKey forms of statuses of residence to the category.
var statusNames = map[string]kigen.Status{}

func init() {
	fixed := []string{
		// Codes.
		"fixed_period",
		// The statuses of residence (在留資格) of the Immigration Control
		// Act's appended tables, by their official Japanese names.
		"外交", "公用", "教授", "芸術", "宗教", "報道",
		"高度専門職1号", "高度専門職1号イ", "高度専門職1号ロ", "高度専門職1号ハ",
		"経営・管理", "法律・会計業務", "医療", "研究", "教育",
		"技術・人文知識・国際業務", "企業内転勤", "介護", "興行", "技能",
		"特定技能", "特定技能1号", "特定技能2号",
		"技能実習", "技能実習1号", "技能実習1号イ", "技能実習1号ロ",
		"技能実習2号", "技能実習2号イ", "技能実習2号ロ",
		"技能実習3号", "技能実習3号イ", "技能実習3号ロ",
		"育成就労", "文化活動", "短期滞在", "留学", "研修", "家族滞在", "特定活動",
		"日本人の配偶者等", "永住者の配偶者等", "定住者",
		// Former names still found in old registers: 投資・経営 (until
		// 2015), 技術 and 人文知識・国際業務 (merged in 2015), 就学 (merged
		// into 留学 in 2010).
		"投資・経営", "技術", "人文知識・国際業務", "就学",
		// Their common English names.
		"Diplomat", "Official", "Professor", "Artist", "Religious Activities", "Journalist",
		"Highly Skilled Professional (i)", "Highly Skilled Professional (i)(a)",
		"Highly Skilled Professional (i)(b)", "Highly Skilled Professional (i)(c)",
		"Highly Skilled Professional 1",
		"Business Manager", "Business Management", "Legal/Accounting Services", "Medical Services",
		"Researcher", "Instructor",
		"Engineer/Specialist in Humanities/International Services",
		"Intra-company Transferee", "Nursing Care", "Entertainer", "Skilled Labor", "Skilled Labour",
		"Specified Skilled Worker", "Specified Skilled Worker (i)", "Specified Skilled Worker (ii)",
		"Specified Skilled Worker 1", "Specified Skilled Worker 2",
		"Technical Intern Training", "Technical Intern Training (i)", "Technical Intern Training (i)(a)",
		"Technical Intern Training (i)(b)", "Technical Intern Training (ii)",
		"Technical Intern Training (ii)(a)", "Technical Intern Training (ii)(b)",
		"Technical Intern Training (iii)", "Technical Intern Training (iii)(a)",
		"Technical Intern Training (iii)(b)",
		"Employment for Skill Development", "Cultural Activities", "Temporary Visitor",
		"Student", "College Student", "Trainee", "Dependent", "Designated Activities",
		"Spouse or Child of Japanese National", "Spouse or Child of Permanent Resident",
		"Long-Term Resident", "Long Term Resident",
	}
	permanent := []string{"permanent", "永住者", "永住", "高度専門職2号",
		"Permanent Resident", "Highly Skilled Professional (ii)", "Highly Skilled Professional 2"}
	special := []string{"special_permanent", "特別永住者", "特別永住", "Special Permanent Resident"}
	for _, n := range fixed {
		addWord(statusNames, n, kigen.FixedPeriod)
	}
	for _, n := range permanent {
		addWord(statusNames, n, kigen.Permanent)
	}
	for _, n := range special {
		addWord(statusNames, n, kigen.SpecialPermanent)
	}
	for _, s := range []kigen.Status{kigen.FixedPeriod, kigen.Permanent, kigen.SpecialPermanent} {
		statusNames[string(s)] = s
	}
}

// ParseStatus reads a residence category: a code (fixed_period, permanent,
// special_permanent), the official Japanese name of a status of residence
// (留学, 技術・人文知識・国際業務, 特定技能１号, 永住者 …; full-width digits and
// any middle dot) or its common English name (Student, Permanent Resident
// …). 永住者 and 高度専門職2号 are permanent, 特別永住者 special_permanent,
// every other status fixed_period (docs/domain.md §2). A blank value is
// fixed_period (§11.9); any other word is an error, never a fallback.
// 高度専門職 without its number is refused: 1号 and 2号 differ.
func ParseStatus(s string) (kigen.Status, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return kigen.FixedPeriod, nil
	}
	if st, ok := lookupWord(statusNames, s); ok {
		return st, nil
	}
	return "", refused(s, "status.unknown", "is not a status of residence")
}

// consentWords maps wordKey forms of yes and no.
var consentWords = map[string]bool{}

func init() {
	for _, w := range []string{"yes", "y", "true", "1", "ok", "はい", "有", "有り", "あり",
		"同意", "同意済", "同意済み", "同意あり", "済", "済み", "○", "〇", "◯"} {
		addWord(consentWords, w, true)
	}
	for _, w := range []string{"no", "n", "false", "0", "いいえ", "無", "無し", "なし",
		"不同意", "未同意", "同意なし", "未", "×", "✕"} {
		addWord(consentWords, w, false)
	}
}

// ParseConsent reads consent: yes/no, y/n, true/false, 1/0, はい/いいえ,
// 有/無, 同意/不同意, 済, ○/×, in any case or width. Blank is no (docs/domain.md
// §11.9).
func ParseConsent(s string) (bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return false, nil
	}
	if v, ok := lookupWord(consentWords, s); ok {
		return v, nil
	}
	return false, refused(s, "consent.unknown", "is not yes or no")
}

// channelWords maps wordKey forms of the channel preferences.
var channelWords = map[string]kigen.ChannelPref{}

func init() {
	for p, words := range map[kigen.ChannelPref][]string{
		kigen.PrefDefault: {"default", "auto", "既定", "おまかせ"},
		kigen.PrefEmail:   {"email", "e-mail", "mail", "メール", "Eメール", "電子メール"},
		kigen.PrefSMS:     {"sms", "text", "ショートメール", "ショートメッセージ", "SMS（ショートメッセージ）"},
		kigen.PrefBoth: {"both", "email+sms", "sms+email", "email and sms", "email/sms", "両方",
			"メールとSMS", "メール+SMS", "メール・SMS"},
	} {
		for _, w := range words {
			addWord(channelWords, w, p)
		}
	}
}

// ParseChannel reads the channel preference: email (e-mail, メール), sms
// (ショートメール), both (両方), or default; blank is the default
// (docs/domain.md §11.8). Whether the resident has the contact the channel needs
// is the importer's check (§11.7), on the merged result.
func ParseChannel(s string) (kigen.ChannelPref, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return kigen.PrefDefault, nil
	}
	if p, ok := lookupWord(channelWords, s); ok {
		return p, nil
	}
	return "", refused(s, "channel.unknown", "is not email, sms or both")
}

// ParseEmail validates an e-mail address and returns it with its domain in
// lower case; blank is "" (no address). Full-width forms are folded first
// (ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ). The address must be bare (no display name,
// no comment), at most 254 characters, with a dot in the domain. The error
// never shows the address.
func ParseEmail(s string) (string, error) {
	s = fold(s)
	if s == "" {
		return "", nil
	}
	if len(s) > 254 {
		return "", errEmail()
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", errEmail()
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", errEmail()
	}
	if lower := strings.ToLower(domain); lower != domain {
		return s[:at+1] + lower, nil
	}
	return s, nil
}

func errEmail() error {
	return invalidf("email.invalid", "is not a valid email address")
}

// Phone is a validated phone number.
type Phone struct {
	// E164 is the number in E.164 form, "+819012345678".
	E164 string
	// Mobile reports whether the number is a mobile one (or one that may
	// be, where a country does not tell mobile and fixed lines apart): only
	// these can receive SMS.
	Mobile bool
}

// ParsePhone validates a phone number, read in the default region (an ISO
// 3166 code such as "JP") unless it starts with + and a country code, and
// returns it in E.164. Blank is the zero Phone. The error never shows the
// number.
func ParsePhone(s, region string) (Phone, error) {
	s = fold(s)
	if s == "" {
		return Phone{}, nil
	}
	if region == "JP" {
		if p, ok := parseJP(s); ok {
			return p, nil
		}
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return Phone{}, invalidf("phone.invalid", "is not a valid phone number (region %s)", region)
	}
	return Phone{
		E164:   phonenumbers.Format(n, phonenumbers.E164),
		Mobile: isMobile(phonenumbers.GetNumberType(n)),
	}, nil
}

func isMobile(t phonenumbers.PhoneNumberType) bool {
	return t == phonenumbers.MOBILE || t == phonenumbers.FIXED_LINE_OR_MOBILE
}

// parseJP is a fast path for the forms nearly every Japanese list uses:
// 090-1234-5678, 0312345678, (03) 1234-5678, +81 90 1234 5678. phonenumbers.Parse
// costs about 10µs, most of it in regular expressions that such plain
// input does not need; this builds the number directly and asks
// phonenumbers for its type, which is what IsValidNumber decides on (a
// number is valid when its type is known). It reports false for any other
// form (letters, extensions, a "+81 0…" prefix), which then takes the full
// path; TestParsePhoneFastPath checks that both paths agree.
func parseJP(s string) (Phone, bool) {
	var buf [16]byte
	digits := buf[:0]
	plus := false
	for i := range len(s) {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			if len(digits) == len(buf) {
				return Phone{}, false
			}
			digits = append(digits, c)
		case c == '+' && i == 0:
			plus = true
		case c == '-' || c == ' ' || c == '(' || c == ')':
		default:
			return Phone{}, false
		}
	}
	var nsn []byte
	switch {
	case plus && len(digits) > 2 && digits[0] == '8' && digits[1] == '1':
		nsn = digits[2:]
	case !plus && len(digits) > 1 && digits[0] == '0':
		nsn = digits[1:]
	default:
		return Phone{}, false
	}
	if (len(nsn) != 9 && len(nsn) != 10) || nsn[0] == '0' {
		return Phone{}, false
	}
	nn, err := strconv.ParseUint(string(nsn), 10, 64)
	if err != nil {
		return Phone{}, false
	}
	cc := int32(81)
	t := phonenumbers.GetNumberType(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn})
	if t == phonenumbers.UNKNOWN {
		// Let the full parser decide (and word the error).
		return Phone{}, false
	}
	return Phone{E164: "+81" + string(nsn), Mobile: isMobile(t)}, true
}

// cardColumns maps the card date columns to their kinds.
var cardColumns = map[Column]kigen.CardKind{
	ColResidenceCard:  kigen.ResidenceCard,
	ColMyNumberCard:   kigen.MyNumberCard,
	ColMyNumberCert:   kigen.MyNumberCert,
	ColIntegratedCard: kigen.IntegratedCard,
}
