package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// listContacts returns the resident's contacts, failing the test on error.
func listContacts(t *testing.T, q store.Queries, municipalityID int64, residentIDs ...int64) []*kigen.Contact {
	t.Helper()
	cs, err := q.ListContacts(t.Context(), municipalityID, residentIDs...)
	must(t, err, "ListContacts")
	return cs
}

func testUpsertContactCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: "a@example.com", Consent: true}
	must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact")
	if c.ID == 0 {
		t.Error("UpsertContact did not set ID")
	}
	checkStamps(t, "UpsertContact", c.CreatedAt, c.UpdatedAt)

	sms := &kigen.Contact{ResidentID: r.ID, Channel: kigen.SMS, Address: "+819012345678", Consent: false, OptedOut: true, Failed: true}
	must(t, s.UpsertContact(ctx, m.ID, sms), "UpsertContact(sms)")
	if sms.ID == c.ID {
		t.Errorf("two channels share contact ID %d", c.ID)
	}

	got := listContacts(t, s, m.ID, r.ID)
	if d := diff([]*kigen.Contact{c, sms}, got); d != "" {
		t.Errorf("ListContacts mismatch (-want +got):\n%s", d)
	}
	for _, c := range got {
		checkStamps(t, "ListContacts", c.CreatedAt, c.UpdatedAt)
	}
}

func testUpsertContactUpdateByChannel(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	first := MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "a@example.com")
	sms := MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.SMS, "+819012345678")
	advance(t, s)

	c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: "b@example.com", Consent: false}
	must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact(same channel)")
	if c.ID != first.ID {
		t.Errorf("UpsertContact(same channel) set ID %d, want %d", c.ID, first.ID)
	}
	checkStamps(t, "UpsertContact(same channel)", c.CreatedAt, c.UpdatedAt)

	got := listContacts(t, s, m.ID, r.ID)
	want := *c
	want.CreatedAt = first.CreatedAt
	if d := diff([]*kigen.Contact{&want, sms}, got, cmpopts.IgnoreFields(kigen.Contact{}, "UpdatedAt")); d != "" {
		t.Errorf("ListContacts after update mismatch (-want +got):\n%s", d)
	}
	if len(got) > 0 && !got[0].UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got[0].UpdatedAt, first.UpdatedAt)
	}
}

func testUpsertContactChangedAddressClearsFailed(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: "old@example.com", Consent: true, Failed: true}
	must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact")
	if got := listContacts(t, s, m.ID, r.ID); len(got) != 1 || !got[0].Failed {
		t.Fatalf("a new contact stored with Failed = true does not read back failed: %v", got)
	}

	// The caller passes the stored Failed along with a new address: the
	// new address gets a new chance anyway. OptedOut is kept as given.
	c = &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: "new@example.com", Consent: true, OptedOut: true, Failed: true}
	must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact(new address)")
	got := listContacts(t, s, m.ID, r.ID)
	if len(got) != 1 {
		t.Fatalf("ListContacts returned %d contacts, want 1", len(got))
	}
	if got[0].Failed {
		t.Error("a changed address did not clear Failed")
	}
	if !got[0].OptedOut {
		t.Error("a changed address cleared OptedOut")
	}
	if got[0].Address != "new@example.com" {
		t.Errorf("Address = %q, want the new one", got[0].Address)
	}
}

func testUpsertContactSameAddressKeepsFailed(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.SMS, "+819012345678")

	// With an unchanged address, Failed is stored as given, both ways.
	for _, failed := range []bool{true, true, false} {
		c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.SMS, Address: "+819012345678", Consent: true, Failed: failed}
		must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact(same address)")
		got := listContacts(t, s, m.ID, r.ID)
		if len(got) != 1 {
			t.Fatalf("ListContacts returned %d contacts, want 1", len(got))
		}
		if got[0].Failed != failed {
			t.Errorf("UpsertContact(same address, Failed %t) stored Failed = %t", failed, got[0].Failed)
		}
	}
}

func testUpsertContactOptedOutAsGiven(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	for _, tc := range []struct {
		name     string
		address  string
		consent  bool
		optedOut bool
	}{
		{"new, opted out", "a@example.com", true, true},
		{"same address, still opted out", "a@example.com", true, true},
		{"new address, opted out", "b@example.com", false, true},
		{"same address, opted back in", "b@example.com", true, false},
		{"new address, opted out again", "c@example.com", true, true},
	} {
		c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: tc.address, Consent: tc.consent, OptedOut: tc.optedOut}
		must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact("+tc.name+")")
		got := listContacts(t, s, m.ID, r.ID)
		if len(got) != 1 {
			t.Fatalf("%s: ListContacts returned %d contacts, want 1", tc.name, len(got))
		}
		if got[0].OptedOut != tc.optedOut || got[0].Consent != tc.consent {
			t.Errorf("%s: stored OptedOut %t, Consent %t; want %t, %t", tc.name, got[0].OptedOut, got[0].Consent, tc.optedOut, tc.consent)
		}
	}
}

func testUpsertContactErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")

	c := &kigen.Contact{ResidentID: rb.ID + 1, Channel: kigen.Email, Address: "a@example.com", Consent: true}
	wantErr(t, s.UpsertContact(ctx, a.ID, c), store.ErrNotFound, "UpsertContact(unknown resident)")
	c = &kigen.Contact{ResidentID: rb.ID, Channel: kigen.Email, Address: "a@example.com", Consent: true}
	wantErr(t, s.UpsertContact(ctx, a.ID, c), store.ErrNotFound, "UpsertContact(resident of another municipality)")
	wantErr(t, s.UpsertContact(ctx, noSuchID, c), store.ErrNotFound, "UpsertContact(unknown municipality)")

	if got := listContacts(t, s, b.ID, rb.ID); len(got) != 0 {
		t.Errorf("failed upserts stored %d contacts", len(got))
	}
	if got := listContacts(t, s, a.ID, rb.ID, rb.ID+1); len(got) != 0 {
		t.Errorf("failed upserts stored %d contacts", len(got))
	}
}

func testListContactsOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	r3 := MustUpsertResident(t, ctx, s, m.ID, "A-0003")
	// Created in the reverse of the wanted order, so that ordering by ID
	// would show.
	r2sms := MustUpsertContact(t, ctx, s, m.ID, r2.ID, kigen.SMS, "+819000000002")
	r2email := MustUpsertContact(t, ctx, s, m.ID, r2.ID, kigen.Email, "r2@example.com")
	r1sms := MustUpsertContact(t, ctx, s, m.ID, r1.ID, kigen.SMS, "+819000000001")
	r1email := MustUpsertContact(t, ctx, s, m.ID, r1.ID, kigen.Email, "r1@example.com")
	MustUpsertContact(t, ctx, s, m.ID, r3.ID, kigen.Email, "r3@example.com")

	got := listContacts(t, s, m.ID, r2.ID, r1.ID)
	want := []*kigen.Contact{r1email, r1sms, r2email, r2sms}
	if d := diff(want, got); d != "" {
		t.Errorf("ListContacts mismatch (-want +got):\n%s", d)
	}
	if got := listContacts(t, s, m.ID); len(got) != 0 {
		t.Errorf("ListContacts() with no resident returned %d contacts", len(got))
	}
	if got := listContacts(t, s, m.ID, noSuchID); len(got) != 0 {
		t.Errorf("ListContacts(unknown resident) returned %d contacts", len(got))
	}
}

func testDeleteContactOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "a@example.com")
	sms := MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.SMS, "+819012345678")

	must(t, s.DeleteContact(ctx, m.ID, r.ID, kigen.Email), "DeleteContact")
	if d := diff([]*kigen.Contact{sms}, listContacts(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("ListContacts after DeleteContact mismatch (-want +got):\n%s", d)
	}
	wantErr(t, s.DeleteContact(ctx, m.ID, r.ID, kigen.Email), store.ErrNotFound, "DeleteContact(twice)")

	// The channel is free again.
	c := MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "b@example.com")
	if d := diff([]*kigen.Contact{c, sms}, listContacts(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("ListContacts after a new upsert mismatch (-want +got):\n%s", d)
	}
}

func testDeleteContactErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	ra := MustUpsertResident(t, ctx, s, a.ID, "A-0001")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")
	cb := MustUpsertContact(t, ctx, s, b.ID, rb.ID, kigen.Email, "b@example.com")

	wantErr(t, s.DeleteContact(ctx, a.ID, ra.ID, kigen.Email), store.ErrNotFound, "DeleteContact(no contact on the channel)")
	wantErr(t, s.DeleteContact(ctx, a.ID, noSuchID, kigen.Email), store.ErrNotFound, "DeleteContact(unknown resident)")
	wantErr(t, s.DeleteContact(ctx, a.ID, rb.ID, kigen.Email), store.ErrNotFound, "DeleteContact(resident of another municipality)")
	wantErr(t, s.DeleteContact(ctx, b.ID, rb.ID, kigen.SMS), store.ErrNotFound, "DeleteContact(other channel)")
	if d := diff([]*kigen.Contact{cb}, listContacts(t, s, b.ID, rb.ID)); d != "" {
		t.Errorf("failed deletes changed the contacts (-want +got):\n%s", d)
	}
}
