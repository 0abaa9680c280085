package desk_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

// followupResidents add to the bundle's: five more without consent, three
// whose card is stale, one whose renewal is pending (not stale yet), and
// one reached by SMS only.
const followupResidents = "resident_ref,language,email,phone,residence_status,residence_card_expires_on,consent,channel\n" +
	"N-1,en,n1@example.jp,,定住者,2027-01-31,no,\nN-2,en,,,定住者,2027-01-31,yes,\nN-3,en,n3@example.jp,,定住者,2027-01-31,no,\n" +
	"N-4,en,n4@example.jp,,定住者,2027-01-31,no,\nN-5,en,n5@example.jp,,定住者,2027-01-31,no,\n" +
	"S-1,en,s1@example.jp,,定住者,2026-09-01,yes,\nS-2,en,s2@example.jp,,定住者,2026-08-01,yes,\nS-3,en,s3@example.jp,,定住者,2026-09-01,yes,\n" +
	"P-1,en,p1@example.jp,,定住者,2026-10-01,yes,\nF-1,en,,090-1234-5678,定住者,2027-01-31,yes,sms\n"

// followupWorld seeds the bundle's municipality A with one of each thing the
// follow-up list shows, and B with a message given up, and returns the
// whole list of A as it must be.
func followupWorld(t *testing.T, b *bundle) *desk.FollowupList {
	t.Helper()
	ctx := t.Context()
	if _, err := b.d.Import(ctx, b.adminA, desk.ImportParams{CSV: strings.NewReader(followupResidents)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.d.RecordApplied(ctx, b.adminA, desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: "P-1"},
		On: kigen.MustParseISODate("2026-09-15")}); err != nil {
		t.Fatal(err)
	}
	resident := func(mu int64, ref string) *kigen.Resident {
		r, err := b.s.GetResidentByRef(ctx, mu, ref)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	message := func(mu int64, r *kigen.Resident, ch kigen.Channel, st kigen.MessageState, ds kigen.DeliveryState) *kigen.Message {
		m := &kigen.Message{MunicipalityID: mu, ResidentID: r.ID, Channel: ch, TickDate: today, State: st}
		if err := b.s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		if ds != "" {
			if err := b.s.CreateDelivery(ctx, &kigen.Delivery{MessageID: m.ID, Provider: "outbox", State: ds}); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	r1, f1 := resident(b.aID, "R-1"), resident(b.aID, "F-1")
	message(b.aID, f1, kigen.SMS, kigen.MessageFailed, kigen.DeliveryFailed)   // no other channel
	message(b.aID, r1, kigen.Email, kigen.MessageFailed, kigen.DeliveryFailed) // no other channel either
	message(b.aID, r1, kigen.Email, kigen.MessageFailed, kigen.DeliveryFailed) // listed once
	var unknown []desk.UnknownItem
	for range 3 {
		m := message(b.aID, r1, kigen.Email, kigen.MessageUnknown, kigen.DeliveryUnknown)
		ds, err := b.s.ListDeliveries(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		unknown = append(unknown, desk.UnknownItem{DeliveryID: ds[0].ID, MessageID: m.ID, Ref: "R-1", Channel: kigen.Email, Since: ds[0].UpdatedAt.In(kigen.Tokyo)})
	}
	g1 := message(b.aID, r1, kigen.Email, kigen.MessagePlanned, "")
	g2 := message(b.aID, f1, kigen.SMS, kigen.MessagePlanned, "")
	sent := message(b.aID, r1, kigen.Email, kigen.MessageSent, kigen.DeliveryAccepted) // sent since: not listed
	if _, err := b.d.Import(ctx, b.staffB, desk.ImportParams{CSV: strings.NewReader("resident_ref,language,email,consent\nX-1,en,x1@example.jp,yes\n")}); err != nil {
		t.Fatal(err)
	}
	other := message(b.bID, resident(b.bID, "X-1"), kigen.Email, kigen.MessagePlanned, "") // B's
	b.q.givenUp = []int64{g2.ID, sent.ID, other.ID, g1.ID}
	return &desk.FollowupList{Municipality: "012033", Date: today,
		Unreachable: []desk.UnreachableItem{{Ref: "R-2", Reason: desk.ReasonNoConsent}, {Ref: "N-1", Reason: desk.ReasonNoConsent},
			{Ref: "N-2", Reason: desk.ReasonNoContact}, {Ref: "N-3", Reason: desk.ReasonNoConsent}, {Ref: "N-4", Reason: desk.ReasonNoConsent},
			{Ref: "N-5", Reason: desk.ReasonNoConsent}, {Ref: "R-1", Reason: desk.ReasonMessageFailed}, {Ref: "F-1", Reason: desk.ReasonMessageFailed}},
		Stale: []desk.StaleItem{{Ref: "S-2", Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2026-08-01")},
			{Ref: "S-1", Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2026-09-01")},
			{Ref: "S-3", Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2026-09-01")}},
		Unknown: unknown,
		GivenUp: []desk.GivenUpItem{{MessageID: g1.ID, Ref: "R-1", Channel: kigen.Email, TickDate: today},
			{MessageID: g2.ID, Ref: "F-1", Channel: kigen.SMS, TickDate: today}},
	}
}

// TestDesk_WalkFollowup: the list read a page at a time is the same
// whatever the page size, every section's first page comes even empty,
// and each municipality walked is audited once with its counts.
func TestDesk_WalkFollowup(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		want := followupWorld(t, b)
		for _, limit := range []int{1, 2, 3, 1000} {
			before := b.count(t)
			var (
				lists    []*desk.FollowupList
				sections []string
				next     string // the cursor the page before gave
			)
			err := b.d.WalkFollowup(ctx, b.staffA, desk.FollowupParams{Limit: limit}, func(pg *desk.FollowupPage) error {
				if pg.Len() > limit {
					t.Errorf("limit %d: a page of %d", limit, pg.Len())
				}
				if pg.Cursor == "" {
					sections = append(sections, pg.Section)
				} else if pg.Cursor != next {
					t.Errorf("limit %d: a page of %s with cursor %q, after a page that gave %q", limit, pg.Section, pg.Cursor, next)
				}
				next = pg.Next
				lists = desk.GatherFollowup(lists, pg)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(lists) != 1 {
				t.Fatalf("limit %d: %d lists, want 1", limit, len(lists))
			}
			if d := cmp.Diff(want, lists[0]); d != "" {
				t.Errorf("limit %d: the list (-want +got):\n%s", limit, d)
			}
			if d := cmp.Diff(desk.FollowupSections, sections); d != "" {
				t.Errorf("limit %d: sections begun (-want +got):\n%s", limit, d)
			}
			b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "followup.view",
				MunicipalityID: b.aID, Detail: "8 unreachable, 3 stale, 3 unknown, 2 given up"})
		}

		// Stopping after the first page stops the reads; what was shown
		// is audited.
		before := b.count(t)
		stop := errors.New("enough")
		err := b.d.WalkFollowup(ctx, b.staffA, desk.FollowupParams{Limit: 2}, func(pg *desk.FollowupPage) error { return stop })
		if !errors.Is(err, stop) {
			t.Errorf("a walk stopped by its callback: %v", err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "followup.view",
			MunicipalityID: b.aID, Detail: "2 unreachable, 0 stale, 0 unknown, 0 given up"})

		// All: an operator's walk covers every municipality, in code
		// order; a staff member's, their own.
		walked := func(a auth.Actor) string {
			t.Helper()
			var codes []string
			err := b.d.WalkFollowup(ctx, a, desk.FollowupParams{All: true}, func(pg *desk.FollowupPage) error {
				if pg.Cursor == "" && pg.Section == desk.SectionUnreachable {
					codes = append(codes, pg.Municipality)
				}
				return nil
			})
			if err != nil {
				t.Errorf("%s's --all: %v", a.ID, err)
			}
			return strings.Join(codes, " ")
		}
		if got := walked(b.operator); got != "012033 131016" {
			t.Errorf("operator's --all: %s; want both municipalities", got)
		}
		if got := walked(b.staffB); got != "131016" {
			t.Errorf("staff's --all: %s; want their own only", got)
		}
		err = b.d.WalkFollowup(ctx, b.staffB, desk.FollowupParams{Municipality: "012033"}, func(*desk.FollowupPage) error { return nil })
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
	})
}

// TestDesk_FollowupPage: one page of one section at a time, as the console
// and the API read it: cursors chain, a section's first page is audited
// and the next ones are not, a bad section or cursor is refused.
func TestDesk_FollowupPage(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		want := followupWorld(t, b)
		before := b.count(t)
		var got []desk.StaleItem
		for cursor, pages := "", 0; ; pages++ {
			pg, err := b.d.FollowupPage(ctx, b.operator, desk.FollowupPageParams{Municipality: "012033", Section: desk.SectionStale, Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, pg.Stale...)
			if pg.Next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("the cursors do not end")
			}
			cursor = pg.Next
		}
		if d := cmp.Diff(want.Stale, got); d != "" {
			t.Errorf("stale, page by page (-want +got):\n%s", d)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "followup.view",
			MunicipalityID: b.aID, Detail: "stale: first page, 2"})
		_, err := b.d.FollowupPage(ctx, b.staffA, desk.FollowupPageParams{Section: "everything"})
		checkErr(t, err, kigen.EINVALID, `section: "everything" is not a section: unreachable, stale, unknown, given_up`)
		for _, s := range desk.FollowupSections {
			for _, bad := range []string{"x", "r", "2026-13-01/4", "-"} {
				if _, err := b.d.FollowupPage(ctx, b.staffA, desk.FollowupPageParams{Section: s, Cursor: bad}); kigen.ErrorCode(err) != kigen.EINVALID {
					t.Errorf("section %s, cursor %q: %v; want invalid", s, bad, err)
				}
			}
		}
	})
}

// countingStore counts the rows the follow-up reads return.
type countingStore struct {
	store.Store
	rows atomic.Int64
}

func (s *countingStore) ListUnreachableCandidates(ctx context.Context, f store.FollowupFilter) ([]*kigen.Resident, error) {
	rs, err := s.Store.ListUnreachableCandidates(ctx, f)
	s.rows.Add(int64(len(rs)))
	return rs, err
}

func (s *countingStore) ListResidents(ctx context.Context, f store.ResidentFilter) ([]*kigen.Resident, error) {
	rs, err := s.Store.ListResidents(ctx, f)
	s.rows.Add(int64(len(rs)))
	return rs, err
}

func (s *countingStore) ListContacts(ctx context.Context, mu int64, ids ...int64) ([]*kigen.Contact, error) {
	cs, err := s.Store.ListContacts(ctx, mu, ids...)
	s.rows.Add(int64(len(cs)))
	return cs, err
}

// TestDesk_WalkFollowup_FirstScreen: the first page comes after reading a
// page's worth of rows, not the municipality's residents: the first screen
// costs the same at 200 residents or 200,000 (BenchmarkFollowup measures
// it).
func TestDesk_WalkFollowup_FirstScreen(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var csv strings.Builder
		csv.WriteString("resident_ref,language,email,residence_card_expires_on,consent\n")
		for i := range 600 {
			consent := "yes"
			if i%3 == 0 {
				consent = "no"
			}
			fmt.Fprintf(&csv, "M-%04d,en,m%d@example.jp,2027-01-31,%s\n", i, i, consent)
		}
		if _, err := b.d.Import(t.Context(), b.adminA, desk.ImportParams{CSV: strings.NewReader(csv.String())}); err != nil {
			t.Fatal(err)
		}
		cs := &countingStore{Store: b.s}
		d := *b.d
		d.Store = cs
		var first int64 = -1
		err := d.WalkFollowup(t.Context(), b.staffA, desk.FollowupParams{Limit: 20}, func(pg *desk.FollowupPage) error {
			if first < 0 {
				first = cs.rows.Load()
				if pg.Len() != 20 {
					t.Errorf("the first page holds %d, want 20", pg.Len())
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if first > 60 || cs.rows.Load() < 400 {
			t.Errorf("%d rows read before the first page, %d in all; want at most 60 (a page's worth) of the 600 residents' reads", first, cs.rows.Load())
		}
	})
}
