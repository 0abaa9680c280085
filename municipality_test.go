package kigen_test

import (
	"testing"

	"kigen"
)

func TestMunicipality_OfficeJA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    kigen.Municipality
		want string
		ward bool
	}{
		{name: "city", m: kigen.Municipality{Name: "小樽市"}, want: "小樽市役所"},
		{name: "town", m: kigen.Municipality{Name: "余市町"}, want: "余市町役場"},
		{name: "village", m: kigen.Municipality{Name: "西興部村"}, want: "西興部村役場"},
		{name: "Tokyo special ward", m: kigen.Municipality{Name: "千代田区"}, want: "千代田区役所"},
		{name: "ward of a designated city", m: kigen.Municipality{Name: "札幌市中央区", Kind: kigen.KindWard}, want: "札幌市中央区役所", ward: true},
		{name: "the kind stored wins over the name", m: kigen.Municipality{Name: "ニセコ", Kind: kigen.KindTown}, want: "ニセコ役場"},
		{name: "the office staff set", m: kigen.Municipality{Name: "小樽市", Office: "小樽市役所 本庁舎"}, want: "小樽市役所 本庁舎"},
		{name: "no name", want: "市役所"},
	}
	for _, tt := range tests {
		if got := tt.m.OfficeJA(); got != tt.want {
			t.Errorf("%s: OfficeJA() = %q, want %q", tt.name, got, tt.want)
		}
		if got := tt.m.CityWard(); got != tt.ward {
			t.Errorf("%s: CityWard() = %v, want %v", tt.name, got, tt.ward)
		}
	}
}

func TestMunicipality_LatinDisplay(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		m    kigen.Municipality
		want string
	}{
		{kigen.Municipality{Name: "小樽市", NameLatin: "Otaru"}, "Otaru City"},
		{kigen.Municipality{Name: "千代田区", NameLatin: "Chiyoda"}, "Chiyoda City"},
		{kigen.Municipality{Name: "札幌市中央区", NameLatin: "Chuo"}, "Chuo Ward"},
		{kigen.Municipality{Name: "ニセコ町", NameLatin: "Niseko"}, "Niseko Town"},
		{kigen.Municipality{Name: "西興部村", NameLatin: "Nishiokoppe"}, "Nishiokoppe Village"},
		{kigen.Municipality{Name: "小樽市"}, "小樽市"},
	} {
		if got := tt.m.LatinDisplay(); got != tt.want {
			t.Errorf("%s: LatinDisplay() = %q, want %q", tt.m.Name, got, tt.want)
		}
	}
}

func TestParseDates(t *testing.T) {
	t.Parallel()
	days := []kigen.Date{kigen.NewDate(2027, 1, 8), kigen.NewDate(2026, 12, 28)}
	s := kigen.FormatDates(days)
	if s != "2027-01-08,2026-12-28" {
		t.Errorf("FormatDates = %q", s)
	}
	got, err := kigen.ParseDates(s)
	if err != nil || len(got) != 2 || got[0] != days[0] || got[1] != days[1] {
		t.Errorf("ParseDates(%q) = %v, %v", s, got, err)
	}
	if got, err := kigen.ParseDates(""); err != nil || got != nil {
		t.Errorf(`ParseDates("") = %v, %v; want nil`, got, err)
	}
	if _, err := kigen.ParseDates("2027-02-30"); err == nil {
		t.Error("ParseDates(2027-02-30): no error")
	}
}
