package templates

import (
	"strings"
	"unicode/utf16"
)

// The SMS encodings Segments reports.
const (
	GSM7 = "GSM-7"
	UCS2 = "UCS-2"
)

// MaxSMSSegments is the budget of one SMS (docs/domain.md §7): 2 segments, i.e.
// 306 GSM-7 characters or 134 UCS-2 code units.
const MaxSMSSegments = 2

// SMSURLBudget is the longest message URL (Params.MessageURL) with which
// every SMS, in every language, for every notice and any date, fits
// MaxSMSSegments without dropping anything: for instance a 24-character
// KIGEN_PUBLIC_URL ("https://kigen.example.jp") with "/m/" and a
// 17-character token. Nepali, with its long month names, sets it. A longer
// URL still fits by dropping parts of the text (see Renderer.SMS).
const SMSURLBudget = 44

// gsmBasic is the GSM 03.38 default alphabet (one septet each), without the
// escape code.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension holds the characters of the extension table: an escape plus
// one septet, so two septets each.
const gsmExtension = "\f^{}\\[~]|€"

// Segment sizes: a single message, and each part of a concatenated one
// (the user data header takes the rest).
const (
	gsmSingle, gsmPart   = 160, 153
	ucs2Single, ucs2Part = 70, 67
)

// Segments returns how many SMS segments s takes and in which encoding it
// goes: GSM-7 when every character is in the default alphabet or its
// extension table (which count two septets), else UCS-2, counted in UTF-16
// code units (a character outside the Basic Multilingual Plane, like most
// emoji, counts two). An escape pair or a surrogate pair is never split
// across two segments, as handsets and carriers require. The empty string
// takes 0 segments.
func Segments(s string) (n int, encoding string) {
	if s == "" {
		return 0, GSM7
	}
	var units []int // the width of each character, in septets or code units
	encoding = GSM7
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			units = append(units, 1)
		case strings.ContainsRune(gsmExtension, r):
			units = append(units, 2)
		default:
			encoding = UCS2
		}
		if encoding == UCS2 {
			break
		}
	}
	single, part := gsmSingle, gsmPart
	if encoding == UCS2 {
		single, part = ucs2Single, ucs2Part
		units = units[:0]
		for _, r := range s {
			units = append(units, len(utf16.AppendRune(nil, r)))
		}
	}
	total := 0
	for _, u := range units {
		total += u
	}
	if total <= single {
		return 1, encoding
	}
	n, used := 1, 0
	for _, u := range units {
		if used+u > part {
			n, used = n+1, 0
		}
		used += u
	}
	return n, encoding
}
