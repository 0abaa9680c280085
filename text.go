package kigen

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// CheckText applies the rules of every text Kigen stores and puts in a
// message — a resident's name and reference, a municipality's names and
// contact block — and returns an EINVALID *Error without a Field (callers
// add it with WithField) for the first it breaks, or nil:
//
//   - no My Number (ContainsMyNumber, docs/domain.md §2);
//   - no control character and no line break (a CR or LF goes raw into an
//     SMS);
//   - no invisible formatting character (Unicode category Cf): a
//     bidirectional override (U+202E) makes a name read backwards, a
//     zero-width space hides inside it. Only the joiners some scripts spell
//     words with (ZWNJ U+200C in Persian, ZWJ U+200D in Devanagari) are
//     kept, between two letters.
//
// The message never shows the text; for an invisible character it names
// the code point, which nothing else would show.
func CheckText(s string) error {
	if ContainsMyNumber(s) {
		return Keyf(EINVALID, "mynumber", MyNumberReason)
	}
	var prev rune
	for i, r := range s {
		switch {
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp):
			return Keyf(EINVALID, "text.control", "holds a line break or another control character")
		case unicode.Is(unicode.Cf, r) && !(isJoiner(r) && isLetter(prev) && isLetter(next(s, i+utf8.RuneLen(r)))):
			return Keyf(EINVALID, "text.invisible", "holds an invisible formatting character (%s), which can disguise how it reads", fmt.Sprintf("%U", r))
		}
		prev = r
	}
	return nil
}

// isJoiner reports whether r is the zero-width non-joiner or joiner.
func isJoiner(r rune) bool { return r == '\u200C' || r == '\u200D' }

// isLetter reports whether r is a letter or a combining mark (a vowel sign,
// a virama).
func isLetter(r rune) bool { return unicode.In(r, unicode.L, unicode.M) }

// next returns the rune at byte i of s (utf8.RuneError past its end).
func next(s string, i int) rune {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}
