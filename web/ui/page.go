package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"kigen"
)

// Lang is a language of the console: Japanese (the default) or English.
type Lang string

// The console's languages.
const (
	Japanese Lang = "ja"
	English  Lang = "en"
)

// Langs lists the console's languages, the default first.
var Langs = []Lang{Japanese, English}

// LangCookie holds the language a user chose (the switch in the header).
const LangCookie = "kigen_console_lang"

// LangOf returns the language of the request: the one its cookie names,
// else Japanese.
func LangOf(r *http.Request) Lang {
	if c, err := r.Cookie(LangCookie); err == nil && Lang(c.Value) == English {
		return English
	}
	return Japanese
}

//go:embed catalog/*.json
var catalogFiles embed.FS

// catalogs are the texts by language and dotted key.
var catalogs = loadCatalogs()

func loadCatalogs() map[Lang]map[string]string {
	out := map[Lang]map[string]string{}
	for _, l := range Langs {
		b, err := catalogFiles.ReadFile("catalog/" + string(l) + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("ui: catalog %s: %v", l, err))
		}
		out[l] = m
	}
	return out
}

// Keys returns the keys of lang's catalog (for the parity test).
func Keys(l Lang) map[string]string { return catalogs[l] }

// T returns the text of key in l, formatted with args (fmt verbs). A
// missing key reads as the key itself, which the catalog test forbids.
func T(l Lang, key string, args ...any) string {
	s, ok := catalogs[l][key]
	if !ok {
		s, ok = catalogs[Japanese][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// User is who is signed in, as the layout shows them.
type User struct {
	ID           string
	Role         string
	Municipality string // its code; empty for an operator
	Admin        bool
	Operator     bool
}

// Flash is a message shown once, on the page a POST redirected to.
type Flash struct {
	Error bool   // a failure (shown as an alert), else a success
	Text  string // already in the page's language
}

// Page is what every page's data embeds: the layout reads it.
type Page struct {
	Lang  Lang
	Title string
	User  *User // nil: not signed in
	Flash *Flash
	// Path is the page's own path, where the language switch returns.
	Path string
	// Errors are the form's errors, summarised at the top with a link to
	// each field.
	Errors []FieldError
}

// T returns the text of key in the page's language.
func (p Page) T(key string, args ...any) string { return T(p.Lang, key, args...) }

// Other returns the language the switch offers.
func (p Page) Other() Lang {
	if p.Lang == English {
		return Japanese
	}
	return English
}

// OtherName is the name of Other, in that language.
func (p Page) OtherName() string { return T(p.Other(), "layout.lang_name") }

// Date formats d for the page: 2027年1月31日 or 31 January 2027; "" for
// the zero date.
func (p Page) Date(d kigen.Date) string { return FormatDate(p.Lang, d) }

// FormatDate formats d in l; "" for the zero date.
func FormatDate(l Lang, d kigen.Date) string {
	if d.IsZero() {
		return ""
	}
	if l == English {
		return strconv.Itoa(d.Day) + " " + d.Month.String() + " " + strconv.Itoa(d.Year)
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// HasError reports whether the field id has an error.
func (p Page) HasError(id string) bool {
	for _, e := range p.Errors {
		if e.ID == id {
			return true
		}
	}
	return false
}
