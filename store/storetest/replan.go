package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
)

// nextOn returns each card's stored NextNoticeOn by kind.
func nextOn(t *testing.T, s store.Store, municipalityID, residentID int64) map[kigen.CardKind]kigen.Date {
	t.Helper()
	cards, err := s.ListCards(t.Context(), municipalityID, residentID)
	must(t, err, "ListCards")
	out := map[kigen.CardKind]kigen.Date{}
	for _, c := range cards {
		out[c.Kind] = c.NextNoticeOn
	}
	return out
}

// testReplanOK: Replan stores kigen.NextDue for every card of the resident:
// today for a card with a notice due now (the renewal gap), the first
// stage's date otherwise, and nothing once the resident cannot be reached.
func testReplanOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	today := date("2026-11-25")
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2030-03-31"))
	MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCard, date("2027-03-31"))

	// No contact yet: unreachable, nothing to look at.
	must(t, store.Replan(ctx, s, m.ID, r.ID, today), "Replan(no contact)")
	want := map[kigen.CardKind]kigen.Date{kigen.ResidenceCard: {}, kigen.MyNumberCard: {}}
	if d := cmp.Diff(want, nextOn(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("unreachable: next dates (-want +got):\n%s", d)
	}

	// Consent and an address arrive: the gap is due today.
	c := MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "a@example.jp")
	must(t, store.Replan(ctx, s, m.ID, r.ID, today), "Replan(reachable)")
	want = map[kigen.CardKind]kigen.Date{kigen.ResidenceCard: date("2029-12-31"), kigen.MyNumberCard: today}
	if d := cmp.Diff(want, nextOn(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("reachable: next dates (-want +got):\n%s", d)
	}
	due, err := s.ListDueCards(ctx, today, 10)
	must(t, err, "ListDueCards")
	if len(due) != 1 || due[0].ResidentID != r.ID {
		t.Errorf("ListDueCards(%s) = %+v, want the My Number card only", today, due)
	}

	// The gap was notified: the My Number card waits for d90.
	cards, err := s.ListCards(ctx, m.ID, r.ID)
	must(t, err, "ListCards")
	for _, cd := range cards {
		if cd.Kind == kigen.MyNumberCard {
			MustCreateNotice(t, ctx, s, m.ID, cd.ID, cd.ExpiresOn, kigen.RenewalGap)
		}
	}
	must(t, store.Replan(ctx, s, m.ID, r.ID, today), "Replan(gap sent)")
	if got := nextOn(t, s, m.ID, r.ID)[kigen.MyNumberCard]; got != date("2026-12-31") {
		t.Errorf("after the gap notice: My Number card next %s, want 2026-12-31 (d90)", got)
	}

	// The resident opts out of their only channel: nothing more.
	c.OptedOut = true
	must(t, s.UpsertContact(ctx, m.ID, c), "UpsertContact(opted out)")
	must(t, store.Replan(ctx, s, m.ID, r.ID, today), "Replan(opted out)")
	want = map[kigen.CardKind]kigen.Date{kigen.ResidenceCard: {}, kigen.MyNumberCard: {}}
	if d := cmp.Diff(want, nextOn(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("opted out: next dates (-want +got):\n%s", d)
	}
}

// testReplanErrNotFound: a resident of another municipality is not
// re-planned.
func testReplanErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "011002")
	b := MustCreateTenant(t, ctx, s, "012033")
	err := store.Replan(ctx, s, a.Municipality.ID, b.Resident.ID, date("2026-11-25"))
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replan(A, B's resident) = %v, want ErrNotFound", err)
	}
	if got := nextOn(t, s, b.Municipality.ID, b.Resident.ID)[kigen.ResidenceCard]; got != b.Card.NextNoticeOn {
		t.Errorf("B's card next date changed to %s", got)
	}
}

// testLoadHoldings: holdings come back with their own contacts, cards and
// notices, and a resident of another municipality is left out.
func testLoadHoldings(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "011002")
	b := MustCreateTenant(t, ctx, s, "012033")
	r2 := MustUpsertResident(t, ctx, s, a.Municipality.ID, "011002-r2")
	MustUpsertCard(t, ctx, s, a.Municipality.ID, r2.ID, kigen.MyNumberCert, date("2028-01-15"))

	hs, err := store.LoadHoldings(ctx, s, a.Municipality.ID, a.Resident.ID, r2.ID, b.Resident.ID)
	must(t, err, "LoadHoldings")
	if len(hs) != 2 {
		t.Fatalf("LoadHoldings returned %d holdings, want 2 (B's resident left out)", len(hs))
	}
	h1, h2 := hs[0], hs[1]
	if h1.Resident.ID != a.Resident.ID || len(h1.Contacts) != 1 || len(h1.Cards) != 1 || len(h1.Notices) != 1 {
		t.Errorf("first holding: resident %d, %d contacts, %d cards, %d notices; want %d, 1, 1, 1",
			h1.Resident.ID, len(h1.Contacts), len(h1.Cards), len(h1.Notices), a.Resident.ID)
	}
	if h2.Resident.ID != r2.ID || len(h2.Contacts) != 0 || len(h2.Cards) != 1 || len(h2.Notices) != 0 {
		t.Errorf("second holding: resident %d, %d contacts, %d cards, %d notices; want %d, 0, 1, 0",
			h2.Resident.ID, len(h2.Contacts), len(h2.Cards), len(h2.Notices), r2.ID)
	}
	if h := h1.Holder(); !h.Reachable || len(h.Sent) != 1 || h.Sent[0] != a.Notice.Key() {
		t.Errorf("Holder() = %+v, want reachable with the recorded d90", h)
	}
	if h2.Holder().Reachable {
		t.Error("a resident without contacts is reachable")
	}
}

// testCreateMessageContract: the message's resident must be in its
// municipality, an empty state is planned, a notice listed twice is a
// conflict.
func testCreateMessageContract(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateTenant(t, ctx, s, "011002")
	b := MustCreateTenant(t, ctx, s, "012033")

	m := &kigen.Message{MunicipalityID: a.Municipality.ID, ResidentID: b.Resident.ID, Channel: kigen.Email, TickDate: date("2027-04-01")}
	if err := s.CreateMessage(ctx, m); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateMessage(B's resident under A) = %v, want ErrNotFound", err)
	}

	m = &kigen.Message{MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, Channel: kigen.Email, TickDate: date("2027-04-01")}
	must(t, s.CreateMessage(ctx, m), "CreateMessage(no state)")
	got, err := s.GetMessage(ctx, m.ID)
	must(t, err, "GetMessage")
	if got.State != kigen.MessagePlanned {
		t.Errorf("State = %q, want %q", got.State, kigen.MessagePlanned)
	}

	m = &kigen.Message{MunicipalityID: a.Municipality.ID, ResidentID: a.Resident.ID, Channel: kigen.SMS,
		TickDate: date("2027-04-01"), NoticeIDs: []int64{a.Notice.ID, a.Notice.ID}}
	if err := s.CreateMessage(ctx, m); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateMessage(notice twice) = %v, want ErrConflict", err)
	}
}
