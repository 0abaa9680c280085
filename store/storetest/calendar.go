package storetest

import (
	"testing"
	"time"

	"kigen/store"
)

func testCalendarTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	first := &store.CalendarToken{Hash: hashOf("cal-1"), MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID,
		CreatedBy: "account:1", CreatedAt: at}
	must(t, s.CreateCalendarToken(ctx, first), "CreateCalendarToken")
	if first.ID == 0 {
		t.Fatal("CreateCalendarToken set no ID")
	}
	second := &store.CalendarToken{Hash: hashOf("cal-2"), MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, CreatedBy: "resident"}
	must(t, s.CreateCalendarToken(ctx, second), "CreateCalendarToken(no CreatedAt)")
	checkCreated(t, "CreateCalendarToken(no CreatedAt)", second.CreatedAt)
	other := &store.CalendarToken{Hash: hashOf("cal-b"), MunicipalityID: b.Municipality.ID, ResidentID: b.Resident.ID, CreatedBy: "x", CreatedAt: at}
	must(t, s.CreateCalendarToken(ctx, other), "CreateCalendarToken(b)")

	wantErr(t, s.CreateCalendarToken(ctx, &store.CalendarToken{Hash: hashOf("cal-1"), MunicipalityID: a.Municipality.ID,
		ResidentID: a.Resident.ID, CreatedBy: "x"}), store.ErrConflict, "CreateCalendarToken(taken hash)")
	// A resident of another municipality is not found there.
	wantErr(t, s.CreateCalendarToken(ctx, &store.CalendarToken{Hash: hashOf("cal-x"), MunicipalityID: a.Municipality.ID,
		ResidentID: b.Resident.ID, CreatedBy: "x"}), store.ErrNotFound, "CreateCalendarToken(resident of another municipality)")
	wantErr(t, s.CreateCalendarToken(ctx, &store.CalendarToken{Hash: hashOf("cal-y"), MunicipalityID: a.Municipality.ID,
		ResidentID: noSuchID, CreatedBy: "x"}), store.ErrNotFound, "CreateCalendarToken(no such resident)")

	got, err := s.GetCalendarTokenByHash(ctx, hashOf("cal-1"))
	must(t, err, "GetCalendarTokenByHash")
	if d := diff(first, got); d != "" {
		t.Errorf("GetCalendarTokenByHash mismatch (-want +got):\n%s", d)
	}
	_, err = s.GetCalendarTokenByHash(ctx, hashOf("none"))
	wantErr(t, err, store.ErrNotFound, "GetCalendarTokenByHash(no such token)")

	list, err := s.ListCalendarTokens(ctx, a.Municipality.ID, a.Resident.ID)
	must(t, err, "ListCalendarTokens")
	if d := diff([]*store.CalendarToken{first, second}, list); d != "" {
		t.Errorf("ListCalendarTokens mismatch (-want +got):\n%s", d)
	}
	list, err = s.ListCalendarTokens(ctx, b.Municipality.ID, a.Resident.ID)
	must(t, err, "ListCalendarTokens(other municipality)")
	if len(list) != 0 {
		t.Errorf("ListCalendarTokens(resident of a, under b) = %d tokens, want none", len(list))
	}

	// Revoking under another municipality changes nothing.
	n, err := s.RevokeCalendarTokens(ctx, b.Municipality.ID, a.Resident.ID, at)
	must(t, err, "RevokeCalendarTokens(other municipality)")
	if n != 0 {
		t.Errorf("RevokeCalendarTokens(resident of a, under b) = %d, want 0", n)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		n, err = tx.RevokeCalendarTokens(ctx, a.Municipality.ID, a.Resident.ID, at.Add(time.Hour))
		return err
	})
	must(t, err, "RevokeCalendarTokens")
	if n != 2 {
		t.Errorf("RevokeCalendarTokens = %d, want 2", n)
	}
	// Revoked already: kept as it was.
	n, err = s.RevokeCalendarTokens(ctx, a.Municipality.ID, a.Resident.ID, at.Add(2*time.Hour))
	must(t, err, "RevokeCalendarTokens(again)")
	if n != 0 {
		t.Errorf("RevokeCalendarTokens(again) = %d, want 0", n)
	}
	got, err = s.GetCalendarTokenByHash(ctx, hashOf("cal-1"))
	must(t, err, "GetCalendarTokenByHash(revoked)")
	if !got.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, at.Add(time.Hour))
	}
	got, err = s.GetCalendarTokenByHash(ctx, hashOf("cal-b"))
	must(t, err, "GetCalendarTokenByHash(b)")
	if !got.RevokedAt.IsZero() {
		t.Errorf("b's token revoked at %v, want valid", got.RevokedAt)
	}

	// The tokens go with the resident.
	must(t, s.DeleteResident(ctx, b.Municipality.ID, b.Resident.ID), "DeleteResident")
	_, err = s.GetCalendarTokenByHash(ctx, hashOf("cal-b"))
	wantErr(t, err, store.ErrNotFound, "GetCalendarTokenByHash(after DeleteResident)")
}
