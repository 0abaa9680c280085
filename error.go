package kigen

import (
	"errors"
	"fmt"
)

// Error codes. They are few on purpose: a caller maps each to an exit code
// or an HTTP status, and shows the Message to the person who can fix it.
const (
	EINVALID      = "invalid"      // the input is refused; Field and Message say why
	ENOTFOUND     = "not_found"    // the thing asked for does not exist (in this municipality)
	ECONFLICT     = "conflict"     // the change clashes with what is stored
	EUNAUTHORIZED = "unauthorized" // the caller may not do this
	ELOCKED       = "locked"       // too many failed logins: the account or the client is locked until the time the Message says
	EINTERNAL     = "internal"     // anything else: a bug or an outage
)

// Error is an error meant for the person who gave the input. Field names the
// input field (a CSV column, a flag, a JSON key) when there is one; Message is
// a human reason that never echoes personal data such as a My Number.
//
// Printed, it reads "field: message", so that an importer can prefix the row:
// "row 7: mynumber_card_expires_on: 2027-02-30 is not a date".
//
// Key, when set (Keyf, FieldKeyf), names the message in the catalogs of a
// surface that speaks other languages than English (the staff console
// reads "err."+Key), and Args are its arguments as text, in the order of
// the English format's verbs. The Message stays the English text the
// command line and the API show. Args follow the Message's rule: no My
// Number, no personal data (quote inputs with Quote or not at all).
type Error struct {
	Code    string
	Field   string
	Message string
	Key     string
	Args    []string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error for the named field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Keyf returns an *Error with the given code, the English message format
// filled with args, and the catalog key of the message: its Args are args
// each as %v prints it (a catalog text reads them with %s, or %[n]s to
// reorder them).
func Keyf(code, key, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Key: key, Args: argTexts(args)}
}

// FieldKeyf is Keyf for an EINVALID error of the named field.
func FieldKeyf(field, key, format string, args ...any) *Error {
	e := Keyf(EINVALID, key, format, args...)
	e.Field = field
	return e
}

// Keyed returns a copy of e with the catalog key and arguments given, for
// a message whose catalog texts need other arguments than its English
// format (an era's name in kanji, say).
func (e *Error) Keyed(key string, args ...string) *Error {
	c := *e
	c.Key, c.Args = key, args
	return &c
}

func argTexts(args []any) []string {
	if len(args) == 0 {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			out[i] = s
		} else {
			out[i] = fmt.Sprint(a)
		}
	}
	return out
}

// WithField returns a copy of err naming field, when err is an *Error
// without a field of its own; any other error is returned unchanged.
func WithField(err error, field string) error {
	var e *Error
	if errors.As(err, &e) && e.Field == "" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of err if it is an *Error, and a
// generic text otherwise, so that internal details never reach a user.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
