package notify

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Error is a failed Send, classified by the provider package. A deliver job
// cancels the job on a Permanent error (and falls back to the resident's
// other channel), snoozes for RetryAfter when it is known, and otherwise
// returns the error so that River retries with backoff.
//
// Code and Reason never hold personal data: Reason went through Redact.
type Error struct {
	Provider   string        // "outbox", "sendgrid", "twilio"
	Permanent  bool          // retrying this message on this channel cannot help
	Code       string        // the provider's code: an HTTP status ("400"), a Twilio code ("21211"), or "timeout", "network", "invalid_message"
	Reason     string        // a short, redacted explanation
	RetryAfter time.Duration // how long the provider asked us to wait (0: unknown)

	// ContactFailed says the address itself is bad (an invalid or
	// unreachable number, an invalid email address): do not use it again
	// until the resident confirms it anew (docs/domain.md §11.17).
	ContactFailed bool
	// OptOut says the recipient told the provider to stop (Twilio 21610:
	// they sent STOP): switch the channel off for this resident.
	OptOut bool
	// MaybeSent says the request may have reached the provider before it
	// failed (a timeout, a dropped connection): a retry may send the
	// message twice. It is false when the request surely did not leave
	// (a refused connection) or the provider answered.
	MaybeSent bool

	Err error // the underlying error, if any (for errors.Is, e.g. context.DeadlineExceeded)
}

// Error implements the error interface: "provider: permanent|retryable
// failure (code): reason".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Permanent {
		b.WriteString(": permanent failure")
	} else {
		b.WriteString(": retryable failure")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err is, or wraps, a permanent *Error. Any
// other error (including nil) is not permanent: when in doubt, retry.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter returns the delay the provider asked for, or 0 when err is not
// an *Error or no delay is known.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// MaybeSent reports whether err is an *Error whose request may have reached
// the provider (see Error.MaybeSent).
func MaybeSent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.MaybeSent
}

// InvalidMessage returns the permanent error a Sender gives for a message
// that fails Validate or that it cannot carry (e.g. an SMS given to the
// email sender). Resending the same message cannot help.
func InvalidMessage(provider string, err error) *Error {
	return &Error{Provider: provider, Permanent: true, Code: "invalid_message", Reason: Redact(err.Error()), Err: err}
}

var (
	// emailRE matches anything shaped like an address: local@domain.
	emailRE = regexp.MustCompile(`[^\s<>()\[\]"',;:@]+@[^\s<>()\[\]"',;:@]+`)
	// numberRE matches a run of 8 or more digits, possibly with a leading +
	// and up to 3 separators between digits: phone numbers (and My
	// Numbers) however written, never "5.1.1".
	numberRE = regexp.MustCompile(`\+?[0-9０-９](?:[\s\-()－‐]{0,3}[0-9０-９]){7,}`)
)

// maxReason is the longest Reason kept, in runes.
const maxReason = 200

// Redact returns s with every email address and every run of 8 or more
// digits (a phone number, a My Number) replaced, control characters
// removed, and cut to 200 runes. Provider reasons pass through it before
// they reach an Error, an Event, a log or the store: a bounce reason often
// quotes the address, and Twilio's messages quote the number.
func Redact(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	// After the clean-up, which may join digits a control character split.
	s = emailRE.ReplaceAllString(s, "[email]")
	s = numberRE.ReplaceAllString(s, "[number]")
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxReason {
		s = string([]rune(s)[:maxReason-1]) + "…"
	}
	return s
}
