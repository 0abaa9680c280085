package kigen_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
)

// Card IDs used by the tests.
const (
	resID  int64 = 1
	mnID   int64 = 2
	certID int64 = 3
	intID  int64 = 4
)

var d = kigen.MustParseISODate

// E is the expiry date most tests count from.
var E = d("2027-03-31")

func card(id int64, kind kigen.CardKind, e kigen.Date) kigen.Card {
	return kigen.Card{ID: id, Kind: kind, ExpiresOn: e}
}

func sent(id int64, e kigen.Date, stages ...kigen.Stage) []kigen.NoticeKey {
	var ks []kigen.NoticeKey
	for _, s := range stages {
		ks = append(ks, kigen.NoticeKey{CardID: id, ExpiresOn: e, Stage: s})
	}
	return ks
}

func due(id int64, kind kigen.CardKind, e kigen.Date, s kigen.Stage, today kigen.Date) kigen.Due {
	return kigen.Due{NoticeKey: kigen.NoticeKey{CardID: id, ExpiresOn: e, Stage: s}, Kind: kind, DaysLeft: e.Sub(today)}
}

func TestPlan_Stages(t *testing.T) {
	t.Parallel()
	rc := func(e kigen.Date) []kigen.Card { return []kigen.Card{card(resID, kigen.ResidenceCard, e)} }
	all := []kigen.Stage{kigen.D90, kigen.D60, kigen.D30, kigen.D14, kigen.D7, kigen.D3, kigen.D1}
	tests := []struct {
		name      string
		today     kigen.Date
		sent      []kigen.NoticeKey
		wantStage kigen.Stage // "" for none
		wantNext  kigen.Date
		wantStale bool
	}{
		{name: "E-91 nothing yet", today: E.AddDays(-91), wantNext: E.AddDays(-90)},
		{name: "E-90 d90", today: E.AddDays(-90), wantStage: kigen.D90, wantNext: E.AddDays(-60)},
		{name: "E-89 d90 sent", today: E.AddDays(-89), sent: sent(resID, E, kigen.D90), wantNext: E.AddDays(-60)},
		{name: "E-89 d90 missed yesterday", today: E.AddDays(-89), wantStage: kigen.D90, wantNext: E.AddDays(-60)},
		{name: "E-60 d60", today: E.AddDays(-60), sent: sent(resID, E, kigen.D90), wantStage: kigen.D60, wantNext: E.AddDays(-30)},
		{name: "E-30 d30", today: E.AddDays(-30), sent: sent(resID, E, kigen.D90, kigen.D60), wantStage: kigen.D30, wantNext: E.AddDays(-14)},
		{name: "E-14 d14", today: E.AddDays(-14), sent: sent(resID, E, kigen.D30), wantStage: kigen.D14, wantNext: E.AddDays(-7)},
		{name: "E-7 d7", today: E.AddDays(-7), sent: sent(resID, E, kigen.D14), wantStage: kigen.D7, wantNext: E.AddDays(-3)},
		{name: "E-3 d3", today: E.AddDays(-3), sent: sent(resID, E, kigen.D7), wantStage: kigen.D3, wantNext: E.AddDays(-1)},
		{name: "E-1 d1", today: E.AddDays(-1), sent: sent(resID, E, kigen.D3), wantStage: kigen.D1, wantNext: E.AddDays(1)},
		{name: "E d1 sent yesterday", today: E, sent: sent(resID, E, kigen.D1), wantNext: E.AddDays(1)},
		{name: "E d1 still due on the last day", today: E, sent: sent(resID, E, kigen.D3), wantStage: kigen.D1, wantNext: E.AddDays(1)},
		{name: "E+1 expired", today: E.AddDays(1), sent: sent(resID, E, all...), wantStage: kigen.Expired},
		{name: "E+1 expired sent", today: E.AddDays(1), sent: sent(resID, E, kigen.Expired)},
		{name: "E+30 expired still goes", today: E.AddDays(30), wantStage: kigen.Expired},
		{name: "E+31 stale, not messaged", today: E.AddDays(31), wantStale: true},
		{name: "E+31 stale after expired", today: E.AddDays(31), sent: sent(resID, E, kigen.Expired), wantStale: true},
		{name: "entered 20 days before: d30 at once", today: E.AddDays(-20), wantStage: kigen.D30, wantNext: E.AddDays(-14)},
		{name: "entered 2 days before: d3 at once", today: E.AddDays(-2), wantStage: kigen.D3, wantNext: E.AddDays(-1)},
		{name: "entered on E: d1", today: E, wantStage: kigen.D1, wantNext: E.AddDays(1)},
		{name: "scheduler down a week: one notice, the most urgent", today: E.AddDays(-6), sent: sent(resID, E, kigen.D90, kigen.D60, kigen.D30), wantStage: kigen.D7, wantNext: E.AddDays(-3)},
		{name: "clock moved back: no less urgent stage", today: E.AddDays(-20), sent: sent(resID, E, kigen.D7), wantNext: E.AddDays(-14)},
		{name: "notices of an old expiry do not count", today: E.AddDays(-90), sent: sent(resID, E.AddYears(-3), all...), wantStage: kigen.D90, wantNext: E.AddDays(-60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := kigen.Plan(kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: rc(E), Sent: tt.sent}, tt.today)
			var want []kigen.Due
			if tt.wantStage != "" {
				want = []kigen.Due{due(resID, kigen.ResidenceCard, E, tt.wantStage, tt.today)}
			}
			if diff := cmp.Diff(want, got.Due); diff != "" {
				t.Errorf("Due (-want +got):\n%s", diff)
			}
			wantCard := []kigen.CardPlan{{CardID: resID, Next: tt.wantNext, Stale: tt.wantStale}}
			if diff := cmp.Diff(wantCard, got.Cards); diff != "" {
				t.Errorf("Cards (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlan_DaysLeft(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{card(resID, kigen.ResidenceCard, E)}}
	for _, tt := range []struct {
		today kigen.Date
		want  int
	}{{E.AddDays(-13), 13}, {E, 0}, {E.AddDays(5), -5}} {
		got := kigen.Plan(h, tt.today).Due
		if len(got) != 1 || got[0].DaysLeft != tt.want {
			t.Errorf("on %s: Due = %+v, want one with DaysLeft %d", tt.today, got, tt.want)
		}
	}
}

func TestPlan_RenewalApplied(t *testing.T) {
	t.Parallel()
	applied := E.AddDays(-40)
	ends := d("2027-05-31")
	for _, kind := range []kigen.CardKind{kigen.ResidenceCard, kigen.IntegratedCard} {
		c := card(resID, kind, E)
		c.RenewalAppliedOn = applied
		special := due(resID, kind, E, kigen.SpecialPeriod, E.AddDays(1))
		special.RenewalAppliedOn, special.SpecialPeriodEnds = applied, ends
		tests := []struct {
			name      string
			today     kigen.Date
			sent      []kigen.NoticeKey
			want      []kigen.Due
			wantNext  kigen.Date
			wantStale bool
		}{
			{name: "stages stop", today: E.AddDays(-14), wantNext: E.AddDays(1)},
			{name: "nothing on E", today: E, wantNext: E.AddDays(1)},
			{name: "special_period after E", today: E.AddDays(1), want: []kigen.Due{special}},
			{name: "special_period once", today: E.AddDays(2), sent: sent(resID, E, kigen.SpecialPeriod)},
			{name: "special_period even after expired went out", today: E.AddDays(1), sent: sent(resID, E, kigen.Expired), want: []kigen.Due{special}},
			{name: "stale after the special period", today: ends.AddDays(1), wantStale: true},
		}
		for _, tt := range tests {
			t.Run(string(kind)+"/"+tt.name, func(t *testing.T) {
				got := kigen.Plan(kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{c}, Sent: tt.sent}, tt.today)
				for i := range tt.want {
					tt.want[i].DaysLeft = E.Sub(tt.today)
				}
				if diff := cmp.Diff(tt.want, got.Due); diff != "" {
					t.Errorf("Due (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]kigen.CardPlan{{CardID: resID, Next: tt.wantNext, Stale: tt.wantStale}}, got.Cards); diff != "" {
					t.Errorf("Cards (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestPlan_PendingRenewalNamedOnMyNumberStages(t *testing.T) {
	t.Parallel()
	rc := card(resID, kigen.ResidenceCard, E)
	rc.RenewalAppliedOn = E.AddDays(-40)
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{rc, card(mnID, kigen.MyNumberCard, E)}}
	got := kigen.Plan(h, E.AddDays(-10)).Due
	want := due(mnID, kigen.MyNumberCard, E, kigen.D14, E.AddDays(-10))
	want.RenewalAppliedOn, want.SpecialPeriodEnds = rc.RenewalAppliedOn, d("2027-05-31")
	if diff := cmp.Diff([]kigen.Due{want}, got); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
}

func TestPlan_RenewalGap(t *testing.T) {
	t.Parallel()
	M, R := E, d("2030-03-31")
	gap := func(today kigen.Date) kigen.Due {
		x := due(mnID, kigen.MyNumberCard, M, kigen.RenewalGap, today)
		x.ResidenceExpiresOn = R
		return x
	}
	stage := func(s kigen.Stage, today kigen.Date) kigen.Due {
		x := due(mnID, kigen.MyNumberCard, M, s, today)
		x.ResidenceExpiresOn = R
		return x
	}
	withCert := func(x kigen.Due, c kigen.Date) kigen.Due { x.CertExpiresOn = c; return x }
	tests := []struct {
		name     string
		status   kigen.Status
		cards    []kigen.Card
		today    kigen.Date
		sent     []kigen.NoticeKey
		want     []kigen.Due
		wantNext kigen.Date // of the My Number card
	}{
		{name: "detected long before M: at once", today: M.AddDays(-200),
			want: []kigen.Due{gap(M.AddDays(-200))}, wantNext: M.AddDays(-90)},
		{name: "gap once per M", today: M.AddDays(-199), sent: sent(mnID, M, kigen.RenewalGap), wantNext: M.AddDays(-90)},
		{name: "gap and d60 in one tick", today: M.AddDays(-60), sent: sent(mnID, M, kigen.D90),
			want: []kigen.Due{gap(M.AddDays(-60)), stage(kigen.D60, M.AddDays(-60))}, wantNext: M.AddDays(-30)},
		{name: "stages name the gap", today: M.AddDays(-30), sent: sent(mnID, M, kigen.RenewalGap, kigen.D60),
			want: []kigen.Due{stage(kigen.D30, M.AddDays(-30))}, wantNext: M.AddDays(-14)},
		{name: "detected after M by 20 days: gap and expired", today: M.AddDays(20),
			want: []kigen.Due{gap(M.AddDays(20)), stage(kigen.Expired, M.AddDays(20))}},
		{name: "detected after M by 30 days: still", today: M.AddDays(30),
			want: []kigen.Due{gap(M.AddDays(30)), stage(kigen.Expired, M.AddDays(30))}},
		{name: "detected after M by 31 days: stale, nothing", today: M.AddDays(31)},
		{name: "M = R is no gap", cards: []kigen.Card{card(resID, kigen.ResidenceCard, M), card(mnID, kigen.MyNumberCard, M)},
			today: M.AddDays(-200), wantNext: M.AddDays(-90)},
		{name: "M after R is no gap", cards: []kigen.Card{card(resID, kigen.ResidenceCard, M.AddDays(-1)), card(mnID, kigen.MyNumberCard, M)},
			today: M.AddDays(-200), wantNext: M.AddDays(-90)},
		{name: "permanent: M < R is normal", status: kigen.Permanent, today: M.AddDays(-200), wantNext: M.AddDays(-90)},
		{name: "special permanent: no gap", status: kigen.SpecialPermanent, cards: []kigen.Card{card(mnID, kigen.MyNumberCard, M)},
			today: M.AddDays(-200), wantNext: M.AddDays(-90)},
		{name: "certificate due at the same visit", cards: []kigen.Card{card(resID, kigen.ResidenceCard, R), card(mnID, kigen.MyNumberCard, M), card(certID, kigen.MyNumberCert, M.AddDays(-100))},
			today: M.AddDays(-200), want: []kigen.Due{withCert(gap(M.AddDays(-200)), M.AddDays(-100))}, wantNext: M.AddDays(-90)},
		{name: "certificate on M counts", cards: []kigen.Card{card(resID, kigen.ResidenceCard, R), card(mnID, kigen.MyNumberCard, M), card(certID, kigen.MyNumberCert, M)},
			today: M.AddDays(-200), want: []kigen.Due{withCert(gap(M.AddDays(-200)), M)}, wantNext: M.AddDays(-90)},
		{name: "certificate after M not named", cards: []kigen.Card{card(resID, kigen.ResidenceCard, R), card(mnID, kigen.MyNumberCard, M), card(certID, kigen.MyNumberCert, M.AddDays(1))},
			today: M.AddDays(-200), want: []kigen.Due{gap(M.AddDays(-200))}, wantNext: M.AddDays(-90)},
		{name: "a later renewal leaving M unchanged sends no new gap", cards: []kigen.Card{card(resID, kigen.ResidenceCard, R.AddYears(3)), card(mnID, kigen.MyNumberCard, M)},
			today: M.AddDays(-120), sent: sent(mnID, M, kigen.RenewalGap), wantNext: M.AddDays(-90)},
		{name: "M updated: a new gap key for a new M", cards: []kigen.Card{card(resID, kigen.ResidenceCard, R.AddYears(3)), card(mnID, kigen.MyNumberCard, R)},
			today: M.AddDays(-120), sent: sent(mnID, M, kigen.RenewalGap),
			want: []kigen.Due{func() kigen.Due {
				x := due(mnID, kigen.MyNumberCard, R, kigen.RenewalGap, M.AddDays(-120))
				x.ResidenceExpiresOn = R.AddYears(3)
				return x
			}()}, wantNext: R.AddDays(-90)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, cards := tt.status, tt.cards
			if status == "" {
				status = kigen.FixedPeriod
			}
			if cards == nil {
				cards = []kigen.Card{card(resID, kigen.ResidenceCard, R), card(mnID, kigen.MyNumberCard, M)}
			}
			// Only the My Number card's notices are under test: the
			// residence card's own stages are filtered out.
			got := kigen.Plan(kigen.Holder{Status: status, Reachable: true, Cards: cards, Sent: tt.sent}, tt.today)
			var gotMN []kigen.Due
			for _, x := range got.Due {
				if x.CardID == mnID {
					gotMN = append(gotMN, x)
				}
			}
			if diff := cmp.Diff(tt.want, gotMN); diff != "" {
				t.Errorf("Due (-want +got):\n%s", diff)
			}
			for _, cp := range got.Cards {
				if cp.CardID == mnID && cp.Next != tt.wantNext {
					t.Errorf("Next = %s, want %s", cp.Next, tt.wantNext)
				}
			}
		})
	}
}

func TestPlan_IntegratedCardHasNoGap(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{
		card(intID, kigen.IntegratedCard, d("2030-03-31")), card(certID, kigen.MyNumberCert, E)}}
	got := kigen.Plan(h, E.AddDays(-90)).Due
	want := []kigen.Due{due(certID, kigen.MyNumberCert, E, kigen.D90, E.AddDays(-90))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
}

func TestPlan_SpecialPermanent(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.SpecialPermanent, Reachable: true, Cards: []kigen.Card{
		card(resID, kigen.ResidenceCard, E), card(mnID, kigen.MyNumberCard, E)}}
	got := kigen.Plan(h, E.AddDays(-30))
	want := []kigen.Due{due(mnID, kigen.MyNumberCard, E, kigen.D30, E.AddDays(-30))}
	if diff := cmp.Diff(want, got.Due); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
	if !got.Cards[0].Skipped || !got.Cards[0].Next.IsZero() {
		t.Errorf("residence card of a special permanent resident: %+v, want skipped without next date", got.Cards[0])
	}
}

func TestPlan_SameDayCardsTogether(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{
		card(resID, kigen.ResidenceCard, E), card(mnID, kigen.MyNumberCard, E), card(certID, kigen.MyNumberCert, E)}}
	today := E.AddDays(-30)
	want := []kigen.Due{
		due(resID, kigen.ResidenceCard, E, kigen.D30, today),
		due(mnID, kigen.MyNumberCard, E, kigen.D30, today),
		due(certID, kigen.MyNumberCert, E, kigen.D30, today),
	}
	if diff := cmp.Diff(want, kigen.Plan(h, today).Due); diff != "" {
		t.Errorf("Due (-want +got):\n%s", diff)
	}
}

func TestPlan_Unreachable(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: false, Cards: []kigen.Card{
		card(resID, kigen.ResidenceCard, d("2030-03-31")), card(mnID, kigen.MyNumberCard, E), card(certID, kigen.MyNumberCert, E.AddDays(-100))}}
	got := kigen.Plan(h, E.AddDays(-40))
	if len(got.Due) != 0 {
		t.Errorf("Due = %+v, want none for an unreachable resident", got.Due)
	}
	for _, cp := range got.Cards {
		if !cp.Next.IsZero() {
			t.Errorf("card %d: Next = %s, want none (re-planned when consent arrives)", cp.CardID, cp.Next)
		}
	}
	if !got.Cards[2].Stale {
		t.Errorf("certificate expired 60 days ago: want stale even when unreachable")
	}
}

func TestNextDue(t *testing.T) {
	t.Parallel()
	h := kigen.Holder{Status: kigen.FixedPeriod, Reachable: true, Cards: []kigen.Card{
		card(resID, kigen.ResidenceCard, E), card(mnID, kigen.MyNumberCard, E.AddYears(1))}}
	today := E.AddDays(-20)
	want := map[int64]kigen.Date{resID: today, mnID: E.AddYears(1).AddDays(-90)}
	if diff := cmp.Diff(want, kigen.NextDue(h, today)); diff != "" {
		t.Errorf("NextDue (-want +got):\n%s", diff)
	}
}

// TestPlan_Simulation runs daily ticks (some days skipped, as when the
// scheduler is down) over random residents and checks the invariants the
// rest of Kigen relies on:
//   - a notice key is never due twice;
//   - per card and tick, at most one stage notice (plus a renewal_gap);
//   - before-expiry stages go out in increasing urgency;
//   - on every day strictly between a tick and the Next date it stored,
//     nothing is due — so a tick that reads only cards with
//     next_notice_on ≤ today misses nothing;
//   - a resident ticked every day gets d90 … d1 and expired, each once.
func TestPlan_Simulation(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	start := d("2026-01-01")
	for i := range 300 {
		h := randomHolder(rng, start)
		skip := rng.IntN(4) // 0: every day
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			recorded := map[kigen.NoticeKey]bool{}
			next := map[int64]kigen.Date{}
			for _, id := range cardIDs(h) {
				next[id] = start
			}
			for day := start; day.Before(start.AddDays(4 * 365)); day = day.AddDays(1) {
				o := kigen.Plan(h, day)
				for _, x := range o.Due {
					if n := next[x.CardID]; n.IsZero() || day.Before(n) {
						t.Fatalf("%s: %+v due, but the card's next date was %q", day, x, n)
					}
				}
				if skip > 0 && rng.IntN(skip+1) != 0 {
					continue // the scheduler did not run today
				}
				perCard := map[int64]int{}
				for _, x := range o.Due {
					if recorded[x.NoticeKey] {
						t.Fatalf("%s: %+v due again", day, x)
					}
					if lead, ok := x.Stage.LeadDays(); ok {
						for _, b := range []kigen.Stage{kigen.D90, kigen.D60, kigen.D30, kigen.D14, kigen.D7, kigen.D3, kigen.D1} {
							if l, _ := b.LeadDays(); l < lead && recorded[kigen.NoticeKey{CardID: x.CardID, ExpiresOn: x.ExpiresOn, Stage: b}] {
								t.Fatalf("%s: %s after the more urgent %s", day, x.Stage, b)
							}
						}
					}
					if x.Stage != kigen.RenewalGap {
						perCard[x.CardID]++
					}
					recorded[x.NoticeKey] = true
					h.Sent = append(h.Sent, x.NoticeKey)
				}
				for id, n := range perCard {
					if n > 1 {
						t.Fatalf("%s: card %d got %d stage notices in one tick", day, id, n)
					}
				}
				for _, cp := range o.Cards {
					next[cp.CardID] = cp.Next
				}
			}
			if skip == 0 && h.Reachable {
				for _, c := range h.Cards {
					if c.Kind == kigen.ResidenceCard && h.Status == kigen.SpecialPermanent || !c.RenewalAppliedOn.IsZero() {
						continue
					}
					for _, s := range []kigen.Stage{kigen.D90, kigen.D60, kigen.D30, kigen.D14, kigen.D7, kigen.D3, kigen.D1, kigen.Expired} {
						if c.ExpiresOn.AddDays(-90).After(start) && !recorded[kigen.NoticeKey{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: s}] {
							t.Errorf("card %d (%s, %s) never got %s", c.ID, c.Kind, c.ExpiresOn, s)
						}
					}
				}
			}
		})
	}
}

func randomHolder(rng *rand.Rand, start kigen.Date) kigen.Holder {
	statuses := []kigen.Status{kigen.FixedPeriod, kigen.FixedPeriod, kigen.Permanent, kigen.SpecialPermanent}
	h := kigen.Holder{Status: statuses[rng.IntN(len(statuses))], Reachable: rng.IntN(10) != 0}
	day := func() kigen.Date { return start.AddDays(rng.IntN(3 * 365)) }
	if rng.IntN(5) == 0 {
		h.Cards = append(h.Cards, card(intID, kigen.IntegratedCard, day()))
	} else {
		r := card(resID, kigen.ResidenceCard, day())
		if rng.IntN(5) == 0 {
			r.RenewalAppliedOn = r.ExpiresOn.AddDays(-30)
		}
		h.Cards = append(h.Cards, r, card(mnID, kigen.MyNumberCard, day()))
	}
	if rng.IntN(2) == 0 {
		h.Cards = append(h.Cards, card(certID, kigen.MyNumberCert, day()))
	}
	return h
}

func cardIDs(h kigen.Holder) []int64 {
	var ids []int64
	for _, c := range h.Cards {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestDate_AddMonths(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"2027-03-31", "2027-05-31"},
		{"2027-12-31", "2028-02-29"},
		{"2026-12-31", "2027-02-28"},
		{"2027-01-15", "2027-03-15"},
	} {
		if got := d(tt.in).AddMonths(2); got != d(tt.want) {
			t.Errorf("%s + 2 months = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := d("2028-02-29").AddYears(1); got != d("2029-02-28") {
		t.Errorf("2028-02-29 + 1 year = %s, want 2029-02-28", got)
	}
	if got := d("2027-03-31").Sub(d("2027-03-18")); got != 13 {
		t.Errorf("Sub = %d, want 13", got)
	}
}

// TestDescribe: a notice described again on any day carries the same facts
// Plan gave it on its day, with the days left of the new day.
func TestDescribe(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	start := d("2026-01-01")
	for range 200 {
		h := randomHolder(rng, start)
		h.Reachable = true
		for day := start; day.Before(start.AddDays(3 * 365)); day = day.AddDays(1 + rng.IntN(20)) {
			for _, due := range kigen.Plan(h, day).Due {
				var c kigen.Card
				for _, x := range h.Cards {
					if x.ID == due.CardID {
						c = x
					}
				}
				later := day.AddDays(2)
				want := due
				want.DaysLeft = due.ExpiresOn.Sub(later)
				if diff := cmp.Diff(want, kigen.Describe(h, c, due.NoticeKey, later)); diff != "" {
					t.Fatalf("Describe of %+v planned on %s (-want +got):\n%s", due.NoticeKey, day, diff)
				}
				h.Sent = append(h.Sent, due.NoticeKey)
			}
		}
	}
}
