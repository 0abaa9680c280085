package storetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// listCards returns the residents' cards, failing the test on error.
func listCards(t *testing.T, q store.Queries, municipalityID int64, residentIDs ...int64) []*kigen.Card {
	t.Helper()
	cs, err := q.ListCards(t.Context(), municipalityID, residentIDs...)
	must(t, err, "ListCards")
	return cs
}

// mustOneCard returns the resident's only card, failing the test if there
// is not exactly one.
func mustOneCard(t *testing.T, q store.Queries, municipalityID, residentID int64) *kigen.Card {
	t.Helper()
	cs := listCards(t, q, municipalityID, residentID)
	if len(cs) != 1 {
		t.Fatalf("ListCards returned %d cards, want 1", len(cs))
	}
	return cs[0]
}

func testUpsertCardCreate(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := &kigen.Card{
		ResidentID:       r.ID,
		Kind:             kigen.ResidenceCard,
		ExpiresOn:        date("2027-06-30"),
		RenewalAppliedOn: date("2027-05-01"),
		NextNoticeOn:     date("2027-06-16"),
	}
	must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard")
	if c.ID == 0 {
		t.Error("UpsertCard did not set ID")
	}
	checkStamps(t, "UpsertCard", c.CreatedAt, c.UpdatedAt)

	mnc := &kigen.Card{ResidentID: r.ID, Kind: kigen.MyNumberCard, ExpiresOn: date("2031-01-15")}
	must(t, s.UpsertCard(ctx, m.ID, mnc), "UpsertCard(mynumber_card)")
	if mnc.ID == c.ID {
		t.Errorf("two kinds share card ID %d", c.ID)
	}

	got := listCards(t, s, m.ID, r.ID)
	if d := diff([]*kigen.Card{mnc, c}, got); d != "" {
		t.Errorf("ListCards mismatch (-want +got):\n%s", d)
	}
	for _, c := range got {
		checkStamps(t, "ListCards", c.CreatedAt, c.UpdatedAt)
	}
}

func testUpsertCardUpdateByKind(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	first := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	other := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCert, date("2029-06-30"))
	advance(t, s)

	c := &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2030-06-30"), NextNoticeOn: date("2030-04-01")}
	must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard(same kind)")
	if c.ID != first.ID {
		t.Errorf("UpsertCard(same kind) set ID %d, want %d", c.ID, first.ID)
	}
	checkStamps(t, "UpsertCard(same kind)", c.CreatedAt, c.UpdatedAt)

	got := listCards(t, s, m.ID, r.ID)
	want := *c
	want.CreatedAt = first.CreatedAt
	if d := diff([]*kigen.Card{other, &want}, got, cmpopts.IgnoreFields(kigen.Card{}, "UpdatedAt")); d != "" {
		t.Errorf("ListCards after update mismatch (-want +got):\n%s", d)
	}
	if len(got) == 2 && !got[1].UpdatedAt.After(first.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want after %v", got[1].UpdatedAt, first.UpdatedAt)
	}
}

func testUpsertCardChangedExpiresOnClearsRenewalApplied(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2027-06-30"), RenewalAppliedOn: date("2027-05-01")}
	must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard")
	if got := mustOneCard(t, s, m.ID, r.ID); got.RenewalAppliedOn != date("2027-05-01") {
		t.Fatalf("a new card stored RenewalAppliedOn = %v, want 2027-05-01", got.RenewalAppliedOn)
	}

	// The caller passes the stored RenewalAppliedOn along with the new
	// expiry date (the renewal was granted): the application is cleared.
	c = &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2030-06-30"), RenewalAppliedOn: date("2027-05-01")}
	must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard(new expiry)")
	got := mustOneCard(t, s, m.ID, r.ID)
	if !got.RenewalAppliedOn.IsZero() {
		t.Errorf("a changed ExpiresOn kept RenewalAppliedOn = %v", got.RenewalAppliedOn)
	}
	if got.ExpiresOn != date("2030-06-30") {
		t.Errorf("ExpiresOn = %v, want 2030-06-30", got.ExpiresOn)
	}

	// Also after SetCardRenewalApplied.
	must(t, s.SetCardRenewalApplied(ctx, m.ID, got.ID, date("2030-05-01")), "SetCardRenewalApplied")
	c = &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2033-06-30"), RenewalAppliedOn: date("2030-05-01")}
	must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard(new expiry after SetCardRenewalApplied)")
	if got := mustOneCard(t, s, m.ID, r.ID); !got.RenewalAppliedOn.IsZero() {
		t.Errorf("a changed ExpiresOn kept RenewalAppliedOn = %v", got.RenewalAppliedOn)
	}
}

func testUpsertCardSameExpiresOnKeepsRenewalApplied(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.IntegratedCard, date("2027-06-30"))

	// With an unchanged ExpiresOn, RenewalAppliedOn is stored as given.
	for _, on := range []kigen.Date{date("2027-05-01"), date("2027-05-01"), date("2027-05-20"), {}} {
		c := &kigen.Card{ResidentID: r.ID, Kind: kigen.IntegratedCard, ExpiresOn: date("2027-06-30"), RenewalAppliedOn: on}
		must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard(same expiry)")
		if got := mustOneCard(t, s, m.ID, r.ID); got.RenewalAppliedOn != on {
			t.Errorf("UpsertCard(same expiry, RenewalAppliedOn %q) stored %q", on, got.RenewalAppliedOn)
		}
	}
}

func testUpsertCardNextNoticeOnAsGiven(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	for _, tc := range []struct {
		expiresOn, next kigen.Date
	}{
		{date("2027-06-30"), date("2027-04-01")},
		{date("2027-06-30"), date("2027-05-01")},
		{date("2027-06-30"), kigen.Date{}},
		{date("2030-06-30"), date("2030-04-01")},
		{date("2031-06-30"), kigen.Date{}},
	} {
		c := &kigen.Card{ResidentID: r.ID, Kind: kigen.MyNumberCard, ExpiresOn: tc.expiresOn, NextNoticeOn: tc.next}
		must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard")
		if got := mustOneCard(t, s, m.ID, r.ID); got.NextNoticeOn != tc.next {
			t.Errorf("UpsertCard(ExpiresOn %s, NextNoticeOn %q) stored NextNoticeOn %q", tc.expiresOn, tc.next, got.NextNoticeOn)
		}
	}
}

func testUpsertCardErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")

	c := &kigen.Card{ResidentID: rb.ID + 1, Kind: kigen.ResidenceCard, ExpiresOn: date("2027-06-30")}
	wantErr(t, s.UpsertCard(ctx, a.ID, c), store.ErrNotFound, "UpsertCard(unknown resident)")
	c = &kigen.Card{ResidentID: rb.ID, Kind: kigen.ResidenceCard, ExpiresOn: date("2027-06-30")}
	wantErr(t, s.UpsertCard(ctx, a.ID, c), store.ErrNotFound, "UpsertCard(resident of another municipality)")
	wantErr(t, s.UpsertCard(ctx, noSuchID, c), store.ErrNotFound, "UpsertCard(unknown municipality)")

	if got := listCards(t, s, b.ID, rb.ID); len(got) != 0 {
		t.Errorf("failed upserts stored %d cards", len(got))
	}
	if got := listCards(t, s, a.ID, rb.ID, rb.ID+1); len(got) != 0 {
		t.Errorf("failed upserts stored %d cards", len(got))
	}
}

// testUpsertCardDatesRoundTrip checks that civil dates come back exactly,
// whatever the zone of the process or of the database session: a date
// read through a timestamp in a zone west of UTC comes back a day early.
func testUpsertCardDatesRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	dates := []kigen.Date{
		date("2000-01-01"),
		date("2028-02-29"),
		date("2099-12-31"),
		date("2027-03-31"),
		date("1999-12-31"),
	}
	var want []*kigen.Card
	var ids []int64
	for i, d := range dates {
		r := MustUpsertResident(t, ctx, s, m.ID, fmt.Sprintf("D-%02d", i))
		ids = append(ids, r.ID)
		c := &kigen.Card{ResidentID: r.ID, Kind: kigen.MyNumberCert, ExpiresOn: d, RenewalAppliedOn: d, NextNoticeOn: d}
		must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard("+d.String()+")")
		want = append(want, c)
		// The zero Date is "no date" where a date is optional.
		z := &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: d}
		must(t, s.UpsertCard(ctx, m.ID, z), "UpsertCard(zero dates)")
		want = append(want, z)
	}
	got := listCards(t, s, m.ID, ids...)
	if d := diff(want, got); d != "" {
		t.Errorf("ListCards mismatch (-want +got):\n%s", d)
	}
	for _, c := range got {
		for _, d := range []kigen.Date{c.ExpiresOn, c.RenewalAppliedOn, c.NextNoticeOn} {
			if !d.IsZero() && !d.Valid() {
				t.Errorf("card %d: date %+v is not a valid date", c.ID, d)
			}
		}
	}

	due, err := s.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	var gotNext []kigen.Date
	for _, dc := range due {
		gotNext = append(gotNext, dc.NextNoticeOn)
	}
	wantNext := []kigen.Date{date("1999-12-31"), date("2000-01-01"), date("2027-03-31"), date("2028-02-29"), date("2099-12-31")}
	if d := diff(wantNext, gotNext); d != "" {
		t.Errorf("ListDueCards NextNoticeOn mismatch (-want +got):\n%s", d)
	}
}

func testListCardsOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r1 := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	r2 := MustUpsertResident(t, ctx, s, m.ID, "A-0002")
	r3 := MustUpsertResident(t, ctx, s, m.ID, "A-0003")
	exp := date("2028-01-31")
	// Created in the reverse of the wanted order (kinds by name), so that
	// ordering by ID would show.
	var want []*kigen.Card
	for _, r := range []*kigen.Resident{r2, r1} {
		var cs []*kigen.Card
		for _, k := range []kigen.CardKind{kigen.ResidenceCard, kigen.MyNumberCert, kigen.MyNumberCard, kigen.IntegratedCard} {
			cs = append([]*kigen.Card{MustUpsertCard(t, ctx, s, m.ID, r.ID, k, exp)}, cs...)
		}
		want = append(cs, want...)
	}
	MustUpsertCard(t, ctx, s, m.ID, r3.ID, kigen.ResidenceCard, exp)

	got := listCards(t, s, m.ID, r2.ID, r1.ID)
	if d := diff(want, got); d != "" {
		t.Errorf("ListCards mismatch (-want +got):\n%s", d)
	}
	if got := listCards(t, s, m.ID); len(got) != 0 {
		t.Errorf("ListCards() with no resident returned %d cards", len(got))
	}
	if got := listCards(t, s, m.ID, noSuchID); len(got) != 0 {
		t.Errorf("ListCards(unknown resident) returned %d cards", len(got))
	}
}

func testSetCardRenewalAppliedOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	other := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCard, date("2027-06-30"))

	for _, on := range []kigen.Date{date("2027-05-01"), date("2027-05-02"), {}} {
		must(t, s.SetCardRenewalApplied(ctx, m.ID, c.ID, on), "SetCardRenewalApplied("+on.String()+")")
		got := listCards(t, s, m.ID, r.ID)
		want := *c
		want.RenewalAppliedOn = on
		if d := diff([]*kigen.Card{other, &want}, got, cmpopts.IgnoreFields(kigen.Card{}, "UpdatedAt")); d != "" {
			t.Errorf("ListCards after SetCardRenewalApplied(%q) mismatch (-want +got):\n%s", on, d)
		}
	}
}

func testSetCardRenewalAppliedErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	wantErr(t, s.SetCardRenewalApplied(ctx, m.ID, c.ID+1, date("2027-05-01")), store.ErrNotFound, "SetCardRenewalApplied(unknown card)")
	wantErr(t, s.SetCardRenewalApplied(ctx, noSuchID, c.ID, date("2027-05-01")), store.ErrNotFound, "SetCardRenewalApplied(unknown municipality)")
	if d := diff(c, mustOneCard(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("failed calls changed the card (-want +got):\n%s", d)
	}
}

func testSetCardNextNoticeOnOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	other := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.MyNumberCard, date("2027-06-30"))

	for _, on := range []kigen.Date{date("2027-04-01"), date("2027-05-31"), {}} {
		must(t, s.SetCardNextNoticeOn(ctx, m.ID, c.ID, on), "SetCardNextNoticeOn("+on.String()+")")
		got := listCards(t, s, m.ID, r.ID)
		want := *c
		want.NextNoticeOn = on
		if d := diff([]*kigen.Card{other, &want}, got, cmpopts.IgnoreFields(kigen.Card{}, "UpdatedAt")); d != "" {
			t.Errorf("ListCards after SetCardNextNoticeOn(%q) mismatch (-want +got):\n%s", on, d)
		}
	}
}

func testSetCardNextNoticeOnErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "A-0001")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2027-06-30"))
	wantErr(t, s.SetCardNextNoticeOn(ctx, m.ID, c.ID+1, date("2027-04-01")), store.ErrNotFound, "SetCardNextNoticeOn(unknown card)")
	wantErr(t, s.SetCardNextNoticeOn(ctx, noSuchID, c.ID, date("2027-04-01")), store.ErrNotFound, "SetCardNextNoticeOn(unknown municipality)")
	if d := diff(c, mustOneCard(t, s, m.ID, r.ID)); d != "" {
		t.Errorf("failed calls changed the card (-want +got):\n%s", d)
	}
}

func testDeleteCardOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	tn := MustCreateTenant(t, ctx, s, "012033")
	mid, rid := tn.Municipality.ID, tn.Resident.ID
	kept := MustUpsertCard(t, ctx, s, mid, rid, kigen.MyNumberCard, date("2031-01-15"))

	must(t, s.DeleteCard(ctx, mid, rid, tn.Card.Kind), "DeleteCard")
	if d := diff([]*kigen.Card{kept}, listCards(t, s, mid, rid)); d != "" {
		t.Errorf("ListCards after DeleteCard mismatch (-want +got):\n%s", d)
	}
	wantErr(t, s.DeleteCard(ctx, mid, rid, tn.Card.Kind), store.ErrNotFound, "DeleteCard(twice)")
	due, err := s.ListDueCards(ctx, date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	if len(due) != 0 {
		t.Errorf("ListDueCards returned %d cards, want none", len(due))
	}

	// Its notices stay, detached: the message still carries its notice.
	msg, err := s.GetMessage(ctx, tn.Message.ID)
	must(t, err, "GetMessage")
	if d := diff(tn.Message, msg); d != "" {
		t.Errorf("GetMessage after DeleteCard mismatch (-want +got):\n%s", d)
	}
	notices, err := s.ListNotices(ctx, mid, tn.Card.ID)
	must(t, err, "ListNotices(deleted card)")
	if len(notices) != 0 {
		t.Errorf("ListNotices(deleted card) returned %d notices, want none (detached)", len(notices))
	}

	// A new card of the kind starts afresh: its notices are its own.
	c := MustUpsertCard(t, ctx, s, mid, rid, tn.Card.Kind, tn.Card.ExpiresOn)
	if c.ID == tn.Card.ID {
		t.Errorf("a new card reused the deleted card's ID %d", c.ID)
	}
	MustCreateNotice(t, ctx, s, mid, c.ID, c.ExpiresOn, tn.Notice.Stage)
}

func testDeleteCardErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	ra := MustUpsertResident(t, ctx, s, a.ID, "A-0001")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")
	cb := MustUpsertCard(t, ctx, s, b.ID, rb.ID, kigen.ResidenceCard, date("2027-06-30"))

	wantErr(t, s.DeleteCard(ctx, a.ID, ra.ID, kigen.ResidenceCard), store.ErrNotFound, "DeleteCard(no card of the kind)")
	wantErr(t, s.DeleteCard(ctx, a.ID, noSuchID, kigen.ResidenceCard), store.ErrNotFound, "DeleteCard(unknown resident)")
	wantErr(t, s.DeleteCard(ctx, a.ID, rb.ID, kigen.ResidenceCard), store.ErrNotFound, "DeleteCard(resident of another municipality)")
	wantErr(t, s.DeleteCard(ctx, b.ID, rb.ID, kigen.MyNumberCard), store.ErrNotFound, "DeleteCard(other kind)")
	if d := diff([]*kigen.Card{cb}, listCards(t, s, b.ID, rb.ID)); d != "" {
		t.Errorf("failed deletes changed the cards (-want +got):\n%s", d)
	}
}

// dueFixture stores cards in two municipalities with next notices around
// day and returns the cards due on day, in the order ListDueCards must
// return them.
func dueFixture(t *testing.T, s store.Store, day kigen.Date) []store.DueCard {
	t.Helper()
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	ra := MustUpsertResident(t, ctx, s, a.ID, "A-0001")
	rb := MustUpsertResident(t, ctx, s, b.ID, "B-0001")
	upsert := func(m *kigen.Municipality, r *kigen.Resident, kind kigen.CardKind, next kigen.Date) store.DueCard {
		c := &kigen.Card{ResidentID: r.ID, Kind: kind, ExpiresOn: date("2027-12-31"), NextNoticeOn: next}
		must(t, s.UpsertCard(ctx, m.ID, c), "UpsertCard")
		return store.DueCard{CardID: c.ID, MunicipalityID: m.ID, ResidentID: r.ID, NextNoticeOn: next}
	}
	upsert(a, ra, kigen.ResidenceCard, day.AddDays(1)) // not yet due
	onDay := upsert(a, ra, kigen.MyNumberCard, kigen.Date{})
	upsert(a, ra, kigen.MyNumberCert, kigen.Date{}) // nothing to do
	b1 := upsert(b, rb, kigen.ResidenceCard, day.AddDays(-1))
	b3 := upsert(b, rb, kigen.IntegratedCard, day.AddDays(-3))
	a1 := upsert(a, ra, kigen.IntegratedCard, day.AddDays(-1))
	// Through SetCardNextNoticeOn too.
	must(t, s.SetCardNextNoticeOn(ctx, a.ID, onDay.CardID, day), "SetCardNextNoticeOn")
	onDay.NextNoticeOn = day
	return []store.DueCard{b3, b1, a1, onDay}
}

func testListDueCardsOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := date("2027-04-01")
	want := dueFixture(t, s, day)
	got, err := s.ListDueCards(ctx, day, 100)
	must(t, err, "ListDueCards")
	if d := diff(want, got); d != "" {
		t.Errorf("ListDueCards mismatch (-want +got):\n%s", d)
	}
	got, err = s.ListDueCards(ctx, day.AddDays(-4), 100)
	must(t, err, "ListDueCards(before any)")
	if len(got) != 0 {
		t.Errorf("ListDueCards(before any) returned %d cards", len(got))
	}
}

func testListDueCardsLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	day := date("2027-04-01")
	want := dueFixture(t, s, day)
	for _, limit := range []int{1, 2, 4} {
		got, err := s.ListDueCards(ctx, day, limit)
		must(t, err, "ListDueCards")
		if d := diff(want[:limit], got); d != "" {
			t.Errorf("ListDueCards(limit %d) mismatch (-want +got):\n%s", limit, d)
		}
	}
}

func testListDueCardsEmpty(t *testing.T, s store.Store) {
	got, err := s.ListDueCards(t.Context(), date("2099-12-31"), 100)
	must(t, err, "ListDueCards")
	if len(got) != 0 {
		t.Errorf("ListDueCards on an empty store returned %d cards", len(got))
	}
}
