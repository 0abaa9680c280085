package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

func testUpsertResidentCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := &kigen.Resident{
		MunicipalityID: m.ID,
		Ref:            "A-0001",
		Name:           "Nguyen Van A",
		Language:       kigen.Vietnamese,
		Status:         kigen.FixedPeriod,
		Channel:        kigen.PrefBoth,
	}
	created, err := s.UpsertResident(ctx, r)
	must(t, err, "UpsertResident")
	if !created {
		t.Error("UpsertResident of a new ref reported created = false")
	}
	if r.ID == 0 {
		t.Error("UpsertResident did not set ID")
	}
	checkStamps(t, "UpsertResident", r.CreatedAt, r.UpdatedAt)

	got, err := s.GetResident(ctx, m.ID, r.ID)
	must(t, err, "GetResident")
	if d := diff(r, got); d != "" {
		t.Errorf("GetResident mismatch (-want +got):\n%s", d)
	}
	checkStamps(t, "GetResident", got.CreatedAt, got.UpdatedAt)

	// Every choice of channel and status round-trips, the default ("")
	// included.
	for i, tc := range []struct {
		status  kigen.Status
		channel kigen.ChannelPref
	}{
		{kigen.Permanent, kigen.PrefDefault},
		{kigen.SpecialPermanent, kigen.PrefEmail},
		{kigen.FixedPeriod, kigen.PrefSMS},
	} {
		r := &kigen.Resident{
			MunicipalityID: m.ID,
			Ref:            fmt.Sprintf("B-%04d", i),
			Language:       kigen.Languages[i],
			Status:         tc.status,
			Channel:        tc.channel,
		}
		_, err := s.UpsertResident(ctx, r)
		must(t, err, "UpsertResident")
		got, err := s.GetResident(ctx, m.ID, r.ID)
		must(t, err, "GetResident")
		if d := diff(r, got); d != "" {
			t.Errorf("GetResident(%s) mismatch (-want +got):\n%s", r.Ref, d)
		}
	}
}

func testUpsertResidentUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	first := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	other := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	advance(t, s)

	r := &kigen.Resident{
		MunicipalityID: m.ID,
		Ref:            "A-0001",
		Name:           "",
		Language:       kigen.Nepali,
		Status:         kigen.Permanent,
		Channel:        kigen.PrefSMS,
	}
	created, err := s.UpsertResident(ctx, r)
	must(t, err, "UpsertResident(same ref)")
	if created {
		t.Error("UpsertResident of an existing ref reported created = true")
	}
	if r.ID != first.ID {
		t.Errorf("UpsertResident(same ref) set ID %d, want %d", r.ID, first.ID)
	}
	checkStamps(t, "UpsertResident(same ref)", r.CreatedAt, r.UpdatedAt)
	if diff(first.CreatedAt, r.CreatedAt) != "" {
		t.Errorf("UpsertResident(same ref) set CreatedAt %v, want the original %v", r.CreatedAt, first.CreatedAt)
	}

	got, err := s.GetResident(ctx, m.ID, first.ID)
	must(t, err, "GetResident")
	want := *r
	want.CreatedAt = first.CreatedAt
	if d := diff(&want, got, cmpopts.IgnoreFields(kigen.Resident{}, "UpdatedAt")); d != "" {
		t.Errorf("GetResident after update mismatch (-want +got):\n%s", d)
	}
	if !got.UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got.UpdatedAt, first.UpdatedAt)
	}

	gotOther, err := s.GetResident(ctx, m.ID, other.ID)
	must(t, err, "GetResident(other)")
	if d := diff(other, gotOther); d != "" {
		t.Errorf("the update changed another resident (-want +got):\n%s", d)
	}
	all, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: m.ID})
	must(t, err, "ListResidents")
	if len(all) != 2 {
		t.Errorf("ListResidents returned %d residents, want 2", len(all))
	}
}

func testUpsertResidentSameRefTwoMunicipalities(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	ra := &kigen.Resident{MunicipalityID: a.ID, Ref: "0001", Language: kigen.English, Status: kigen.FixedPeriod}
	rb := &kigen.Resident{MunicipalityID: b.ID, Ref: "0001", Language: kigen.Chinese, Status: kigen.Permanent}
	for _, r := range []*kigen.Resident{ra, rb} {
		created, err := s.UpsertResident(ctx, r)
		must(t, err, "UpsertResident")
		if !created {
			t.Errorf("UpsertResident(municipality %d) reported created = false", r.MunicipalityID)
		}
	}
	if ra.ID == rb.ID {
		t.Fatalf("the same ref in two municipalities gave one resident (ID %d)", ra.ID)
	}
	for _, r := range []*kigen.Resident{ra, rb} {
		got, err := s.GetResidentByRef(ctx, r.MunicipalityID, "0001")
		must(t, err, "GetResidentByRef")
		if d := diff(r, got); d != "" {
			t.Errorf("GetResidentByRef(%d) mismatch (-want +got):\n%s", r.MunicipalityID, d)
		}
	}
}

func testUpsertResidentErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := &kigen.Resident{MunicipalityID: noSuchID, Ref: "0001", Language: kigen.English, Status: kigen.FixedPeriod}
	_, err := s.UpsertResident(ctx, r)
	wantErr(t, err, store.ErrNotFound, "UpsertResident(unknown municipality)")
}

func testUpsertResidentConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	const workers, each = 4, 10
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r := &kigen.Resident{
					MunicipalityID: m.ID,
					Ref:            fmt.Sprintf("W%d-%02d", w, i),
					Language:       kigen.English,
					Status:         kigen.FixedPeriod,
				}
				upsert := func(ctx context.Context, q store.Queries) error {
					created, err := q.UpsertResident(ctx, r)
					if err == nil && !created {
						err = fmt.Errorf("created = false for a new ref")
					}
					return err
				}
				var err error
				if w%2 == 0 {
					err = upsert(ctx, s)
				} else {
					// Half the workers go through transactions, which
					// must not deadlock with the direct calls.
					err = s.InTx(ctx, func(tx store.Tx) error { return upsert(ctx, tx) })
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("UpsertResident(%s): %w", r.Ref, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	all, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: m.ID})
	must(t, err, "ListResidents")
	if len(all) != workers*each {
		t.Errorf("ListResidents returned %d residents, want %d", len(all), workers*each)
	}
}

func testGetResidentOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	for _, r := range []*kigen.Resident{r1, r2} {
		got, err := s.GetResident(ctx, m.ID, r.ID)
		must(t, err, "GetResident")
		if d := diff(r, got); d != "" {
			t.Errorf("GetResident(%d) mismatch (-want +got):\n%s", r.ID, d)
		}
		got, err = s.GetResidentByRef(ctx, m.ID, r.Ref)
		must(t, err, "GetResidentByRef")
		if d := diff(r, got); d != "" {
			t.Errorf("GetResidentByRef(%s) mismatch (-want +got):\n%s", r.Ref, d)
		}
	}
}

func testGetResidentErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	_, err := s.GetResident(ctx, m.ID, r.ID+1)
	wantErr(t, err, store.ErrNotFound, "GetResident(unknown ID)")
	_, err = s.GetResident(ctx, noSuchID, r.ID)
	wantErr(t, err, store.ErrNotFound, "GetResident(unknown municipality)")
	_, err = s.GetResidentByRef(ctx, m.ID, "A-0002")
	wantErr(t, err, store.ErrNotFound, "GetResidentByRef(unknown ref)")
	_, err = s.GetResidentByRef(ctx, noSuchID, r.Ref)
	wantErr(t, err, store.ErrNotFound, "GetResidentByRef(unknown municipality)")
}

func testListResidentsPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	var want []*kigen.Resident
	for i := range 5 {
		// Refs in descending order, so that ordering by ref would show.
		want = append(want, MustUpsertResident(t, ctx, s, a.ID, fmt.Sprintf("A-%04d", 9-i)))
		MustUpsertResident(t, ctx, s, b.ID, fmt.Sprintf("B-%04d", i))
	}

	all, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: a.ID})
	must(t, err, "ListResidents")
	if d := diff(want, all); d != "" {
		t.Fatalf("ListResidents(all) mismatch (-want +got):\n%s", d)
	}

	var pages [][]*kigen.Resident
	after := int64(0)
	for range 4 {
		page, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: a.ID, AfterID: after, Limit: 2})
		must(t, err, "ListResidents(page)")
		pages = append(pages, page)
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
	}
	wantPages := [][]*kigen.Resident{want[0:2], want[2:4], want[4:5], nil}
	if d := diff(wantPages, pages); d != "" {
		t.Errorf("ListResidents pages mismatch (-want +got):\n%s", d)
	}

	got, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: a.ID, AfterID: want[1].ID, Limit: 100})
	must(t, err, "ListResidents(AfterID)")
	if d := diff(want[2:], got); d != "" {
		t.Errorf("ListResidents(AfterID, large limit) mismatch (-want +got):\n%s", d)
	}

	got, err = s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: noSuchID})
	must(t, err, "ListResidents(unknown municipality)")
	if len(got) != 0 {
		t.Errorf("ListResidents(unknown municipality) returned %d residents", len(got))
	}
}

func testListResidentsDefaultLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	const n = 1001
	must(t, s.InTx(ctx, func(tx store.Tx) error {
		for i := range n {
			r := &kigen.Resident{MunicipalityID: m.ID, Ref: fmt.Sprintf("R%05d", i), Language: kigen.English, Status: kigen.FixedPeriod}
			if _, err := tx.UpsertResident(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}), "InTx(UpsertResident ×1001)")

	got, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: m.ID})
	must(t, err, "ListResidents(Limit 0)")
	if len(got) != 1000 {
		t.Fatalf("ListResidents(Limit 0) returned %d residents, want 1000", len(got))
	}
	rest, err := s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: m.ID, AfterID: got[len(got)-1].ID})
	must(t, err, "ListResidents(AfterID, Limit 0)")
	if len(rest) != 1 || rest[0].Ref != "R01000" {
		t.Errorf("the page after 1000 residents has %d residents, want only R01000", len(rest))
	}
}

func testDeleteResidentOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	mid := tn.Municipality.ID
	MustUpsertContact(t, ctx, s, mid, tn.Resident.ID, kigen.SMS, "+819000000001")
	MustUpsertCard(t, ctx, s, mid, tn.Resident.ID, kigen.MyNumberCert, date("2029-03-31"))
	kept := MustUpsertResident(t, ctx, s, mid, "012033-r2")
	keptContact := MustUpsertContact(t, ctx, s, mid, kept.ID, kigen.Email, "r2@012033.example")
	keptCard := MustUpsertCard(t, ctx, s, mid, kept.ID, kigen.MyNumberCard, date("2030-01-31"))

	must(t, s.DeleteResident(ctx, mid, tn.Resident.ID), "DeleteResident")

	_, err := s.GetResident(ctx, mid, tn.Resident.ID)
	wantErr(t, err, store.ErrNotFound, "GetResident(deleted)")
	_, err = s.GetResidentByRef(ctx, mid, tn.Resident.Ref)
	wantErr(t, err, store.ErrNotFound, "GetResidentByRef(deleted)")
	contacts, err := s.ListContacts(ctx, mid, tn.Resident.ID)
	must(t, err, "ListContacts(deleted)")
	if len(contacts) != 0 {
		t.Errorf("ListContacts(deleted) returned %d contacts, want none", len(contacts))
	}
	cards, err := s.ListCards(ctx, mid, tn.Resident.ID)
	must(t, err, "ListCards(deleted)")
	if len(cards) != 0 {
		t.Errorf("ListCards(deleted) returned %d cards, want none", len(cards))
	}
	due, err := s.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	for _, dc := range due {
		if dc.CardID == tn.Card.ID {
			t.Errorf("ListDueCards still returns card %d of the deleted resident", dc.CardID)
		}
	}

	// The message stays, detached from the person, with its notice and
	// its deliveries.
	msg, err := s.GetMessage(ctx, tn.Message.ID)
	must(t, err, "GetMessage(of the deleted resident)")
	want := *tn.Message
	want.ResidentID = 0
	if d := diff(&want, msg); d != "" {
		t.Errorf("GetMessage after DeleteResident mismatch (-want +got):\n%s", d)
	}
	ds, err := s.ListDeliveries(ctx, tn.Message.ID)
	must(t, err, "ListDeliveries")
	if d := diff([]*kigen.Delivery{tn.Delivery}, ds); d != "" {
		t.Errorf("ListDeliveries after DeleteResident mismatch (-want +got):\n%s", d)
	}

	// The other resident is untouched.
	gotKept, err := s.GetResident(ctx, mid, kept.ID)
	must(t, err, "GetResident(kept)")
	if d := diff(kept, gotKept); d != "" {
		t.Errorf("DeleteResident changed another resident (-want +got):\n%s", d)
	}
	contacts, err = s.ListContacts(ctx, mid, kept.ID)
	must(t, err, "ListContacts(kept)")
	if d := diff([]*kigen.Contact{keptContact}, contacts); d != "" {
		t.Errorf("DeleteResident changed another resident's contacts (-want +got):\n%s", d)
	}
	cards, err = s.ListCards(ctx, mid, kept.ID)
	must(t, err, "ListCards(kept)")
	if d := diff([]*kigen.Card{keptCard}, cards); d != "" {
		t.Errorf("DeleteResident changed another resident's cards (-want +got):\n%s", d)
	}

	// The ref is free again: a new upsert creates a new resident.
	r := &kigen.Resident{MunicipalityID: mid, Ref: tn.Resident.Ref, Language: kigen.English, Status: kigen.FixedPeriod}
	created, err := s.UpsertResident(ctx, r)
	must(t, err, "UpsertResident(ref of the deleted resident)")
	if !created {
		t.Error("UpsertResident(ref of the deleted resident) reported created = false")
	}
}

func testDeleteResidentErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	wantErr(t, s.DeleteResident(ctx, m.ID, r.ID+1), store.ErrNotFound, "DeleteResident(unknown ID)")
	wantErr(t, s.DeleteResident(ctx, noSuchID, r.ID), store.ErrNotFound, "DeleteResident(unknown municipality)")
	must(t, s.DeleteResident(ctx, m.ID, r.ID), "DeleteResident")
	wantErr(t, s.DeleteResident(ctx, m.ID, r.ID), store.ErrNotFound, "DeleteResident(twice)")
}
