package kigen

import (
	"errors"
	"testing"
)

func TestCheckExpiry(t *testing.T) {
	t.Parallel()

	today := MustParseISODate("2026-11-25")
	tests := []struct {
		name        string
		kind        CardKind
		e           string
		today       string // default: today
		wantWarning string
		wantErr     string // the message, "" for none
	}{
		{name: "Future", kind: ResidenceCard, e: "2027-03-31"},
		{name: "Today", kind: ResidenceCard, e: "2026-11-25"},
		{name: "Tomorrow", kind: MyNumberCert, e: "2026-11-26"},
		{name: "Passed", kind: MyNumberCard, e: "2026-10-01", wantWarning: "2026-10-01 has already passed"},
		{name: "Yesterday", kind: IntegratedCard, e: "2026-11-24", wantWarning: "2026-11-24 has already passed"},
		{name: "Earliest", kind: ResidenceCard, e: "2000-01-01", wantWarning: "2000-01-01 has already passed"},
		{name: "TooEarly", kind: ResidenceCard, e: "1999-12-31", wantErr: "1999-12-31 is before 2000-01-01, too early for a card's expiry"},
		{name: "TooEarlyCert", kind: MyNumberCert, e: "1989-01-08", wantErr: "1989-01-08 is before 2000-01-01, too early for a card's expiry"},

		{name: "ResidenceLatest", kind: ResidenceCard, e: "2034-02-25"},
		{name: "ResidenceTooFar", kind: ResidenceCard, e: "2034-02-26", wantErr: "2034-02-26 is more than 7 years and 3 months ahead (latest plausible: 2034-02-25)"},
		{name: "ResidenceFarTooFar", kind: ResidenceCard, e: "2040-01-01", wantErr: "2040-01-01 is more than 7 years and 3 months ahead (latest plausible: 2034-02-25)"},
		{name: "IntegratedLatest", kind: IntegratedCard, e: "2034-02-25"},
		{name: "IntegratedTooFar", kind: IntegratedCard, e: "2034-02-26", wantErr: "2034-02-26 is more than 7 years and 3 months ahead (latest plausible: 2034-02-25)"},
		{name: "MyNumberCardLatest", kind: MyNumberCard, e: "2037-02-25"},
		{name: "MyNumberCardTooFar", kind: MyNumberCard, e: "2037-02-26", wantErr: "2037-02-26 is more than 10 years and 3 months ahead (latest plausible: 2037-02-25)"},
		{name: "CertLatest", kind: MyNumberCert, e: "2032-02-25"},
		{name: "CertTooFar", kind: MyNumberCert, e: "2032-02-26", wantErr: "2032-02-26 is more than 5 years and 3 months ahead (latest plausible: 2032-02-25)"},
		{name: "CertTenYears", kind: MyNumberCert, e: "2036-11-25", wantErr: "2036-11-25 is more than 5 years and 3 months ahead (latest plausible: 2032-02-25)"},
		// 2026-11-30 + 87 months: February 2034 has 28 days.
		{name: "MonthEndLatest", kind: ResidenceCard, e: "2034-02-28", today: "2026-11-30"},
		{name: "MonthEndTooFar", kind: ResidenceCard, e: "2034-03-01", today: "2026-11-30", wantErr: "2034-03-01 is more than 7 years and 3 months ahead (latest plausible: 2034-02-28)"},
		{name: "LeapDayLatest", kind: MyNumberCert, e: "2033-05-29", today: "2028-02-29"},
		{name: "LeapDayTooFar", kind: MyNumberCert, e: "2033-05-30", today: "2028-02-29", wantErr: "2033-05-30 is more than 5 years and 3 months ahead (latest plausible: 2033-05-29)"},

		{name: "UnknownKind", kind: "passport", e: "2027-03-31", wantErr: `"passport" is not a card kind`},
		{name: "EmptyKind", kind: "", e: "2027-03-31", wantErr: "the value is not a card kind"},
		{name: "OddKind", kind: "123456789018", e: "2027-03-31", wantErr: "the value is not a card kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			day := today
			if tt.today != "" {
				day = MustParseISODate(tt.today)
			}
			warning, err := CheckExpiry(tt.kind, MustParseISODate(tt.e), day)
			if warning != tt.wantWarning {
				t.Errorf("warning %q, want %q", warning, tt.wantWarning)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error %q", err, err, tt.wantErr)
			}
			if e.Code != EINVALID || e.Field != "" || e.Message != tt.wantErr {
				t.Errorf("error %#v, want EINVALID, no field, message %q", e, tt.wantErr)
			}
		})
	}
}

func TestCheckExpiry_InvalidDates(t *testing.T) {
	t.Parallel()

	today := MustParseISODate("2026-11-25")
	if _, err := CheckExpiry(ResidenceCard, Date{}, today); ErrorCode(err) != EINVALID {
		t.Errorf("zero expiry: error %v, want %s", err, EINVALID)
	}
	if _, err := CheckExpiry(ResidenceCard, NewDate(2027, 2, 30), today); ErrorCode(err) != EINVALID {
		t.Errorf("2027-02-30: error %v, want %s", err, EINVALID)
	}
	if _, err := CheckExpiry(ResidenceCard, MustParseISODate("2027-03-31"), Date{}); ErrorCode(err) != EINTERNAL {
		t.Errorf("zero today: error %v, want %s", err, EINTERNAL)
	}
}

// TestCheckExpiry_ParsedWithField shows the pieces together, as an importer
// uses them.
func TestCheckExpiry_ParsedWithField(t *testing.T) {
	t.Parallel()

	e, err := ParseDate("R22.1.1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = CheckExpiry(MyNumberCert, e, MustParseISODate("2026-11-25"))
	got := WithField(err, MyNumberCert.Field()).Error()
	want := "mynumber_cert_expires_on: 2040-01-01 is more than 5 years and 3 months ahead (latest plausible: 2032-02-25)"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
