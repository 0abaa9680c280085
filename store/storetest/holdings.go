package storetest

import (
	"cmp"
	"slices"
	"testing"

	"kigen"
	"kigen/store"
)

// testListHoldingsMatchesHoldingsOf reads residents of three municipalities
// at once and finds what HoldingsOf finds municipality by municipality, in
// the order of the keys — except that of the notices it reads only the
// keys of those for each card's current expiry.
func testListHoldingsMatchesHoldingsOf(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	c := MustCreateTenant(t, ctx, s, "271004")
	aid, bid := a.Municipality.ID, b.Municipality.ID
	// A second resident of a, with two contacts, two cards, notices on both.
	r := MustUpsertResident(t, ctx, s, aid, "A-0002")
	MustUpsertContact(t, ctx, s, aid, r.ID, kigen.SMS, "+819012345678")
	MustUpsertContact(t, ctx, s, aid, r.ID, kigen.Email, "a2@example.com")
	c1 := MustUpsertCard(t, ctx, s, aid, r.ID, kigen.MyNumberCard, date("2027-09-30"))
	c2 := MustUpsertCard(t, ctx, s, aid, r.ID, kigen.ResidenceCard, date("2027-08-31"))
	MustCreateNotice(t, ctx, s, aid, c2.ID, c2.ExpiresOn, kigen.D60)
	MustCreateNotice(t, ctx, s, aid, c1.ID, c1.ExpiresOn, kigen.D90)
	MustCreateNotice(t, ctx, s, aid, c2.ID, date("2022-08-31"), kigen.Expired)
	// A resident of b with nothing else.
	bare := MustUpsertResident(t, ctx, s, bid, "B-0002")

	keys := []store.ResidentKey{
		{MunicipalityID: bid, ResidentID: bare.ID},
		{MunicipalityID: aid, ResidentID: r.ID},
		{MunicipalityID: c.Municipality.ID, ResidentID: c.Resident.ID},
		{MunicipalityID: aid, ResidentID: a.Resident.ID},
		{MunicipalityID: bid, ResidentID: b.Resident.ID},
		{MunicipalityID: aid, ResidentID: r.ID}, // again: once
	}
	var want []*store.Holding
	for _, k := range keys[:5] {
		res, err := s.GetResident(ctx, k.MunicipalityID, k.ResidentID)
		must(t, err, "GetResident")
		hs, err := store.HoldingsOf(ctx, s, k.MunicipalityID, []*kigen.Resident{res})
		must(t, err, "HoldingsOf")
		want = append(want, hs...)
	}
	for _, h := range want {
		h.Notices = currentNoticeKeys(h)
	}
	for _, q := range []struct {
		name string
		run  func(keys []store.ResidentKey) ([]*store.Holding, error)
	}{
		{"Store", func(keys []store.ResidentKey) ([]*store.Holding, error) { return s.ListHoldings(ctx, keys) }},
		{"Tx", func(keys []store.ResidentKey) (hs []*store.Holding, err error) {
			err = s.InTx(ctx, func(tx store.Tx) error {
				hs, err = tx.ListHoldings(ctx, keys)
				return err
			})
			return hs, err
		}},
	} {
		got, err := q.run(keys)
		must(t, err, "ListHoldings on the "+q.name)
		for _, h := range got {
			slices.SortFunc(h.Notices, compareNoticeKeys)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("ListHoldings on the %s mismatch (-want +got):\n%s", q.name, d)
		}
	}
	// Not the notice for the residence card's earlier expiry.
	if got := want[1]; len(got.Contacts) != 2 || len(got.Cards) != 2 || len(got.Notices) != 2 {
		t.Errorf("the second resident's holding has %d contacts, %d cards, %d notices; want 2, 2, 2",
			len(got.Contacts), len(got.Cards), len(got.Notices))
	}
}

// testListHoldingsScoped: a key pairing a resident with another
// municipality reads nothing of that resident.
func testListHoldingsScoped(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	got, err := s.ListHoldings(ctx, []store.ResidentKey{
		{MunicipalityID: a.Municipality.ID, ResidentID: b.Resident.ID},
		{MunicipalityID: b.Municipality.ID, ResidentID: a.Resident.ID},
		{MunicipalityID: a.Municipality.ID, ResidentID: noSuchID},
		{MunicipalityID: b.Municipality.ID, ResidentID: b.Resident.ID},
	})
	must(t, err, "ListHoldings")
	if len(got) != 1 || got[0].Resident.ID != b.Resident.ID {
		t.Fatalf("ListHoldings = %d holdings, want only b's resident", len(got))
	}
	h := got[0]
	if len(h.Contacts) != 1 || len(h.Cards) != 1 || len(h.Notices) != 1 ||
		h.Contacts[0].ID != b.Contact.ID || h.Cards[0].ID != b.Card.ID || h.Notices[0].Key() != b.Notice.Key() {
		t.Errorf("b's holding = %+v, want its own contact, card and notice only", h)
	}
}

// testCreateNoticesAcrossMunicipalities records notices of two
// municipalities in one call, each under its own.
func testCreateNoticesAcrossMunicipalities(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	tick := date("2027-05-01")
	na := &kigen.Notice{CardID: a.Card.ID, ExpiresOn: a.Card.ExpiresOn, Stage: kigen.D60, TickDate: tick}
	nb := &kigen.Notice{CardID: b.Card.ID, ExpiresOn: b.Card.ExpiresOn, Stage: kigen.D60, TickDate: tick}
	// A card under the other's municipality: nothing is written.
	_, err := s.CreateNotices(ctx, []store.ScopedNotice{
		{MunicipalityID: a.Municipality.ID, Notice: na},
		{MunicipalityID: a.Municipality.ID, Notice: nb},
	})
	wantErr(t, err, store.ErrNotFound, "CreateNotices(b's card under a)")
	if got := listNotices(t, s, a.Municipality.ID, a.Card.ID); len(got) != 1 {
		t.Errorf("a's card has %d notices after ErrNotFound, want 1", len(got))
	}

	created, err := s.CreateNotices(ctx, []store.ScopedNotice{
		{MunicipalityID: a.Municipality.ID, Notice: na},
		{MunicipalityID: b.Municipality.ID, Notice: nb},
	})
	must(t, err, "CreateNotices(a's and b's)")
	if d := diff([]bool{true, true}, created); d != "" {
		t.Errorf("created mismatch (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		tn *Tenant
		n  *kigen.Notice
	}{{a, na}, {b, nb}} {
		got := listNotices(t, s, tc.tn.Municipality.ID, tc.tn.Card.ID)
		if d := diff([]*kigen.Notice{tc.tn.Notice, tc.n}, got); d != "" {
			t.Errorf("notices of %s mismatch (-want +got):\n%s", tc.tn.Municipality.Code, d)
		}
	}
}

// testCreateMessagesAcrossMunicipalities records messages of two
// municipalities in one call, each under its own.
func testCreateMessagesAcrossMunicipalities(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	na := MustCreateNotice(t, ctx, s, a.Municipality.ID, a.Card.ID, a.Card.ExpiresOn, kigen.D60)
	nb := MustCreateNotice(t, ctx, s, b.Municipality.ID, b.Card.ID, b.Card.ExpiresOn, kigen.D60)
	ms := []*kigen.Message{
		{MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, Channel: kigen.Email, TickDate: na.TickDate, NoticeIDs: []int64{na.ID}},
		{MunicipalityID: b.Municipality.ID, ResidentID: b.Resident.ID, Channel: kigen.Email, TickDate: nb.TickDate, NoticeIDs: []int64{nb.ID}},
		{MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, Channel: kigen.SMS, TickDate: na.TickDate, NoticeIDs: []int64{na.ID}},
	}
	must(t, s.CreateMessages(ctx, ms), "CreateMessages(a's and b's)")
	for i, m := range ms {
		got, err := s.GetMessage(ctx, m.ID)
		must(t, err, "GetMessage")
		if d := diff(m, got); d != "" {
			t.Errorf("message %d mismatch (-want +got):\n%s", i, d)
		}
	}
	for _, tc := range []struct {
		tn *Tenant
		n  *kigen.Notice
	}{{a, na}, {b, nb}} {
		found, err := s.MessageCarriesNotices(ctx, tc.tn.Municipality.ID, kigen.Email, []int64{tc.n.ID})
		must(t, err, "MessageCarriesNotices")
		if !found {
			t.Errorf("%s's notice is carried by no email of its municipality", tc.tn.Municipality.Code)
		}
	}
}

// currentNoticeKeys returns what ListHoldings reads of h's notices: the
// keys of those for their card's current expiry, in key order.
func currentNoticeKeys(h *store.Holding) []*kigen.Notice {
	expires := map[int64]kigen.Date{}
	for _, c := range h.Cards {
		expires[c.ID] = c.ExpiresOn
	}
	var out []*kigen.Notice
	for _, n := range h.Notices {
		if e, ok := expires[n.CardID]; ok && n.ExpiresOn == e {
			out = append(out, &kigen.Notice{CardID: n.CardID, ExpiresOn: n.ExpiresOn, Stage: n.Stage})
		}
	}
	slices.SortFunc(out, compareNoticeKeys)
	return out
}

func compareNoticeKeys(a, b *kigen.Notice) int {
	return cmp.Or(cmp.Compare(a.CardID, b.CardID), cmp.Compare(a.Stage, b.Stage))
}
