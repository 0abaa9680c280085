package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/locales"

	"kigen"
)

//go:embed catalogs/*.json
var catalogFS embed.FS

// referenceLanguage is the catalog every other catalog must match key for
// key. English is written first.
const referenceLanguage = kigen.English

// referenceCatalog parses the reference catalog once; hotline data is
// checked against its keys.
var referenceCatalog = sync.OnceValues(func() (*catalog, error) {
	b, err := catalogFS.ReadFile("catalogs/" + string(referenceLanguage) + ".json")
	if err != nil {
		return nil, err
	}
	return parseCatalog(referenceLanguage, b)
})

// entry is one catalog value: a text, or one text per plural category.
type entry struct {
	text   string
	plural map[string]string
}

// catalog is the parsed words of one language.
type catalog struct {
	lang    kigen.Language
	loc     locales.Translator
	entries map[string]entry
}

// loadCatalogs parses the twelve embedded catalogs and checks each against
// the reference: the same keys, a text where the reference has a text, and
// exactly the language's CLDR plural forms where it has plural forms.
func loadCatalogs() (map[kigen.Language]*catalog, error) {
	cats := make(map[kigen.Language]*catalog, len(kigen.Languages))
	for _, l := range kigen.Languages {
		b, err := catalogFS.ReadFile("catalogs/" + string(l) + ".json")
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", l, err)
		}
		c, err := parseCatalog(l, b)
		if err != nil {
			return nil, err
		}
		cats[l] = c
	}
	ref := cats[referenceLanguage]
	for _, l := range kigen.Languages {
		if err := checkParity(ref, cats[l]); err != nil {
			return nil, err
		}
	}
	return cats, nil
}

// parseCatalog reads one catalog: a JSON object whose values are strings or
// objects of plural forms. A key given twice is an error (encoding/json
// would silently keep the last one).
func parseCatalog(l kigen.Language, b []byte) (*catalog, error) {
	c := &catalog{lang: l, loc: translator(l), entries: map[string]entry{}}
	if c.loc == nil {
		return nil, fmt.Errorf("catalog %s: no CLDR locale", l)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("catalog %s: not a JSON object", l)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", l, err)
		}
		key := t.(string)
		if _, dup := c.entries[key]; dup {
			return nil, fmt.Errorf("catalog %s: key %q given twice", l, key)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("catalog %s: %s: %w", l, key, err)
		}
		var e entry
		if err := json.Unmarshal(raw, &e.text); err != nil {
			if err := json.Unmarshal(raw, &e.plural); err != nil {
				return nil, fmt.Errorf("catalog %s: %s: want a string or an object of plural forms", l, key)
			}
		}
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("catalog %s: %s: %w", l, key, err)
		}
		c.entries[key] = e
	}
	return c, nil
}

// check refuses empty texts and unbalanced braces.
func (e entry) check() error {
	texts := []string{e.text}
	if e.plural != nil {
		texts = texts[:0]
		for _, v := range e.plural {
			texts = append(texts, v)
		}
	}
	for _, s := range texts {
		if s == "" {
			return fmt.Errorf("empty text")
		}
		if _, err := placeholders(s); err != nil {
			return err
		}
	}
	return nil
}

// checkParity compares a catalog with the reference.
func checkParity(ref, c *catalog) error {
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(ref.entries)) {
		e, ok := c.entries[k]
		switch {
		case !ok:
			problems = append(problems, "missing "+k)
		case (ref.entries[k].plural == nil) != (e.plural == nil):
			problems = append(problems, k+": text and plural forms do not match the reference")
		case e.plural != nil:
			want := pluralForms(c.loc)
			got := slices.Sorted(maps.Keys(e.plural))
			slices.Sort(want)
			if !slices.Equal(got, want) {
				problems = append(problems, fmt.Sprintf("%s: plural forms %v, want %v", k, got, want))
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.entries)) {
		if _, ok := ref.entries[k]; !ok {
			problems = append(problems, "extra "+k)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("catalog %s: %s", c.lang, strings.Join(problems, "; "))
	}
	return nil
}

// args are the values of a text's placeholders.
type args map[string]string

// printer looks texts up in one catalog and fills their placeholders. The
// first error (a missing key, a placeholder without a value) sticks, so that
// a renderer can build a whole message and check once.
type printer struct {
	cat *catalog
	err error
}

// T returns the text of key with its placeholders filled from a.
func (p *printer) T(key string, a args) string {
	e, ok := p.cat.entries[key]
	if !ok || e.plural != nil {
		p.fail(fmt.Errorf("catalog %s: no text %q", p.cat.lang, key))
		return ""
	}
	return p.fill(key, e.text, a)
}

// N returns the plural form of key for the count n, with {n} and the
// placeholders of a filled.
func (p *printer) N(key string, n int, a args) string {
	e, ok := p.cat.entries[key]
	if !ok || e.plural == nil {
		p.fail(fmt.Errorf("catalog %s: no plural text %q", p.cat.lang, key))
		return ""
	}
	form := pluralNames[p.cat.loc.CardinalPluralRule(float64(n), 0)]
	s, ok := e.plural[form]
	if !ok {
		s = e.plural["other"]
	}
	b := args{"n": strconv.Itoa(n)}
	for k, v := range a {
		b[k] = v
	}
	return p.fill(key, s, b)
}

func (p *printer) fill(key, s string, a args) string {
	out, err := expand(s, a)
	if err != nil {
		p.fail(fmt.Errorf("catalog %s: %s: %w", p.cat.lang, key, err))
	}
	return out
}

func (p *printer) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// LongDate returns d in the language's CLDR long form (31 March 2027,
// 2027年3月31日, 31 de março de 2027).
func (p *printer) LongDate(d kigen.Date) string { return p.cat.loc.FmtDateLong(civil(d)) }

// MediumDate returns d in the language's CLDR medium form (Mar 31, 2027,
// 2027/03/31, 31 de mar. de 2027): shorter, for SMS.
func (p *printer) MediumDate(d kigen.Date) string { return p.cat.loc.FmtDateMedium(civil(d)) }

// FullDate returns d with its weekday, the date an email names to go by
// ("Friday, January 8, 2027", "2027年1月8日（金）"): CLDR's weekday names and
// long date, arranged by the catalog's date.weekday.
func (p *printer) FullDate(d kigen.Date) string {
	t := civil(d)
	return p.T("date.weekday", args{"weekday": p.cat.loc.WeekdayWide(t.Weekday()),
		"wd": p.cat.loc.WeekdayAbbreviated(t.Weekday()), "date": p.LongDate(d)})
}

// SMSDate returns d as an SMS writes it, arranged by the catalog's
// sms.date from CLDR's forms ({medium}: Mar 31, 2027; {long}: 2027年3月31日)
// or its numbers ({year}, {mm}, {dd}, {m}, {day}): Japanese writes the long
// date, as on the card; Vietnamese 31/03/2027; Thai and Nepali numbers,
// where a month's name would cost a tenth of the SMS.
func (p *printer) SMSDate(d kigen.Date) string {
	t := civil(d)
	return p.T("sms.date", args{"medium": p.MediumDate(d), "long": p.LongDate(d), "short": p.cat.loc.FmtDateShort(t),
		"year": strconv.Itoa(d.Year), "m": strconv.Itoa(int(d.Month)), "day": strconv.Itoa(d.Day),
		"mm": fmt.Sprintf("%02d", int(d.Month)), "dd": fmt.Sprintf("%02d", d.Day)})
}

// SMSDay returns d as an SMS names the day to go by: its weekday, day and
// month without the year, which the SMS states with the card's date
// ("Fri, Jan 8", "1月8日（金）"), arranged by the catalog's sms.date.goby.
func (p *printer) SMSDay(d kigen.Date) string {
	t := civil(d)
	return p.T("sms.date.goby", args{"wd": p.cat.loc.WeekdayAbbreviated(t.Weekday()), "weekday": p.cat.loc.WeekdayWide(t.Weekday()),
		"month": p.cat.loc.MonthAbbreviated(t.Month()), "day": strconv.Itoa(d.Day), "m": strconv.Itoa(int(d.Month)),
		"dd": fmt.Sprintf("%02d", d.Day), "mm": fmt.Sprintf("%02d", int(d.Month))})
}

// List joins items as the language writes a list ("A, B and C").
func (p *printer) List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	head := strings.Join(items[:len(items)-1], p.T("list.sep", nil))
	return p.T("list.and", args{"a": head, "b": items[len(items)-1]})
}

// placeholders returns the names of the {placeholders} of s. A brace that
// does not open or close a placeholder of lower-case letters, digits and
// underscores is an error: catalogs hold no literal braces.
func placeholders(s string) ([]string, error) {
	var names []string
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '}':
			return nil, fmt.Errorf("unmatched } at byte %d", i)
		case '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed { at byte %d", i)
			}
			name := s[i+1 : i+j]
			if !validName(name) {
				return nil, fmt.Errorf("bad placeholder {%s}", name)
			}
			names = append(names, name)
			i += j
		}
	}
	return names, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// expand fills the {placeholders} of s from a. Values are inserted as they
// are: a value holding braces is never expanded again.
func expand(s string, a args) (string, error) {
	if _, err := placeholders(s); err != nil {
		return "", err
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}') + i
		name := s[i+1 : j]
		v, ok := a[name]
		if !ok {
			return "", fmt.Errorf("no value for {%s}", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[j+1:]
	}
}
