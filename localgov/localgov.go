// Package localgov is the list of Japan's local governments: every city,
// town, village and ward (of Tokyo and of the designated cities) with its
// local government code (全国地方公共団体コード), its name and reading, its kind
// and a Latin-script name, and the 47 prefectures. The list is open data
// (CC0, README.md), embedded as it was published; an operator may load a
// newer copy of the same file (Load, KIGEN_LOCALGOV_FILE) without a
// release.
//
// It checks the codes staff give (Lookup): a prefecture's code, an unknown
// code and a code with its leading zero or check digit lost are refused with
// the reason and, where one fits, the code meant.
package localgov

import (
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"kigen"
)

// Kind is what a local government is: 市, 区, 町 or 村.
type Kind string

// The kinds, as the last character of the name.
const (
	City    Kind = "市"
	Ward    Kind = "区" // a special ward of Tokyo (千代田区), or a ward of a designated city (札幌市中央区: Parent)
	Town    Kind = "町"
	Village Kind = "村"
)

// suffixes are the readings of each kind's suffix (町 is ちょう or まち, 村
// そん or むら) and the word of the Latin name.
var suffixes = map[Kind]struct {
	readings []string
	latin    string
}{
	City:    {[]string{"し"}, "City"},
	Ward:    {[]string{"く"}, "City"}, // Tokyo's special wards call themselves cities in English
	Town:    {[]string{"ちょう", "まち"}, "Town"},
	Village: {[]string{"そん", "むら"}, "Village"},
}

// Entry is one local government.
type Entry struct {
	Code string // 6 digits, the check digit last: 012033
	// Name is the official name: 小樽市, 千代田区, and for a ward of a
	// designated city the city's name and the ward's: 札幌市中央区.
	Name string
	// Kana is the reading in hiragana, suffix included: おたるし; a ward of a
	// designated city reads as the city, a space, the ward: さっぽろし ちゅうおうく.
	Kana string
	Kind Kind
	// Latin is a Latin-script name: the reading in Hepburn (as road signs
	// write it: no macrons, long vowels single) and the kind in English:
	// Otaru City, Niseko Town, Chiyoda City, Chuo Ward, Sapporo City. It is
	// a default that staff may correct, not an official name.
	Latin string
	// LatinBase is the Latin name without its kind, as municipalities
	// store it (docs/domain.md §13): Otaru, Niseko, Chiyoda; for a ward of a
	// designated city, the ward's: Chuo.
	LatinBase string
	// Parent is the code of the designated city a ward belongs to; empty
	// for every other entry.
	Parent     string
	Prefecture *Prefecture
	URL        string // the official website
}

// Prefecture is one of the 47 prefectures.
type Prefecture struct {
	Code  string // 6 digits: 010006
	Name  string // 北海道
	Kana  string // ほっかいどう
	Latin string // Hokkaido
	// Capital is the code of the prefecture's seat (011002 札幌市).
	Capital string
}

// List is the list of local governments. It is read-only and safe for
// concurrent use.
type List struct {
	// Source says where the list comes from: the built-in snapshot or the
	// file it was loaded from.
	Source  string
	entries map[string]*Entry
	prefs   map[string]*Prefecture
}

//go:embed localgovjp-utf8.csv
var builtinCSV string

//go:embed prefjp-utf8.csv
var prefecturesCSV string

// builtinSource names the embedded snapshot (README.md).
const builtinSource = "the built-in list (code4fukui/localgovjp, 2026-07-09)"

// Default returns the built-in list (parsed once).
func Default() *List { return defaultList() }

var defaultList = sync.OnceValue(func() *List {
	l, err := Parse(strings.NewReader(builtinCSV), builtinSource)
	if err != nil {
		panic("localgov: the built-in list: " + err.Error()) // its tests keep it valid
	}
	return l
})

// Load reads a list of local governments from the file at path, in the
// format of the built-in one (localgovjp-utf8.csv, README.md). The
// prefectures are the built-in ones.
func Load(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a list in the format of localgovjp-utf8.csv (UTF-8, with or
// without a BOM; the columns pref, city, citykana and lgcode, url if
// present, in any order). Every row is checked: a bad one is reported with
// its line, up to ten of them.
func Parse(r io.Reader, source string) (*List, error) {
	prefs, err := parsePrefectures()
	if err != nil {
		return nil, fmt.Errorf("the prefectures: %w", err)
	}
	l := &List{Source: source, entries: map[string]*Entry{}, prefs: map[string]*Prefecture{}}
	prefByName := map[string]*Prefecture{}
	for _, p := range prefs {
		l.prefs[p.Code] = p
		prefByName[p.Name] = p
	}
	rows, err := readCSV(r, "pref", "city", "citykana", "lgcode")
	if err != nil {
		return nil, err
	}
	var errs []error
	cities := map[string]*Entry{} // by prefecture and name, for the wards' parents
	var wards []*Entry
	wardCity := map[*Entry]string{}
	for _, row := range rows {
		e, city, err := parseEntry(row, prefByName)
		if err == nil && l.entries[e.Code] != nil {
			err = fmt.Errorf("lgcode: %s is given twice", e.Code)
		}
		if err != nil {
			if len(errs) < 10 {
				errs = append(errs, fmt.Errorf("line %d: %w", row.line, err))
			}
			continue
		}
		l.entries[e.Code] = e
		if city != "" {
			wards = append(wards, e)
			wardCity[e] = city
		} else if e.Kind == City {
			cities[e.Prefecture.Name+e.Name] = e
		}
	}
	for _, w := range wards {
		parent := cities[w.Prefecture.Name+wardCity[w]]
		if parent == nil {
			errs = append(errs, fmt.Errorf("%s %s: no city %s in %s", w.Code, w.Name, wardCity[w], w.Prefecture.Name))
			continue
		}
		w.Parent = parent.Code
		w.Latin = w.Latin + ", " + parent.Latin
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", source, errors.Join(errs...))
	}
	if len(l.entries) == 0 {
		return nil, fmt.Errorf("%s: no local government in it", source)
	}
	return l, nil
}

// parseEntry reads one row; city is the designated city's name if the row
// is one of its wards ("札幌市 中央区").
func parseEntry(row csvRow, prefByName map[string]*Prefecture) (e *Entry, city string, err error) {
	code := row.get("lgcode")
	if len(code) == 5 {
		code = "0" + code // a spreadsheet dropped the leading zero
	}
	if err := kigen.CheckMunicipalityCode(code); err != nil {
		return nil, "", fmt.Errorf("lgcode: %w", err)
	}
	p := prefByName[row.get("pref")]
	if p == nil {
		return nil, "", fmt.Errorf("pref: %q is not a prefecture", row.get("pref"))
	}
	name, kana := row.get("city"), row.get("citykana")
	e = &Entry{Code: code, Name: name, Kana: kana, Prefecture: p, URL: row.get("url")}
	if c, w, ok := strings.Cut(name, " "); ok {
		ck, wk, ok := strings.Cut(kana, " ")
		if !ok || !strings.HasSuffix(c, string(City)) {
			return nil, "", fmt.Errorf("city: %q: a ward is written as its city, a space and the ward (札幌市 中央区), and read the same way", name)
		}
		if _, err := latinName(c, ck); err != nil {
			return nil, "", err
		}
		city, name, kana = c, w, wk
		e.Name = c + w
	}
	e.Kind = Kind(lastRune(name))
	if e.Latin, err = latinName(name, kana); err != nil {
		return nil, "", err
	}
	e.LatinBase = e.Latin[:strings.LastIndexByte(e.Latin, ' ')]
	if city != "" {
		if e.Kind != Ward {
			return nil, "", fmt.Errorf("city: %q: a part of a city must be a ward (区)", row.get("city"))
		}
		e.Latin = strings.TrimSuffix(e.Latin, " City") + " Ward"
	}
	return e, city, nil
}

// latinName returns the Latin name of a city, town, village or ward read
// kana: its reading without the suffix, in Hepburn, then the kind.
func latinName(name, kana string) (string, error) {
	s, ok := suffixes[Kind(lastRune(name))]
	if !ok {
		return "", fmt.Errorf("city: %q does not end in 市, 区, 町 or 村", name)
	}
	for _, r := range s.readings {
		if stem, ok := strings.CutSuffix(kana, r); ok && stem != "" {
			latin, err := Hepburn(stem)
			if err != nil {
				return "", fmt.Errorf("citykana: %w", err)
			}
			return strings.ToUpper(latin[:1]) + latin[1:] + " " + s.latin, nil
		}
	}
	return "", fmt.Errorf("citykana: %q does not end in the reading of %s (%s)", kana, lastRune(name), strings.Join(s.readings, ", "))
}

func lastRune(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	return string(r[len(r)-1])
}

// parsePrefectures reads the built-in prefectures.
func parsePrefectures() ([]*Prefecture, error) {
	rows, err := readCSV(strings.NewReader(prefecturesCSV), "pref", "prefkana", "pref_en", "lgcode", "capital")
	if err != nil {
		return nil, err
	}
	var ps []*Prefecture
	for _, row := range rows {
		code := fmt.Sprintf("%06s", row.get("lgcode"))
		if err := kigen.CheckMunicipalityCode(code); err != nil {
			return nil, fmt.Errorf("line %d: lgcode: %w", row.line, err)
		}
		ps = append(ps, &Prefecture{Code: code, Name: row.get("pref"), Kana: row.get("prefkana"),
			Latin: row.get("pref_en"), Capital: row.get("capital")})
	}
	return ps, nil
}

// csvRow is one row of a CSV file, by column name.
type csvRow struct {
	line   int
	fields []string
	cols   map[string]int
}

func (r csvRow) get(col string) string {
	if i, ok := r.cols[col]; ok && i < len(r.fields) {
		return strings.TrimSpace(r.fields[i])
	}
	return ""
}

// readCSV reads every row of a CSV file whose header has the required
// columns.
func readCSV(r io.Reader, required ...string) ([]csvRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("the header: %w", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("the header has no column %q (it needs %s)", c, strings.Join(required, ", "))
		}
	}
	var rows []csvRow
	for {
		fields, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		} else if err != nil {
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, csvRow{line: line, fields: fields, cols: cols})
	}
}

// Len returns how many local governments the list holds.
func (l *List) Len() int { return len(l.entries) }

// Entries returns every local government, in code order.
func (l *List) Entries() []*Entry {
	es := make([]*Entry, 0, len(l.entries))
	for _, e := range l.entries {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *Entry) int { return strings.Compare(a.Code, b.Code) })
	return es
}

// Get returns the local government of a code, if the list has it.
func (l *List) Get(code string) (*Entry, bool) {
	e, ok := l.entries[code]
	return e, ok
}

// Prefecture returns the prefecture of a code (010006 = 北海道), if it is
// one.
func (l *List) Prefecture(code string) (*Prefecture, bool) {
	p, ok := l.prefs[code]
	return p, ok
}

// Lookup returns the local government of code, or an invalid *kigen.Error
// for the field "code" that says why not: not a code, a wrong check digit,
// a prefecture, or not in the list; a code that lost its leading zero or
// its check digit (12033, 01203) is refused with the codes it may mean.
func (l *List) Lookup(code string) (*Entry, error) {
	if e, ok := l.entries[code]; ok {
		return e, nil
	}
	if p, ok := l.prefs[code]; ok {
		example := ""
		if c := l.capital(p); c != nil {
			example = fmt.Sprintf(" (e.g. %s %s)", c.Code, c.Name)
		}
		return nil, kigen.FieldErrorf("code", "%s is the code of %s, a prefecture: give the code of one of its cities, towns, villages or wards%s",
			code, p.Name, example)
	}
	if s := l.Suggest(code); len(s) > 0 {
		what := "is not a 6-digit local government code"
		if len(code) == 6 {
			what = fmt.Sprintf("has a wrong check digit (%c)", code[5])
		}
		return nil, kigen.FieldErrorf("code", "%q %s: did you mean %s?", code, what, describe(s))
	}
	if err := kigen.CheckMunicipalityCode(code); err != nil {
		return nil, err
	}
	return nil, kigen.FieldErrorf("code", "%s is not the code of a local government in %s (%d of them): check it, or give a newer list (KIGEN_LOCALGOV_FILE)",
		code, l.Source, len(l.entries))
}

// Suggest returns the local governments a mistyped code may mean: the code
// with its leading zeros restored (12033 → 012033), with its check digit
// added (01203, 1203 → 012033), or with the right check digit (012034 →
// 012033).
func (l *List) Suggest(code string) []*Entry {
	if code == "" || len(code) > 6 || strings.Trim(code, "0123456789") != "" {
		return nil
	}
	var out []*Entry
	add := func(c string) {
		if e, ok := l.entries[c]; ok && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(code) < 6 {
		add(fmt.Sprintf("%06s", code))
	}
	if len(code) <= 5 {
		five := fmt.Sprintf("%05s", code)
		add(five + string(kigen.MunicipalityCheckDigit(five)))
	} else {
		add(code[:5] + string(kigen.MunicipalityCheckDigit(code[:5])))
	}
	return out
}

// capital returns the local government that is the seat of p.
func (l *List) capital(p *Prefecture) *Entry {
	for _, e := range l.entries {
		if e.Prefecture == p && e.Name == p.Capital {
			return e
		}
	}
	return nil
}

// describe lists entries as "012033 小樽市 (北海道)", joined by "or".
func describe(es []*Entry) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = fmt.Sprintf("%s %s (%s)", e.Code, e.Name, e.Prefecture.Name)
	}
	return strings.Join(s, " or ")
}
