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
// the order of the keys — less what the rules do not read: of the
// resident, the status and channel; of the notices, the keys of those for
// each card's current expiry.
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
	var want []store.TickHolding
	for _, k := range keys[:5] {
		res, err := s.GetResident(ctx, k.MunicipalityID, k.ResidentID)
		must(t, err, "GetResident")
		hs, err := store.HoldingsOf(ctx, s, k.MunicipalityID, []*kigen.Resident{res})
		must(t, err, "HoldingsOf")
		for _, h := range hs {
			want = append(want, tickHolding(h))
		}
	}
	for _, q := range []struct {
		name string
		run  func(keys []store.ResidentKey) ([]store.TickHolding, error)
	}{
		{"Store", func(keys []store.ResidentKey) ([]store.TickHolding, error) { return s.ListHoldings(ctx, keys) }},
		{"Tx", func(keys []store.ResidentKey) (hs []store.TickHolding, err error) {
			err = s.InTx(ctx, func(tx store.Tx) error {
				hs, err = tx.ListHoldings(ctx, keys)
				return err
			})
			return hs, err
		}},
	} {
		got, err := q.run(keys)
		must(t, err, "ListHoldings on the "+q.name)
		if d := diff(want, got); d != "" {
			t.Errorf("ListHoldings on the %s mismatch (-want +got):\n%s", q.name, d)
		}
	}
	// Not the notice for the residence card's earlier expiry.
	if got := want[1]; len(got.Contacts) != 2 || len(got.Cards) != 2 || len(got.Sent) != 2 {
		t.Errorf("the second resident's holding has %d contacts, %d cards, %d notices; want 2, 2, 2",
			len(got.Contacts), len(got.Cards), len(got.Sent))
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
	if len(got) != 1 || got[0].Key.ResidentID != b.Resident.ID {
		t.Fatalf("ListHoldings = %d holdings, want only b's resident", len(got))
	}
	h := got[0]
	if len(h.Contacts) != 1 || len(h.Cards) != 1 || len(h.Sent) != 1 ||
		h.Contacts[0].Address != b.Contact.Address || h.Cards[0].ID != b.Card.ID || h.Sent[0] != b.Notice.Key() {
		t.Errorf("b's holding = %+v, want its own contact, card and notice only", h)
	}
}

// testListHoldingsStoredStages follows a card's notices through the writes
// that store them with the card: ListHoldings never names a notice not
// recorded, and names every notice once the card's next date is set again
// (the tick's order), at once after CreateNotice, and after an upsert that
// changes the expiry back to one with notices.
func testListHoldingsStoredStages(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033") // its card has a d90 notice
	m, card := a.Municipality.ID, a.Card
	keys := []store.ResidentKey{{MunicipalityID: m, ResidentID: a.Resident.ID}}
	sent := func(when string) []kigen.NoticeKey {
		t.Helper()
		hs, err := s.ListHoldings(ctx, keys)
		must(t, err, "ListHoldings "+when)
		if len(hs) != 1 {
			t.Fatalf("ListHoldings %s: %d holdings, want 1", when, len(hs))
		}
		return hs[0].Sent
	}
	key := func(e kigen.Date, st kigen.Stage) kigen.NoticeKey {
		return kigen.NoticeKey{CardID: card.ID, ExpiresOn: e, Stage: st}
	}
	e := card.ExpiresOn
	want := func(when string, keys ...kigen.NoticeKey) {
		t.Helper()
		if d := diff(keys, sent(when)); d != "" {
			t.Errorf("Sent %s mismatch (-want +got):\n%s", when, d)
		}
	}
	want("after CreateNotice", key(e, kigen.D90))

	// The tick: notices recorded in bulk, then the next dates set.
	must(t, s.SetCardsNextNoticeOn(ctx, []store.CardNext{{MunicipalityID: m, CardID: card.ID, On: e.AddDays(-60)}}), "SetCardsNextNoticeOn")
	want("after SetCardsNextNoticeOn", key(e, kigen.D90))
	n60 := &kigen.Notice{CardID: card.ID, ExpiresOn: e, Stage: kigen.D60, TickDate: e.AddDays(-60)}
	_, err := s.CreateNotices(ctx, []store.ScopedNotice{{MunicipalityID: m, Notice: n60}})
	must(t, err, "CreateNotices")
	for _, k := range sent("after CreateNotices") {
		if k != key(e, kigen.D90) && k != key(e, kigen.D60) {
			t.Errorf("Sent after CreateNotices names %v, never recorded", k)
		}
	}
	must(t, s.SetCardsNextNoticeOn(ctx, []store.CardNext{{MunicipalityID: m, CardID: card.ID, On: e.AddDays(-30)}}), "SetCardsNextNoticeOn")
	want("after the next date is set", key(e, kigen.D60), key(e, kigen.D90))
	MustCreateNotice(t, ctx, s, m, card.ID, e, kigen.D30)
	want("after another CreateNotice", key(e, kigen.D30), key(e, kigen.D60), key(e, kigen.D90))
	must(t, s.SetCardNextNoticeOn(ctx, m, card.ID, e.AddDays(-14)), "SetCardNextNoticeOn")
	want("after SetCardNextNoticeOn", key(e, kigen.D30), key(e, kigen.D60), key(e, kigen.D90))

	// Renewed: nothing recorded for the new expiry. A notice for another
	// expiry changes nothing. Corrected back: the old notices count again.
	renewed := e.AddDays(365 * 3)
	MustUpsertCard(t, ctx, s, m, a.Resident.ID, card.Kind, renewed)
	want("after a renewal")
	MustCreateNotice(t, ctx, s, m, card.ID, e, kigen.Expired)
	want("after a notice for the old expiry")
	MustUpsertCard(t, ctx, s, m, a.Resident.ID, card.Kind, e)
	want("after the expiry is corrected back", key(e, kigen.D30), key(e, kigen.D60), key(e, kigen.D90), key(e, kigen.Expired))
	cs := []*kigen.Card{{ResidentID: a.Resident.ID, Kind: card.Kind, ExpiresOn: renewed}}
	must(t, s.UpsertCards(ctx, m, cs), "UpsertCards")
	want("after a renewal by UpsertCards")
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

// tickHolding returns what ListHoldings reads of h: of the resident, the
// status and channel; of the contacts and cards, no IDs or timestamps for
// contacts and no timestamps for cards; of the notices, the keys of those
// for their card's current expiry, by card and stage.
func tickHolding(h *store.Holding) store.TickHolding {
	out := store.TickHolding{
		Key:     store.ResidentKey{MunicipalityID: h.Resident.MunicipalityID, ResidentID: h.Resident.ID},
		Status:  h.Resident.Status,
		Channel: h.Resident.Channel,
	}
	expires := map[int64]kigen.Date{}
	for _, c := range h.Contacts {
		out.Contacts = append(out.Contacts, kigen.Contact{ResidentID: c.ResidentID, Channel: c.Channel,
			Address: c.Address, Consent: c.Consent, OptedOut: c.OptedOut, Failed: c.Failed})
	}
	for _, c := range h.Cards {
		out.Cards = append(out.Cards, kigen.Card{ID: c.ID, ResidentID: c.ResidentID, Kind: c.Kind,
			ExpiresOn: c.ExpiresOn, RenewalAppliedOn: c.RenewalAppliedOn, NextNoticeOn: c.NextNoticeOn})
		expires[c.ID] = c.ExpiresOn
	}
	for _, n := range h.Notices {
		if e, ok := expires[n.CardID]; ok && n.ExpiresOn == e {
			out.Sent = append(out.Sent, n.Key())
		}
	}
	slices.SortFunc(out.Sent, func(a, b kigen.NoticeKey) int {
		return cmp.Or(cmp.Compare(a.CardID, b.CardID), cmp.Compare(a.Stage, b.Stage))
	})
	return out
}
