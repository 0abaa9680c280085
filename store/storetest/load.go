package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// mustBench returns s as a store.Bench, or skips the test.
func mustBench(t *testing.T, s store.Store) store.Bench {
	t.Helper()
	b, ok := s.(store.Bench)
	if !ok {
		t.Skipf("%T is not a store.Bench", s)
	}
	return b
}

// loadPopulation returns three residents to bulk-load into municipalities
// m1 (two) and m2 (one), in two chunks.
func loadPopulation(m1, m2 int64) [][]store.LoadResident {
	residence := date("2027-01-10")
	mynumber := date("2026-12-01")
	return [][]store.LoadResident{{
		{
			Resident: kigen.Resident{ID: 101, MunicipalityID: m1, Ref: "L-101", Name: "Load One",
				Language: kigen.English, Status: kigen.FixedPeriod, Channel: kigen.PrefBoth},
			Contacts: []kigen.Contact{
				{ID: 11, Channel: kigen.Email, Address: "one@example.jp", Consent: true},
				{ID: 12, Channel: kigen.SMS, Address: "+819012345678", Consent: true, OptedOut: true, Failed: true},
			},
			Cards: []kigen.Card{
				{ID: 21, Kind: kigen.ResidenceCard, ExpiresOn: residence, NextNoticeOn: residence.AddDays(-30)},
				{ID: 22, Kind: kigen.MyNumberCard, ExpiresOn: mynumber, RenewalAppliedOn: date("2026-10-20"), NextNoticeOn: mynumber.AddDays(-14)},
			},
			Notices: []kigen.Notice{
				{ID: 31, CardID: 22, ExpiresOn: mynumber, Stage: kigen.D90, TickDate: mynumber.AddDays(-90)},
				{ID: 32, CardID: 22, ExpiresOn: mynumber, Stage: kigen.D60, TickDate: mynumber.AddDays(-60)},
				{ID: 33, CardID: 22, ExpiresOn: mynumber, Stage: kigen.D30, TickDate: mynumber.AddDays(-30)},
				// Of the residence card's earlier expiry: not a stage sent
				// for the current one.
				{ID: 34, CardID: 21, ExpiresOn: date("2022-01-10"), Stage: kigen.D30, TickDate: date("2021-12-11")},
			},
		},
		{
			Resident: kigen.Resident{ID: 102, MunicipalityID: m1, Ref: "L-102",
				Language: kigen.Japanese, Status: kigen.SpecialPermanent, Channel: kigen.PrefEmail},
			Cards: []kigen.Card{{ID: 23, Kind: kigen.MyNumberCert, ExpiresOn: date("2030-05-05")}},
		},
	}, {
		{
			Resident: kigen.Resident{ID: 201, MunicipalityID: m2, Ref: "L-201", Name: "Load Three",
				Language: kigen.Vietnamese, Status: kigen.Permanent, Channel: kigen.PrefEmail},
			Contacts: []kigen.Contact{{ID: 13, Channel: kigen.Email, Address: "three@example.jp"}},
			Cards:    []kigen.Card{{ID: 24, Kind: kigen.ResidenceCard, ExpiresOn: date("2026-12-25"), NextNoticeOn: date("2026-11-25")}},
		},
	}}
}

// testBulkLoad loads a population and reads it back through the
// Queries: every field as given, the stages sent stored with each card,
// the due index and the uniqueness of notices in place, and new IDs
// above the loaded ones.
func testBulkLoad(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	m1 := MustCreateMunicipality(t, ctx, s, "012033")
	m2 := MustCreateMunicipality(t, ctx, s, "011002")
	chunks := loadPopulation(m1.ID, m2.ID)
	must(t, b.BulkLoad(ctx, slices.Values(chunks)), "BulkLoad")

	stamps := cmpopts.IgnoreFields(kigen.Resident{}, "CreatedAt", "UpdatedAt")
	for _, chunk := range chunks {
		for _, lr := range chunk {
			m, id := lr.MunicipalityID, lr.ID
			r, err := s.GetResident(ctx, m, id)
			must(t, err, "GetResident")
			checkStamps(t, "resident", r.CreatedAt, r.UpdatedAt)
			if d := diff(&lr.Resident, r, stamps); d != "" {
				t.Errorf("resident %d (-want +got):\n%s", id, d)
			}
			wantContacts := make([]*kigen.Contact, len(lr.Contacts))
			for i, c := range lr.Contacts {
				c.ResidentID = id
				wantContacts[i] = &c
			}
			contacts, err := s.ListContacts(ctx, m, id)
			must(t, err, "ListContacts")
			if d := diff(wantContacts, contacts, cmpopts.IgnoreFields(kigen.Contact{}, "CreatedAt", "UpdatedAt")); d != "" {
				t.Errorf("contacts of %d (-want +got):\n%s", id, d)
			}
			wantCards := make([]*kigen.Card, len(lr.Cards))
			cardIDs := make([]int64, len(lr.Cards))
			for i, c := range lr.Cards {
				c.ResidentID = id
				wantCards[i], cardIDs[i] = &c, c.ID
			}
			cards, err := s.ListCards(ctx, m, id)
			must(t, err, "ListCards")
			if d := diff(wantCards, cards, cmpopts.IgnoreFields(kigen.Card{}, "CreatedAt", "UpdatedAt"),
				cmpopts.SortSlices(func(a, b *kigen.Card) bool { return a.ID < b.ID })); d != "" {
				t.Errorf("cards of %d (-want +got):\n%s", id, d)
			}
			wantNotices := make([]*kigen.Notice, len(lr.Notices))
			for i, n := range lr.Notices {
				wantNotices[i] = &n
			}
			notices, err := s.ListNotices(ctx, m, cardIDs...)
			must(t, err, "ListNotices")
			if d := diff(wantNotices, notices, cmpopts.IgnoreFields(kigen.Notice{}, "CreatedAt")); d != "" {
				t.Errorf("notices of %d (-want +got):\n%s", id, d)
			}
			// The search's flags are written with the rows.
			rows, err := s.SearchResidents(ctx, store.ResidentSearch{MunicipalityID: m, RefPrefix: lr.Ref, Limit: 100})
			must(t, err, "SearchResidents")
			unreachable, gapOpen := lr.Flags()
			for _, row := range rows {
				if row.Ref == lr.Ref && (row.Unreachable != unreachable || row.GapOpen != gapOpen) {
					t.Errorf("resident %d: unreachable %t, gap open %t; want %t, %t", id, row.Unreachable, row.GapOpen, unreachable, gapOpen)
				}
			}
		}
	}

	// The stages sent for each card's expiry are stored with it.
	hs, err := s.ListHoldings(ctx, []store.ResidentKey{{MunicipalityID: m1.ID, ResidentID: 101}})
	must(t, err, "ListHoldings")
	mynumber := date("2026-12-01")
	wantSent := []kigen.NoticeKey{{CardID: 22, ExpiresOn: mynumber, Stage: kigen.D30},
		{CardID: 22, ExpiresOn: mynumber, Stage: kigen.D60}, {CardID: 22, ExpiresOn: mynumber, Stage: kigen.D90}}
	if len(hs) != 1 {
		t.Fatalf("ListHoldings: %d holdings, want 1", len(hs))
	}
	if d := diff(wantSent, hs[0].Sent); d != "" {
		t.Errorf("ListHoldings: Sent (-want +got):\n%s", d)
	}

	due, err := s.ListDueCards(ctx, date("2026-11-25"), 10)
	must(t, err, "ListDueCards")
	want := []store.DueCard{
		{CardID: 22, MunicipalityID: m1.ID, ResidentID: 101, NextNoticeOn: mynumber.AddDays(-14)},
		{CardID: 24, MunicipalityID: m2.ID, ResidentID: 201, NextNoticeOn: date("2026-11-25")},
	}
	if d := diff(want, due); d != "" {
		t.Errorf("ListDueCards (-want +got):\n%s", d)
	}

	n := &kigen.Notice{CardID: 22, ExpiresOn: mynumber, Stage: kigen.D90, TickDate: date("2026-11-25")}
	wantErr(t, s.CreateNotice(ctx, m1.ID, n), store.ErrConflict, "CreateNotice of a loaded notice")

	// What is created next gets an ID above the loaded ones.
	r := MustUpsertResident(t, ctx, s, m1.ID, "NEW-1")
	c := MustUpsertContact(t, ctx, s, m1.ID, r.ID, kigen.Email, "new@example.jp")
	card := MustUpsertCard(t, ctx, s, m1.ID, r.ID, kigen.ResidenceCard, date("2028-01-01"))
	nn := MustCreateNotice(t, ctx, s, m1.ID, card.ID, card.ExpiresOn, kigen.D90)
	for _, id := range []struct {
		what      string
		got, over int64
	}{{"resident", r.ID, 201}, {"contact", c.ID, 13}, {"card", card.ID, 24}, {"notice", nn.ID, 34}} {
		if id.got <= id.over {
			t.Errorf("new %s ID %d, want above the loaded %d", id.what, id.got, id.over)
		}
	}
}

// testBulkLoadEmpty: no chunk, or empty ones, load nothing and leave the
// store usable.
func testBulkLoadEmpty(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	must(t, b.BulkLoad(ctx, slices.Values([][]store.LoadResident{nil, {}})), "BulkLoad")
	m := MustCreateMunicipality(t, ctx, s, "012033")
	MustUpsertResident(t, ctx, s, m.ID, "A-1")
}

// testScanHoldings reads a loaded population back in resident order,
// every notice of the cards included, and stops at fn's error.
func testScanHoldings(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	m1 := MustCreateMunicipality(t, ctx, s, "012033")
	m2 := MustCreateMunicipality(t, ctx, s, "011002")
	chunks := loadPopulation(m1.ID, m2.ID)
	must(t, b.BulkLoad(ctx, slices.Values(chunks)), "BulkLoad")

	var want []store.TickHolding
	for _, chunk := range chunks {
		for _, lr := range chunk {
			h := store.TickHolding{Key: store.ResidentKey{MunicipalityID: lr.MunicipalityID, ResidentID: lr.ID},
				Status: lr.Status, Channel: lr.Channel}
			for _, c := range lr.Contacts {
				h.Contacts = append(h.Contacts, kigen.Contact{ResidentID: lr.ID, Channel: c.Channel, Address: c.Address,
					Consent: c.Consent, OptedOut: c.OptedOut, Failed: c.Failed})
			}
			for _, c := range lr.Cards {
				h.Cards = append(h.Cards, kigen.Card{ID: c.ID, ResidentID: lr.ID, Kind: c.Kind,
					ExpiresOn: c.ExpiresOn, RenewalAppliedOn: c.RenewalAppliedOn})
			}
			for _, n := range lr.Notices {
				h.Sent = append(h.Sent, n.Key())
			}
			want = append(want, h)
		}
	}
	var got []store.TickHolding
	err := b.ScanHoldings(ctx, func(h *store.TickHolding) error {
		got = append(got, store.TickHolding{Key: h.Key, Status: h.Status, Channel: h.Channel,
			Contacts: slices.Clone(h.Contacts), Cards: slices.Clone(h.Cards), Sent: slices.Clone(h.Sent)})
		return nil
	})
	must(t, err, "ScanHoldings")
	// Within a resident, the order is not part of the contract.
	if d := diff(want, got,
		cmpopts.SortSlices(func(a, b kigen.Contact) bool { return a.Channel < b.Channel }),
		cmpopts.SortSlices(func(a, b kigen.Card) bool { return a.ID < b.ID }),
		cmpopts.SortSlices(func(a, b kigen.NoticeKey) bool {
			return a.CardID < b.CardID || a.CardID == b.CardID && a.Stage < b.Stage
		})); d != "" {
		t.Errorf("ScanHoldings (-want +got):\n%s", d)
	}

	stop := errors.New("stop")
	calls := 0
	err = b.ScanHoldings(ctx, func(*store.TickHolding) error { calls++; return stop })
	wantErr(t, err, stop, "ScanHoldings stopped by fn")
	if calls != 1 {
		t.Errorf("ScanHoldings called fn %d times after its error, want 1", calls)
	}
}

// undoFixture is a tenant's resident with a tick on the day before day and
// a tick on day, each with a notice, a message carrying it (sent, with a
// token) and its delivery.
type undoFixture struct {
	tenant                 *Tenant
	before, on             *kigen.Message
	beforeNotice, onNotice *kigen.Notice
	beforeDel, onDel       *kigen.Delivery
	beforeTick             *store.Tick
}

func newUndoFixture(t *testing.T, ctx context.Context, s store.Store, day kigen.Date) undoFixture {
	t.Helper()
	tn := MustCreateTenant(t, ctx, s, "012033")
	f := undoFixture{tenant: tn, beforeTick: &store.Tick{Date: day.AddDays(-1), StartedAt: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)}}
	must(t, s.CreateTick(ctx, f.beforeTick), "CreateTick")
	must(t, s.CreateTick(ctx, &store.Tick{Date: day, StartedAt: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}), "CreateTick")
	for i, tick := range []kigen.Date{day.AddDays(-1), day} {
		n := &kigen.Notice{CardID: tn.Card.ID, ExpiresOn: tn.Card.ExpiresOn, Stage: []kigen.Stage{kigen.D60, kigen.D30}[i], TickDate: tick}
		must(t, s.CreateNotice(ctx, tn.Municipality.ID, n), "CreateNotice")
		msg := MustCreateMessage(t, ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.Email, tick, n.ID)
		must(t, s.SetMessageState(ctx, msg.ID, kigen.MessageSent), "SetMessageState")
		must(t, s.SetMessageToken(ctx, msg.ID, []byte{byte(i), 1, 2, 3}), "SetMessageToken")
		d := MustCreateDelivery(t, ctx, s, msg.ID, "outbox")
		if i == 0 {
			f.before, f.beforeNotice, f.beforeDel = msg, n, d
		} else {
			f.on, f.onNotice, f.onDel = msg, n, d
		}
	}
	return f
}

// testUndoTick removes what the ticks of the day recorded, and nothing of
// the day before.
func testUndoTick(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	day := date("2026-11-25")
	f := newUndoFixture(t, ctx, s, day)
	must(t, b.UndoTick(ctx, day), "UndoTick")

	_, err := s.GetMessage(ctx, f.on.ID)
	wantErr(t, err, store.ErrNotFound, "GetMessage of the day's message")
	_, err = s.GetDelivery(ctx, f.onDel.ID)
	wantErr(t, err, store.ErrNotFound, "GetDelivery of the day's delivery")
	m, err := s.GetMessage(ctx, f.before.ID)
	must(t, err, "GetMessage of the day before's message")
	if m.State != kigen.MessageSent || len(m.NoticeIDs) != 1 {
		t.Errorf("the day before's message: state %s, notices %v; want sent, one notice", m.State, m.NoticeIDs)
	}
	_, err = s.GetDelivery(ctx, f.beforeDel.ID)
	must(t, err, "GetDelivery of the day before's delivery")
	notices, err := s.ListNotices(ctx, f.tenant.Municipality.ID, f.tenant.Card.ID)
	must(t, err, "ListNotices")
	var ids []int64
	for _, n := range notices {
		ids = append(ids, n.ID)
	}
	if d := diff([]int64{f.tenant.Notice.ID, f.beforeNotice.ID}, ids); d != "" {
		t.Errorf("notices after UndoTick (-want +got):\n%s", d)
	}
	last, err := s.LastTick(ctx)
	must(t, err, "LastTick")
	if last.ID != f.beforeTick.ID {
		t.Errorf("LastTick = tick %d of %s, want the day before's", last.ID, last.Date)
	}
}

// testUndoDeliveries makes the day's messages planned again, without
// token or delivery, and leaves the day before's.
func testUndoDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	day := date("2026-11-25")
	f := newUndoFixture(t, ctx, s, day)
	must(t, b.UndoDeliveries(ctx, day), "UndoDeliveries")

	m, err := s.GetMessage(ctx, f.on.ID)
	must(t, err, "GetMessage")
	if m.State != kigen.MessagePlanned {
		t.Errorf("the day's message is %s, want planned", m.State)
	}
	_, err = s.GetMessageByToken(ctx, []byte{1, 1, 2, 3})
	wantErr(t, err, store.ErrNotFound, "GetMessageByToken of the day's message")
	ds, err := s.ListDeliveries(ctx, f.on.ID)
	must(t, err, "ListDeliveries")
	if len(ds) != 0 {
		t.Errorf("the day's message has %d deliveries, want none", len(ds))
	}
	m, err = s.GetMessageByToken(ctx, []byte{0, 1, 2, 3})
	must(t, err, "GetMessageByToken of the day before's message")
	if m.ID != f.before.ID || m.State != kigen.MessageSent {
		t.Errorf("the day before's message: %d, %s; want %d, sent", m.ID, m.State, f.before.ID)
	}
	ds, err = s.ListDeliveries(ctx, f.before.ID)
	must(t, err, "ListDeliveries")
	if len(ds) != 1 {
		t.Errorf("the day before's message has %d deliveries, want 1", len(ds))
	}
}

// testCountMessages counts by state across municipalities.
func testCountMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	a := MustCreateTenant(t, ctx, s, "012033")
	MustCreateTenant(t, ctx, s, "011002")
	must(t, s.SetMessageState(ctx, a.Message.ID, kigen.MessageSent), "SetMessageState")
	for state, want := range map[kigen.MessageState]int{kigen.MessagePlanned: 1, kigen.MessageSent: 1, kigen.MessageFailed: 0} {
		n, err := b.CountMessages(ctx, state)
		must(t, err, "CountMessages")
		if n != want {
			t.Errorf("CountMessages(%s) = %d, want %d", state, n, want)
		}
	}
}

// testCheckpointAndVersion: the test database's role may checkpoint, and
// the version is a version.
func testCheckpointAndVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := mustBench(t, s)
	MustCreateTenant(t, ctx, s, "012033")
	must(t, b.Checkpoint(ctx), "Checkpoint")
	v, err := b.DatabaseVersion(ctx)
	must(t, err, "DatabaseVersion")
	if v == "" || v[0] < '0' || v[0] > '9' {
		t.Errorf("DatabaseVersion = %q, want a version number", v)
	}
}
