package storetest

import (
	"errors"
	"fmt"
	"testing"

	"kigen"
	"kigen/store"
)

// listNotices returns the cards' notices, failing the test on error.
func listNotices(t *testing.T, q store.Queries, municipalityID int64, cardIDs ...int64) []*kigen.Notice {
	t.Helper()
	ns, err := q.ListNotices(t.Context(), municipalityID, cardIDs...)
	must(t, err, "ListNotices")
	return ns
}

func testCreateNoticeOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	n := &kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.D90, TickDate: date("2027-04-01")}
	must(t, s.CreateNotice(ctx, m.ID, n), "CreateNotice")
	if n.ID == 0 {
		t.Error("CreateNotice did not set ID")
	}
	checkCreated(t, "CreateNotice", n.CreatedAt)

	// Another stage of the same expiry, and a notice for a date the card
	// no longer has (the stage table does not care).
	n2 := MustCreateNotice(t, ctx, s, m.ID, c.ID, c.ExpiresOn, kigen.D60)
	n3 := MustCreateNotice(t, ctx, s, m.ID, c.ID, date("2024-06-30"), kigen.Expired)

	got := listNotices(t, s, m.ID, c.ID)
	if d := diff([]*kigen.Notice{n, n2, n3}, got); d != "" {
		t.Errorf("ListNotices mismatch (-want +got):\n%s", d)
	}
	for _, n := range got {
		checkCreated(t, "ListNotices", n.CreatedAt)
	}
}

func testCreateNoticeErrConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	first := MustCreateNotice(t, ctx, s, m.ID, c.ID, c.ExpiresOn, kigen.D30)

	// A later tick planning the same stage again is refused.
	dup := &kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.D30, TickDate: first.TickDate.AddDays(1)}
	wantErr(t, s.CreateNotice(ctx, m.ID, dup), store.ErrConflict, "CreateNotice(duplicate)")
	if d := diff([]*kigen.Notice{first}, listNotices(t, s, m.ID, c.ID)); d != "" {
		t.Errorf("ListNotices after a duplicate mismatch (-want +got):\n%s", d)
	}
}

func testCreateNoticeSameStageNewExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	old := MustCreateNotice(t, ctx, s, m.ID, c.ID, c.ExpiresOn, kigen.D90)

	// The card is renewed: the same stage for the new expiry date is a new
	// notice.
	c = MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2030-06-30"))
	renewed := MustCreateNotice(t, ctx, s, m.ID, c.ID, c.ExpiresOn, kigen.D90)
	// The same stage of another card of the resident is its own notice too.
	other := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCard, date("2027-06-30"))
	otherN := MustCreateNotice(t, ctx, s, m.ID, other.ID, other.ExpiresOn, kigen.D90)

	if d := diff([]*kigen.Notice{old, renewed, otherN}, listNotices(t, s, m.ID, c.ID, other.ID)); d != "" {
		t.Errorf("ListNotices mismatch (-want +got):\n%s", d)
	}
}

func testCreateNoticeErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")
	cb := MustUpsertCard(t, ctx, s, b.ID, rb.ID, kigen.ResidenceCard, date("2027-06-30"))

	n := &kigen.Notice{CardID: cb.ID, ExpiresOn: cb.ExpiresOn, Stage: kigen.D90, TickDate: date("2027-04-01")}
	wantErr(t, s.CreateNotice(ctx, a.ID, n), store.ErrNotFound, "CreateNotice(card of another municipality)")
	wantErr(t, s.CreateNotice(ctx, noSuchID, n), store.ErrNotFound, "CreateNotice(unknown municipality)")
	n = &kigen.Notice{CardID: cb.ID + 1, ExpiresOn: cb.ExpiresOn, Stage: kigen.D90, TickDate: date("2027-04-01")}
	wantErr(t, s.CreateNotice(ctx, b.ID, n), store.ErrNotFound, "CreateNotice(unknown card)")

	if got := listNotices(t, s, b.ID, cb.ID); len(got) != 0 {
		t.Errorf("failed calls recorded %d notices", len(got))
	}
	// The refused notice did not take the key either.
	MustCreateNotice(t, ctx, s, b.ID, cb.ID, cb.ExpiresOn, kigen.D90)
}

// testCreateNoticeErrConflictInTxContinues checks that a duplicate notice
// inside a transaction fails alone: the transaction goes on and commits
// (PostgreSQL aborts a transaction on any error unless the statement ran
// under a savepoint or avoided the error).
func testCreateNoticeErrConflictInTxContinues(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	n1 := MustCreateNotice(t, ctx, s, m.ID, c.ID, c.ExpiresOn, kigen.D90)

	var n2, n3 *kigen.Notice
	var r2 *kigen.Resident
	err := s.InTx(ctx, func(tx store.Tx) error {
		n2 = &kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")}
		if err := tx.CreateNotice(ctx, m.ID, n2); err != nil {
			return fmt.Errorf("CreateNotice(d60): %w", err)
		}
		for _, st := range []kigen.Stage{kigen.D90, kigen.D60} {
			dup := &kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: st, TickDate: date("2027-05-02")}
			if err := tx.CreateNotice(ctx, m.ID, dup); !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("CreateNotice(duplicate %s): err = %v, want ErrConflict", st, err)
			}
		}
		n3 = &kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.D30, TickDate: date("2027-05-31")}
		if err := tx.CreateNotice(ctx, m.ID, n3); err != nil {
			return fmt.Errorf("CreateNotice(d30) after a conflict: %w", err)
		}
		r2 = &kigen.Resident{MunicipalityID: m.ID, Ref: "A-0002", Language: kigen.English, Status: kigen.FixedPeriod}
		if _, err := tx.UpsertResident(ctx, r2); err != nil {
			return fmt.Errorf("UpsertResident after a conflict: %w", err)
		}
		return nil
	})
	must(t, err, "InTx")

	if d := diff([]*kigen.Notice{n1, n2, n3}, listNotices(t, s, m.ID, c.ID)); d != "" {
		t.Errorf("ListNotices after the transaction mismatch (-want +got):\n%s", d)
	}
	got, err := s.GetResident(ctx, m.ID, r2.ID)
	must(t, err, "GetResident(written after the conflict)")
	if d := diff(r2, got); d != "" {
		t.Errorf("GetResident mismatch (-want +got):\n%s", d)
	}
}

func testListNoticesOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	c1 := MustUpsertCard(t, ctx, s, m.ID, r1.ID, kigen.ResidenceCard, date("2027-06-30"))
	c2 := MustUpsertCard(t, ctx, s, m.ID, r2.ID, kigen.MyNumberCard, date("2027-06-30"))
	c3 := MustUpsertCard(t, ctx, s, m.ID, r2.ID, kigen.MyNumberCert, date("2027-06-30"))
	// Interleaved, so that ordering by card would show.
	a := MustCreateNotice(t, ctx, s, m.ID, c2.ID, c2.ExpiresOn, kigen.D90)
	b := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D90)
	MustCreateNotice(t, ctx, s, m.ID, c3.ID, c3.ExpiresOn, kigen.D90)
	d := MustCreateNotice(t, ctx, s, m.ID, c2.ID, c2.ExpiresOn, kigen.D60)
	e := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D60)

	if df := diff([]*kigen.Notice{a, b, d, e}, listNotices(t, s, m.ID, c1.ID, c2.ID)); df != "" {
		t.Errorf("ListNotices mismatch (-want +got):\n%s", df)
	}
	if got := listNotices(t, s, m.ID); len(got) != 0 {
		t.Errorf("ListNotices() with no card returned %d notices", len(got))
	}
	if got := listNotices(t, s, m.ID, noSuchID); len(got) != 0 {
		t.Errorf("ListNotices(unknown card) returned %d notices", len(got))
	}
}
