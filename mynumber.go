package kigen

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kigen never stores a My Number (docs/domain.md §2, §11.11). The functions here
// find one in any input so that the input can be refused, and tell callers
// when a value must not be echoed back.

// MyNumberReason is why input holding a My Number is refused, for an
// error message: it never shows the number.
const MyNumberReason = "holds a 12-digit number that is a valid individual number (My Number); Kigen must never receive it"

// MyNumberCheckDigit returns the check digit of a My Number whose first 11
// digits are first11, and false when first11 is not exactly 11 ASCII digits.
//
// With P(n) the n-th digit counted from the right (n = 1..11) and Q(n) = n+1
// for n ≤ 6 and n−5 for n ≥ 7, r = Σ P(n)·Q(n) mod 11; the check digit is 0
// when r ≤ 1 and 11 − r otherwise.
func MyNumberCheckDigit(first11 string) (int, bool) { return checkDigit(first11) }

func checkDigit[S ~string | ~[]byte](first11 S) (int, bool) {
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
func validMyNumber[S ~string | ~[]byte](s S) bool {
	if len(s) != 12 {
		return false
	}
	cd, ok := checkDigit(s[:11])
	return ok && int(s[11])-'0' == cd
}

// maxSepRun is the longest run of separators between the 4-digit groups
// of a My Number: "1234 - 5678 - 9018" has three.
const maxSepRun = 4

// IsMyNumber reports whether s, once trimmed and folded (foldNarrow), is a
// My Number: 12 digits, or three groups of 4 digits with a short run of
// separators between each (isGroupSep: spaces, dashes, dots, slashes),
// with a valid check digit.
func IsMyNumber(s string) bool {
	f := strings.TrimSpace(foldNarrow(s))
	end, ok := myNumberAt(f, 0)
	return ok && end == len(f)
}

// ContainsMyNumber reports whether s is a My Number (IsMyNumber) or holds
// one inside longer text: once folded (foldNarrow: every decimal digit of
// any script read as 0-9, invisible format characters dropped), a run of
// exactly 12 digits, or of three groups of 4 digits joined by short runs
// of separators, bounded by non-digits or the ends of s, with a valid
// check digit. A run of 13 or more digits, or a group of 5, is not a My
// Number.
//
// A Japanese mobile number in E.164 ("+819012345678") holds a 12-digit run
// and so is reported one time in eleven; callers exempt the phone column,
// which must parse as a phone number instead (docs/domain.md §11.11).
func ContainsMyNumber(s string) bool {
	f := foldNarrow(s)
	// Multi-byte UTF-8 sequences never hold ASCII bytes, so a byte scan
	// sees exactly the ASCII digits of f.
	for i := 0; i < len(f); {
		if !isASCIIDigit(f[i]) {
			i++
			continue
		}
		if _, ok := myNumberAt(f, i); ok {
			return true
		}
		i = digitsEnd(f, i)
	}
	return false
}

// myNumberAt reports whether f (folded) holds a My Number from byte i, the
// first digit of a run: 12 digits, or 4, separators, 4, separators, 4, the
// last run not followed by a digit. It returns where the number ends.
func myNumberAt(f string, i int) (int, bool) {
	var digits [12]byte // of the groups, on the stack
	for group := 0; ; group++ {
		j := digitsEnd(f, i)
		switch {
		case group == 0 && j-i == 12:
			return j, validMyNumber(f[i:j])
		case j-i != 4:
			return 0, false
		}
		copy(digits[4*group:], f[i:j])
		if group == 2 {
			return j, validMyNumber(digits[:])
		}
		seps := 0
		for j < len(f) && seps <= maxSepRun {
			r, size := utf8.DecodeRuneInString(f[j:])
			if !isGroupSep(r) {
				break
			}
			j += size
			seps++
		}
		if seps == 0 || seps > maxSepRun {
			return 0, false
		}
		i = j
	}
}

// digitsEnd returns the end of the run of ASCII digits from byte i of f.
func digitsEnd(f string, i int) int {
	for i < len(f) && isASCIIDigit(f[i]) {
		i++
	}
	return i
}

// isGroupSep reports whether r, folded, may separate the digit groups of a
// My Number: a space of any kind, a dash, a dot or a slash as people and
// spreadsheets write them (・ 。 ／ included).
func isGroupSep(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) ||
		strings.ContainsRune("./\u00B7\u2024\u2027\u2044\u2212\u2215\u3002\u30FB\uFF61\uFF65", r)
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// HasLongDigitRun reports whether s holds 12 or more digits in a row once
// folded (foldNarrow: digits of any script, invisible format characters
// dropped). A value for which it is true must never be echoed in a message
// (docs/domain.md §11.11).
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

// Quote returns s quoted for an error message (as %q does), or, when s
// holds 12 or more digits in all (of any script, however separated: it may
// be a My Number typed into the wrong field), a note that it is not shown. Every
// message that echoes what someone typed into a code, a reference or a
// search goes through it (docs/domain.md §11.11).
func Quote(s string) string {
	f, digits := foldNarrow(s), 0
	for i := range len(f) {
		if isASCIIDigit(f[i]) {
			digits++
		}
	}
	if digits >= 12 {
		return "(not shown: it has 12 or more digits)"
	}
	return strconv.Quote(s)
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

// foldNarrow maps what NFKC would turn into ASCII digits, spaces and
// hyphens, plus the dashes people type for a hyphen, onto ASCII; every
// decimal digit of any script (Devanagari, Arabic-Indic, full-width …)
// becomes its ASCII digit; full-width ASCII (ＡＢＣ／．) becomes ASCII too;
// invisible format characters (zero-width space, bidirectional marks, a
// byte-order mark) are dropped. It is a small stdlib stand-in for NFKC (the
// root package imports nothing outside the standard library); the runes it
// keeps keep their order.
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
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return foldRune(r)
	}, s)
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
	case r >= 0x2080 && r <= 0x2089: // subscripts ₀-₉
		return '0' + (r - 0x2080)
	case r >= 0x2460 && r <= 0x2468: // circled ①-⑨
		return '1' + (r - 0x2460)
	case r == 0x24EA: // circled ⓪
		return '0'
	}
	if d, ok := decimalDigit(r); ok {
		return d
	}
	return r
}

// decimalDigit returns the ASCII digit of r when r is a decimal digit
// (Unicode category Nd) of any script. Each range of the Nd table is a
// whole number of runs of ten, 0 to 9 (TestDecimalDigit checks it).
func decimalDigit(r rune) (rune, bool) {
	if !unicode.IsDigit(r) {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
			return '0' + (r-lo)%10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if lo, hi := rune(rg.Lo), rune(rg.Hi); r >= lo && r <= hi {
			return '0' + (r-lo)%10, true
		}
	}
	return 0, false
}
