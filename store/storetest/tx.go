package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// afterTx bounds the calls a case makes after a transaction it expects to
// be over: a backend that leaked the transaction (on SQLite, the one
// connection) would otherwise hang the test until its timeout.
const afterTx = 30 * time.Second

func testInTxCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	var r *kigen.Resident
	var c *kigen.Card
	calls := 0
	err := s.InTx(ctx, func(tx store.Tx) error {
		calls++
		r = MustUpsertResident(t, ctx, tx, m.ID, "A-0001")
		c = MustUpsertCard(t, ctx, tx, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
		// The transaction reads its own writes.
		got, err := tx.GetResident(ctx, m.ID, r.ID)
		if err != nil {
			return err
		}
		if d := diff(r, got); d != "" {
			t.Errorf("GetResident inside the transaction mismatch (-want +got):\n%s", d)
		}
		return nil
	})
	must(t, err, "InTx")
	if calls != 1 {
		t.Errorf("InTx ran fn %d times, want 1", calls)
	}

	got, err := s.GetResident(ctx, m.ID, r.ID)
	must(t, err, "GetResident after commit")
	if d := diff(r, got); d != "" {
		t.Errorf("GetResident after commit mismatch (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Card{c}, listCards(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("ListCards after commit mismatch (-want +got):\n%s", d)
	}
}

// txWrites writes to every table inside tx: it renames municipality a,
// creates a municipality, and gives a's resident a new contact, card,
// notice, message and delivery, and a new resident.
func txWrites(t *testing.T, ctx context.Context, tx store.Tx, tn *Tenant) {
	t.Helper()
	m := *tn.Municipality
	m.Name = "renamed"
	must(t, tx.UpdateMunicipality(ctx, &m), "UpdateMunicipality")
	MustCreateMunicipality(t, ctx, tx, "999999")
	mid, rid := tn.Municipality.ID, tn.Resident.ID
	MustUpsertResident(t, ctx, tx, mid, "A-0002")
	MustUpsertContact(t, ctx, tx, mid, rid, kigen.SMS, "+819012345678")
	c := MustUpsertCard(t, ctx, tx, mid, rid, kigen.MyNumberCard, date("2027-06-30"))
	must(t, tx.SetCardNextNoticeOn(ctx, mid, tn.Card.ID, kigen.Date{}), "SetCardNextNoticeOn")
	n := MustCreateNotice(t, ctx, tx, mid, c.ID, c.ExpiresOn, kigen.D90)
	msg := MustCreateMessage(t, ctx, tx, mid, rid, kigen.SMS, n.TickDate, n.ID, tn.Notice.ID)
	MustCreateDelivery(t, ctx, tx, msg.ID, "outbox")
	must(t, tx.SetMessageState(ctx, tn.Message.ID, kigen.MessageSent), "SetMessageState")
}

// checkUntouched fails the test unless the store holds exactly tn and its
// municipality's resident list is just tn.Resident.
func checkUntouched(t *testing.T, ctx context.Context, s store.Store, tn *Tenant) {
	t.Helper()
	mid, rid := tn.Municipality.ID, tn.Resident.ID
	m, err := s.GetMunicipality(ctx, mid)
	must(t, err, "GetMunicipality")
	if d := diff(tn.Municipality, m); d != "" {
		t.Errorf("municipality changed (-want +got):\n%s", d)
	}
	ms, err := s.ListMunicipalities(ctx)
	must(t, err, "ListMunicipalities")
	if d := diff([]*kigen.Municipality{tn.Municipality}, ms); d != "" {
		t.Errorf("municipalities changed (-want +got):\n%s", d)
	}
	rs, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: mid})
	must(t, err, "ListResidents")
	if d := diff([]*kigen.Resident{tn.Resident}, rs); d != "" {
		t.Errorf("residents changed (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Contact{tn.Contact}, listContacts(t, s, mid, rid)); d != "" {
		t.Errorf("contacts changed (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Card{tn.Card}, listCards(t, s, mid, rid)); d != "" {
		t.Errorf("cards changed (-want +got):\n%s", d)
	}
	due, err := s.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	wantDue := []store.DueCard{{CardID: tn.Card.ID, MunicipalityID: mid, ResidentID: rid, NextNoticeOn: tn.Card.NextNoticeOn}}
	if d := diff(wantDue, due); d != "" {
		t.Errorf("due cards changed (-want +got):\n%s", d)
	}
	msg, err := s.GetMessage(ctx, tn.Message.ID)
	must(t, err, "GetMessage")
	if d := diff(tn.Message, msg); d != "" {
		t.Errorf("message changed (-want +got):\n%s", d)
	}
	for id := tn.Message.ID + 1; id < tn.Message.ID+5; id++ {
		_, err := s.GetMessage(ctx, id)
		wantErr(t, err, store.ErrNotFound, "GetMessage(written by the rolled-back transaction)")
	}
	ds, err := s.ListDeliveries(ctx, tn.Message.ID)
	must(t, err, "ListDeliveries")
	if d := diff([]*kigen.Delivery{tn.Delivery}, ds); d != "" {
		t.Errorf("deliveries changed (-want +got):\n%s", d)
	}
	for id := tn.Delivery.ID + 1; id < tn.Delivery.ID+5; id++ {
		_, err := s.GetDelivery(ctx, id)
		wantErr(t, err, store.ErrNotFound, "GetDelivery(written by the rolled-back transaction)")
	}
}

var errRollback = errors.New("storetest: roll back")

func testInTxRollbackOnError(t *testing.T, s store.Store) {
	tn := MustCreateTenant(t, t.Context(), s, "012033")
	err := s.InTx(t.Context(), func(tx store.Tx) error {
		txWrites(t, t.Context(), tx, tn)
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Errorf("InTx returned %v, want fn's error", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), afterTx)
	defer cancel()
	checkUntouched(t, ctx, s, tn)
}

// storetestPanic is the value fn panics with.
type storetestPanic struct{ msg string }

func testInTxRollbackOnPanic(t *testing.T, s store.Store) {
	tn := MustCreateTenant(t, t.Context(), s, "012033")
	want := storetestPanic{"boom"}
	func() {
		defer func() {
			if r := recover(); r != want {
				t.Errorf("InTx: recovered %v, want fn's panic %v re-raised", r, want)
			}
		}()
		err := s.InTx(t.Context(), func(tx store.Tx) error {
			txWrites(t, t.Context(), tx, tn)
			panic(want)
		})
		t.Errorf("InTx returned %v after fn panicked; want the panic re-raised", err)
	}()
	ctx, cancel := context.WithTimeout(t.Context(), afterTx)
	defer cancel()
	checkUntouched(t, ctx, s, tn)
	// The store is usable after the panic.
	MustCreateMunicipality(t, ctx, s, "131016")
}

func testInTxDriver(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		if tx.Driver() == nil {
			t.Error("Tx.Driver() is nil")
		}
		return nil
	}), "InTx")
}

func testMigrateIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	must(t, s.Migrate(ctx), "Migrate(again)")
	must(t, s.Migrate(ctx), "Migrate(a third time)")
	got, err := s.GetMunicipality(ctx, m.ID)
	must(t, err, "GetMunicipality after Migrate")
	if d := diff(m, got); d != "" {
		t.Errorf("Migrate changed data (-want +got):\n%s", d)
	}
}

func testPingOK(t *testing.T, s store.Store) {
	must(t, s.Ping(t.Context()), "Ping")
}
