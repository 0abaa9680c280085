package kigen

import (
	"strings"
	"unicode/utf8"
)

// MunicipalityKind is what a municipality is (docs/domain.md §13): a city
// (市), a ward (区: a special ward of Tokyo, or a ward of a designated
// city), a town (町) or a village (村). Messages compose its name and its
// office's from its Latin (or Hangul, Thai, Devanagari) name and its kind,
// in each language's own word order.
type MunicipalityKind string

// The kinds, written as the suffix of the Japanese name.
const (
	KindCity    MunicipalityKind = "市"
	KindWard    MunicipalityKind = "区"
	KindTown    MunicipalityKind = "町"
	KindVillage MunicipalityKind = "村"
)

// MunicipalityKinds lists the kinds.
var MunicipalityKinds = []MunicipalityKind{KindCity, KindWard, KindTown, KindVillage}

// Valid reports whether k is one of the four kinds.
func (k MunicipalityKind) Valid() bool {
	return k == KindCity || k == KindWard || k == KindTown || k == KindVillage
}

// KindOfName returns the kind a Japanese name ends in (小樽市: 市), or ""
// if it ends in none.
func KindOfName(name string) MunicipalityKind {
	r, _ := utf8.DecodeLastRuneInString(name)
	if k := MunicipalityKind(string(r)); k.Valid() {
		return k
	}
	return ""
}

// KindOrGuess returns the municipality's kind, or the one its Japanese name
// ends in when none is stored, or a city.
func (m *Municipality) KindOrGuess() MunicipalityKind {
	if m.Kind.Valid() {
		return m.Kind
	}
	if k := KindOfName(m.Name); k != "" {
		return k
	}
	return KindCity
}

// CityWard reports whether the municipality is a ward of a designated city
// (札幌市中央区): its residents go to the ward office, and messages name it
// as a ward, not as a city. A special ward of Tokyo (千代田区) is not one.
func (m *Municipality) CityWard() bool {
	if m.KindOrGuess() != KindWard {
		return false
	}
	return strings.Contains(strings.TrimSuffix(m.Name, string(KindWard)), string(KindCity))
}

// OfficeJA returns the Japanese name of the office residents go to: the
// one staff set (Office), else the municipality's own as on its signs:
// 小樽市役所, 札幌市中央区役所, 余市町役場.
func (m *Municipality) OfficeJA() string {
	if m.Office != "" {
		return m.Office
	}
	switch {
	case m.Name == "":
		return "市役所"
	case m.KindOrGuess() == KindTown || m.KindOrGuess() == KindVillage:
		return m.Name + "役場"
	}
	return m.Name + "役所"
}

// FormatDates writes days as the stores keep a calendar's: ISO dates
// separated by commas, in the order given ("" for none).
func FormatDates(days []Date) string {
	s := make([]string, len(days))
	for i, d := range days {
		s[i] = d.String()
	}
	return strings.Join(s, ",")
}

// ParseDates reads what FormatDates writes; "" is no day (nil).
func ParseDates(s string) ([]Date, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]Date, len(parts))
	for i, p := range parts {
		d, err := ParseISODate(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// LatinDisplay returns the Latin name with its kind in English, as
// operators' listings show it: Otaru City, Chiyoda City (Tokyo's special
// wards call themselves cities), Chuo Ward, Niseko Town; the Japanese name
// when there is no Latin one. Messages compose their own (templates).
func (m *Municipality) LatinDisplay() string {
	if m.NameLatin == "" {
		return m.Name
	}
	switch k := m.KindOrGuess(); {
	case m.CityWard():
		return m.NameLatin + " Ward"
	case k == KindTown:
		return m.NameLatin + " Town"
	case k == KindVillage:
		return m.NameLatin + " Village"
	}
	return m.NameLatin + " City"
}
