package storetest

import (
	"testing"

	"kigen"
	"kigen/store"
)

// StoredStages checks what a card stores of the stages recorded for it,
// which ListHoldings reads instead of the notices: stored returns the
// card's sent_for date (or "stale" when NULL), a space, and its
// sent_stages (or "-" when NULL), as the backend's columns hold them. A
// new card has none for its expiry; a notice recorded by CreateNotice makes
// them stale; setting the next date stores them; a renewal has none.
func StoredStages(t *testing.T, s store.Store, stored func(cardID int64) (string, error)) {
	t.Helper()
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	r := MustUpsertResident(t, ctx, s, m.ID, "r1")
	e := date("2027-06-30")
	c := MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, e)
	want := func(when, want string) {
		t.Helper()
		got, err := stored(c.ID)
		must(t, err, "read the card's stored stages")
		if got != want {
			t.Errorf("%s: the card stores %q, want %q", when, got, want)
		}
	}
	want("new", "2027-06-30 -")
	MustCreateNotice(t, ctx, s, m.ID, c.ID, e, kigen.D90)
	MustCreateNotice(t, ctx, s, m.ID, c.ID, e, kigen.D60)
	want("after CreateNotice", "stale -")
	must(t, s.SetCardsNextNoticeOn(ctx, []store.CardNext{{MunicipalityID: m.ID, CardID: c.ID, On: e.AddDays(-30)}}), "SetCardsNextNoticeOn")
	want("after SetCardsNextNoticeOn", "2027-06-30 d60,d90")
	MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, date("2030-03-26"))
	want("renewed", "2030-03-26 -")
	MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, e)
	want("corrected back", "2027-06-30 d60,d90")
}
