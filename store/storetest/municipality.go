package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

func testCreateMunicipalityOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := &kigen.Municipality{
		Code:         "012033",
		Name:         "小樽市",
		NameKana:     "おたるし",
		NameLatin:    "Otaru",
		ContactPhone: "+81-134-00-0000",
		ContactEmail: "kigen@city.otaru.example",
		ContactURL:   "https://city.otaru.example/kigen",
		// The names messages compose and the office's calendar
		// (docs/domain.md §12–§13).
		Kind:           kigen.KindCity,
		NameHangul:     "오타루",
		NameThai:       "โอตารุ",
		NameDevanagari: "ओतारु",
		Office:         "小樽市役所 本庁舎",
		Calendar: kigen.OfficeCalendar{
			Closed:      []kigen.Date{kigen.NewDate(2027, 1, 8), kigen.NewDate(2027, 1, 7)},
			WeekendOpen: []kigen.Date{kigen.NewDate(2027, 3, 27)},
		},
	}
	must(t, s.CreateMunicipality(ctx, m), "CreateMunicipality")
	if m.ID == 0 {
		t.Error("CreateMunicipality did not set ID")
	}
	checkStamps(t, "CreateMunicipality", m.CreatedAt, m.UpdatedAt)

	got, err := s.GetMunicipality(ctx, m.ID)
	must(t, err, "GetMunicipality")
	if d := diff(m, got); d != "" {
		t.Errorf("GetMunicipality mismatch (-want +got):\n%s", d)
	}
	checkStamps(t, "GetMunicipality", got.CreatedAt, got.UpdatedAt)

	got, err = s.GetMunicipalityByCode(ctx, "012033")
	must(t, err, "GetMunicipalityByCode")
	if d := diff(m, got); d != "" {
		t.Errorf("GetMunicipalityByCode mismatch (-want +got):\n%s", d)
	}

	// Optional fields may be empty.
	bare := &kigen.Municipality{Code: "012041", Name: "室蘭市"}
	must(t, s.CreateMunicipality(ctx, bare), "CreateMunicipality(bare)")
	got, err = s.GetMunicipality(ctx, bare.ID)
	must(t, err, "GetMunicipality(bare)")
	if d := diff(bare, got); d != "" {
		t.Errorf("GetMunicipality(bare) mismatch (-want +got):\n%s", d)
	}
	if bare.ID == m.ID {
		t.Errorf("two municipalities share ID %d", m.ID)
	}
}

func testCreateMunicipalityErrConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := MustCreateMunicipality(t, ctx, s, "012033")
	dup := &kigen.Municipality{Code: "012033", Name: "別の市"}
	wantErr(t, s.CreateMunicipality(ctx, dup), store.ErrConflict, "CreateMunicipality(duplicate code)")

	got, err := s.GetMunicipalityByCode(ctx, "012033")
	must(t, err, "GetMunicipalityByCode")
	if d := diff(first, got); d != "" {
		t.Errorf("the duplicate changed the municipality (-want +got):\n%s", d)
	}
	all, err := s.ListMunicipalities(ctx)
	must(t, err, "ListMunicipalities")
	if len(all) != 1 {
		t.Errorf("ListMunicipalities returned %d municipalities, want 1", len(all))
	}
}

func testGetMunicipalityErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetMunicipality(ctx, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetMunicipality(empty store)")
	_, err = s.GetMunicipalityByCode(ctx, "012033")
	wantErr(t, err, store.ErrNotFound, "GetMunicipalityByCode(empty store)")

	m := MustCreateMunicipality(t, ctx, s, "012033")
	_, err = s.GetMunicipality(ctx, m.ID+1)
	wantErr(t, err, store.ErrNotFound, "GetMunicipality(unknown)")
	_, err = s.GetMunicipalityByCode(ctx, "012034")
	wantErr(t, err, store.ErrNotFound, "GetMunicipalityByCode(unknown)")
}

func testUpdateMunicipalityOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := MustCreateMunicipality(t, ctx, s, "012033")
	other := MustCreateMunicipality(t, ctx, s, "012041")
	advance(t, s)

	upd := &kigen.Municipality{
		ID:           old.ID,
		Code:         "999999", // ignored: the code never changes
		Name:         "小樽市",
		NameKana:     "おたるし",
		NameLatin:    "Otaru",
		ContactPhone: "+81-134-11-1111",
		ContactEmail: "new@city.otaru.example",
		ContactURL:   "", // cleared
		Kind:         kigen.KindCity,
		NameHangul:   "오타루",
		Office:       "小樽市役所 別館",
		Calendar:     kigen.OfficeCalendar{WeekendOpen: []kigen.Date{kigen.NewDate(2027, 3, 28)}},
	}
	must(t, s.UpdateMunicipality(ctx, upd), "UpdateMunicipality")
	// Every new field is written again: a second update clears what the
	// first set.
	upd2 := *upd
	upd2.NameHangul, upd2.NameThai, upd2.Office, upd2.Kind = "", "โอตารุ", "", kigen.KindTown
	upd2.Calendar = kigen.OfficeCalendar{Closed: []kigen.Date{kigen.NewDate(2027, 2, 1)}}
	must(t, s.UpdateMunicipality(ctx, &upd2), "UpdateMunicipality(again)")
	upd = &upd2

	got, err := s.GetMunicipality(ctx, old.ID)
	must(t, err, "GetMunicipality")
	want := *upd
	want.Code = old.Code
	want.CreatedAt = old.CreatedAt
	if d := diff(&want, got, cmpopts.IgnoreFields(kigen.Municipality{}, "UpdatedAt")); d != "" {
		t.Errorf("GetMunicipality after update mismatch (-want +got):\n%s", d)
	}
	checkStamps(t, "GetMunicipality after update", got.CreatedAt, got.UpdatedAt)
	if !got.UpdatedAt.After(old.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, old.UpdatedAt)
	}
	_, err = s.GetMunicipalityByCode(ctx, "999999")
	wantErr(t, err, store.ErrNotFound, "GetMunicipalityByCode(ignored new code)")

	gotOther, err := s.GetMunicipality(ctx, other.ID)
	must(t, err, "GetMunicipality(other)")
	if d := diff(other, gotOther); d != "" {
		t.Errorf("the update changed another municipality (-want +got):\n%s", d)
	}
}

func testUpdateMunicipalityErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	upd := &kigen.Municipality{ID: noSuchID, Code: "012033", Name: "どこか"}
	wantErr(t, s.UpdateMunicipality(ctx, upd), store.ErrNotFound, "UpdateMunicipality(unknown ID)")

	got, err := s.GetMunicipality(ctx, m.ID)
	must(t, err, "GetMunicipality")
	if d := diff(m, got); d != "" {
		t.Errorf("a failed update changed a municipality (-want +got):\n%s", d)
	}
}

func testListMunicipalitiesOrderedByCode(t *testing.T, s store.Store) {
	ctx := t.Context()
	var want []*kigen.Municipality
	for _, code := range []string{"131016", "012033", "271004"} {
		want = append(want, MustCreateMunicipality(t, ctx, s, code))
	}
	want = []*kigen.Municipality{want[1], want[0], want[2]}

	got, err := s.ListMunicipalities(ctx)
	must(t, err, "ListMunicipalities")
	if d := diff(want, got); d != "" {
		t.Errorf("ListMunicipalities mismatch (-want +got):\n%s", d)
	}
	for _, m := range got {
		checkStamps(t, "ListMunicipalities", m.CreatedAt, m.UpdatedAt)
	}
}

func testListMunicipalitiesEmpty(t *testing.T, s store.Store) {
	got, err := s.ListMunicipalities(t.Context())
	must(t, err, "ListMunicipalities")
	if len(got) != 0 {
		t.Errorf("ListMunicipalities on an empty store returned %d municipalities", len(got))
	}
}
