package templates

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"

	"kigen"
)

//go:embed hotlines.json
var defaultHotlines []byte

// Hotlines are the national help lines messages list (docs/domain.md §9): kept as
// data so that an operator can correct a number, a language or the hours
// without a release (KIGEN_HOTLINES_FILE).
type Hotlines struct {
	Phones []PhoneLine `json:"phones"`
	Web    []WebLine   `json:"web"`
}

// PhoneLine is one telephone help line.
type PhoneLine struct {
	Number string `json:"number"`
	Free   bool   `json:"free"`
	// Topic is what the line is for: a code whose words are the catalogs'
	// hotline.topic.<code>.
	Topic string `json:"topic"`
	// Groups are the languages the line answers in, each with its hours.
	Groups []HotlineGroup `json:"groups"`
	// Notes are codes of the catalogs' hotline.note.<code>.
	Notes []string `json:"notes,omitempty"`
}

// HotlineGroup is a set of languages a line answers in at the same hours.
type HotlineGroup struct {
	Languages []kigen.Language `json:"languages"`
	Hours     []Hours          `json:"hours"`
}

// Hours is one opening period: Days is a code of the catalogs'
// hotline.days.<code>; From and To are times such as "9:30".
type Hours struct {
	Days string `json:"days"`
	From string `json:"from"`
	To   string `json:"to"`
}

// WebLine is a web page residents can use: an inquiry form, an information
// site.
type WebLine struct {
	URL       string           `json:"url"`
	Topic     string           `json:"topic"`
	Languages []kigen.Language `json:"languages"`
}

// DefaultHotlines returns the built-in hotline data (templates/hotlines.json).
func DefaultHotlines() Hotlines {
	h, err := ParseHotlines(defaultHotlines)
	if err != nil {
		panic("templates: built-in hotlines.json: " + err.Error()) // a test proves it valid
	}
	return h
}

// LoadHotlines reads hotline data from a file in the format of the built-in
// hotlines.json, and checks it (ParseHotlines).
func LoadHotlines(path string) (Hotlines, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Hotlines{}, fmt.Errorf("hotlines: %w", err)
	}
	h, err := ParseHotlines(b)
	if err != nil {
		return Hotlines{}, fmt.Errorf("hotlines %s: %w", path, err)
	}
	return h, nil
}

// ParseHotlines decodes hotline data and reports every problem at once:
// unknown fields, languages that are not Kigen's, times that are not H:MM,
// and topic, days and note codes the catalogs have no words for.
func ParseHotlines(b []byte) (Hotlines, error) {
	var h Hotlines
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var doc struct {
		About string `json:"_about"`
		Hotlines
	}
	if err := dec.Decode(&doc); err != nil {
		return Hotlines{}, err
	}
	h = doc.Hotlines
	return h, h.validate()
}

var clockTime = regexp.MustCompile(`^([01]?[0-9]|2[0-4]):[0-5][0-9]$`)

func (h Hotlines) validate() error {
	ref, err := referenceCatalog()
	if err != nil {
		return err
	}
	var errs []error
	code := func(where, kind, c string) {
		if _, ok := ref.entries["hotline."+kind+"."+c]; !ok {
			errs = append(errs, fmt.Errorf("%s: unknown %s %q", where, kind, c))
		}
	}
	langs := func(where string, ls []kigen.Language) {
		if len(ls) == 0 {
			errs = append(errs, fmt.Errorf("%s: no languages", where))
		}
		for _, l := range ls {
			if !l.Valid() {
				errs = append(errs, fmt.Errorf("%s: unknown language %q", where, l))
			}
		}
	}
	for i, p := range h.Phones {
		where := fmt.Sprintf("phones[%d]", i)
		if p.Number == "" {
			errs = append(errs, fmt.Errorf("%s: no number", where))
		}
		code(where, "topic", p.Topic)
		for _, n := range p.Notes {
			code(where, "note", n)
		}
		if len(p.Groups) == 0 {
			errs = append(errs, fmt.Errorf("%s: no groups", where))
		}
		for j, g := range p.Groups {
			gw := fmt.Sprintf("%s.groups[%d]", where, j)
			langs(gw, g.Languages)
			for _, hr := range g.Hours {
				code(gw, "days", hr.Days)
				if !clockTime.MatchString(hr.From) || !clockTime.MatchString(hr.To) {
					errs = append(errs, fmt.Errorf("%s: hours %q–%q are not H:MM", gw, hr.From, hr.To))
				}
			}
		}
	}
	for i, w := range h.Web {
		where := fmt.Sprintf("web[%d]", i)
		if w.URL == "" {
			errs = append(errs, fmt.Errorf("%s: no url", where))
		}
		code(where, "topic", w.Topic)
		langs(where, w.Languages)
	}
	return errors.Join(errs...)
}

// serves reports whether a line listing langs answers in l; a line in
// Japanese also serves Easy Japanese readers.
func serves(langs []kigen.Language, l kigen.Language) bool {
	return slices.Contains(langs, l) || l == kigen.EasyJapan && slices.Contains(langs, kigen.Japanese)
}

// phoneFor is one line as a resident of one language sees it: only the
// hours of their language's group.
type phoneFor struct {
	line  PhoneLine
	hours []Hours
}

// forLanguage returns the phone lines and web pages that serve l.
func (h Hotlines) forLanguage(l kigen.Language) (phones []phoneFor, web []WebLine) {
	for _, p := range h.Phones {
		for _, g := range p.Groups {
			if serves(g.Languages, l) {
				phones = append(phones, phoneFor{line: p, hours: g.Hours})
				break
			}
		}
	}
	for _, w := range h.Web {
		if serves(w.Languages, l) {
			web = append(web, w)
		}
	}
	return phones, web
}
