package ui

import (
	"errors"
	"strconv"
	"strings"
	"unicode"

	"kigen"
)

// ReasonPrefix is the prefix of the catalog keys of the service layer's
// refusals: a kigen.Error's Key k reads as the text of ReasonPrefix+k.
const ReasonPrefix = "err."

// Reason returns a refusal in l: the catalog's text of ReasonPrefix+key
// filled with args when key is set and the catalog has it, else message
// (the English text of the service layer). A reason's text takes its
// arguments, all text, with %s in order or %[n]s by number, and may leave
// some out (the English name of an era, say); a missing argument reads as
// nothing. On a Japanese page an argument quoted in the English way
// ("2027-02-30") reads in Japanese brackets (「2027-02-30」) when nothing
// in it needed an escape.
func Reason(l Lang, key string, args []string, message string) string {
	if key == "" {
		return message
	}
	s, ok := catalogs[l][ReasonPrefix+key]
	if !ok {
		return message
	}
	if l == Japanese {
		ja := make([]string, len(args))
		for i, a := range args {
			ja[i] = bracket(a)
		}
		args = ja
	}
	return Fill(s, args)
}

// bracket returns a, a Go-quoted text ("R-1"), in Japanese brackets
// (「R-1」), or a as it is when it is not quoted or its quoting escaped
// something (an invisible or control character stays visible as its
// escape).
func bracket(a string) string {
	if len(a) < 2 || a[0] != '"' || a[len(a)-1] != '"' || strings.Contains(a, `\`) {
		return a
	}
	u, err := strconv.Unquote(a)
	if err != nil || strings.ContainsAny(u, "「」") {
		return a
	}
	for _, r := range u {
		if !unicode.IsGraphic(r) {
			return a
		}
	}
	return "「" + u + "」"
}

// ErrorText returns the reason of err in l, without the field's name: a
// *kigen.Error's (Reason), or "internal error" for any other error, whose
// details never reach a page.
func ErrorText(l Lang, err error) string {
	var e *kigen.Error
	if !errors.As(err, &e) {
		return kigen.ErrorMessage(err)
	}
	return Reason(l, e.Key, e.Args, e.Message)
}

// Fill replaces the verbs of a reason's text with args: %s takes the next
// argument, %[n]s the n-th (and the next %s the one after it, as fmt
// reads them), %% is a percent sign. Anything else is left as written.
func Fill(s string, args []string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	next := 0
	arg := func(i int) string {
		if i < 0 || i >= len(args) {
			return ""
		}
		return args[i]
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch rest := s[i+1:]; {
		case rest[0] == '%':
			b.WriteByte('%')
			i++
		case rest[0] == 's':
			b.WriteString(arg(next))
			next++
			i++
		case rest[0] == '[':
			end := strings.Index(rest, "]s")
			n, err := strconv.Atoi(rest[1:max(end, 1)])
			if end < 0 || err != nil || n < 1 {
				b.WriteByte('%')
				continue
			}
			b.WriteString(arg(n - 1))
			next = n
			i += end + 2
		default:
			b.WriteByte('%')
		}
	}
	return b.String()
}

// ReasonVerbs returns the argument numbers (1-based) a reason's text
// uses, in the order of Fill: for the catalog tests.
func ReasonVerbs(s string) []int {
	var out []int
	next := 0
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '%' {
			continue
		}
		switch rest := s[i+1:]; {
		case rest[0] == '%':
			i++
		case rest[0] == 's':
			next++
			out = append(out, next)
			i++
		case rest[0] == '[':
			end := strings.Index(rest, "]s")
			if n, err := strconv.Atoi(rest[1:max(end, 1)]); end >= 0 && err == nil && n >= 1 {
				out = append(out, n)
				next = n
				i += end + 2
			}
		}
	}
	return out
}
