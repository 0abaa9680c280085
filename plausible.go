package kigen

import (
	"strconv"
	"time"
)

// earliestExpiry is the earliest expiry date Kigen accepts: anything before
// it is a typing error, not a card (docs/domain.md §3).
var earliestExpiry = Date{2000, time.January, 1}

// expiryLimit is how far ahead a card kind's expiry may plausibly lie: the
// longest validity a card of the kind is issued with, plus the three months
// before expiry in which it can be renewed.
type expiryLimit struct {
	months int
	text   string
}

var expiryLimits = map[CardKind]expiryLimit{
	ResidenceCard:  {7*12 + 3, "7 years and 3 months"},
	IntegratedCard: {7*12 + 3, "7 years and 3 months"},
	MyNumberCard:   {10*12 + 3, "10 years and 3 months"},
	MyNumberCert:   {5*12 + 3, "5 years and 3 months"},
}

// CheckExpiry applies the plausibility rules of docs/domain.md §3 to an expiry
// date e of a card of the given kind, entered on today (Asia/Tokyo; §11.14).
//
// It refuses, with an EINVALID *Error without a Field (callers add it with
// WithField), an expiry before 2000-01-01 and one too far ahead: more than
// 7 years and 3 months after today for a residence or integrated card, 10
// years and 3 months for a My Number card, 5 years and 3 months for its
// certificate. The message names the limit and the latest plausible date,
// e.g. "2040-01-01 is more than 7 years and 3 months ahead (latest
// plausible: 2034-02-25)". An unknown kind or an invalid e is refused too.
//
// An expiry before today is accepted with a warning ("2026-10-01 has
// already passed"); otherwise warning is "".
func CheckExpiry(kind CardKind, e, today Date) (warning string, err error) {
	limit, ok := expiryLimits[kind]
	if !ok {
		return "", Keyf(EINVALID, "expiry.kind", "%s is not a card kind", safeKind(kind))
	}
	if !e.Valid() {
		return "", Keyf(EINVALID, "date.not_date", "is not a date")
	}
	if !today.Valid() {
		return "", Errorf(EINTERNAL, "kigen: CheckExpiry: today (%d-%d-%d) is not a date", today.Year, today.Month, today.Day)
	}
	if e.Before(earliestExpiry) {
		return "", Keyf(EINVALID, "expiry.too_early", "%s is before %s, too early for a card's expiry", e, earliestExpiry)
	}
	if latest := today.AddMonths(limit.months); e.After(latest) {
		return "", Errorf(EINVALID, "%s is more than %s ahead (latest plausible: %s)", e, limit.text, latest).
			Keyed("expiry.too_late", e.String(), strconv.Itoa(limit.months/12), strconv.Itoa(limit.months%12), latest.String())
	}
	if e.Before(today) {
		return e.String() + " has already passed", nil
	}
	return "", nil
}

// safeKind quotes k for a message when it looks like a kind code, so that
// whatever a caller passed never reaches a message unchecked.
func safeKind(k CardKind) string {
	if len(k) == 0 || len(k) > 32 {
		return "the value"
	}
	for i := range len(k) {
		if c := k[i]; (c < 'a' || c > 'z') && c != '_' {
			return "the value"
		}
	}
	return `"` + string(k) + `"`
}
