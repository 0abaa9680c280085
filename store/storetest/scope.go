package storetest

import (
	"context"
	"testing"

	"kigen"
	"kigen/store"
)

// tenantView is everything a municipality's scoped reads return about two
// tenants' residents and cards, plus what the unscoped reads return.
type tenantView struct {
	Residents  []*kigen.Resident
	Contacts   []*kigen.Contact
	Cards      []*kigen.Card
	Notices    []*kigen.Notice
	Messages   []*kigen.Message
	Deliveries []*kigen.Delivery
	Due        []store.DueCard
}

// viewOf reads what municipalityID sees of the residents and cards of a
// and b (it should see only its own).
func viewOf(t *testing.T, ctx context.Context, q store.Queries, municipalityID int64, a, b *Tenant) tenantView {
	t.Helper()
	var v tenantView
	var err error
	v.Residents, err = q.ListResidents(ctx, store.ResidentFilter{MunicipalityID: municipalityID})
	must(t, err, "ListResidents")
	rids := []int64{a.Resident.ID, b.Resident.ID}
	v.Contacts = listContacts(t, q, municipalityID, rids...)
	v.Cards = listCards(t, q, municipalityID, rids...)
	v.Notices = listNotices(t, q, municipalityID, a.Card.ID, b.Card.ID)
	for _, tn := range []*Tenant{a, b} {
		m, err := q.GetMessage(ctx, tn.Message.ID)
		must(t, err, "GetMessage")
		v.Messages = append(v.Messages, m)
		ds, err := q.ListDeliveries(ctx, tn.Message.ID)
		must(t, err, "ListDeliveries")
		v.Deliveries = append(v.Deliveries, ds...)
	}
	v.Due, err = q.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	return v
}

// testScopeOtherMunicipality calls every scoped method with municipality
// A's ID and municipality B's rows: each must be ErrNotFound or an empty
// list, and change nothing.
func testScopeOtherMunicipality(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	bRes, bCard, bNotice := b.Resident, b.Card, b.Notice

	beforeA := viewOf(t, ctx, s, aid, a, b)
	beforeB := viewOf(t, ctx, s, b.Municipality.ID, a, b)
	if d := diff([]*kigen.Resident{a.Resident}, beforeA.Residents); d != "" {
		t.Fatalf("ListResidents(A) mismatch (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Contact{a.Contact}, beforeA.Contacts); d != "" {
		t.Fatalf("ListContacts(A, both residents) mismatch (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Card{a.Card}, beforeA.Cards); d != "" {
		t.Fatalf("ListCards(A, both residents) mismatch (-want +got):\n%s", d)
	}
	if d := diff([]*kigen.Notice{a.Notice}, beforeA.Notices); d != "" {
		t.Fatalf("ListNotices(A, both cards) mismatch (-want +got):\n%s", d)
	}

	for _, tc := range []struct {
		name string
		// call returns how many rows a list returned, or the error.
		call func(ctx context.Context, q store.Queries) (int, error)
		// wantErr is the error; nil means an empty list.
		wantErr error
	}{
		{"GetResident", func(ctx context.Context, q store.Queries) (int, error) {
			_, err := q.GetResident(ctx, aid, bRes.ID)
			return 0, err
		}, store.ErrNotFound},
		{"GetResidentByRef", func(ctx context.Context, q store.Queries) (int, error) {
			_, err := q.GetResidentByRef(ctx, aid, bRes.Ref)
			return 0, err
		}, store.ErrNotFound},
		{"ListResidents/AfterID", func(ctx context.Context, q store.Queries) (int, error) {
			rs, err := q.ListResidents(ctx, store.ResidentFilter{MunicipalityID: aid, AfterID: a.Resident.ID})
			return len(rs), err
		}, nil},
		{"UpsertContact", func(ctx context.Context, q store.Queries) (int, error) {
			c := &kigen.Contact{ResidentID: bRes.ID, Channel: b.Contact.Channel, Address: "x@example.com", Consent: false, OptedOut: true, Failed: true}
			return 0, q.UpsertContact(ctx, aid, c)
		}, store.ErrNotFound},
		{"UpsertContact/NewChannel", func(ctx context.Context, q store.Queries) (int, error) {
			c := &kigen.Contact{ResidentID: bRes.ID, Channel: kigen.SMS, Address: "+819099999999", Consent: true}
			return 0, q.UpsertContact(ctx, aid, c)
		}, store.ErrNotFound},
		{"DeleteContact", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.DeleteContact(ctx, aid, bRes.ID, b.Contact.Channel)
		}, store.ErrNotFound},
		{"UpsertCard", func(ctx context.Context, q store.Queries) (int, error) {
			c := &kigen.Card{ResidentID: bRes.ID, Kind: bCard.Kind, ExpiresOn: date("2040-01-01"), NextNoticeOn: date("2000-01-01")}
			return 0, q.UpsertCard(ctx, aid, c)
		}, store.ErrNotFound},
		{"UpsertCard/NewKind", func(ctx context.Context, q store.Queries) (int, error) {
			c := &kigen.Card{ResidentID: bRes.ID, Kind: kigen.MyNumberCard, ExpiresOn: date("2040-01-01"), NextNoticeOn: date("2000-01-01")}
			return 0, q.UpsertCard(ctx, aid, c)
		}, store.ErrNotFound},
		{"SetCardRenewalApplied", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.SetCardRenewalApplied(ctx, aid, bCard.ID, date("2027-05-01"))
		}, store.ErrNotFound},
		{"SetCardNextNoticeOn", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.SetCardNextNoticeOn(ctx, aid, bCard.ID, date("2000-01-01"))
		}, store.ErrNotFound},
		{"SetCardNextNoticeOn/Zero", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.SetCardNextNoticeOn(ctx, aid, bCard.ID, kigen.Date{})
		}, store.ErrNotFound},
		{"CreateNotice", func(ctx context.Context, q store.Queries) (int, error) {
			n := &kigen.Notice{CardID: bCard.ID, ExpiresOn: bCard.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")}
			return 0, q.CreateNotice(ctx, aid, n)
		}, store.ErrNotFound},
		{"CreateNotice/Duplicate", func(ctx context.Context, q store.Queries) (int, error) {
			// B's own key under A's ID: not found comes before conflict,
			// or A learns that B sent it.
			n := &kigen.Notice{CardID: bCard.ID, ExpiresOn: bNotice.ExpiresOn, Stage: bNotice.Stage, TickDate: bNotice.TickDate}
			return 0, q.CreateNotice(ctx, aid, n)
		}, store.ErrNotFound},
		{"CreateMessage", func(ctx context.Context, q store.Queries) (int, error) {
			m := &kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, Channel: kigen.Email, TickDate: date("2027-04-01"), State: kigen.MessagePlanned, NoticeIDs: []int64{bNotice.ID}}
			return 0, q.CreateMessage(ctx, m)
		}, store.ErrNotFound},
		{"DeleteCard", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.DeleteCard(ctx, aid, bRes.ID, bCard.Kind)
		}, store.ErrNotFound},
		{"DeleteResident", func(ctx context.Context, q store.Queries) (int, error) {
			return 0, q.DeleteResident(ctx, aid, bRes.ID)
		}, store.ErrNotFound},
		{"ListContacts", func(ctx context.Context, q store.Queries) (int, error) {
			cs, err := q.ListContacts(ctx, aid, bRes.ID)
			return len(cs), err
		}, nil},
		{"ListCards", func(ctx context.Context, q store.Queries) (int, error) {
			cs, err := q.ListCards(ctx, aid, bRes.ID)
			return len(cs), err
		}, nil},
		{"ListNotices", func(ctx context.Context, q store.Queries) (int, error) {
			ns, err := q.ListNotices(ctx, aid, bCard.ID)
			return len(ns), err
		}, nil},
	} {
		// Subtests run in order on the one store: none may change it.
		t.Run(tc.name, func(t *testing.T) {
			check := func(how string, n int, err error) {
				t.Helper()
				switch {
				case tc.wantErr != nil:
					wantErr(t, err, tc.wantErr, how)
				case err != nil:
					t.Errorf("%s: %v", how, err)
				case n != 0:
					t.Errorf("%s returned %d rows of another municipality", how, n)
				}
			}
			n, err := tc.call(ctx, s)
			check(tc.name, n, err)
			// The same inside a transaction, which then commits.
			txErr := s.InTx(ctx, func(tx store.Tx) error {
				n, err := tc.call(ctx, tx)
				check(tc.name+" in InTx", n, err)
				return nil
			})
			must(t, txErr, "InTx")
		})
	}

	if d := diff(beforeA, viewOf(t, ctx, s, aid, a, b)); d != "" {
		t.Errorf("the calls changed what A sees (-before +after):\n%s", d)
	}
	if d := diff(beforeB, viewOf(t, ctx, s, b.Municipality.ID, a, b)); d != "" {
		t.Errorf("the calls changed what B sees (-before +after):\n%s", d)
	}
}
