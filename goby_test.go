package kigen

import "testing"

func TestDue_Deadline(t *testing.T) {
	t.Parallel()
	e := MustParseISODate("2027-01-09")
	tests := []struct {
		name  string
		kind  CardKind
		stage Stage
		want  string // "" for none
	}{
		{"residence card before expiry", ResidenceCard, D30, "2027-01-09"},
		{"integrated card on its last day", IntegratedCard, D1, "2027-01-09"},
		{"My Number card", MyNumberCard, D3, "2027-01-09"},
		{"renewal gap", MyNumberCard, RenewalGap, "2027-01-09"},
		{"certificate", MyNumberCert, D90, "2027-01-09"},
		{"expired certificate: the end of its use as the insurance card", MyNumberCert, Expired, "2027-04-30"},
		{"expired residence card", ResidenceCard, Expired, ""},
		{"expired My Number card", MyNumberCard, Expired, ""},
		{"special period", ResidenceCard, SpecialPeriod, ""},
	}
	for _, tt := range tests {
		d := Due{NoticeKey: NoticeKey{ExpiresOn: e, Stage: tt.stage}, Kind: tt.kind}
		got, ok := d.Deadline()
		if tt.want == "" && ok || tt.want != "" && (!ok || got.String() != tt.want) {
			t.Errorf("%s: Deadline = %v, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

// TestOfficeCalendar_GoByFor pins docs/domain.md §12 for the notices a
// reminder is written from: the example dates of issue 18 and the visits
// that ignore or count weekend openings.
func TestOfficeCalendar_GoByFor(t *testing.T) {
	t.Parallel()
	open := MustParseISODate("2027-01-09") // a Saturday the office opens
	cal := OfficeCalendar{WeekendOpen: []Date{open}}
	tests := []struct {
		name    string
		cal     OfficeCalendar
		kind    CardKind
		stage   Stage
		expires string
		want    string
	}{
		{"My Number card expiring on a Saturday: the Friday", OfficeCalendar{}, MyNumberCard, D3, "2027-01-09", "2027-01-08"},
		{"My Number card expiring on 3 January: the last day before the year-end closure", OfficeCalendar{}, MyNumberCard, D7, "2027-01-03", "2026-12-28"},
		{"an open weekday is its own answer", OfficeCalendar{}, ResidenceCard, D90, "2027-03-31", "2027-03-31"},
		{"Coming of Age Day (second Monday of January) and the weekend before", OfficeCalendar{}, ResidenceCard, D14, "2027-01-11", "2027-01-08"},
		{"a weekend opening does not count for the validity change", cal, MyNumberCard, RenewalGap, "2027-01-09", "2027-01-08"},
		{"nor for immigration", cal, IntegratedCard, D30, "2027-01-09", "2027-01-08"},
		{"but does for the certificate", cal, MyNumberCert, D3, "2027-01-09", "2027-01-09"},
		{"expired certificate: the last open day before the end of April", OfficeCalendar{}, MyNumberCert, Expired, "2027-01-09", "2027-04-30"},
		{"the municipality's own closed day", OfficeCalendar{Closed: []Date{MustParseISODate("2027-03-31")}}, MyNumberCard, D1, "2027-03-31", "2027-03-30"},
	}
	for _, tt := range tests {
		d := Due{NoticeKey: NoticeKey{ExpiresOn: MustParseISODate(tt.expires), Stage: tt.stage}, Kind: tt.kind}
		got, ok := tt.cal.GoByFor(d)
		if !ok || got.String() != tt.want {
			t.Errorf("%s: GoByFor = %v, %v; want %s", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := (OfficeCalendar{}).GoByFor(Due{NoticeKey: NoticeKey{ExpiresOn: open, Stage: SpecialPeriod}, Kind: ResidenceCard}); ok {
		t.Error("the special period names a date to go by")
	}
}

func TestOfficeCalendar_NextOpen(t *testing.T) {
	t.Parallel()
	tests := []struct{ from, want string }{
		{"2026-12-31", "2027-01-04"}, // the year-end closure
		{"2027-01-09", "2027-01-12"}, // Saturday, Sunday, Coming of Age Day
		{"2027-01-12", "2027-01-12"}, // open
	}
	for _, tt := range tests {
		if got := (OfficeCalendar{}).NextOpen(MustParseISODate(tt.from), ForMyNumberValidity); got.String() != tt.want {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.from, got, tt.want)
		}
	}
}
