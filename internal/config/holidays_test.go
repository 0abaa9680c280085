package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kigen"
)

// TestLoadHolidays: KIGEN_HOLIDAYS_FILE corrects the national holidays,
// and the date to go by follows (docs/domain.md §12): an autumnal equinox
// announced a day later than computed moves a deadline's go-by date.
func TestLoadHolidays(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "holidays.txt")
	text := "\ufeff# corrections\n\n-2027-09-23\n2027-09-24 秋分の日 # announced in February 2027\n2027-06-01\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(func(k string) string {
		return map[string]string{"KIGEN_HOLIDAYS_FILE": path}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	fix := cfg.Holidays
	if !fix.Remove[kigen.NewDate(2027, 9, 23)] || fix.Add[kigen.NewDate(2027, 9, 24)] != "秋分の日" || fix.Add[kigen.NewDate(2027, 6, 1)] != "祝日" {
		t.Fatalf("corrections: %+v", fix)
	}
	var b strings.Builder
	cfg.Print(&b)
	if !strings.Contains(b.String(), "KIGEN_HOLIDAYS_FILE="+path+"\n") {
		t.Errorf("kigen config does not show the file:\n%s", b.String())
	}
	// A My Number card expiring Friday 24 September 2027: the rules say
	// go by the 24th (the equinox is the 23rd); corrected, the 22nd.
	cal := kigen.OfficeCalendar{Holidays: fix}
	if got := (kigen.OfficeCalendar{}).GoBy(kigen.NewDate(2027, 9, 24), kigen.ForMyNumberValidity); got != kigen.NewDate(2027, 9, 24) {
		t.Errorf("national go-by: %s", got)
	}
	if got := cal.GoBy(kigen.NewDate(2027, 9, 24), kigen.ForMyNumberValidity); got != kigen.NewDate(2027, 9, 23) {
		t.Errorf("corrected go-by: %s, want 2027-09-23 (no longer a holiday)", got)
	}
	if got := cal.GoBy(kigen.NewDate(2027, 6, 1), kigen.AtImmigration); got != kigen.NewDate(2027, 5, 31) {
		t.Errorf("go-by on an added holiday: %s, want 2027-05-31", got)
	}
}

func TestParseHolidays_Refuses(t *testing.T) {
	t.Parallel()
	text := strings.Join([]string{
		"2027-13-01",         // 1
		"-2027-06-01",        // 2
		"2027-01-01 元日",      // 3
		"-2026-05-06",        // 4: 振替休日
		"-2026-09-22",        // 5: 国民の休日
		"2027-06-02",         // 6
		"2027-06-02 again",   // 7
		"-2027-09-23 秋分の日",   // 8
		"1999-06-01",         // 9
		"2027-06-03 \u202ex", // 10
	}, "\n")
	_, err := ParseHolidays(strings.NewReader(text))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`line 1: "2027-13-01" is not a date: write 2027-09-23 to add a holiday, -2027-09-22 to remove one`,
		"line 2: -2027-06-01: 2027-06-01 is no holiday under the rules: nothing to remove",
		"line 3: 2027-01-01 is a holiday under the rules already (元日)",
		"line 4: -2026-05-06: 憲法記念日 振替休日 is a substitute holiday (振替休日), which follows from the holidays around it: correct those",
		"line 5: -2026-09-22: 休日 is a citizens' holiday (国民の休日)",
		"line 7: 2027-06-02 is corrected on line 6 already",
		`line 8: -2027-09-23 removes a holiday and takes no name ("秋分の日")`,
		"line 9: 1999-06-01: Kigen computes the holidays of 2000 to 2099 only",
		"line 10: the name holds an invisible formatting character",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors do not say %q:\n%v", want, err)
		}
	}
	_, err = Load(func(k string) string {
		return map[string]string{"KIGEN_HOLIDAYS_FILE": "/no/such/holidays.txt"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "KIGEN_HOLIDAYS_FILE: open /no/such/holidays.txt") {
		t.Errorf("a missing file: %v", err)
	}
}
