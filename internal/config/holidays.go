package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"kigen"
)

// LoadHolidays reads KIGEN_HOLIDAYS_FILE: an operator's corrections to
// Japan's national holidays, which Kigen computes from the Act on National
// Holidays (docs/domain.md §12), so that a date can be corrected without
// a release — the equinox days are announced each February for the year
// after, and a one-off holiday needs a law. One correction a line:
//
//	# comments and blank lines are ignored
//	2027-09-23 秋分の日   a holiday on this day, with its name (optional)
//	-2027-09-22          no holiday on this day the rules compute
//
// Substitute holidays (振替休日) and citizens' holidays (国民の休日) follow
// the corrected days by themselves. Every line is checked, and every bad
// one is reported ("line 3: …"), up to ten.
func LoadHolidays(path string) (kigen.HolidayCorrections, error) {
	f, err := os.Open(path)
	if err != nil {
		return kigen.HolidayCorrections{}, err
	}
	defer f.Close()
	fix, err := ParseHolidays(f)
	if err != nil {
		return kigen.HolidayCorrections{}, fmt.Errorf("%s: %w", path, err)
	}
	return fix, nil
}

// ParseHolidays reads corrections in the format of LoadHolidays.
func ParseHolidays(r io.Reader) (kigen.HolidayCorrections, error) {
	fix := kigen.HolidayCorrections{Add: map[kigen.Date]string{}, Remove: map[kigen.Date]bool{}}
	seen := map[kigen.Date]int{}
	var errs []error
	bad := func(line int, format string, args ...any) {
		if len(errs) < 10 {
			errs = append(errs, fmt.Errorf("line %d: "+format, append([]any{line}, args...)...))
		}
	}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if n == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		field, name, _ := strings.Cut(text, " ")
		name = strings.TrimSpace(name)
		remove := strings.HasPrefix(field, "-")
		field = strings.TrimPrefix(field, "-")
		d, err := kigen.ParseISODate(field)
		if err != nil {
			bad(n, "%q is not a date: write 2027-09-23 to add a holiday, -2027-09-22 to remove one", field)
			continue
		}
		if d.Year < 2000 || d.Year > 2099 {
			bad(n, "%s: Kigen computes the holidays of 2000 to 2099 only", d)
			continue
		}
		if first, ok := seen[d]; ok {
			bad(n, "%s is corrected on line %d already", d, first)
			continue
		}
		seen[d] = n
		computed := computedHoliday(d)
		switch {
		case remove && name != "":
			bad(n, "-%s removes a holiday and takes no name (%q)", d, name)
		case remove && computed == "":
			bad(n, "-%s: %s is no holiday under the rules: nothing to remove", d, d)
		case remove && (strings.HasSuffix(computed, "振替休日") || computed == "休日"):
			bad(n, "-%s: %s is a %s, which follows from the holidays around it: correct those", d, computed, derivedKind(computed))
		case remove:
			fix.Remove[d] = true
		case computed != "":
			bad(n, "%s is a holiday under the rules already (%s)", d, computed)
		default:
			if name == "" {
				name = "祝日"
			}
			if err := kigen.CheckText(name); err != nil {
				bad(n, "the name %s", kigen.ErrorMessage(err))
				continue
			}
			fix.Add[d] = name
		}
	}
	if err := sc.Err(); err != nil {
		return kigen.HolidayCorrections{}, err
	}
	if len(errs) > 0 {
		return kigen.HolidayCorrections{}, errors.Join(errs...)
	}
	return fix, nil
}

// computedHoliday returns the name of the holiday the rules give on d,
// or "".
func computedHoliday(d kigen.Date) string {
	for _, h := range kigen.Holidays(d.Year, kigen.HolidayCorrections{}) {
		if h.Date == d {
			return h.Name
		}
	}
	return ""
}

func derivedKind(name string) string {
	if name == "休日" {
		return "citizens' holiday (国民の休日)"
	}
	return "substitute holiday (振替休日)"
}
