package storetest

import (
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// testCreateFinishLastTick: a tick is recorded when it starts, LastTick
// returns it unfinished, FinishTick records its counts and end, and a tick
// started later becomes the last one.
func testCreateFinishLastTick(t *testing.T, s store.Store) {
	ctx := t.Context()
	started := time.Date(2026, 11, 25, 0, 0, 0, 123456000, time.UTC)
	first := &store.Tick{Date: date("2026-11-25"), StartedAt: started}
	must(t, s.CreateTick(ctx, first), "CreateTick")
	if first.ID == 0 {
		t.Fatal("CreateTick did not set the ID")
	}
	got, err := s.LastTick(ctx)
	must(t, err, "LastTick")
	want := &store.Tick{ID: first.ID, Date: date("2026-11-25"), StartedAt: started}
	if d := diff(want, got); d != "" {
		t.Errorf("LastTick before FinishTick mismatch (-want +got):\n%s", d)
	}
	if got.StartedAt.Location() != time.UTC {
		t.Errorf("LastTick: StartedAt = %v, want a time in UTC", got.StartedAt)
	}

	first.FinishedAt = started.Add(1500 * time.Millisecond)
	first.Notices, first.Messages = 7, 5
	must(t, s.FinishTick(ctx, first), "FinishTick")
	got, err = s.LastTick(ctx)
	must(t, err, "LastTick")
	want = &store.Tick{ID: first.ID, Date: date("2026-11-25"), StartedAt: started,
		FinishedAt: started.Add(1500 * time.Millisecond), Notices: 7, Messages: 5}
	if d := diff(want, got); d != "" {
		t.Errorf("LastTick after FinishTick mismatch (-want +got):\n%s", d)
	}

	// The next day's tick, unfinished, is now the last one.
	second := &store.Tick{Date: date("2026-11-26"), StartedAt: started.Add(24 * time.Hour)}
	must(t, s.CreateTick(ctx, second), "CreateTick(second)")
	if second.ID == first.ID {
		t.Errorf("CreateTick gave the second tick the first one's ID %d", first.ID)
	}
	got, err = s.LastTick(ctx)
	must(t, err, "LastTick")
	want = &store.Tick{ID: second.ID, Date: date("2026-11-26"), StartedAt: started.Add(24 * time.Hour)}
	if d := diff(want, got); d != "" {
		t.Errorf("LastTick after a second CreateTick mismatch (-want +got):\n%s", d)
	}

	// Zero times are stamped with the store's clock.
	third := &store.Tick{Date: date("2026-11-27")}
	must(t, s.CreateTick(ctx, third), "CreateTick(no StartedAt)")
	checkCreated(t, "CreateTick(no StartedAt): StartedAt", third.StartedAt)
	must(t, s.FinishTick(ctx, third), "FinishTick(no FinishedAt)")
	checkCreated(t, "FinishTick(no FinishedAt): FinishedAt", third.FinishedAt)
}

// testFinishTickErrNotFound: finishing a tick never created is ErrNotFound.
func testFinishTickErrNotFound(t *testing.T, s store.Store) {
	err := s.FinishTick(t.Context(), &store.Tick{ID: noSuchID, Date: date("2026-11-25"), FinishedAt: time.Now()})
	wantErr(t, err, store.ErrNotFound, "FinishTick(unknown)")
}

// testCreateTickTimeTravel: a tick whose date is not the date in
// Asia/Tokyo of its start is recorded time-travelled, and LastTick says so;
// the Tokyo date decides, not the UTC one.
func testCreateTickTimeTravel(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name    string
		date    kigen.Date
		started time.Time
		want    bool
	}{
		{"today in Tokyo, yesterday in UTC", date("2026-12-04"), time.Date(2026, 12, 3, 15, 30, 0, 0, time.UTC), false},
		{"two weeks ahead", date("2026-12-18"), time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC), true},
		{"today in UTC, tomorrow in Tokyo", date("2026-12-04"), time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests { // each started after the one before
		tk := &store.Tick{Date: tt.date, StartedAt: tt.started}
		must(t, s.CreateTick(ctx, tk), "CreateTick("+tt.name+")")
		if tk.TimeTravel != tt.want {
			t.Errorf("CreateTick(%s): TimeTravel = %t, want %t", tt.name, tk.TimeTravel, tt.want)
		}
		got, err := s.LastTick(ctx)
		must(t, err, "LastTick")
		if got.ID != tk.ID || got.TimeTravel != tt.want {
			t.Errorf("LastTick after CreateTick(%s) = tick %d time travel %t; want tick %d, %t", tt.name, got.ID, got.TimeTravel, tk.ID, tt.want)
		}
	}
}

// testLastTickErrNotFound: a fresh store has no last tick.
func testLastTickErrNotFound(t *testing.T, s store.Store) {
	_, err := s.LastTick(t.Context())
	wantErr(t, err, store.ErrNotFound, "LastTick(fresh store)")
}

// testListResidentsIDs: the IDs filter selects these residents of the
// municipality, in ID order, and leaves out unknown IDs and another
// municipality's residents.
func testListResidentsIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	var as []*kigen.Resident
	for _, ref := range []string{"A-1", "A-2", "A-3", "A-4"} {
		as = append(as, MustUpsertResident(t, ctx, s, a.ID, ref))
	}
	other := MustUpsertResident(t, ctx, s, b.ID, "B-1")

	tests := []struct {
		name string
		f    store.ResidentFilter
		want []*kigen.Resident
	}{
		{
			name: "some, given out of order",
			f:    store.ResidentFilter{MunicipalityID: a.ID, IDs: []int64{as[3].ID, as[0].ID, as[2].ID}},
			want: []*kigen.Resident{as[0], as[2], as[3]},
		},
		{
			name: "another municipality's and unknown IDs left out",
			f:    store.ResidentFilter{MunicipalityID: a.ID, IDs: []int64{other.ID, as[1].ID, noSuchID}},
			want: []*kigen.Resident{as[1]},
		},
		{
			name: "only another municipality's",
			f:    store.ResidentFilter{MunicipalityID: a.ID, IDs: []int64{other.ID}},
			want: nil,
		},
		{
			name: "with AfterID and Limit",
			f:    store.ResidentFilter{MunicipalityID: a.ID, IDs: []int64{as[0].ID, as[1].ID, as[2].ID, as[3].ID}, AfterID: as[0].ID, Limit: 2},
			want: []*kigen.Resident{as[1], as[2]},
		},
		{
			name: "the other municipality's own",
			f:    store.ResidentFilter{MunicipalityID: b.ID, IDs: []int64{other.ID, as[0].ID}},
			want: []*kigen.Resident{other},
		},
	}
	for _, tt := range tests {
		got, err := s.ListResidents(ctx, tt.f)
		must(t, err, "ListResidents("+tt.name+")")
		if d := diff(tt.want, got); d != "" {
			t.Errorf("ListResidents(%s) mismatch (-want +got):\n%s", tt.name, d)
		}
	}
}
