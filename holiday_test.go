package kigen_test

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

// TestHolidays_PublishedList compares the computed holidays with every
// date of the published list for 2020–2030, names included — but for the
// name a substitute holiday carries: the law calls it only 休日, and the
// list names the one after Golden Week by 憲法記念日 in 2020 and by
// こどもの日 in 2025 and 2026, whichever holiday fell on the Sunday.
func TestHolidays_PublishedList(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/holidays-jp-2020-2030.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]kigen.Holiday{}
	substitute := func(name string) string {
		if strings.HasSuffix(name, "振替休日") {
			return "振替休日"
		}
		return name
	}
	for _, r := range rows[1:] {
		d := kigen.MustParseISODate(r[0])
		want[d.Year] = append(want[d.Year], kigen.Holiday{Date: d, Name: substitute(r[1])})
	}
	for y := 2020; y <= 2030; y++ {
		got := kigen.Holidays(y, kigen.HolidayCorrections{})
		for i := range got {
			got[i].Name = substitute(got[i].Name)
		}
		if d := cmp.Diff(want[y], got); d != "" {
			t.Errorf("Holidays(%d) (-published +computed):\n%s", y, d)
		}
	}
}

// TestHolidays_Rules checks years outside the list: the one-offs of 2019,
// and for 2031–2099 the Act's structure (every fixed day, every Happy
// Monday a Monday, a substitute after each Sunday holiday, the equinoxes
// on their days of March and September).
func TestHolidays_Rules(t *testing.T) {
	t.Parallel()
	names := func(y int) map[string]string {
		out := map[string]string{}
		for _, h := range kigen.Holidays(y, kigen.HolidayCorrections{}) {
			out[h.Date.String()] = h.Name
		}
		return out
	}
	h2019 := names(2019)
	for d, name := range map[string]string{"2019-04-30": "休日", "2019-05-01": "休日（祝日扱い）", "2019-05-02": "休日",
		"2019-05-06": "こどもの日 振替休日", "2019-10-14": "体育の日", "2019-10-22": "休日（祝日扱い）"} {
		if h2019[d] != name {
			t.Errorf("2019: %s is %q, want %q", d, h2019[d], name)
		}
	}
	if _, ok := h2019["2019-12-23"]; ok {
		t.Error("2019-12-23 is a holiday: there was no Emperor's birthday in 2019")
	}
	for y := 2031; y <= 2099; y++ {
		hs := kigen.Holidays(y, kigen.HolidayCorrections{})
		byName := map[string]kigen.Date{}
		for i, h := range hs {
			byName[h.Name] = h.Date
			if i > 0 && !hs[i-1].Date.Before(h.Date) {
				t.Fatalf("%d: holidays out of order at %s", y, h.Date)
			}
			if h.Date.Year != y {
				t.Fatalf("%d: holiday %s of another year", y, h.Date)
			}
			if strings.HasSuffix(h.Name, "振替休日") {
				prev := h.Date.AddDays(-1)
				for !hasSunday(hs, prev) {
					if !isHoliday(hs, prev) {
						t.Fatalf("%d: substitute %s does not follow a Sunday holiday", y, h.Date)
					}
					prev = prev.AddDays(-1)
				}
			}
			if h.Date.Weekday() == time.Sunday && !strings.HasSuffix(h.Name, "振替休日") {
				next := h.Date.AddDays(1)
				for isHoliday(hs, next) && !strings.HasSuffix(nameOf(hs, next), "振替休日") {
					next = next.AddDays(1)
				}
				if !strings.HasSuffix(nameOf(hs, next), "振替休日") {
					t.Fatalf("%d: %s %s is a Sunday and no substitute follows", y, h.Date, h.Name)
				}
			}
		}
		for name, md := range map[string]string{"元日": "01-01", "建国記念の日": "02-11", "天皇誕生日": "02-23",
			"昭和の日": "04-29", "憲法記念日": "05-03", "みどりの日": "05-04", "こどもの日": "05-05", "山の日": "08-11",
			"文化の日": "11-03", "勤労感謝の日": "11-23"} {
			if got := byName[name].String()[5:]; got != md {
				t.Errorf("%d: %s on %s, want %s", y, name, got, md)
			}
		}
		for name, week := range map[string]int{"成人の日": 2, "海の日": 3, "敬老の日": 3, "スポーツの日": 2} {
			d := byName[name]
			if d.Weekday() != time.Monday || (d.Day-1)/7+1 != week {
				t.Errorf("%d: %s on %s, want the Monday of week %d", y, name, d, week)
			}
		}
		if d := byName["春分の日"]; d.Month != time.March || d.Day < 19 || d.Day > 21 {
			t.Errorf("%d: vernal equinox day %s", y, d)
		}
		if d := byName["秋分の日"]; d.Month != time.September || d.Day < 21 || d.Day > 24 {
			t.Errorf("%d: autumnal equinox day %s", y, d)
		}
	}
}

func isHoliday(hs []kigen.Holiday, d kigen.Date) bool { return nameOf(hs, d) != "" }

func hasSunday(hs []kigen.Holiday, d kigen.Date) bool {
	return d.Weekday() == time.Sunday && isHoliday(hs, d)
}

func nameOf(hs []kigen.Holiday, d kigen.Date) string {
	for _, h := range hs {
		if h.Date == d {
			return h.Name
		}
	}
	return ""
}

// TestHolidays_Corrections: an operator moves an equinox day; the
// substitute and citizens' holidays follow the corrected days.
func TestHolidays_Corrections(t *testing.T) {
	t.Parallel()
	// 2030's vernal equinox is computed on Wednesday 20 March. Say the
	// Cabinet Office announced Sunday 24 March: Monday 25 becomes its
	// substitute.
	fix := kigen.HolidayCorrections{
		Remove: map[kigen.Date]bool{kigen.MustParseISODate("2030-03-20"): true},
		Add:    map[kigen.Date]string{kigen.MustParseISODate("2030-03-24"): "春分の日"},
	}
	hs := kigen.Holidays(2030, fix)
	if isHoliday(hs, kigen.MustParseISODate("2030-03-20")) {
		t.Error("the removed day is still a holiday")
	}
	if got := nameOf(hs, kigen.MustParseISODate("2030-03-25")); got != "春分の日 振替休日" {
		t.Errorf("2030-03-25 = %q, want the substitute of the corrected equinox", got)
	}
	if kigen.OrdinaryWorkday(kigen.MustParseISODate("2030-03-25"), fix) {
		t.Error("the corrected substitute holiday counts as a workday")
	}
	if !kigen.OrdinaryWorkday(kigen.MustParseISODate("2030-03-20"), fix) {
		t.Error("the removed equinox still closes the office")
	}
}

func TestOfficeCalendar_GoBy(t *testing.T) {
	t.Parallel()
	d := kigen.MustParseISODate
	town := kigen.OfficeCalendar{
		Closed:      []kigen.Date{d("2027-03-05")},                  // a Friday: system changeover
		WeekendOpen: []kigen.Date{d("2027-03-06"), d("2027-03-13")}, // Saturdays: 休日開庁
	}
	tests := []struct {
		name     string
		cal      kigen.OfficeCalendar
		deadline string
		visit    kigen.Visit
		want     string
	}{
		{"a weekday deadline is its own day", kigen.OfficeCalendar{}, "2027-01-08", kigen.ForMyNumberValidity, "2027-01-08"},
		{"My Number card on a Saturday: the Friday before", kigen.OfficeCalendar{}, "2027-01-09", kigen.ForMyNumberValidity, "2027-01-08"},
		{"in the year-end closure: the last day before it", kigen.OfficeCalendar{}, "2027-01-03", kigen.ForMyNumberValidity, "2026-12-28"},
		{"the Monday of a holiday: the Friday before", kigen.OfficeCalendar{}, "2027-01-11", kigen.AtImmigration, "2027-01-08"},
		{"Golden Week", kigen.OfficeCalendar{}, "2027-05-05", kigen.AtImmigration, "2027-04-30"},
		{"a citizens' holiday between two holidays", kigen.OfficeCalendar{}, "2026-09-22", kigen.AtImmigration, "2026-09-18"},
		{"a weekend opening counts for the certificate", town, "2027-03-07", kigen.AtMunicipalOffice, "2027-03-06"},
		{"never for the My Number card's validity", town, "2027-03-07", kigen.ForMyNumberValidity, "2027-03-04"},
		{"never for immigration, which the town's calendar does not close", town, "2027-03-07", kigen.AtImmigration, "2027-03-04"},
		{"the town's closed day", town, "2027-03-05", kigen.AtMunicipalOffice, "2027-03-04"},
	}
	for _, tt := range tests {
		if got := tt.cal.GoBy(d(tt.deadline), tt.visit); got != d(tt.want) {
			t.Errorf("%s: GoBy(%s, %s) = %s (%s), want %s", tt.name, tt.deadline, tt.visit, got, got.Weekday(), tt.want)
		}
	}
}

func TestCardKind_Visit(t *testing.T) {
	t.Parallel()
	for k, want := range map[kigen.CardKind]kigen.Visit{kigen.ResidenceCard: kigen.AtImmigration, kigen.IntegratedCard: kigen.AtImmigration,
		kigen.MyNumberCard: kigen.ForMyNumberValidity, kigen.MyNumberCert: kigen.AtMunicipalOffice} {
		if got := k.Visit(); got != want {
			t.Errorf("%s.Visit() = %s, want %s", k, got, want)
		}
	}
}
