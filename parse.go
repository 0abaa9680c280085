package kigen

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// era is a Japanese era (元号) Kigen reads: its names, the Gregorian year
// of its year 1 minus one, and its first and last days (last zero: ongoing).
type era struct {
	name        string // English name, for messages
	kanji       string
	letter      byte // upper-case
	offset      int  // Gregorian year = offset + era year
	first, last Date
}

var eras = []era{
	{"Reiwa", "令和", 'R', 2018, Date{2019, time.May, 1}, Date{}},
	{"Heisei", "平成", 'H', 1988, Date{1989, time.January, 8}, Date{2019, time.April, 30}},
	{"Showa", "昭和", 'S', 1925, Date{1926, time.December, 25}, Date{1989, time.January, 7}},
}

// span describes the era's days for a message.
func (e era) span() string {
	if e.last.IsZero() {
		return "from " + e.first.String()
	}
	return e.first.String() + " – " + e.last.String()
}

// minParseYear is the first Gregorian year ParseDate accepts: the Showa era,
// the oldest Kigen reads, begins in 1926. Later bounds are plausibility
// rules (CheckExpiry), not parsing ones.
const minParseYear = 1926

// dateHint is appended to the message for an input in no form ParseDate
// reads.
const dateHint = "(use 2027-03-31 or 令和9年3月31日)"

// ParseDate parses a date in any of the forms people type (docs/domain.md §3):
// 2027-03-31, 2027/03/31, 2027/3/31, 2027.3.31, 20270331, 2027年3月31日,
// and the Japanese eras Reiwa (令和, R), Heisei (平成, H) and Showa (昭和,
// S): 令和9年3月31日, R9.3.31, R09.03.31, R9/3/31, R9-3-31, r9.3.31,
// 令和元年5月1日 (元年 is year 1). Surrounding spaces (also U+3000) are
// trimmed; full-width digits, letters and ／．－ are read as ASCII, and
// spaces may surround each part.
//
// An error is an EINVALID *Error without a Field (callers add it with
// WithField) whose message quotes the input and says why, such as
// "2027-02-30" is not a date or "H31.5.1" is outside the Heisei era
// (1989-01-08 – 2019-04-30). The input is quoted when it reads as an
// attempt at a date, even one Kigen does not read ("2027/03/31 0:00",
// "March 31, 2027"): digits, separators, era names, month names. Anything
// else might be personal data — a name, an e-mail address, a phone number,
// and above all a My Number (12 digits in up to three groups) — and the
// message is then only "is not a date".
func ParseDate(s string) (Date, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Date{}, Keyf(EINVALID, "date.empty", "is empty")
	}
	// fail words the refusal: key+".q" quoting the input, key alone when
	// the input must not be echoed.
	fail := func(key, format string, args ...any) (Date, error) {
		q, quotable := quoteDateInput(in)
		if !quotable {
			return Date{}, Keyf(EINVALID, "date.not_date", "is not a date")
		}
		return Date{}, Keyf(EINVALID, key, "%s "+format, append([]any{q}, args...)...)
	}

	toks, ok := dateTokens(foldNarrow(in))
	if !ok {
		return fail("date.form", "is not a date form Kigen reads "+dateHint)
	}
	f, ok := matchDate(toks)
	if !ok {
		return fail("date.form", "is not a date form Kigen reads "+dateHint)
	}
	if f.era == nil {
		d := NewDate(f.year, time.Month(f.month), f.day)
		if !d.Valid() {
			return fail("date.invalid", "is not a date")
		}
		if d.Year < minParseYear {
			return fail("date.too_early", "is too early (Kigen reads dates from %d on)", minParseYear)
		}
		return d, nil
	}
	if f.year < 1 {
		return fail("date.invalid", "is not a date")
	}
	d := NewDate(f.era.offset+f.year, time.Month(f.month), f.day)
	if !d.Valid() {
		return fail("date.invalid", "is not a date")
	}
	if d.Before(f.era.first) || (!f.era.last.IsZero() && d.After(f.era.last)) {
		_, err := fail("date.era", "is outside the %s era (%s)", f.era.name, f.era.span())
		var e *Error
		if errors.As(err, &e) && e.Key == "date.era" {
			// The catalogs name the era in their own words: its kanji,
			// first and last days.
			if f.era.last.IsZero() {
				err = e.Keyed("date.era_ongoing", e.Args[0], f.era.kanji, f.era.name, f.era.first.String())
			} else {
				err = e.Keyed("date.era", e.Args[0], f.era.kanji, f.era.name, f.era.first.String(), f.era.last.String())
			}
		}
		return Date{}, err
	}
	return d, nil
}

// quoteDateInput returns in quoted for a message, and false when in must
// not be echoed: it is long, holds something no date or time uses (a name,
// an e-mail address), or reads as a phone number (10 digits or more, with
// only hyphens, spaces, parentheses and +) or a My Number (12 digits or
// more in at most three groups). So an error message never carries
// personal data (docs/domain.md §11.11).
func quoteDateInput(in string) (string, bool) {
	if utf8.RuneCountInString(in) > 32 {
		return "", false
	}
	f := foldNarrow(in)
	// prev are the lengths of the two runs of digits before run, the one
	// being read: three together must not reach 12.
	var prev [2]int
	digits, run, phoneLike := 0, 0, true
	for i := 0; i < len(f); {
		r, size := utf8.DecodeRuneInString(f[i:])
		if '0' <= r && r <= '9' {
			digits, run = digits+1, run+1
			if run+prev[0]+prev[1] >= 12 {
				return "", false
			}
			i += size
			continue
		}
		if run > 0 {
			prev, run = [2]int{prev[1], run}, 0
		}
		switch {
		case isASCIILetter(f[i]):
			j := i
			for j < len(f) && isASCIILetter(f[j]) {
				j++
			}
			if w := strings.ToLower(f[i:j]); !dateWords[w] && strings.Trim(w, "rhs") != "" {
				return "", false
			}
			phoneLike, size = false, j-i
		case strings.ContainsRune(" -()+", r):
		case strings.ContainsRune("/.,:年月日元令和平成昭午前後時分秒", r):
			phoneLike = false
		default:
			return "", false
		}
		i += size
	}
	if phoneLike && digits >= 10 {
		return "", false
	}
	// Every rune left is graphic (spaces included), so nothing is escaped
	// into digits such as \u3000.
	return strconv.QuoteToGraphic(in), true
}

// dateWords are the words, in lower case, a date or a time written in
// Latin letters may hold besides era letters (r, h, s): month names, T
// and Z of ISO 8601, AM and PM, a few zone names.
var dateWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("t z am pm utc gmt jst " +
		"jan feb mar apr may jun jul aug sep sept oct nov dec " +
		"january february march april june july august september october november december") {
		dateWords[w] = true
	}
}

// dateToken is one part of a date input: a number, a separator (- / .),
// a kanji unit (年 月 日), 元 (the first year of an era) or an era.
type dateToken struct {
	kind byte // 'n' number, 's' separator, 'k' kanji unit, 'g' 元, 'e' era
	text string
	era  *era
}

// dateTokens splits f (trimmed and folded) into tokens, dropping spaces
// between them, and reports false on anything no date form uses.
func dateTokens(f string) ([]dateToken, bool) {
	var toks []dateToken
	for i := 0; i < len(f); {
		c := f[i]
		switch {
		case c == ' ':
			i++
		case isASCIIDigit(c):
			j := i
			for j < len(f) && isASCIIDigit(f[j]) {
				j++
			}
			toks = append(toks, dateToken{kind: 'n', text: f[i:j]})
			i = j
		case c == '-' || c == '/' || c == '.':
			toks = append(toks, dateToken{kind: 's', text: f[i : i+1]})
			i++
		case isASCIILetter(c):
			j := i
			for j < len(f) && isASCIILetter(f[j]) {
				j++
			}
			e := eraByLetter(f[i:j])
			if e == nil {
				return nil, false
			}
			toks = append(toks, dateToken{kind: 'e', era: e})
			i = j
		default:
			r, size := utf8.DecodeRuneInString(f[i:])
			switch r {
			case '年', '月', '日':
				toks = append(toks, dateToken{kind: 'k', text: f[i : i+size]})
				i += size
				continue
			case '元':
				toks = append(toks, dateToken{kind: 'g'})
				i += size
				continue
			}
			e := eraByKanji(f[i:])
			if e == nil {
				return nil, false
			}
			toks = append(toks, dateToken{kind: 'e', era: e})
			i += len(e.kanji)
		}
	}
	return toks, true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func eraByLetter(s string) *era {
	if len(s) != 1 {
		return nil
	}
	c := s[0] &^ 0x20 // upper-case
	for i := range eras {
		if eras[i].letter == c {
			return &eras[i]
		}
	}
	return nil
}

func eraByKanji(s string) *era {
	for i := range eras {
		if strings.HasPrefix(s, eras[i].kanji) {
			return &eras[i]
		}
	}
	return nil
}

// dateFields are the numbers read from a date input; era is nil for a
// Gregorian date, and year is then the Gregorian year.
type dateFields struct {
	era              *era
	year, month, day int
}

// matchDate matches toks against the date forms:
//
//	YYYYMMDD
//	YYYY s M s D          (s one of - / . , the same twice)
//	YYYY 年 M 月 D 日
//	ERA Y s M s D         (Y one or two digits, or 元)
//	ERA Y 年 M 月 D 日
//
// with M and D of one or two digits.
func matchDate(toks []dateToken) (dateFields, bool) {
	var f dateFields
	if len(toks) == 1 {
		t := toks[0].text
		if toks[0].kind != 'n' || len(t) != 8 {
			return f, false
		}
		f.year, _ = strconv.Atoi(t[:4])
		f.month, _ = strconv.Atoi(t[4:6])
		f.day, _ = strconv.Atoi(t[6:])
		return f, true
	}
	if len(toks) > 0 && toks[0].kind == 'e' {
		f.era = toks[0].era
		toks = toks[1:]
		if len(toks) == 0 {
			return f, false
		}
		switch y := toks[0]; {
		case y.kind == 'g':
			f.year = 1
		case y.kind == 'n' && len(y.text) <= 2:
			f.year, _ = strconv.Atoi(y.text)
		default:
			return f, false
		}
	} else {
		if len(toks) == 0 || toks[0].kind != 'n' || len(toks[0].text) != 4 {
			return f, false
		}
		f.year, _ = strconv.Atoi(toks[0].text)
	}
	rest := toks[1:]
	var ok bool
	switch {
	case len(rest) == 4 && rest[0].kind == 's' && rest[2].kind == 's' && rest[0].text == rest[2].text:
		f.month, ok = monthOrDay(rest[1])
		if ok {
			f.day, ok = monthOrDay(rest[3])
		}
	case len(rest) == 5 && rest[0].text == "年" && rest[2].text == "月" && rest[4].text == "日":
		f.month, ok = monthOrDay(rest[1])
		if ok {
			f.day, ok = monthOrDay(rest[3])
		}
	}
	return f, ok
}

// monthOrDay reads a number of one or two digits.
func monthOrDay(t dateToken) (int, bool) {
	if t.kind != 'n' || len(t.text) > 2 {
		return 0, false
	}
	n, _ := strconv.Atoi(t.text)
	return n, true
}
