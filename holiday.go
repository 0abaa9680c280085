package kigen

import (
	"math"
	"slices"
	"time"
)

// Holiday is a day off under the Act on National Holidays (国民の祝日に関
// する法律): a national holiday, a substitute holiday (振替休日) or a
// citizens' holiday (国民の休日).
type Holiday struct {
	Date Date
	Name string // in Japanese, as the Cabinet Office lists it: 元日, 春分の日, 憲法記念日 振替休日, 休日
}

// HolidayCorrections are an operator's corrections to the holidays the
// rules compute, applied before substitute and citizens' holidays are
// derived: the equinox days are fixed by the Cabinet Office each February
// for the year after, and a one-off holiday (an enthronement) needs a law,
// not a release (docs/domain.md §12).
type HolidayCorrections struct {
	Add    map[Date]string // a holiday on this day, with its name
	Remove map[Date]bool   // no holiday on this computed day
}

// Holidays returns the holidays of year y (from 2000 on) under the Act,
// with the corrections, in date order: the fixed days, the Happy Monday
// days, the two equinox days (computed; correct them when the Cabinet
// Office announces otherwise), the one-off days and moves of 2019–2021, a
// substitute holiday after each holiday on a Sunday, and a citizens'
// holiday on a day between two holidays.
func Holidays(y int, fix HolidayCorrections) []Holiday {
	base := nationalHolidays(y)
	for d := range fix.Remove {
		delete(base, d)
	}
	for d, name := range fix.Add {
		if d.Year == y {
			base[d] = name
		}
	}
	out := make(map[Date]string, len(base)+3)
	for d, name := range base {
		out[d] = name
	}
	// Substitute holidays: a holiday on a Sunday gives the nearest
	// following day that is not a holiday (Article 3(2)).
	for d, name := range base {
		if d.Weekday() != time.Sunday {
			continue
		}
		s := d.AddDays(1)
		for base[s] != "" {
			s = s.AddDays(1)
		}
		if _, taken := out[s]; !taken && s.Year == y {
			out[s] = name + " 振替休日"
		}
	}
	// Citizens' holidays: a day that is not a national holiday, between
	// two that are (Article 3(3)).
	for d := range base {
		mid, next := d.AddDays(1), d.AddDays(2)
		if base[mid] == "" && base[next] != "" && mid.Weekday() != time.Sunday {
			if _, taken := out[mid]; !taken {
				out[mid] = "休日"
			}
		}
	}
	hs := make([]Holiday, 0, len(out))
	for d, name := range out {
		hs = append(hs, Holiday{d, name})
	}
	slices.SortFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return hs
}

// nationalHolidays returns the national holidays (国民の祝日) of year y
// under the Act as amended up to 2021, with the one-off days and moves of
// 2019–2021: no substitute or citizens' holidays.
func nationalHolidays(y int) map[Date]string {
	h := map[Date]string{}
	on := func(m time.Month, d int, name string) { h[NewDate(y, m, d)] = name }
	on(time.January, 1, "元日")
	on(time.January, nthMonday(y, time.January, 2), "成人の日")
	on(time.February, 11, "建国記念の日")
	switch {
	case y >= 2020:
		on(time.February, 23, "天皇誕生日")
	case y <= 2018:
		on(time.December, 23, "天皇誕生日")
	}
	on(time.March, vernalEquinox(y), "春分の日")
	on(time.April, 29, "昭和の日")
	on(time.May, 3, "憲法記念日")
	on(time.May, 4, "みどりの日")
	on(time.May, 5, "こどもの日")
	switch y {
	case 2020:
		on(time.July, 23, "海の日")
		on(time.July, 24, "スポーツの日")
		on(time.August, 10, "山の日")
	case 2021:
		on(time.July, 22, "海の日")
		on(time.July, 23, "スポーツの日")
		on(time.August, 8, "山の日")
	default:
		on(time.July, nthMonday(y, time.July, 3), "海の日")
		if y >= 2016 {
			on(time.August, 11, "山の日")
		}
		name := "スポーツの日"
		if y < 2020 {
			name = "体育の日"
		}
		on(time.October, nthMonday(y, time.October, 2), name)
	}
	on(time.September, nthMonday(y, time.September, 3), "敬老の日")
	on(time.September, autumnalEquinox(y), "秋分の日")
	on(time.November, 3, "文化の日")
	on(time.November, 23, "勤労感謝の日")
	if y == 2019 {
		on(time.May, 1, "休日（祝日扱い）")
		on(time.October, 22, "休日（祝日扱い）")
	}
	return h
}

// nthMonday returns the day of the month of the n-th Monday of m in y.
func nthMonday(y int, m time.Month, n int) int {
	first := NewDate(y, m, 1).Weekday()
	return 1 + (int(time.Monday)-int(first)+7)%7 + 7*(n-1)
}

// vernalEquinox and autumnalEquinox return the day of March and of
// September of the equinox in Japan, by the formula of the National
// Astronomical Observatory's almanac, valid from 1980 to 2099.
func vernalEquinox(y int) int   { return equinox(20.8431, y) }
func autumnalEquinox(y int) int { return equinox(23.2488, y) }

func equinox(base float64, y int) int {
	n := float64(y - 1980)
	return int(math.Floor(base + 0.242194*n - math.Floor(n/4)))
}
