package scheduler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
	"kigen/store/sqlite"
	"kigen/store/storetest"
)

// planWorld is one municipality in a fresh store, with the residents and
// cards a test made, and the messages its planners enqueued.
type planWorld struct {
	t         *testing.T
	s         store.Store
	m         *kigen.Municipality
	residents map[string]*kigen.Resident // by ref
	refs      map[int64]string           // resident ID → ref
	cards     map[int64]*kigen.Card      // by ID

	mu       sync.Mutex
	enqueued [][]int64 // the message IDs of each Enqueue call, in order
}

func newPlanWorld(t *testing.T, s store.Store) *planWorld {
	t.Helper()
	return &planWorld{
		t:         t,
		s:         s,
		m:         storetest.MustCreateMunicipality(t, t.Context(), s, "012033"),
		residents: map[string]*kigen.Resident{},
		refs:      map[int64]string{},
		cards:     map[int64]*kigen.Card{},
	}
}

// resident stores a resident with these contacts (consented, usable).
func (w *planWorld) resident(ref string, status kigen.Status, pref kigen.ChannelPref, channels ...kigen.Channel) *kigen.Resident {
	w.t.Helper()
	ctx := w.t.Context()
	r := &kigen.Resident{MunicipalityID: w.m.ID, Ref: ref, Name: "Name " + ref, Language: kigen.English, Status: status, Channel: pref}
	if _, err := w.s.UpsertResident(ctx, r); err != nil {
		w.t.Fatal(err)
	}
	w.residents[ref], w.refs[r.ID] = r, ref
	for _, ch := range channels {
		addr := ref + "@mail.example"
		if ch == kigen.SMS {
			addr = fmt.Sprintf("+8190%08d", r.ID)
		}
		storetest.MustUpsertContact(w.t, ctx, w.s, w.m.ID, r.ID, ch, addr)
	}
	return r
}

// card stores (or re-imports) a resident's card of this kind, with this
// next notice date ("" for none).
func (w *planWorld) card(ref string, kind kigen.CardKind, expiresOn, next string) *kigen.Card {
	w.t.Helper()
	c := &kigen.Card{ResidentID: w.residents[ref].ID, Kind: kind, ExpiresOn: kigen.MustParseISODate(expiresOn)}
	if next != "" {
		c.NextNoticeOn = kigen.MustParseISODate(next)
	}
	if err := w.s.UpsertCard(w.t.Context(), w.m.ID, c); err != nil {
		w.t.Fatal(err)
	}
	w.cards[c.ID] = c
	return c
}

// replan sets the next notice dates of a resident's cards as an import on
// that day does.
func (w *planWorld) replan(ref, day string) {
	w.t.Helper()
	if err := store.Replan(w.t.Context(), w.s, w.m.ID, w.residents[ref].ID, kigen.MustParseISODate(day)); err != nil {
		w.t.Fatal(err)
	}
}

// enqueue is the planners' Enqueue: it checks that the messages are
// visible in the batch's transaction and records their IDs.
func (w *planWorld) enqueue(ctx context.Context, tx store.Tx, ids []int64) error {
	if tx == nil {
		return errors.New("Enqueue called without a transaction")
	}
	for _, id := range ids {
		if _, err := tx.GetMessage(ctx, id); err != nil {
			return fmt.Errorf("message %d not in the transaction: %w", id, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.enqueued = append(w.enqueued, slices.Clone(ids))
	return nil
}

func (w *planWorld) planner() *scheduler.Planner {
	return &scheduler.Planner{
		Store:   w.s,
		Enqueue: w.enqueue,
		Logger:  slog.New(slog.NewTextHandler(w.t.Output(), nil)),
	}
}

// tick runs a tick on day and returns the messages it enqueued,
// described.
func (w *planWorld) tick(day string) []string {
	w.t.Helper()
	before := len(w.enqueued)
	if _, err := w.planner().Tick(w.t.Context(), kigen.MustParseISODate(day)); err != nil {
		w.t.Fatalf("Tick(%s): %v", day, err)
	}
	var ids []int64
	for _, call := range w.enqueued[before:] {
		ids = append(ids, call...)
	}
	return w.describe(ids)
}

// describe returns each message as "ref channel: kind expires stage, ...",
// sorted.
func (w *planWorld) describe(ids []int64) []string {
	w.t.Helper()
	ctx := w.t.Context()
	notices := w.notices()
	var out []string
	for _, id := range ids {
		m, err := w.s.GetMessage(ctx, id)
		if err != nil {
			w.t.Fatal(err)
		}
		var ns []string
		for _, nid := range m.NoticeIDs {
			ns = append(ns, notices[nid])
		}
		slices.Sort(ns)
		out = append(out, fmt.Sprintf("%s %s: %s", w.refs[m.ResidentID], m.Channel, strings.Join(ns, ", ")))
	}
	slices.Sort(out)
	return out
}

// notices returns every notice recorded for the world's cards, by ID, as
// "kind expires stage".
func (w *planWorld) notices() map[int64]string {
	w.t.Helper()
	ns, err := w.s.ListNotices(w.t.Context(), w.m.ID, slices.Collect(maps.Keys(w.cards))...)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, n := range ns {
		out[n.ID] = fmt.Sprintf("%s %s %s", w.cards[n.CardID].Kind, n.ExpiresOn, n.Stage)
	}
	return out
}

// nextDates returns each card's stored next notice date by ref and kind.
func (w *planWorld) nextDates() map[string]string {
	w.t.Helper()
	var ids []int64
	for _, r := range w.residents {
		ids = append(ids, r.ID)
	}
	cs, err := w.s.ListCards(w.t.Context(), w.m.ID, ids...)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range cs {
		out[w.refs[c.ResidentID]+" "+string(c.Kind)] = c.NextNoticeOn.String()
	}
	return out
}

// day returns the ISO date days after (before, if negative) the ISO date d.
func day(d string, days int) string {
	return kigen.MustParseISODate(d).AddDays(days).String()
}

// expiry is the card expiry date most scenarios use.
const expiry = "2027-03-31"

// importDay is the day the scenarios' residents were imported.
const importDay = "2026-11-01"

// planStep is a tick on a day, after an optional change, with the messages
// it must plan.
type planStep struct {
	day    string
	before func(w *planWorld)
	want   []string
	check  func(t *testing.T, w *planWorld)
}

func TestPlanner_Tick(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(w *planWorld)
		steps []planStep
	}{
		{
			name: "same-day grouping: two cards expiring the same day, one message",
			setup: func(w *planWorld) {
				w.resident("r1", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
				w.card("r1", kigen.ResidenceCard, expiry, "")
				w.card("r1", kigen.MyNumberCard, expiry, "")
				w.replan("r1", importDay)
			},
			steps: []planStep{
				{day: day(expiry, -91), want: nil},
				{day: day(expiry, -90), want: []string{"r1 email: mynumber_card 2027-03-31 d90, residence_card 2027-03-31 d90"}},
				{day: day(expiry, -90), want: nil}, // a second tick the same day
				{day: day(expiry, -89), want: nil},
				{day: day(expiry, -60), want: []string{"r1 email: mynumber_card 2027-03-31 d60, residence_card 2027-03-31 d60"}},
			},
		},
		{
			name: "two channels: one message on each, with the same notices",
			setup: func(w *planWorld) {
				w.resident("r2", kigen.FixedPeriod, kigen.PrefBoth, kigen.Email, kigen.SMS)
				w.card("r2", kigen.ResidenceCard, expiry, "")
				w.replan("r2", importDay)
			},
			steps: []planStep{
				{day: day(expiry, -30), want: []string{
					"r2 email: residence_card 2027-03-31 d30",
					"r2 sms: residence_card 2027-03-31 d30",
				}},
				{day: day(expiry, -14), want: []string{
					"r2 email: residence_card 2027-03-31 d14",
					"r2 sms: residence_card 2027-03-31 d14",
				}},
			},
		},
		{
			name: "catch-up after a missed week: one notice per card, the most urgent",
			setup: func(w *planWorld) {
				w.resident("r3", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
				w.card("r3", kigen.ResidenceCard, expiry, "")
				w.card("r3", kigen.MyNumberCert, "2027-04-03", "")
				w.replan("r3", importDay)
			},
			steps: []planStep{
				// First tick 20 days before: d90 and d60 are never sent.
				{day: day(expiry, -20), want: []string{"r3 email: mynumber_cert 2027-04-03 d30, residence_card 2027-03-31 d30"}},
				{day: day(expiry, -10), want: []string{"r3 email: mynumber_cert 2027-04-03 d14, residence_card 2027-03-31 d14"}},
				// The scheduler was down for a week: residence d7 and d3
				// are both due, only d3 goes.
				{day: day(expiry, -2), want: []string{"r3 email: mynumber_cert 2027-04-03 d7, residence_card 2027-03-31 d3"}},
				{day: expiry, want: []string{"r3 email: mynumber_cert 2027-04-03 d3, residence_card 2027-03-31 d1"}},
				{day: day(expiry, 1), want: []string{"r3 email: residence_card 2027-03-31 expired"}},
				{day: day(expiry, 2), want: []string{"r3 email: mynumber_cert 2027-04-03 d1"}},
			},
		},
		{
			name: "renewal gap after a re-import: due at the next tick",
			setup: func(w *planWorld) {
				w.resident("r4", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
				w.card("r4", kigen.ResidenceCard, expiry, "")
				w.card("r4", kigen.MyNumberCard, expiry, "")
				w.replan("r4", importDay)
			},
			steps: []planStep{
				{day: day(expiry, -90), want: []string{"r4 email: mynumber_card 2027-03-31 d90, residence_card 2027-03-31 d90"}},
				{
					day: "2027-01-11",
					before: func(w *planWorld) {
						// The residence was renewed to 2030; the My Number
						// card was not.
						w.card("r4", kigen.ResidenceCard, "2030-03-31", "")
						w.replan("r4", "2027-01-10")
					},
					want: []string{"r4 email: mynumber_card 2027-03-31 renewal_gap"},
				},
				{day: "2027-01-12", want: nil},
				{day: day(expiry, -60), want: []string{"r4 email: mynumber_card 2027-03-31 d60"}},
			},
		},
		{
			name: "consent off, no contact, a stale card: nothing recorded, next dates cleared",
			setup: func(w *planWorld) {
				ctx := w.t.Context()
				r := w.resident("r5", kigen.FixedPeriod, kigen.PrefDefault)
				c := &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: "r5@mail.example", Consent: false}
				if err := w.s.UpsertContact(ctx, w.m.ID, c); err != nil {
					w.t.Fatal(err)
				}
				w.card("r5", kigen.ResidenceCard, expiry, day(expiry, -90))
				w.resident("r6", kigen.FixedPeriod, kigen.PrefDefault) // no contact
				w.card("r6", kigen.ResidenceCard, expiry, day(expiry, -90))
				w.resident("r7", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
				w.card("r7", kigen.ResidenceCard, "2026-11-20", "2026-11-01") // 41 days expired: stale
			},
			steps: []planStep{{
				day:  day(expiry, -90),
				want: nil,
				check: func(t *testing.T, w *planWorld) {
					if ns := w.notices(); len(ns) != 0 {
						t.Errorf("notices recorded: %v", ns)
					}
					want := map[string]string{"r5 residence_card": "", "r6 residence_card": "", "r7 residence_card": ""}
					if d := cmp.Diff(want, w.nextDates()); d != "" {
						t.Errorf("next notice dates (-want +got):\n%s", d)
					}
				},
			}},
		},
		{
			name: "integrated card: its stages, no gap after a renewal",
			setup: func(w *planWorld) {
				w.resident("r8", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
				w.card("r8", kigen.IntegratedCard, expiry, "")
				w.replan("r8", importDay)
			},
			steps: []planStep{
				{day: day(expiry, -90), want: []string{"r8 email: integrated_card 2027-03-31 d90"}},
				{day: day(expiry, -60), want: []string{"r8 email: integrated_card 2027-03-31 d60"}},
				{
					day: "2027-02-02",
					before: func(w *planWorld) {
						w.card("r8", kigen.IntegratedCard, "2030-03-31", "")
						w.replan("r8", "2027-02-01")
					},
					want: nil,
				},
				{day: day("2030-03-31", -90), want: []string{"r8 email: integrated_card 2030-03-31 d90"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			backends(t, func(t *testing.T, s store.Store) {
				w := newPlanWorld(t, s)
				tt.setup(w)
				for _, st := range tt.steps {
					if st.before != nil {
						st.before(w)
					}
					got := w.tick(st.day)
					if d := cmp.Diff(st.want, got, cmpopts.EquateEmpty()); d != "" {
						t.Errorf("tick %s: messages (-want +got):\n%s", st.day, d)
					}
					if st.check != nil {
						st.check(t, w)
					}
				}
			})
		})
	}
}

func TestPlanner_SummaryAndLastTick(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		w := newPlanWorld(t, s)
		w.resident("r1", kigen.FixedPeriod, kigen.PrefBoth, kigen.Email, kigen.SMS)
		w.card("r1", kigen.ResidenceCard, expiry, "")
		w.card("r1", kigen.MyNumberCard, expiry, "")
		w.resident("r2", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
		w.card("r2", kigen.ResidenceCard, expiry, "")
		w.replan("r1", importDay)
		w.replan("r2", importDay)

		var logs bytes.Buffer
		p := w.planner()
		p.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		today := kigen.MustParseISODate(day(expiry, -30))
		before := time.Now()
		got, err := p.Tick(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		want := scheduler.TickSummary{
			Date:      today,
			Residents: 2,
			Notices:   3,
			Messages:  3,
			Batches:   1,
			ByStage: map[kigen.CardKind]map[kigen.Stage]int{
				kigen.ResidenceCard: {kigen.D30: 2},
				kigen.MyNumberCard:  {kigen.D30: 1},
			},
			ByChannel: map[kigen.Channel]int{kigen.Email: 2, kigen.SMS: 1},
		}
		if d := cmp.Diff(want, got, cmpopts.IgnoreFields(scheduler.TickSummary{}, "TickID", "Duration")); d != "" {
			t.Errorf("TickSummary (-want +got):\n%s", d)
		}
		if got.TickID == 0 || got.Duration <= 0 {
			t.Errorf("TickSummary: TickID %d, Duration %v; want both set", got.TickID, got.Duration)
		}

		last, err := s.LastTick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Stamped with the real clock, never the day planned: a tick
		// for another day is recorded time-travelled.
		wantTick := &store.Tick{ID: got.TickID, Date: today, Notices: 3, Messages: 3, TimeTravel: today != kigen.DateOf(before)}
		if d := cmp.Diff(wantTick, last, cmpopts.IgnoreFields(store.Tick{}, "StartedAt", "FinishedAt")); d != "" {
			t.Errorf("LastTick (-want +got):\n%s", d)
		}
		if last.StartedAt.Before(before.Truncate(time.Millisecond)) || last.StartedAt.After(time.Now()) {
			t.Errorf("LastTick: StartedAt %v, want the real time of the tick (after %v)", last.StartedAt, before)
		}
		if last.FinishedAt.Before(last.StartedAt) || last.FinishedAt.IsZero() {
			t.Errorf("LastTick: FinishedAt %v, want set, not before StartedAt %v", last.FinishedAt, last.StartedAt)
		}

		// A second tick the same day plans nothing, fails not, and is the
		// last tick now.
		again, err := p.Tick(ctx, today)
		if err != nil {
			t.Fatalf("second Tick: %v", err)
		}
		if again.Notices != 0 || again.Messages != 0 || again.Batches != 0 || again.Residents != 0 {
			t.Errorf("second Tick the same day: %+v, want nothing planned", again)
		}
		if last, err := s.LastTick(ctx); err != nil || last.ID != again.TickID || last.Notices != 0 || last.FinishedAt.IsZero() {
			t.Errorf("LastTick after the second tick = %+v, %v; want tick %d, finished, 0 notices", last, err, again.TickID)
		}

		// The log has a line per batch and per tick, and no personal data.
		text := logs.String()
		for _, msg := range []string{`"msg":"tick batch"`, `"msg":"tick finished"`} {
			if !strings.Contains(text, msg) {
				t.Errorf("log has no %s line:\n%s", msg, text)
			}
		}
		for _, private := range []string{"@", "+8190", "Name "} {
			if strings.Contains(text, private) {
				t.Errorf("log contains %q:\n%s", private, text)
			}
		}
	})
}

func TestPlanner_EnqueueErrorRollsBack(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		w := newPlanWorld(t, s)
		w.resident("r1", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
		w.card("r1", kigen.ResidenceCard, expiry, "")
		w.replan("r1", importDay)
		nextBefore := w.nextDates()

		errBoom := errors.New("boom")
		var calls [][]int64
		p := w.planner()
		p.Enqueue = func(ctx context.Context, tx store.Tx, ids []int64) error {
			// Called in the transaction, with messages visible there.
			for _, id := range ids {
				m, err := tx.GetMessage(ctx, id)
				if err != nil {
					t.Errorf("GetMessage(%d) in Enqueue's tx: %v", id, err)
				} else if len(m.NoticeIDs) != 1 {
					t.Errorf("message %d carries %d notices, want 1", id, len(m.NoticeIDs))
				}
			}
			calls = append(calls, ids)
			return errBoom
		}
		today := day(expiry, -90)
		_, err := p.Tick(ctx, kigen.MustParseISODate(today))
		if !errors.Is(err, errBoom) {
			t.Fatalf("Tick with a failing Enqueue: err = %v, want %v", err, errBoom)
		}
		if len(calls) != 1 || len(calls[0]) != 1 {
			t.Errorf("Enqueue calls = %v, want one with one message", calls)
		}
		if ns := w.notices(); len(ns) != 0 {
			t.Errorf("notices left after the rollback: %v", ns)
		}
		if d := cmp.Diff(nextBefore, w.nextDates()); d != "" {
			t.Errorf("next notice dates moved despite the rollback (-before +after):\n%s", d)
		}
		if last, err := s.LastTick(ctx); err != nil || !last.FinishedAt.IsZero() {
			t.Errorf("LastTick after a failed tick = %+v, %v; want it unfinished", last, err)
		}
		if _, err := s.GetMessage(ctx, calls[0][0]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetMessage(rolled back message) err = %v, want ErrNotFound", err)
		}

		// The next tick plans it all.
		if got, want := w.tick(today), []string{"r1 email: residence_card 2027-03-31 d90"}; !cmp.Equal(want, got) {
			t.Errorf("tick after the failed one: %v, want %v", got, want)
		}
	})
}

// forgetfulStore is a store whose transactions do not keep next notice
// dates: a tick on it would find the same cards due for ever.
type forgetfulStore struct{ store.Store }

func (s forgetfulStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error { return fn(forgetfulTx{tx}) })
}

type forgetfulTx struct{ store.Tx }

func (forgetfulTx) SetCardNextNoticeOn(context.Context, int64, int64, kigen.Date) error { return nil }

func (forgetfulTx) SetCardsNextNoticeOn(context.Context, []store.CardNext) error { return nil }

func TestPlanner_NoProgress(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		w := newPlanWorld(t, s)
		w.resident("r1", kigen.FixedPeriod, kigen.PrefDefault, kigen.Email)
		w.card("r1", kigen.ResidenceCard, expiry, "")
		w.replan("r1", importDay)
		p := w.planner()
		p.Store = forgetfulStore{s}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		sum, err := p.Tick(ctx, kigen.MustParseISODate(day(expiry, -90)))
		if !errors.Is(err, scheduler.ErrNoProgress) {
			t.Fatalf("Tick on a store that loses next dates: err = %v, want ErrNoProgress", err)
		}
		if sum.Batches != 1 || sum.Notices != 1 {
			t.Errorf("summary: %d batches, %d notices; want the first batch (1 notice) committed", sum.Batches, sum.Notices)
		}
	})
}

// seedDue stores n residents of municipality m, each with an email contact
// and a residence card whose next notice is due on day (its d90), in bulk.
// It returns their IDs.
func seedDue(tb testing.TB, ctx context.Context, s store.Store, m int64, prefix string, n int, day kigen.Date, pref kigen.ChannelPref) []int64 {
	tb.Helper()
	expires := day.AddDays(90)
	const chunk = 5000
	var ids []int64
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		rs := make([]*kigen.Resident, 0, hi-lo)
		for i := lo; i < hi; i++ {
			rs = append(rs, &kigen.Resident{Ref: fmt.Sprintf("%s-%06d", prefix, i), Language: kigen.English, Status: kigen.FixedPeriod, Channel: pref})
		}
		if _, err := s.UpsertResidents(ctx, m, rs); err != nil {
			tb.Fatal(err)
		}
		var cs []*kigen.Contact
		var cards []*kigen.Card
		for _, r := range rs {
			ids = append(ids, r.ID)
			cs = append(cs, &kigen.Contact{ResidentID: r.ID, Channel: kigen.Email, Address: fmt.Sprintf("r%d@mail.example", r.ID), Consent: true})
			if pref == kigen.PrefBoth {
				cs = append(cs, &kigen.Contact{ResidentID: r.ID, Channel: kigen.SMS, Address: fmt.Sprintf("+8190%08d", r.ID), Consent: true})
			}
			cards = append(cards, &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: expires, NextNoticeOn: day})
		}
		if err := s.UpsertContacts(ctx, m, cs); err != nil {
			tb.Fatal(err)
		}
		if err := s.UpsertCards(ctx, m, cards); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

func TestPlanner_Batches(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		today := kigen.MustParseISODate("2026-12-01")
		a := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		b := storetest.MustCreateMunicipality(t, ctx, s, "131016")
		seedDue(t, ctx, s, a.ID, "A", 1500, today, kigen.PrefDefault)
		seedDue(t, ctx, s, b.ID, "B", 1000, today, kigen.PrefDefault)

		var sizes []int
		p := &scheduler.Planner{
			Store:     s,
			BatchSize: 1000,
			Logger:    slog.New(slog.NewTextHandler(t.Output(), nil)),
			Enqueue: func(ctx context.Context, tx store.Tx, ids []int64) error {
				sizes = append(sizes, len(ids))
				return nil
			},
		}
		sum, err := p.Tick(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{1000, 1000, 500}; !cmp.Equal(want, sizes) {
			t.Errorf("Enqueue batch sizes = %v, want %v", sizes, want)
		}
		if sum.Batches != 3 || sum.Residents != 2500 || sum.Notices != 2500 || sum.Messages != 2500 {
			t.Errorf("summary: %d batches, %d residents, %d notices, %d messages; want 3, 2500, 2500, 2500",
				sum.Batches, sum.Residents, sum.Notices, sum.Messages)
		}
		if due, err := s.ListDueCards(ctx, today, 10); err != nil || len(due) != 0 {
			t.Errorf("ListDueCards after the tick = %v, %v; want none", due, err)
		}
	})
}

// TestPlanner_Concurrency plans one tick two batches at a time, from a
// snapshot of the due cards that holds only some of them (SnapshotSize):
// the rest, the odd residents' cards that come first in the due list aside,
// must be planned by the loop that reads them again. Every resident gets
// one notice and one message, and no message is enqueued twice.
func TestPlanner_Concurrency(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		today := kigen.MustParseISODate("2026-12-01")
		a := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		b := storetest.MustCreateMunicipality(t, ctx, s, "131016")
		for _, m := range []int64{a.ID, b.ID} {
			rs := seedDue(t, ctx, s, m, fmt.Sprint("M", m), 300, today, kigen.PrefDefault)
			cards, err := s.ListCards(ctx, m, rs...)
			if err != nil {
				t.Fatal(err)
			}
			var odd []store.CardNext
			for _, c := range cards {
				if c.ResidentID%2 == 1 {
					odd = append(odd, store.CardNext{MunicipalityID: m, CardID: c.ID, On: today.AddDays(-3)})
				}
			}
			if err := s.SetCardsNextNoticeOn(ctx, odd); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		jobs := map[int64]int{}
		p := &scheduler.Planner{
			Store: s, BatchSize: 10, Concurrency: 2, SnapshotSize: 250,
			Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
			Enqueue: func(ctx context.Context, tx store.Tx, ids []int64) error {
				mu.Lock()
				defer mu.Unlock()
				for _, id := range ids {
					jobs[id]++
				}
				return nil
			},
		}
		sum, err := p.Tick(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Residents != 600 || sum.Notices != 600 || sum.Messages != 600 || len(jobs) != 600 {
			t.Errorf("summary: %d residents, %d notices, %d messages, %d jobs; want 600 each", sum.Residents, sum.Notices, sum.Messages, len(jobs))
		}
		for id, n := range jobs {
			if n != 1 {
				t.Errorf("message %d enqueued %d times", id, n)
			}
		}
		if due, err := s.ListDueCards(ctx, today, 10); err != nil || len(due) != 0 {
			t.Errorf("ListDueCards after the tick = %v, %v; want none", due, err)
		}
		if sum.Batches < 60 {
			t.Errorf("%d batches; want at least 60 of 10 residents", sum.Batches)
		}
	})
}

// TestPlanner_Concurrent starts two ticks at once, in small batches over
// two municipalities: neither fails, every notice is recorded once and
// carried by exactly one message per channel. SQLite serialises the
// batches; PostgreSQL runs them side by side.
func TestPlanner_Concurrent(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		today := kigen.MustParseISODate("2026-12-01")
		a := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		b := storetest.MustCreateMunicipality(t, ctx, s, "131016")
		residents := map[int64][]int64{
			a.ID: seedDue(t, ctx, s, a.ID, "A", 40, today, kigen.PrefBoth),
			b.ID: seedDue(t, ctx, s, b.ID, "B", 40, today, kigen.PrefDefault),
		}
		wantChannels := map[int64][]kigen.Channel{a.ID: {kigen.Email, kigen.SMS}, b.ID: {kigen.Email}}

		var (
			mu       sync.Mutex
			messages []int64
		)
		newPlanner := func(concurrency int) *scheduler.Planner {
			return &scheduler.Planner{
				Store:       s,
				BatchSize:   7,
				Concurrency: concurrency,
				Logger:      slog.New(slog.NewTextHandler(t.Output(), nil)),
				Enqueue: func(ctx context.Context, tx store.Tx, ids []int64) error {
					mu.Lock()
					defer mu.Unlock()
					messages = append(messages, ids...)
					return nil
				},
			}
		}
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			sums  [2]scheduler.TickSummary
			errs  [2]error
		)
		for i := range 2 {
			wg.Go(func() {
				<-start
				sums[i], errs[i] = newPlanner(3*i).Tick(ctx, today) // the second in three shares
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("tick %d: %v", i, err)
			}
		}
		t.Logf("tick 0 recorded %d notices in %d batches, tick 1 %d in %d", sums[0].Notices, sums[0].Batches, sums[1].Notices, sums[1].Batches)
		if n := sums[0].Notices + sums[1].Notices; n != 80 {
			t.Errorf("the two ticks recorded %d + %d notices, want 80 in all", sums[0].Notices, sums[1].Notices)
		}

		// notice ID → the channels of the messages carrying it
		carried := map[int64][]kigen.Channel{}
		for _, id := range messages {
			m, err := s.GetMessage(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range m.NoticeIDs {
				carried[n] = append(carried[n], m.Channel)
			}
		}
		recorded := 0
		for _, m := range []int64{a.ID, b.ID} {
			cards, err := s.ListCards(ctx, m, residents[m]...)
			if err != nil {
				t.Fatal(err)
			}
			var cardIDs []int64
			for _, c := range cards {
				cardIDs = append(cardIDs, c.ID)
			}
			ns, err := s.ListNotices(ctx, m, cardIDs...)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range ns {
				recorded++
				got := slices.Clone(carried[n.ID])
				slices.Sort(got)
				if !cmp.Equal(wantChannels[m], got) {
					t.Errorf("notice %d (card %d) carried on %v, want once on each of %v", n.ID, n.CardID, got, wantChannels[m])
				}
			}
		}
		if recorded != 80 {
			t.Errorf("%d notices recorded, want 80 (one per card)", recorded)
		}
		if len(carried) != 80 {
			t.Errorf("messages carry %d distinct notices, want 80", len(carried))
		}
	})
}

// BenchmarkTick plans one due card for each of 20,000 residents.
func BenchmarkTick(b *testing.B) {
	const residents = 20000
	today := kigen.MustParseISODate("2026-12-01")
	run := func(b *testing.B, newStore func(b *testing.B) store.Store) {
		var planned int
		var elapsed time.Duration
		for range b.N {
			b.StopTimer()
			s := newStore(b)
			ctx := b.Context()
			m := storetest.MustCreateMunicipality(b, ctx, s, "012033")
			seedDue(b, ctx, s, m.ID, "R", residents, today, kigen.PrefDefault)
			p := &scheduler.Planner{Store: s, Logger: slog.New(slog.DiscardHandler)}
			b.StartTimer()
			start := time.Now()
			sum, err := p.Tick(ctx, today)
			elapsed += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			planned += sum.Residents
		}
		b.ReportMetric(float64(planned)/elapsed.Seconds(), "residents/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		run(b, func(b *testing.B) store.Store {
			s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "kigen.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			if err := s.Migrate(b.Context()); err != nil {
				b.Fatal(err)
			}
			return s
		})
	})
	b.Run("postgres", func(b *testing.B) {
		run(b, func(b *testing.B) store.Store { return postgrestest.NewStore(b) })
	})
}

// TestPlanner_StatementsPerBatch: a batch spanning many municipalities
// reads and writes them with the same few statements as a batch of one
// (Japan has about 1,700 municipalities; a statement per municipality per
// batch was most of a national tick's time).
func TestPlanner_StatementsPerBatch(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		today := kigen.MustParseISODate("2026-12-01")
		const municipalities, each = 40, 5
		for i := range municipalities {
			m := storetest.MustCreateMunicipality(t, ctx, s, fmt.Sprintf("%06d", 100000+i))
			seedDue(t, ctx, s, m.ID, fmt.Sprint("M", i), each, today, kigen.PrefBoth)
		}
		cs := &countingStore{Store: s, calls: map[string]int{}}
		p := &scheduler.Planner{Store: cs, BatchSize: 100, Concurrency: 2,
			Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
		sum, err := p.Tick(ctx, today)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Notices != municipalities*each || sum.Messages != 2*municipalities*each || sum.Batches != 2 {
			t.Fatalf("tick = %d notices, %d messages in %d batches; want %d, %d in 2",
				sum.Notices, sum.Messages, sum.Batches, municipalities*each, 2*municipalities*each)
		}
		// Each of the two batches spans 20 municipalities; the loop's
		// final read finds nothing due.
		want := map[string]int{"ListHoldings": 2, "CreateNotices": 2, "CreateMessages": 2, "SetCardsNextNoticeOn": 2}
		if d := cmp.Diff(want, cs.counts()); d != "" {
			t.Errorf("statements in the tick's transactions (-want +got):\n%s", d)
		}
	})
}

// countingStore counts the calls its transactions make to the reads and
// writes a tick could make per resident or per municipality.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	calls map[string]int
}

func (s *countingStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.InTx(ctx, func(tx store.Tx) error { return fn(countingTx{tx, s}) })
}

func (s *countingStore) count(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[name]++
}

func (s *countingStore) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

type countingTx struct {
	store.Tx
	s *countingStore
}

func (tx countingTx) ListHoldings(ctx context.Context, keys []store.ResidentKey) ([]store.TickHolding, error) {
	tx.s.count("ListHoldings")
	return tx.Tx.ListHoldings(ctx, keys)
}

func (tx countingTx) CreateNotices(ctx context.Context, ns []store.ScopedNotice) ([]bool, error) {
	tx.s.count("CreateNotices")
	return tx.Tx.CreateNotices(ctx, ns)
}

func (tx countingTx) CreateMessages(ctx context.Context, ms []*kigen.Message) error {
	tx.s.count("CreateMessages")
	return tx.Tx.CreateMessages(ctx, ms)
}

func (tx countingTx) SetCardsNextNoticeOn(ctx context.Context, cs []store.CardNext) error {
	tx.s.count("SetCardsNextNoticeOn")
	return tx.Tx.SetCardsNextNoticeOn(ctx, cs)
}

func (tx countingTx) ListResidents(ctx context.Context, f store.ResidentFilter) ([]*kigen.Resident, error) {
	tx.s.count("ListResidents")
	return tx.Tx.ListResidents(ctx, f)
}

func (tx countingTx) ListContacts(ctx context.Context, m int64, ids ...int64) ([]*kigen.Contact, error) {
	tx.s.count("ListContacts")
	return tx.Tx.ListContacts(ctx, m, ids...)
}

func (tx countingTx) ListCards(ctx context.Context, m int64, ids ...int64) ([]*kigen.Card, error) {
	tx.s.count("ListCards")
	return tx.Tx.ListCards(ctx, m, ids...)
}

func (tx countingTx) ListNotices(ctx context.Context, m int64, ids ...int64) ([]*kigen.Notice, error) {
	tx.s.count("ListNotices")
	return tx.Tx.ListNotices(ctx, m, ids...)
}

func (tx countingTx) CreateNotice(ctx context.Context, m int64, n *kigen.Notice) error {
	tx.s.count("CreateNotice")
	return tx.Tx.CreateNotice(ctx, m, n)
}

func (tx countingTx) SetCardNextNoticeOn(ctx context.Context, m, id int64, on kigen.Date) error {
	tx.s.count("SetCardNextNoticeOn")
	return tx.Tx.SetCardNextNoticeOn(ctx, m, id, on)
}
