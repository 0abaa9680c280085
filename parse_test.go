package kigen

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()

	d := func(y int, m time.Month, day int) Date { return NewDate(y, m, day) }
	tests := []struct {
		name string
		in   string
		want Date
	}{
		{"ISO", "2027-03-31", d(2027, 3, 31)},
		{"Slashes", "2027/03/31", d(2027, 3, 31)},
		{"SlashesShort", "2027/3/31", d(2027, 3, 31)},
		{"Dots", "2027.3.31", d(2027, 3, 31)},
		{"DotsPadded", "2027.03.01", d(2027, 3, 1)},
		{"Hyphens", "2027-3-1", d(2027, 3, 1)},
		{"Compact", "20270331", d(2027, 3, 31)},
		{"KanjiGregorian", "2027年3月31日", d(2027, 3, 31)},
		{"Reiwa", "令和9年3月31日", d(2027, 3, 31)},
		{"ReiwaPaddedKanji", "令和09年03月31日", d(2027, 3, 31)},
		{"ReiwaLetterDots", "R9.3.31", d(2027, 3, 31)},
		{"ReiwaLetterPadded", "R09.03.31", d(2027, 3, 31)},
		{"ReiwaLetterSlashes", "R9/3/31", d(2027, 3, 31)},
		{"ReiwaLetterHyphens", "R9-3-31", d(2027, 3, 31)},
		{"ReiwaLowerCase", "r9.3.31", d(2027, 3, 31)},
		{"ReiwaLetterKanji", "R9年3月31日", d(2027, 3, 31)},
		{"ReiwaKanjiDots", "令和9.3.31", d(2027, 3, 31)},
		{"ReiwaGannen", "令和元年5月1日", d(2019, 5, 1)},
		{"ReiwaGannenLetter", "R元.5.1", d(2019, 5, 1)},
		{"HeiseiGannen", "平成元年1月8日", d(1989, 1, 8)},
		{"HeiseiFirstDay", "H1.1.8", d(1989, 1, 8)},
		{"HeiseiLastDay", "H31.4.30", d(2019, 4, 30)},
		{"HeiseiLowerCase", "h31.4.30", d(2019, 4, 30)},
		{"Heisei", "平成30年12月31日", d(2018, 12, 31)},
		{"ReiwaFirstDay", "R1.5.1", d(2019, 5, 1)},
		{"ShowaFirstDay", "S1.12.25", d(1926, 12, 25)},
		{"ShowaLastDay", "S64.1.7", d(1989, 1, 7)},
		{"ShowaKanji", "昭和64年1月7日", d(1989, 1, 7)},
		{"ShowaLowerSlashes", "s64/1/7", d(1989, 1, 7)},
		{"LeapDay", "2028-02-29", d(2028, 2, 29)},
		{"LeapDayReiwa", "R10.2.29", d(2028, 2, 29)},
		{"LeapDay2000", "2000-02-29", d(2000, 2, 29)},
		{"FirstYear", "1926-01-01", d(1926, 1, 1)},
		{"Spaces", "  2027-03-31\t", d(2027, 3, 31)},
		{"IdeographicSpaces", "\u30002027-03-31\u3000", d(2027, 3, 31)},
		{"SpacesAroundParts", "2027 / 3 / 31", d(2027, 3, 31)},
		{"FullWidthDigits", "２０２７-０３-３１", d(2027, 3, 31)},
		{"FullWidthHyphens", "２０２７－０３－３１", d(2027, 3, 31)},
		{"FullWidthSlashes", "２０２７／０３／３１", d(2027, 3, 31)},
		{"FullWidthDots", "２０２７．３．３１", d(2027, 3, 31)},
		{"FullWidthCompact", "２０２７０３３１", d(2027, 3, 31)},
		{"FullWidthLetter", "Ｒ９．３．３１", d(2027, 3, 31)},
		{"FullWidthLowerLetter", "ｒ９．３．３１", d(2027, 3, 31)},
		{"FullWidthKanjiSpaced", "令和　９　年　３　月　３１　日", d(2027, 3, 31)},
		{"SpacedKanji", "令和 9 年 3 月 31 日", d(2027, 3, 31)},
		{"KatakanaDash", "2027ー03ー31", d(2027, 3, 31)},
		{"MinusSign", "2027−03−31", d(2027, 3, 31)},
		{"FarFuture", "9999-12-31", d(9999, 12, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDate_Error(t *testing.T) {
	t.Parallel()

	const hint = " is not a date form Kigen reads (use 2027-03-31 or 令和9年3月31日)"
	tests := []struct {
		name string
		in   string
		want string // the message
	}{
		{"Empty", "", "is empty"},
		{"Blank", "  \t ", "is empty"},
		{"IdeographicBlank", "\u3000\u3000", "is empty"},
		{"ImpossibleDay", "2027-02-30", `"2027-02-30" is not a date`},
		{"NotLeapYear", "2027-02-29", `"2027-02-29" is not a date`},
		{"Not2100LeapYear", "2100-02-29", `"2100-02-29" is not a date`},
		{"CompactImpossible", "20270230", `"20270230" is not a date`},
		{"MonthThirteen", "2027-13-01", `"2027-13-01" is not a date`},
		{"MonthZero", "2027-00-10", `"2027-00-10" is not a date`},
		{"DayZero", "2027/4/0", `"2027/4/0" is not a date`},
		{"DayThirtyOneInApril", "2027.4.31", `"2027.4.31" is not a date`},
		{"FullWidthImpossible", "２０２７-０２-３０", `"２０２７-０２-３０" is not a date`},
		{"TrimmedBeforeQuoting", "  2027-02-30 ", `"2027-02-30" is not a date`},
		{"ReiwaImpossible", "R9.2.30", `"R9.2.30" is not a date`},
		{"EraYearZero", "R0.5.1", `"R0.5.1" is not a date`},
		{"HeiseiAfterEnd", "H31.5.1", `"H31.5.1" is outside the Heisei era (1989-01-08 – 2019-04-30)`},
		{"HeiseiKanjiAfterEnd", "平成31年5月1日", `"平成31年5月1日" is outside the Heisei era (1989-01-08 – 2019-04-30)`},
		{"HeiseiBeforeStart", "H1.1.7", `"H1.1.7" is outside the Heisei era (1989-01-08 – 2019-04-30)`},
		{"ShowaAfterEnd", "S64.1.8", `"S64.1.8" is outside the Showa era (1926-12-25 – 1989-01-07)`},
		{"ShowaBeforeStart", "S1.12.24", `"S1.12.24" is outside the Showa era (1926-12-25 – 1989-01-07)`},
		{"ReiwaBeforeStart", "R1.4.30", `"R1.4.30" is outside the Reiwa era (from 2019-05-01)`},
		{"ReiwaGannenBeforeStart", "令和元年4月30日", `"令和元年4月30日" is outside the Reiwa era (from 2019-05-01)`},
		{"TooEarly", "1925-12-31", `"1925-12-31" is too early (Kigen reads dates from 1926 on)`},
		{"YearZero", "0000-01-01", `"0000-01-01" is too early (Kigen reads dates from 1926 on)`},
		{"DayFirst", "31/03/2027", `"31/03/2027"` + hint},
		{"TwoDigitYear", "27-03-31", `"27-03-31"` + hint},
		{"MixedSeparators", "2027-03/31", `"2027-03/31"` + hint},
		{"TrailingSeparator", "2027.3.31.", `"2027.3.31."` + hint},
		{"ThreeDigitDay", "2027-3-031", `"2027-3-031"` + hint},
		{"NineDigits", "2027-003-31", `"2027-003-31"` + hint},
		{"SpacesOnly", "2027 03 31", `"2027 03 31"` + hint},
		{"SplitYear", "20 27-03-31", `"20 27-03-31"` + hint},
		{"NoDay", "R9.3", `"R9.3"` + hint},
		{"KanjiWithoutDay", "令和9年3月31", `"令和9年3月31"` + hint},
		{"EraOnly", "H", `"H"` + hint},
		{"ThreeDigitEraYear", "R100.1.1", `"R100.1.1"` + hint},
		{"EraLetterAfterYear", "9R.3.31", `"9R.3.31"` + hint},
		{"TwoEras", "HR9.3.31", `"HR9.3.31"` + hint},
		{"SixDigits", "270331", `"270331"` + hint},
		{"UnknownEraLetter", "T9.3.31", `"T9.3.31"` + hint},
		{"Words", "March 31, 2027", `"March 31, 2027"` + hint},
		{"Timestamp", "2027-03-31T00:00:00Z", `"2027-03-31T00:00:00Z"` + hint},
		{"SpreadsheetDateTime", "2027/03/31 0:00", `"2027/03/31 0:00"` + hint},
		{"SpreadsheetDateTimeSeconds", "2027/03/31 00:00:00", `"2027/03/31 00:00:00"` + hint},
		{"TimeOfDay", "2027年3月31日 午前0時", `"2027年3月31日 午前0時"` + hint},
		{"DevanagariImpossible", "२०२७-०२-३०", `"२०२७-०२-३०" is not a date`},
		{"Name", "Maria Silva", "is not a date"},
		{"Address", "1-2-3 Chuo", "is not a date"},
		{"Email", "jane@example.com", "is not a date"},
		{"Phone", "090-1234-5678", "is not a date"},
		{"Landline", "0134-32-4111", "is not a date"},
		{"PhoneInternational", "+81 90 1234 5678", "is not a date"},
		{"DateAndPhone", "2027-03-31 090-1234-5678", "is not a date"},
		{"MyNumber", "123456789018", "is not a date"},
		{"MyNumberGrouped", "1234-5678-9018", "is not a date"},
		{"MyNumberDots", "1234.5678.9018", "is not a date"},
		{"TwelveDigitsInTwoGroups", "123456/789012", "is not a date"},
		{"ElevenDigits", "2027/0331/000", `"2027/0331/000"` + hint},
		{"MyNumberFullWidth", "１２３４５６７８９０１８", "is not a date"},
		{"LongDigitRun", "2027-03-31 1234567890123", "is not a date"},
		{"Long", "2027-03-31                              .", "is not a date"},
		{"Tab", "2027\t03\t31", "is not a date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tt.in)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v, want error %q", tt.in, got, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseDate(%q) error %T, want *Error", tt.in, err)
			}
			if e.Code != EINVALID || e.Field != "" {
				t.Errorf("ParseDate(%q) error code %q field %q, want %q and no field", tt.in, e.Code, e.Field, EINVALID)
			}
			if e.Message != tt.want {
				t.Errorf("ParseDate(%q) message\n got: %s\nwant: %s", tt.in, e.Message, tt.want)
			}
			if !got.IsZero() {
				t.Errorf("ParseDate(%q) = %v with an error, want the zero Date", tt.in, got)
			}
		})
	}
}

func TestParseDate_WithField(t *testing.T) {
	t.Parallel()

	_, err := ParseDate("2027-02-30")
	got := WithField(err, MyNumberCard.Field()).Error()
	if want := `mynumber_card_expires_on: "2027-02-30" is not a date`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// parseDateSeeds are every form ParseDate reads, and some it refuses.
var parseDateSeeds = []string{
	"2027-03-31", "2027/03/31", "2027/3/31", "2027.3.31", "20270331", "2027年3月31日",
	"令和9年3月31日", "R9.3.31", "R09.03.31", "R9/3/31", "R9-3-31", "r9.3.31", "令和元年5月1日",
	"H1.1.8", "S64.1.7", "S64.1.8", "H31.4.30", "H31.5.1", "R1.4.30", "R1.5.1", "平成元年1月8日",
	"2028-02-29", "2027-02-29", "２０２７-０３-３１", "Ｒ９．３．３１", "令和　９　年　３　月　３１　日",
	"\u30002027-03-31 ", "31/03/2027", "", "123456789018", "1234-5678-9018", "1925-12-31",
	"R0.1.1", "2027ー03ー31", "9999-12-31",
}

func FuzzParseDate(f *testing.F) {
	for _, s := range parseDateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != EINVALID || e.Field != "" {
				t.Fatalf("ParseDate(%q) error %#v, want an EINVALID *Error without field", s, err)
			}
			if HasLongDigitRun(e.Message) {
				t.Fatalf("ParseDate(%q) message %q echoes 12 or more digits", s, e.Message)
			}
			if ContainsMyNumber(e.Message) {
				t.Fatalf("ParseDate(%q) message %q echoes a My Number", s, e.Message)
			}
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseDate(%q) = %#v, not a valid date", s, d)
		}
		if d.Year < 1926 {
			t.Fatalf("ParseDate(%q) = %v, before 1926", s, d)
		}
		again, err := ParseDate(d.String())
		if err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %v, but ParseDate(%q) = %v, %v", s, d, d.String(), again, err)
		}
	})
}
