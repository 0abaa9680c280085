package desk_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strconv"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// followupBenchEnv sets how many residents BenchmarkFollowup seeds
// (default 200,000).
const followupBenchEnv = "KIGEN_BENCH_FOLLOWUP_RESIDENTS"

// BenchmarkFollowup measures the follow-up list of one municipality of
// 200,000 residents (KIGEN_BENCH_FOLLOWUP_RESIDENTS) on each backend: the
// first screen (the first page of the first section, what a terminal
// shows first) and the whole list. Of the residents, 5% have no consent,
// 2% opted out, 3% no contact (10% cannot be reached), 1.5% have a stale
// card; 200 sends are unknown and 200 messages failed. Run it with
//
//	go test -run '^$' -bench Followup -benchtime 5x ./desk
func BenchmarkFollowup(b *testing.B) {
	n := 200_000
	if v := os.Getenv(followupBenchEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a number of residents", followupBenchEnv, v)
		}
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			var s store.Store
			if backend == "sqlite" {
				s = storetesting.SQLite(b)
			} else {
				s = postgrestest.NewStore(b)
			}
			d, a := seedFollowup(b, s, n)
			b.Run("first screen", func(b *testing.B) {
				for b.Loop() {
					benchFollowup(b, d, a, true)
				}
			})
			b.Run("whole list", func(b *testing.B) {
				for b.Loop() {
					benchFollowup(b, d, a, false)
				}
			})
		})
	}
}

// seedFollowup loads n residents of one municipality into s and returns a
// desk on it with the municipality's admin.
func seedFollowup(b *testing.B, s store.Store, n int) (*desk.Desk, auth.Actor) {
	b.Helper()
	ctx := context.Background()
	today := kigen.MustParseISODate("2026-12-04")
	d := &desk.Desk{Store: s, Queue: &fakeQueue{}, Now: func() time.Time { return time.Date(2026, 12, 4, 10, 0, 0, 0, kigen.Tokyo) }}
	mu := &kigen.Municipality{Code: "131016", Name: "千代田区", NameLatin: "Chiyoda"}
	if err := s.CreateMunicipality(ctx, mu); err != nil {
		b.Fatal(err)
	}
	bench, ok := s.(store.Bench)
	if !ok {
		b.Skipf("%T cannot bulk load", s)
	}
	start := time.Now()
	chunks := func(yield func([]store.LoadResident) bool) {
		const size = 20_000
		var contact, card int64
		for lo := 0; lo < n; lo += size {
			chunk := make([]store.LoadResident, min(size, n-lo))
			for j := range chunk {
				i := lo + j
				r := &chunk[j]
				r.Resident = kigen.Resident{ID: int64(i + 1), MunicipalityID: mu.ID, Ref: fmt.Sprintf("B-%06d", i),
					Name: "Resident", Language: kigen.English, Status: kigen.FixedPeriod}
				switch k := i % 100; {
				case k < 3: // no contact
				default:
					contact++
					r.Contacts = append(r.Contacts, kigen.Contact{ID: contact, Channel: kigen.Email,
						Address: fmt.Sprintf("b%d@example.jp", i), Consent: k >= 8, OptedOut: k >= 8 && k < 10})
				}
				card++
				exp := today.AddDays(i%1000 + 40)
				if i%200 < 3 {
					exp = today.AddDays(-60 - i%300) // stale
				}
				r.Cards = append(r.Cards, kigen.Card{ID: card, Kind: kigen.ResidenceCard, ExpiresOn: exp})
			}
			if !yield(chunk) {
				return
			}
		}
	}
	if err := bench.BulkLoad(ctx, iter.Seq[[]store.LoadResident](chunks)); err != nil {
		b.Fatal(err)
	}
	for i := range 400 {
		m := &kigen.Message{MunicipalityID: mu.ID, ResidentID: int64(i*400 + 50), Channel: kigen.Email, TickDate: today, State: kigen.MessageFailed}
		dl := &kigen.Delivery{Provider: "outbox", State: kigen.DeliveryFailed}
		if i%2 == 0 {
			m.State, dl.State = kigen.MessageUnknown, kigen.DeliveryUnknown
		}
		if err := s.CreateMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
		dl.MessageID = m.ID
		if err := s.CreateDelivery(ctx, dl); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d residents in %s", n, time.Since(start).Round(time.Millisecond))
	a, _, err := d.LocalAdmin(ctx, "bench", mu.Code)
	if err != nil {
		b.Fatal(err)
	}
	return d, a
}

// errFirstScreen stops a walk after its first page.
var errFirstScreen = errors.New("first screen shown")

// benchFollowup walks the follow-up list, all of it or (firstScreen) its
// first page only, as kigen followup shows it.
func benchFollowup(b *testing.B, d *desk.Desk, a auth.Actor, firstScreen bool) {
	err := d.WalkFollowup(context.Background(), a, desk.FollowupParams{}, func(pg *desk.FollowupPage) error {
		if firstScreen {
			return errFirstScreen
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFirstScreen) {
		b.Fatal(err)
	}
}
