package store

import (
	"unicode/utf8"

	"kigen"
)

// ResidentSearch selects residents of one municipality (SearchResidents,
// CountResidents). Every condition set must hold; the zero value of each
// selects every resident.
type ResidentSearch struct {
	MunicipalityID int64
	// RefPrefix: refs starting with it (bytewise, as stored).
	RefPrefix string
	// NameContains: names containing it, case-insensitively (LIKE: % and
	// _ in it are plain characters).
	NameContains string
	// Text: refs starting with it or names containing it (RefPrefix or
	// NameContains, either).
	Text string
	// Email: an email contact with exactly this address (as stored:
	// normalised as an import normalises it).
	Email string
	// Phone: an SMS contact with exactly this number (E.164).
	Phone    string
	Language kigen.Language
	Status   kigen.Status
	// ExpiresTo, when set, selects residents with a card expiring in
	// [ExpiresFrom, ExpiresTo] (ExpiresFrom zero: any day up to ExpiresTo).
	ExpiresFrom kigen.Date
	ExpiresTo   kigen.Date
	// GapOpen: the renewal gap is open (kigen.GapOpen of the resident's
	// status, residence card and My Number card).
	GapOpen bool
	// Unreachable: kigen.SendChannels finds no channel for the resident.
	Unreachable bool
	// AfterRef pages: refs above it, bytewise (SearchResidents only).
	AfterRef string
	// Limit is the page size (SearchResidents only), > 0.
	Limit int
}

// ResidentRow is a resident SearchResidents found, with the facts a list
// shows.
type ResidentRow struct {
	ID       int64
	Ref      string
	Name     string
	Language kigen.Language
	Status   kigen.Status
	// SoonestExpiry is the earliest expiry of the resident's cards; zero
	// without a card.
	SoonestExpiry kigen.Date
	GapOpen       bool
	Unreachable   bool
}

// PrefixEnd returns the least string above every string starting with
// prefix, bytewise (UTF-8 order is code point order), and false when there
// is none (an empty prefix, or one of only the last code point).
func PrefixEnd(prefix string) (string, bool) {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		switch {
		case r == utf8.MaxRune || r == utf8.RuneError && size == 1:
			continue
		case r == 0xD7FF:
			return prefix + string(rune(0xE000)), true
		default:
			return prefix + string(r+1), true
		}
	}
	return "", false
}
