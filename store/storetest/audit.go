package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"kigen/store"
)

// MustCreateAuditEntry appends an audit entry, failing the test on error.
func MustCreateAuditEntry(t testing.TB, q store.Queries, e store.AuditEntry) *store.AuditEntry {
	t.Helper()
	must(t, q.CreateAuditEntry(t.Context(), &e), "CreateAuditEntry")
	return &e
}

// testCreateAuditEntryOK: an entry reads back as written; a zero At is
// stamped with the store's clock, in UTC; a global entry has no
// municipality and an entry on no resident no ref.
func testCreateAuditEntryOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	at := time.Date(2026, 11, 25, 0, 30, 0, 123456000, time.UTC)
	viewed := MustCreateAuditEntry(t, s, store.AuditEntry{At: at, ActorID: "cli:alice", ActorRole: "admin",
		Action: "resident.view", MunicipalityID: m.ID, ResidentRef: "A-1"})
	added := MustCreateAuditEntry(t, s, store.AuditEntry{ActorID: "cli:bob", ActorRole: "operator",
		Action: "municipality.create", Detail: "012033"})
	if viewed.ID == 0 || added.ID == 0 || viewed.ID == added.ID {
		t.Fatalf("IDs %d and %d: want two distinct IDs", viewed.ID, added.ID)
	}
	checkCreated(t, "CreateAuditEntry(no At): At", added.At)

	got, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	must(t, err, "ListAuditEntries")
	want := []*store.AuditEntry{added, viewed} // newest first
	if d := diff(want, got); d != "" {
		t.Errorf("ListAuditEntries mismatch (-want +got):\n%s", d)
	}
	for _, e := range got {
		if e.At.Location() != time.UTC {
			t.Errorf("entry %d: At = %v, want a time in UTC", e.ID, e.At)
		}
	}
}

// testCreateAuditEntryErrNotFound: an entry of a municipality that does
// not exist is refused with ErrNotFound, and inside a transaction the
// refusal leaves the transaction usable.
func testCreateAuditEntryErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	e := &store.AuditEntry{ActorID: "cli:alice", ActorRole: "admin", Action: "import", MunicipalityID: noSuchID}
	wantErr(t, s.CreateAuditEntry(ctx, e), store.ErrNotFound, "CreateAuditEntry(no such municipality)")

	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateAuditEntry(ctx, &store.AuditEntry{ActorID: "x", ActorRole: "admin", Action: "import",
			MunicipalityID: noSuchID}); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("CreateAuditEntry(no such municipality): err = %v, want ErrNotFound", err)
		}
		return tx.CreateAuditEntry(ctx, &store.AuditEntry{ActorID: "x", ActorRole: "admin", Action: "import", MunicipalityID: m.ID})
	})
	must(t, err, "InTx")
	got, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	must(t, err, "ListAuditEntries")
	if len(got) != 1 || got[0].MunicipalityID != m.ID {
		t.Errorf("after the transaction: %+v, want the one entry of municipality %d", got, m.ID)
	}
}

// testCreateAuditEntryRollback: an entry written in a transaction that
// rolls back is gone with the action it recorded.
func testCreateAuditEntryRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	errAction := errors.New("the action failed")
	err := s.InTx(ctx, func(tx store.Tx) error {
		MustCreateAuditEntry(t, tx, store.AuditEntry{ActorID: "cli:alice", ActorRole: "admin", Action: "resident.erase",
			MunicipalityID: m.ID, ResidentRef: "A-1"})
		return errAction
	})
	wantErr(t, err, errAction, "InTx")
	got, err := s.ListAuditEntries(ctx, store.AuditFilter{MunicipalityID: m.ID})
	must(t, err, "ListAuditEntries")
	if len(got) != 0 {
		t.Errorf("entries after a rollback: %+v, want none", got)
	}
}

// testListAuditEntriesFilter checks each filter, their combination, the
// time bounds (From included, To excluded) and keyset paging.
func testListAuditEntriesFilter(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	t0 := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	entry := func(min int, actor string, mid int64, action, ref string) *store.AuditEntry {
		return MustCreateAuditEntry(t, s, store.AuditEntry{At: t0.Add(time.Duration(min) * time.Minute),
			ActorID: actor, ActorRole: "staff", Action: action, MunicipalityID: mid, ResidentRef: ref})
	}
	e1 := entry(0, "cli:alice", a.ID, "resident.view", "A-1")
	e2 := entry(1, "cli:alice", a.ID, "resident.applied", "A-1")
	e3 := entry(2, "cli:bob", a.ID, "resident.view", "A-2")
	e4 := entry(3, "cli:carol", b.ID, "resident.view", "A-1") // the same ref in another municipality
	e5 := entry(4, "cli:ops", 0, "municipality.create", "")

	tests := []struct {
		name string
		f    store.AuditFilter
		want []*store.AuditEntry
	}{
		{name: "all, newest first", f: store.AuditFilter{}, want: []*store.AuditEntry{e5, e4, e3, e2, e1}},
		{name: "municipality", f: store.AuditFilter{MunicipalityID: a.ID}, want: []*store.AuditEntry{e3, e2, e1}},
		{name: "other municipality", f: store.AuditFilter{MunicipalityID: b.ID}, want: []*store.AuditEntry{e4}},
		{name: "unknown municipality", f: store.AuditFilter{MunicipalityID: noSuchID}, want: nil},
		{name: "actor", f: store.AuditFilter{ActorID: "cli:alice"}, want: []*store.AuditEntry{e2, e1}},
		{name: "resident of a municipality", f: store.AuditFilter{MunicipalityID: a.ID, ResidentRef: "A-1"}, want: []*store.AuditEntry{e2, e1}},
		{name: "ref in every municipality", f: store.AuditFilter{ResidentRef: "A-1"}, want: []*store.AuditEntry{e4, e2, e1}},
		{name: "action", f: store.AuditFilter{MunicipalityID: a.ID, Action: "resident.view"}, want: []*store.AuditEntry{e3, e1}},
		{name: "from included", f: store.AuditFilter{From: t0.Add(3 * time.Minute)}, want: []*store.AuditEntry{e5, e4}},
		{name: "to excluded", f: store.AuditFilter{To: t0.Add(time.Minute)}, want: []*store.AuditEntry{e1}},
		{name: "from and to", f: store.AuditFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, want: []*store.AuditEntry{e3, e2}},
		{name: "first page", f: store.AuditFilter{Limit: 2}, want: []*store.AuditEntry{e5, e4}},
		{name: "next page", f: store.AuditFilter{BeforeID: e4.ID, Limit: 2}, want: []*store.AuditEntry{e3, e2}},
		{name: "last page", f: store.AuditFilter{BeforeID: e2.ID, Limit: 2}, want: []*store.AuditEntry{e1}},
		{name: "nothing matches", f: store.AuditFilter{ActorID: "cli:alice", MunicipalityID: b.ID}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListAuditEntries(ctx, tt.f)
			must(t, err, "ListAuditEntries")
			if d := diff(tt.want, got); d != "" {
				t.Errorf("ListAuditEntries(%+v) mismatch (-want +got):\n%s", tt.f, d)
			}
		})
	}
}

// testListAuditEntriesDefaultLimit: without a Limit a page holds 100
// entries.
func testListAuditEntriesDefaultLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	err := s.InTx(ctx, func(tx store.Tx) error {
		for range 101 {
			if err := tx.CreateAuditEntry(ctx, &store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "municipality.list"}); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err, "CreateAuditEntry ×101")
	got, err := s.ListAuditEntries(ctx, store.AuditFilter{})
	must(t, err, "ListAuditEntries")
	if len(got) != 100 {
		t.Errorf("ListAuditEntries without a limit: %d entries, want 100", len(got))
	}
}
