package desk

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"kigen"
)

// kindWords are the kinds as staff may also write them.
var kindWords = map[string]kigen.MunicipalityKind{
	"city": kigen.KindCity, "ward": kigen.KindWard, "town": kigen.KindTown, "village": kigen.KindVillage,
}

// kindSuffixes are what a Latin name must not end (or start) with: the kind
// is added by each language (docs/domain.md §13), and "Otaru City" would
// become "Otaru City City Hall".
var kindSuffixes = []string{"city", "ward", "town", "village", "shi", "ku", "cho", "machi", "son", "mura"}

// scripts are the names in other scripts and the script each is written in.
var scripts = []struct {
	field  string
	script *unicode.RangeTable
	what   string
	get    func(*kigen.Municipality) string
}{
	{"name_hangul", unicode.Hangul, "Hangul (e.g. 오타루)", func(m *kigen.Municipality) string { return m.NameHangul }},
	{"name_thai", unicode.Thai, "Thai script (e.g. โอตารุ)", func(m *kigen.Municipality) string { return m.NameThai }},
	{"name_devanagari", unicode.Devanagari, "Devanagari (e.g. ओतारु)", func(m *kigen.Municipality) string { return m.NameDevanagari }},
}

// applyNames sets the kind and checks the names messages compose: a Latin
// name in Latin letters (a kind word in it is taken off, with a note), the
// other names in their script. bad holds the fields already refused.
func (p MunicipalityParams) applyNames(mu *kigen.Municipality, bad map[string]bool, notes *[]string) []error {
	var errs []error
	if p.Kind != nil {
		k := strings.TrimSpace(*p.Kind)
		if w, ok := kindWords[strings.ToLower(k)]; ok {
			k = string(w)
		}
		switch {
		case k == "":
			mu.Kind = kigen.KindOfName(mu.Name)
		case kigen.MunicipalityKind(k).Valid():
			mu.Kind = kigen.MunicipalityKind(k)
		default:
			errs = append(errs, kigen.FieldKeyf("kind", "municipality.kind", "%s is not a kind of municipality: give 市, 区, 町 or 村 (city, ward, town, village)", kigen.Quote(k)))
		}
	}
	if l := mu.NameLatin; l != "" && !bad["name_latin"] {
		words := strings.Fields(strings.ToLower(strings.NewReplacer("-", " ", ",", " ").Replace(l)))
		switch {
		case strings.IndexFunc(l, func(r rune) bool {
			return !unicode.Is(unicode.Latin, r) && !strings.ContainsRune(" -'’.,", r)
		}) >= 0:
			errs = append(errs, kigen.FieldKeyf("name_latin", "municipality.latin", "%s is not written in Latin letters (e.g. Otaru)", kigen.Quote(l)))
		case len(words) > 1 && (slices.Contains(kindSuffixes, words[len(words)-1]) || slices.Contains(kindSuffixes, words[0])):
			// Each language adds the kind in its own words: "Otaru City"
			// would become "Otaru City City Hall".
			mu.NameLatin = latinStem(l)
			*notes = append(*notes, fmt.Sprintf("the Latin name is stored without its kind: %s, not %s "+
				"(each language adds the kind in its own words: Otaru City Hall, Prefeitura de Otaru)", kigen.Quote(mu.NameLatin), kigen.Quote(l)))
		}
	}
	for _, sc := range scripts {
		v := sc.get(mu)
		if v == "" || bad[sc.field] {
			continue
		}
		if strings.IndexFunc(v, func(r rune) bool {
			return !unicode.Is(sc.script, r) && !unicode.Is(unicode.Mn, r) && !unicode.Is(unicode.Mc, r) && r != ' '
		}) >= 0 {
			errs = append(errs, kigen.FieldErrorf(sc.field, "%s is not written in %s", kigen.Quote(v), sc.what).Keyed("municipality.script", kigen.Quote(v), sc.field))
		}
	}
	return errs
}

// latinStem returns l without a kind word at either end: the name a
// refusal suggests.
func latinStem(l string) string {
	if i := strings.LastIndexByte(l, '-'); i > 0 && slices.Contains(kindSuffixes, strings.ToLower(l[i+1:])) {
		l = l[:i] // Niseko-cho
	}
	ws := strings.Fields(l)
	if len(ws) > 1 && slices.Contains(kindSuffixes, strings.ToLower(strings.Trim(ws[len(ws)-1], ","))) {
		ws = ws[:len(ws)-1]
	}
	if len(ws) > 2 && slices.Contains(kindSuffixes, strings.ToLower(ws[0])) && strings.EqualFold(ws[1], "of") {
		ws = ws[2:]
	}
	if i := slices.IndexFunc(ws, func(w string) bool { return strings.HasSuffix(w, ",") }); i >= 0 {
		ws = ws[:i+1]
		ws[i] = strings.TrimSuffix(ws[i], ",")
		if len(ws) > 1 && slices.Contains(kindSuffixes, strings.ToLower(ws[len(ws)-1])) {
			ws = ws[:len(ws)-1]
		}
	}
	return strings.Join(ws, " ")
}

// maxCalendarDays bounds each list of a municipality's calendar.
const maxCalendarDays = 366

// applyCalendar replaces the office's closed days and weekend opening
// days p gives, each checked: a date, a weekend opening day on a day the
// office is shut anyway (a Saturday, a Sunday, a holiday, the year-end
// closure), no day in both lists.
func (p MunicipalityParams) applyCalendar(mu *kigen.Municipality) []error {
	var errs []error
	parse := func(field string, in []string) []kigen.Date {
		var out []kigen.Date
		for i, s := range in {
			if strings.TrimSpace(s) == "" {
				continue
			}
			d, err := kigen.ParseDate(s)
			if err != nil {
				if msg := kigen.ErrorMessage(err); strings.HasPrefix(msg, "is ") {
					errs = append(errs, kigen.FieldErrorf(field, "day %d %s", i+1, msg).Keyed("calendar.day", strconv.Itoa(i+1)))
				} else {
					errs = append(errs, kigen.FieldErrorf(field, "day %d: %s", i+1, msg).Keyed("calendar.day", strconv.Itoa(i+1)))
				}
				continue
			}
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
		if len(out) > maxCalendarDays {
			errs = append(errs, kigen.FieldKeyf(field, "calendar.too_many", "%d days: at most %d", len(out), maxCalendarDays))
		}
		slices.SortFunc(out, kigen.Date.Compare)
		return out
	}
	if p.ClosedDays != nil {
		mu.Calendar.Closed = parse("closed_days", *p.ClosedDays)
	}
	if p.OpenDays != nil {
		mu.Calendar.WeekendOpen = parse("open_days", *p.OpenDays)
		for _, d := range mu.Calendar.WeekendOpen {
			if kigen.OrdinaryWorkday(d, mu.Calendar.Holidays) {
				errs = append(errs, kigen.FieldErrorf("open_days", "%s is a %s the office is open anyway: a weekend opening day (休日開庁) "+
					"is a Saturday, a Sunday, a holiday or in the year-end closure", d, d.Weekday()).Keyed("calendar.open_workday", d.String()))
			}
		}
	}
	for _, d := range mu.Calendar.WeekendOpen {
		if slices.Contains(mu.Calendar.Closed, d) {
			errs = append(errs, kigen.FieldKeyf("open_days", "calendar.both_lists", "%s is also a closed day: give it in one list only", d))
		}
	}
	return errs
}
