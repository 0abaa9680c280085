// Package templates writes every message Kigen sends: the email (subject,
// HTML and plain text, with the one-click unsubscribe headers) and the SMS
// that carry one resident's notices of one tick, in the twelve languages of
// docs/domain.md §8.
//
// The words live in one catalog per language, catalogs/<lang>.json, with
// identical dotted keys (a test fails on a missing or extra key). A value is
// a string with {placeholders}, or an object of CLDR plural forms ("one",
// "other", …) for texts that hold a number. Dates and weekdays come from
// CLDR (github.com/go-playground/locales), arranged per language by the
// catalog (date.weekday, sms.date, sms.date.goby); plural forms
// follow the same library's cardinal rules. Nothing outside this package
// reads the JSON.
//
// The hotlines (docs/domain.md §9) are data, not text: hotlines.json is embedded
// and an operator may replace it with KIGEN_HOTLINES_FILE (LoadHotlines). A
// message lists only the lines that answer in the resident's language, and
// points to the municipality's contact when none does.
//
// A message is rendered when it is sent: Params.Today is the sending day, and
// the days left are counted from it (docs/domain.md §11.6). A notice that
// asks for a visit names the last open day before its deadline, read from
// the municipality's calendar (§12); what every message must say is §14,
// pinned by rules_test.go. docs/messages.md describes the SMS's budget and
// what it leaves out when a language cannot hold everything.
package templates
