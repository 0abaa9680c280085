package kigen

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// Hand-verified My Numbers. With P(n) the n-th digit from the right of the
// first 11 digits and weights Q = 2,3,4,5,6,7 (n = 1..6) then 2,3,4,5,6
// (n = 7..11):
//
//	12345678901: P = 1,0,9,8,7,6,5,4,3,2,1
//	  1·2 + 0·3 + 9·4 + 8·5 + 7·6 + 6·7 + 5·2 + 4·3 + 3·4 + 2·5 + 1·6
//	  = 2 + 0 + 36 + 40 + 42 + 42 + 10 + 12 + 12 + 10 + 6 = 212
//	  212 mod 11 = 3 (209 = 19·11), check digit 11 − 3 = 8 → 123456789018
//	11111111111: Σ Q = 27 + 20 = 47, 47 mod 11 = 3, check 8 → 111111111118
//	10000000000: only P(11) = 1, Q(11) = 6, r = 6, check 5 → 100000000005
//	00000000001: only P(1) = 1, Q(1) = 2, r = 2, check 9 → 000000000019
//	00000000006: 6·2 = 12, r = 1 ≤ 1, check 0 → 000000000060
//	00000000000: r = 0, check 0 → 000000000000
var handVerified = []string{
	"123456789018",
	"111111111118",
	"100000000005",
	"000000000019",
	"000000000060",
	"000000000000",
}

func TestMyNumberCheckDigit(t *testing.T) {
	t.Parallel()

	for _, n := range handVerified {
		got, ok := MyNumberCheckDigit(n[:11])
		if !ok || got != int(n[11]-'0') {
			t.Errorf("MyNumberCheckDigit(%q) = %d, %v, want %c, true", n[:11], got, ok, n[11])
		}
	}
	for _, in := range []string{"", "1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１", "-1234567890"} {
		if got, ok := MyNumberCheckDigit(in); ok {
			t.Errorf("MyNumberCheckDigit(%q) = %d, true, want false", in, got)
		}
	}
}

// TestMyNumberCheckDigit_Unique checks, for computed numbers, that exactly
// one last digit makes a valid My Number.
func TestMyNumberCheckDigit_Unique(t *testing.T) {
	t.Parallel()

	for _, first := range []string{"98765432109", "31415926535", "27182818284", "55555555555", "00000000010", "90000000000"} {
		cd, ok := MyNumberCheckDigit(first)
		if !ok || cd < 0 || cd > 9 {
			t.Fatalf("MyNumberCheckDigit(%q) = %d, %v", first, cd, ok)
		}
		for last := range 10 {
			n := fmt.Sprintf("%s%d", first, last)
			if got, want := IsMyNumber(n), last == cd; got != want {
				t.Errorf("IsMyNumber(%q) = %v, want %v", n, got, want)
			}
		}
	}
}

func TestIsMyNumber(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Plain", "123456789018", true},
		{"WrongCheckDigit", "123456789010", false},
		{"Eleven", "12345678901", false},
		{"Thirteen", "1234567890180", false},
		{"Hyphens", "1234-5678-9018", true},
		{"Spaces", "1234 5678 9018", true},
		{"MixedSeparators", "1234-5678 9018", true},
		{"GroupedWrongCheckDigit", "1234-5678-9010", false},
		{"DoubleSpace", "1234  5678  9018", true},
		{"SpacedHyphens", "1234 - 5678 - 9018", true},
		{"Dots", "1234.5678.9018", true},
		{"Slashes", "1234/5678/9018", true},
		{"MixedSeparatorRuns", "1234 ./ 5678\t9018", true},
		{"KatakanaMiddleDots", "1234・5678・9018", true},
		{"FullWidthSlashes", "１２３４／５６７８／９０１８", true},
		{"ZeroWidthSpaces", "1234\u200b5678\u200b9018", true},
		{"ZeroWidthSpaceInAGroup", "12\u200b3456789018", true},
		{"BidiOverride", "\u202e123456789018\u202c", true},
		{"Devanagari", "१२३४५६७८९०१८", true},
		{"ArabicIndic", "١٢٣٤ ٥٦٧٨ ٩٠١٨", true},
		{"ExtendedArabicIndic", "۱۲۳۴۵۶۷۸۹۰۱۸", true},
		{"MathematicalDigits", "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗𝟎𝟏𝟖", true},
		{"DevanagariWrongCheckDigit", "१२३४५६७८९०१०", false},
		{"FiveSeparators", "1234 -- -- 5678 9018", false},
		{"NoSeparator", "1234a5678a9018", false},
		{"OtherGrouping", "123-456-789-018", false},
		{"Grouping363", "123 456789 018", false},
		{"Trimmed", "  123456789018\n", true},
		{"IdeographicSpaceTrimmed", "\u3000123456789018\u3000", true},
		{"FullWidth", "１２３４５６７８９０１８", true},
		{"FullWidthHyphens", "１２３４－５６７８－９０１８", true},
		{"FullWidthSpaces", "１２３４\u3000５６７８\u3000９０１８", true},
		{"Dashes", "1234\u20125678\u22129018", true},
		{"KatakanaLongVowel", "1234ー5678ー9018", true},
		{"Letters", "12345678901a", false},
		{"InText", "no 123456789018", false},
		{"Empty", "", false},
		{"HandVerified1", "111111111118", true},
		{"HandVerified2", "100000000005", true},
		{"HandVerified3", "000000000060", true},
		{"HandVerified4", "0000-0000-0019", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsMyNumber(tt.in); got != tt.want {
				t.Errorf("IsMyNumber(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestContainsMyNumber(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Exact", "123456789018", true},
		{"Grouped", "1234 5678 9018", true},
		{"InText", "my number is 123456789018, thanks", true},
		{"BetweenLetters", "ab123456789018cd", true},
		{"AtStart", "123456789018 x", true},
		{"AtEnd", "x:123456789018", true},
		{"GroupedInText", "no.1234-5678-9018.", true},
		{"GroupedFullWidthInText", "番号：１２３４－５６７８－９０１８です", true},
		{"GroupedBetweenLetters", "a1234 5678 9018b", true},
		{"GroupedInLongerGrouping", "1234-5678-9018-0000", true},
		{"WrongCheckDigit", "id 123456789010", false},
		{"Eleven", "id 12345678901", false},
		{"ThirteenDigits", "id 1234567890180", false},
		{"ThirteenDigitsEndingValid", "id 0123456789018", false},
		{"GroupedPrecededByDigit", "01234-5678-9018", false},
		{"GroupedFollowedByDigit", "1234-5678-90180", false},
		{"DotsInAGreeting", "Dear 1234.5678.9018,", true},
		{"SlashesInText", "番号 1234/5678/9018 です", true},
		{"SpacedHyphensInText", "id 1234 - 5678 - 9018.", true},
		{"ArabicIndicInText", "رقم ١٢٣٤٥٦٧٨٩٠١٨", true},
		{"ZeroWidthJoinedInText", "x 1234\u200d-5678\u200d-9018 y", true},
		{"PhoneDomestic", "Tel 0134.32.4111", false},
		{"PhoneInternational", "+81 90 1234 5678", false},
		{"DateSlashes", "2027/03/31", false},
		{"TwoPhones", "0134-32-4111 / 0134-32-4112", false},
		{"TwoRuns", "2027-03-31 123456789018", true},
		{"Date", "2027-03-31", false},
		{"Empty", "", false},
		// A Japanese mobile number in E.164 is 12 digits after the "+", and
		// one in eleven passes the check digit: ContainsMyNumber reports it,
		// so callers exempt the phone column (docs/domain.md §11.11). For
		// 81901234567 the weighted sum is 195, 195 mod 11 = 8, check digit 3.
		{"E164Mobile", "+819012345678", false},
		{"E164MobileWithCheckDigit", "+819012345673", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ContainsMyNumber(tt.in); got != tt.want {
				t.Errorf("ContainsMyNumber(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestHasLongDigitRun(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Twelve", "123456789010", true},
		{"Thirteen", "x1234567890123x", true},
		{"Eleven", "12345678901", false},
		{"Grouped", "1234-5678-9018", false},
		{"Devanagari", "१२३४५६७८९०१२", true},
		{"ZeroWidthSpaceInside", "123456\u200b789012", true},
		{"FullWidth", "１２３４５６７８９０１２", true},
		{"MixedWidth", "123456７８９０１２", true},
		{"Date", "20270331", false},
		{"Empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HasLongDigitRun(tt.in); got != tt.want {
				t.Errorf("HasLongDigitRun(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"011002":       `"011002"`,
		"R-1":          `"R-1"`,
		"123456789018": "(not shown: it has 12 or more digits)",
		"１２３４５６７８９０１８": "(not shown: it has 12 or more digits)",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestIsMyNumberHeader(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"Snake", "my_number", true},
		{"Joined", "mynumber", true},
		{"Spaced", "my number", true},
		{"Kebab", "my-number", true},
		{"Title", "My Number", true},
		{"Upper", "MY_NUMBER", true},
		{"Padded", "  my_number ", true},
		{"BOM", "\uFEFFmy_number", true},
		{"FullWidth", "ｍｙ＿ｎｕｍｂｅｒ", true},
		{"FullWidthUpper", "ＭＹ　ＮＵＭＢＥＲ", true},
		{"Individual", "individual_number", true},
		{"IndividualSpaced", "Individual Number", true},
		{"Kojin", "個人番号", true},
		{"KojinSpaced", " 個人 番号 ", true},
		{"Katakana", "マイナンバー", true},
		{"HalfWidthKatakana", "ﾏｲﾅﾝﾊﾞｰ", true},
		{"CardExpiry", "mynumber_card_expires_on", false},
		{"CertExpiry", "mynumber_cert_expires_on", false},
		{"KatakanaCardExpiry", "マイナンバーカード有効期限", false},
		{"KatakanaCard", "マイナンバーカード", false},
		{"Prefix", "my_number_x", false},
		{"Phone", "phone", false},
		{"Ref", "resident_ref", false},
		{"Empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsMyNumberHeader(tt.in); got != tt.want {
				t.Errorf("IsMyNumberHeader(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// myNumberOf returns a valid My Number built from n.
func myNumberOf(n uint64) string {
	first := fmt.Sprintf("%011d", n%100_000_000_000)
	cd, _ := MyNumberCheckDigit(first)
	return fmt.Sprintf("%s%d", first, cd)
}

// asciiDigits counts the ASCII digits of s.
func asciiDigits(s string) int {
	n := 0
	for i := range len(s) {
		if isASCIIDigit(s[i]) {
			n++
		}
	}
	return n
}

func FuzzContainsMyNumber(f *testing.F) {
	for _, s := range []string{"", "123456789018", "1234 5678 9018", "１２３４５６７８９０１８", "+819012345678", "x123456789018y", "2027-03-31"} {
		f.Add(s, uint64(12345678901))
	}
	f.Fuzz(func(t *testing.T, s string, n uint64) {
		if IsMyNumber(s) && !ContainsMyNumber(s) {
			t.Fatalf("IsMyNumber(%q) but not ContainsMyNumber", s)
		}
		if ContainsMyNumber(s) && asciiDigits(foldNarrow(s)) < 12 {
			t.Fatalf("ContainsMyNumber(%q) with fewer than 12 digits", s)
		}
		num := myNumberOf(n)
		if !IsMyNumber(num) {
			t.Fatalf("IsMyNumber(%q) = false for a computed number", num)
		}
		grouped := num[:4] + "-" + num[4:8] + " " + num[8:]
		spelled := num[:4] + " ./" + num[4:8] + "\u200b・\u200b" + num[8:]
		devanagari := strings.Map(func(r rune) rune { return r - '0' + '०' }, num)
		for _, in := range []string{
			"a" + num + "b",
			s + "x" + num + "y" + s,
			s + "x" + grouped + "y" + s,
			s + "x" + spelled + "y" + s,
			s + "x" + devanagari + "y" + s,
			s + "。" + num,
		} {
			if !ContainsMyNumber(in) {
				t.Fatalf("ContainsMyNumber(%q) = false", in)
			}
		}
	})
}

// TestDecimalDigit checks what decimalDigit assumes of the Unicode table:
// every range of decimal digits is whole runs of ten, 0 to 9, so that a
// digit's value is its distance from the range's start, modulo 10.
func TestDecimalDigit(t *testing.T) {
	t.Parallel()
	check := func(lo, hi, stride uint32) {
		if stride != 1 || (hi-lo+1)%10 != 0 {
			t.Errorf("Nd range %U-%U (stride %d) is not whole runs of ten", lo, hi, stride)
		}
	}
	for _, rg := range unicode.Nd.R16 {
		check(uint32(rg.Lo), uint32(rg.Hi), uint32(rg.Stride))
	}
	for _, rg := range unicode.Nd.R32 {
		check(rg.Lo, rg.Hi, rg.Stride)
	}
	for in, want := range map[rune]rune{'7': '7', '७': '7', '٣': '3', '۹': '9', '９': '9', '𝟘': '0', '𝟿': '9', '௬': '6', '໕': '5'} {
		if got, ok := decimalDigit(in); !ok || got != want {
			t.Errorf("decimalDigit(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []rune{'a', '²', '①', '〇', '五'} {
		if got, ok := decimalDigit(in); ok {
			t.Errorf("decimalDigit(%q) = %q, true; want false (not a decimal digit)", in, got)
		}
	}
}
