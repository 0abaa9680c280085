package kigen

import (
	"strings"
	"unicode"
)

// Kigen never stores a My Number (docs/domain.md §2, §11.11). The functions here
// find one in any input so that the input can be refused, and tell callers
// when a value must not be echoed back.

// MyNumberCheckDigit returns the check digit of a My Number whose first 11
// digits are first11, and false when first11 is not exactly 11 ASCII digits.
//
// With P(n) the n-th digit counted from the right (n = 1..11) and Q(n) = n+1
// for n ≤ 6 and n−5 for n ≥ 7, r = Σ P(n)·Q(n) mod 11; the check digit is 0
// when r ≤ 1 and 11 − r otherwise.
func MyNumberCheckDigit(first11 string) (int, bool) {
	if len(first11) != 11 {
		return 0, false
	}
	sum := 0
	for n := 1; n <= 11; n++ {
		c := first11[11-n]
		if c < '0' || c > '9' {
			return 0, false
		}
		q := n + 1
		if n >= 7 {
			q = n - 5
		}
		sum += int(c-'0') * q
	}
	if r := sum % 11; r > 1 {
		return 11 - r, true
	}
	return 0, true
}

// validMyNumber reports whether s is exactly 12 ASCII digits ending in a
// valid check digit.
func validMyNumber(s string) bool {
	if len(s) != 12 {
		return false
	}
	cd, ok := MyNumberCheckDigit(s[:11])
	return ok && int(s[11])-'0' == cd
}

// IsMyNumber reports whether s, once trimmed and with full-width digits,
// hyphens and spaces folded, is a My Number: 12 digits, or 4-4-4 groups each
// separated by a single space or hyphen, with a valid check digit.
func IsMyNumber(s string) bool {
	s = strings.TrimSpace(foldNarrow(s))
	if len(s) == 12 {
		return validMyNumber(s)
	}
	return len(s) == 14 && groupedMyNumber(s)
}

// groupedMyNumber reports whether s is exactly "dddd?dddd?dddd", each ? a
// space or a hyphen, with a valid check digit.
func groupedMyNumber(s string) bool {
	if len(s) != 14 || !isGroupSep(s[4]) || !isGroupSep(s[9]) {
		return false
	}
	digits := s[0:4] + s[5:9] + s[10:14]
	for i := range len(digits) {
		if !isASCIIDigit(digits[i]) {
			return false
		}
	}
	return validMyNumber(digits)
}

func isGroupSep(c byte) bool { return c == ' ' || c == '-' }

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// ContainsMyNumber reports whether s is a My Number (IsMyNumber) or holds
// one inside longer text: a run of exactly 12 digits, or of 4-4-4 groups
// joined by single spaces or hyphens, bounded by non-digits or the ends of
// s, with a valid check digit. A run of 13 or more digits is not a My
// Number.
//
// A Japanese mobile number in E.164 ("+819012345678") holds a 12-digit run
// and so is reported one time in eleven; callers exempt the phone column,
// which must parse as a phone number instead (docs/domain.md §11.11).
func ContainsMyNumber(s string) bool {
	if IsMyNumber(s) {
		return true
	}
	f := foldNarrow(s)
	// Multi-byte UTF-8 sequences never hold ASCII bytes, so a byte scan
	// sees exactly the ASCII digits of f.
	for i := 0; i < len(f); {
		if !isASCIIDigit(f[i]) {
			i++
			continue
		}
		j := i
		for j < len(f) && isASCIIDigit(f[j]) {
			j++
		}
		if j-i == 12 && validMyNumber(f[i:j]) {
			return true
		}
		// A 4-4-4 run starts at a digit not preceded by a digit.
		if j-i == 4 && i+14 <= len(f) && groupedMyNumber(f[i:i+14]) &&
			(i+14 == len(f) || !isASCIIDigit(f[i+14])) {
			return true
		}
		i = j
	}
	return false
}

// HasLongDigitRun reports whether s holds 12 or more digits in a row once
// full-width and other compatibility digits are folded. A value for which it
// is true must never be echoed in a message (docs/domain.md §11.11).
func HasLongDigitRun(s string) bool {
	f := foldNarrow(s)
	run := 0
	for i := range len(f) {
		if isASCIIDigit(f[i]) {
			run++
			if run >= 12 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// myNumberHeaders are the normalised headers that name the number itself.
// Only an exact match counts: マイナンバーカード有効期限 is a card's
// expiry, not the number.
var myNumberHeaders = map[string]bool{
	"mynumber":         true,
	"individualnumber": true,
	"kojinbango":       true,
	"個人番号":             true,
	"マイナンバー":           true,
	"ﾏｲﾅﾝﾊﾞｰ":          true, // half-width katakana, as old Shift_JIS exports write it
}

// IsMyNumberHeader reports whether the column header h names the My Number
// itself (my_number, mynumber, "my number", my-number, individual_number,
// 個人番号, マイナンバー), ignoring case, spaces, underscores, hyphens,
// full width and a byte-order mark. A column so named is refused whatever
// it holds. Headers that merely start with such a name, such as
// mynumber_card_expires_on, are not.
func IsMyNumberHeader(h string) bool {
	var b strings.Builder
	for _, r := range h {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0 // full-width ASCII
		}
		if r == '_' || r == '-' || r == '\uFEFF' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return myNumberHeaders[b.String()]
}

// digitZeros are the code points of 0 in runs of ten compatibility digits
// that NFKC maps to ASCII 0-9.
var digitZeros = []rune{
	0xFF10,  // full-width ０-９
	0x2080,  // subscripts ₀-₉
	0x1D7CE, // mathematical bold 𝟎-𝟗
	0x1D7D8, // double-struck
	0x1D7E2, // sans-serif
	0x1D7EC, // sans-serif bold
	0x1D7F6, // monospace
	0x1FBF0, // segmented 🯰-🯹
}

// foldNarrow maps what NFKC would turn into ASCII digits, spaces and
// hyphens, plus the dashes people type for a hyphen, onto ASCII; full-width
// ASCII (ＡＢＣ／．) becomes ASCII too. It is a small stdlib stand-in for
// NFKC (the root package imports nothing outside the standard library) and
// maps rune for rune, so positions of folded runes keep their order.
func foldNarrow(s string) string {
	ascii := true
	for i := range len(s) {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	switch {
	case r < 0x80:
		return r
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000 || r == 0x00A0 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F:
		return ' '
	case (r >= 0x2010 && r <= 0x2015) || r == 0x2212 || r == 0x30FC || r == 0xFE63 || r == 0xFF70:
		return '-'
	case r == 0x2070:
		return '0'
	case r == 0x00B9:
		return '1'
	case r == 0x00B2:
		return '2'
	case r == 0x00B3:
		return '3'
	case r >= 0x2074 && r <= 0x2079:
		return '4' + (r - 0x2074)
	case r >= 0x2460 && r <= 0x2468: // circled ①-⑨
		return '1' + (r - 0x2460)
	case r == 0x24EA: // circled ⓪
		return '0'
	}
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return '0' + (r - z)
		}
	}
	return r
}
