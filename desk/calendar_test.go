package desk_test

import (
	"testing"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

func TestCalendar(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r1 := desk.ResidentParams{Ref: "R-1"}

		// Staff of B cannot issue a link for A's resident: not found.
		_, err := b.d.IssueCalendarToken(ctx, b.staffB, r1)
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)

		before := b.count(t)
		link, err := b.d.IssueCalendarToken(ctx, b.staffA, r1)
		if err != nil {
			t.Fatal(err)
		}
		if len(link.Token) != 43 || link.Path != "/cal/"+link.Token+".ics" || link.Revoked != 0 {
			t.Errorf("IssueCalendarToken = %+v, want a 43-character token, its path, none revoked", link)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.calendar",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "calendar link 1 issued, 0 revoked"})

		before = b.count(t)
		f, err := b.d.CalendarFeed(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		// R-1's residence card expires on Sunday 2027-01-31: go by Friday 29.
		want := []desk.CalendarCard{{Kind: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2027-01-31"),
			GoBy: kigen.MustParseISODate("2027-01-29"), Visit: kigen.AtImmigration}}
		if len(f.Cards) != 1 || f.Cards[0].Kind != want[0].Kind || f.Cards[0].ExpiresOn != want[0].ExpiresOn ||
			f.Cards[0].GoBy != want[0].GoBy || f.Cards[0].Visit != want[0].Visit {
			t.Errorf("feed cards = %+v, want %+v", f.Cards, want)
		}
		if f.Language != kigen.Vietnamese || f.Municipality.Code != "012033" || len(f.Key) != 20 {
			t.Errorf("feed = language %s, municipality %s, key %q", f.Language, f.Municipality.Code, f.Key)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "calendar:1", ActorRole: "resident", Action: "resident.view",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "calendar feed"})

		// A date changes: the feed follows, under the same key.
		if _, err := b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: r1,
			ResidentFields: desk.ResidentFields{ResidenceCard: ptr("2029-05-03"), MyNumberCard: ptr("2027-01-31")}}); err != nil {
			t.Fatal(err)
		}
		g, err := b.d.CalendarFeed(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		if g.Key != f.Key || len(g.Cards) != 2 || g.Cards[0].ExpiresOn != kigen.MustParseISODate("2029-05-03") ||
			g.Cards[0].GoBy != kigen.MustParseISODate("2029-05-02") || g.Cards[1].Kind != kigen.MyNumberCard {
			t.Errorf("after the change: key %q (was %q), cards %+v", g.Key, f.Key, g.Cards)
		}

		// The resident themself may issue a new link; the old one stops.
		me := auth.Actor{ID: "resident:me", Role: auth.Resident, MunicipalityID: b.aID, MunicipalityCode: "012033", ResidentRef: "R-1"}
		if _, err := b.d.IssueCalendarToken(ctx, me, desk.ResidentParams{Ref: "R-2"}); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("a resident issuing another's link: %v, want not found", err)
		}
		if _, err := b.d.SelfCalendarLink(ctx, b.staffA); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("SelfCalendarLink as staff: %v, want unauthorized", err)
		}
		link2, err := b.d.SelfCalendarLink(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if link2.Revoked != 1 {
			t.Errorf("second link revoked %d, want 1", link2.Revoked)
		}
		before = b.count(t)
		_, err = b.d.CalendarFeed(ctx, link.Token)
		checkErr(t, err, kigen.ENOTFOUND, "no calendar feed at this address: the link is unknown or was revoked")
		for _, bad := range []string{"", "x", link.Token + "A", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"} {
			if _, err := b.d.CalendarFeed(ctx, bad); kigen.ErrorCode(err) != kigen.ENOTFOUND {
				t.Errorf("CalendarFeed(%q) = %v, want not found", bad, err)
			}
		}
		if n := b.count(t); n != before {
			t.Errorf("%d audit entries written for refused feeds, want none", n-before)
		}
		if _, err := b.d.CalendarFeed(ctx, link2.Token); err != nil {
			t.Fatal(err)
		}

		// Revoked by the resident, then at the counter: gone.
		n, err := b.d.SelfRevokeCalendar(ctx, me)
		if err != nil || n != 1 {
			t.Fatalf("SelfRevokeCalendar = %d, %v; want 1", n, err)
		}
		if _, err := b.d.CalendarFeed(ctx, link2.Token); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("feed revoked by the resident: %v, want not found", err)
		}
		link3, err := b.d.IssueCalendarToken(ctx, b.adminA, r1)
		if err != nil {
			t.Fatal(err)
		}
		n, err = b.d.RevokeCalendarToken(ctx, b.adminA, r1)
		if err != nil || n != 1 {
			t.Fatalf("RevokeCalendarToken = %d, %v; want 1", n, err)
		}
		link2 = link3
		if _, err := b.d.CalendarFeed(ctx, link2.Token); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("revoked feed: %v, want not found", err)
		}
		// An operator may not.
		if _, err := b.d.IssueCalendarToken(ctx, b.operator, desk.ResidentParams{Municipality: "012033", Ref: "R-1"}); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("operator: %v, want unauthorized", err)
		}
	})
}

// TestSelfCalendar: a resident who signed themself up takes their calendar
// link from their own page (the actor of their /me link); the feed is in
// their language, and erasing themself ends it.
func TestSelfCalendar(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		a, _ := b.signedUp(t, "090-1234-5678")
		link, err := b.d.SelfCalendarLink(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		f, err := b.d.CalendarFeed(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		if f.Language != kigen.Vietnamese || len(f.Cards) == 0 {
			t.Errorf("feed of a self sign-up: language %s, %d cards", f.Language, len(f.Cards))
		}
		if _, err := b.d.EraseResident(ctx, a, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.d.CalendarFeed(ctx, link.Token); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("feed after erasure: %v, want not found", err)
		}
	})
}
