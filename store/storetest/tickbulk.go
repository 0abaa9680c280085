package storetest

import (
	"slices"
	"testing"

	"kigen"
	"kigen/store"
)

func testCreateNoticesMatchesCreateNotice(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	c1 := MustUpsertCard(t, ctx, s, m.ID, r1.ID, kigen.ResidenceCard, date("2027-06-30"))
	c2 := MustUpsertCard(t, ctx, s, m.ID, r1.ID, kigen.MyNumberCard, date("2027-07-31"))
	c3 := MustUpsertCard(t, ctx, s, m.ID, r2.ID, kigen.ResidenceCard, date("2027-08-31"))
	// Recorded before, as a concurrent tick would have.
	old := MustCreateNotice(t, ctx, s, m.ID, c2.ID, c2.ExpiresOn, kigen.D90)

	tick := date("2027-04-01")
	ns := []*kigen.Notice{
		{CardID: c3.ID, ExpiresOn: c3.ExpiresOn, Stage: kigen.D90, TickDate: tick},
		{CardID: c1.ID, ExpiresOn: c1.ExpiresOn, Stage: kigen.D90, TickDate: tick},
		{CardID: c2.ID, ExpiresOn: c2.ExpiresOn, Stage: kigen.D90, TickDate: tick}, // duplicate
		{CardID: c1.ID, ExpiresOn: date("2024-06-30"), Stage: kigen.Expired, TickDate: tick},
	}
	var created []bool
	err := s.InTx(ctx, func(tx store.Tx) error {
		var err error
		if created, err = tx.CreateNotices(ctx, scoped(m.ID, ns...)); err != nil {
			return err
		}
		// The duplicate left the transaction usable.
		MustCreateNotice(t, ctx, tx, m.ID, c3.ID, c3.ExpiresOn, kigen.D60)
		return nil
	})
	must(t, err, "InTx(CreateNotices)")
	if d := diff([]bool{true, true, false, true}, created); d != "" {
		t.Errorf("CreateNotices created mismatch (-want +got):\n%s", d)
	}
	ids := map[int64]bool{old.ID: true}
	for i, n := range ns {
		if !created[i] {
			if n.ID != 0 || !n.CreatedAt.IsZero() {
				t.Errorf("notice %d not created but ID %d, CreatedAt %v set", i, n.ID, n.CreatedAt)
			}
			continue
		}
		if n.ID == 0 || ids[n.ID] {
			t.Errorf("notice %d: ID %d is zero or not unique", i, n.ID)
		}
		ids[n.ID] = true
		checkCreated(t, "CreateNotices", n.CreatedAt)
	}

	// What is stored is what CreateNotice would have stored.
	got := listNotices(t, s, m.ID, c1.ID, c2.ID)
	if d := diff([]*kigen.Notice{old, ns[1], ns[3]}, got); d != "" {
		t.Errorf("ListNotices mismatch (-want +got):\n%s", d)
	}
	got = listNotices(t, s, m.ID, c3.ID)
	if len(got) != 2 || diff(ns[0], got[0]) != "" {
		t.Errorf("ListNotices(c3) = %v, want %v then the d60 notice", got, ns[0])
	}

	// Again: everything is recorded already.
	again := []*kigen.Notice{{CardID: c1.ID, ExpiresOn: c1.ExpiresOn, Stage: kigen.D90, TickDate: tick.AddDays(1)}}
	created, err = s.CreateNotices(ctx, scoped(m.ID, again...))
	must(t, err, "CreateNotices(again)")
	if d := diff([]bool{false}, created); d != "" {
		t.Errorf("CreateNotices(again) created mismatch (-want +got):\n%s", d)
	}
}

func testCreateNoticesErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	ns := []*kigen.Notice{
		{CardID: a.Card.ID, ExpiresOn: a.Card.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")},
		{CardID: b.Card.ID, ExpiresOn: b.Card.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")},
	}
	_, err := s.CreateNotices(ctx, scoped(aid, ns...))
	wantErr(t, err, store.ErrNotFound, "CreateNotices(another municipality's card)")

	// In a transaction, which stays usable.
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.CreateNotices(ctx, scoped(aid,
			&kigen.Notice{CardID: a.Card.ID, ExpiresOn: a.Card.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")},
			&kigen.Notice{CardID: noSuchID, ExpiresOn: a.Card.ExpiresOn, Stage: kigen.D60, TickDate: date("2027-05-01")},
		))
		wantErr(t, err, store.ErrNotFound, "CreateNotices(no such card) in a Tx")
		MustUpsertResident(t, ctx, tx, aid, "after")
		return nil
	})
	must(t, err, "InTx")
	if _, err := s.GetResidentByRef(ctx, aid, "after"); err != nil {
		t.Errorf("the write after ErrNotFound was lost: %v", err)
	}
	for _, tn := range []*Tenant{a, b} {
		if d := diff([]*kigen.Notice{tn.Notice}, listNotices(t, s, tn.Municipality.ID, tn.Card.ID)); d != "" {
			t.Errorf("notices written despite ErrNotFound (-want +got):\n%s", d)
		}
	}
}

func testCreateMessagesMatchesCreateMessage(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	c1 := MustUpsertCard(t, ctx, s, m.ID, r1.ID, kigen.ResidenceCard, date("2027-06-30"))
	c2 := MustUpsertCard(t, ctx, s, m.ID, r2.ID, kigen.ResidenceCard, date("2027-06-30"))
	n1 := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D90)
	n2 := MustCreateNotice(t, ctx, s, m.ID, c1.ID, c1.ExpiresOn, kigen.D60)
	n3 := MustCreateNotice(t, ctx, s, m.ID, c2.ID, c2.ExpiresOn, kigen.D90)

	tick := date("2027-04-01")
	ms := []*kigen.Message{
		{MunicipalityID: m.ID, ResidentID: r1.ID, Channel: kigen.SMS, TickDate: tick, State: kigen.MessagePlanned, NoticeIDs: []int64{n2.ID, n1.ID}},
		{MunicipalityID: m.ID, ResidentID: r1.ID, Channel: kigen.Email, TickDate: tick, NoticeIDs: []int64{n1.ID, n2.ID}},
		{MunicipalityID: m.ID, ResidentID: r2.ID, Channel: kigen.Email, TickDate: tick, NoticeIDs: []int64{n3.ID}},
		{MunicipalityID: m.ID, Channel: kigen.Email, TickDate: tick}, // no resident, no notice
	}
	must(t, s.CreateMessages(ctx, ms), "CreateMessages")
	seen := map[int64]bool{}
	for i, msg := range ms {
		if msg.ID == 0 || seen[msg.ID] {
			t.Errorf("message %d: ID %d is zero or not unique", i, msg.ID)
		}
		seen[msg.ID] = true
		checkStamps(t, "CreateMessages", msg.CreatedAt, msg.UpdatedAt)
		if msg.State != kigen.MessagePlanned {
			t.Errorf("message %d: State = %q, want planned", i, msg.State)
		}
		got, err := s.GetMessage(ctx, msg.ID)
		must(t, err, "GetMessage")
		want := *msg
		want.NoticeIDs = sortedIDs(msg.NoticeIDs)
		if d := diff(&want, got); d != "" {
			t.Errorf("GetMessage(message %d) mismatch (-want +got):\n%s", i, d)
		}
	}

	// In a transaction too.
	var inTx []*kigen.Message
	err := s.InTx(ctx, func(tx store.Tx) error {
		inTx = []*kigen.Message{{MunicipalityID: m.ID, ResidentID: r2.ID, Channel: kigen.SMS, TickDate: tick, NoticeIDs: []int64{n3.ID}}}
		return tx.CreateMessages(ctx, inTx)
	})
	must(t, err, "InTx(CreateMessages)")
	got, err := s.GetMessage(ctx, inTx[0].ID)
	must(t, err, "GetMessage(in a Tx)")
	if d := diff(inTx[0], got); d != "" {
		t.Errorf("GetMessage(in a Tx) mismatch (-want +got):\n%s", d)
	}
}

func testCreateMessagesErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	n := MustCreateNotice(t, ctx, s, aid, a.Card.ID, a.Card.ExpiresOn, kigen.D60)
	good := func() *kigen.Message {
		return &kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, Channel: kigen.SMS, TickDate: n.TickDate, NoticeIDs: []int64{n.ID}}
	}
	for _, tc := range []struct {
		name string
		bad  kigen.Message
		want error
	}{
		{"another municipality's notice", kigen.Message{MunicipalityID: aid, ResidentID: a.Resident.ID, Channel: kigen.SMS, NoticeIDs: []int64{b.Notice.ID}}, store.ErrNotFound},
		{"another municipality's resident", kigen.Message{MunicipalityID: aid, ResidentID: b.Resident.ID, Channel: kigen.SMS}, store.ErrNotFound},
		{"no such notice", kigen.Message{MunicipalityID: aid, Channel: kigen.SMS, NoticeIDs: []int64{noSuchID}}, store.ErrNotFound},
		{"no such municipality", kigen.Message{MunicipalityID: noSuchID, Channel: kigen.SMS}, store.ErrNotFound},
		{"a notice of its resident's municipality, not its own", kigen.Message{MunicipalityID: b.Municipality.ID, ResidentID: b.Resident.ID, Channel: kigen.SMS, NoticeIDs: []int64{n.ID}}, store.ErrNotFound},
		{"a notice listed twice", kigen.Message{MunicipalityID: aid, Channel: kigen.SMS, NoticeIDs: []int64{n.ID, n.ID}}, store.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := tc.bad
			bad.TickDate = n.TickDate
			err := s.CreateMessages(ctx, []*kigen.Message{good(), &bad})
			wantErr(t, err, tc.want, "CreateMessages")
			err = s.InTx(ctx, func(tx store.Tx) error {
				wantErr(t, tx.CreateMessages(ctx, []*kigen.Message{good(), &bad}), tc.want, "CreateMessages in a Tx")
				// The transaction stays usable.
				MustUpsertResident(t, ctx, tx, aid, "after")
				return errRollback
			})
			wantErr(t, err, errRollback, "InTx")
		})
	}
	// Nothing was written: no message carries n.
	found, err := s.MessageCarriesNotices(ctx, aid, kigen.SMS, []int64{n.ID})
	must(t, err, "MessageCarriesNotices")
	if found {
		t.Error("a message was written despite the error")
	}
}

func testSetCardsNextNoticeOn(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "012033")
	b := MustCreateTenant(t, ctx, s, "131016")
	aid := a.Municipality.ID
	r := MustUpsertResident(t, ctx, s, aid, "A-0002")
	c2 := MustUpsertCard(t, ctx, s, aid, r.ID, kigen.ResidenceCard, date("2027-08-31"))
	c3 := MustUpsertCard(t, ctx, s, aid, r.ID, kigen.MyNumberCard, date("2027-09-30"))
	c3.NextNoticeOn = date("2027-07-01")
	must(t, s.SetCardNextNoticeOn(ctx, aid, c3.ID, c3.NextNoticeOn), "SetCardNextNoticeOn")

	before := func() map[int64]kigen.Date {
		out := map[int64]kigen.Date{}
		for _, c := range listCards(t, s, aid, a.Resident.ID, r.ID) {
			out[c.ID] = c.NextNoticeOn
		}
		for _, c := range listCards(t, s, b.Municipality.ID, b.Resident.ID) {
			out[c.ID] = c.NextNoticeOn
		}
		return out
	}
	start := before()

	// Another municipality's card, or no such card: nothing changes.
	for _, ids := range [][]int64{{a.Card.ID, b.Card.ID}, {c2.ID, noSuchID}} {
		cs := cardNexts(aid, ids, []kigen.Date{date("2027-01-01"), date("2027-01-02")})
		err := s.SetCardsNextNoticeOn(ctx, cs)
		wantErr(t, err, store.ErrNotFound, "SetCardsNextNoticeOn")
		err = s.InTx(ctx, func(tx store.Tx) error {
			wantErr(t, tx.SetCardsNextNoticeOn(ctx, cs), store.ErrNotFound, "SetCardsNextNoticeOn in a Tx")
			return nil
		})
		must(t, err, "InTx")
	}
	if d := diff(start, before()); d != "" {
		t.Errorf("next dates changed despite ErrNotFound (-want +got):\n%s", d)
	}

	// A card listed twice.
	err := s.SetCardsNextNoticeOn(ctx, cardNexts(aid, []int64{c2.ID, c2.ID}, []kigen.Date{date("2027-01-01"), date("2027-01-02")}))
	wantErr(t, err, store.ErrConflict, "SetCardsNextNoticeOn(a card twice)")

	must(t, s.SetCardsNextNoticeOn(ctx, nil), "SetCardsNextNoticeOn(none)")
	// Cards of two municipalities at once, each with its own.
	ids := []int64{c3.ID, a.Card.ID, c2.ID}
	next := []kigen.Date{{}, date("2027-05-31"), date("2027-06-02")}
	cs := append(cardNexts(aid, ids, next), store.CardNext{MunicipalityID: b.Municipality.ID, CardID: b.Card.ID, On: date("2027-06-03")})
	must(t, s.SetCardsNextNoticeOn(ctx, cs), "SetCardsNextNoticeOn")
	want := start
	for _, c := range cs {
		want[c.CardID] = c.On
	}
	if d := diff(want, before()); d != "" {
		t.Errorf("next dates mismatch (-want +got):\n%s", d)
	}
}

func testTickBulkEmpty(t *testing.T, s store.Store) {
	ctx := t.Context()
	created, err := s.CreateNotices(ctx, nil)
	must(t, err, "CreateNotices(none)")
	if len(created) != 0 {
		t.Errorf("CreateNotices(none) = %v, want none", created)
	}
	must(t, s.CreateMessages(ctx, nil), "CreateMessages(none)")
	must(t, s.SetCardsNextNoticeOn(ctx, []store.CardNext{}), "SetCardsNextNoticeOn(none)")
	hs, err := s.ListHoldings(ctx, nil)
	must(t, err, "ListHoldings(none)")
	if len(hs) != 0 {
		t.Errorf("ListHoldings(none) = %v, want none", hs)
	}
}

// scoped returns ns, each in municipality m.
func scoped(m int64, ns ...*kigen.Notice) []store.ScopedNotice {
	out := make([]store.ScopedNotice, len(ns))
	for i, n := range ns {
		out[i] = store.ScopedNotice{MunicipalityID: m, Notice: n}
	}
	return out
}

// cardNexts returns next[i] for ids[i], all in municipality m.
func cardNexts(m int64, ids []int64, next []kigen.Date) []store.CardNext {
	out := make([]store.CardNext, len(ids))
	for i, id := range ids {
		out[i] = store.CardNext{MunicipalityID: m, CardID: id, On: next[i]}
	}
	return out
}

// sortedIDs returns a sorted copy of ids.
func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
