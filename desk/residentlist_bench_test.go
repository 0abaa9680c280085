package desk_test

import (
	"context"
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

// residentsBenchEnv sets how many residents BenchmarkResidents seeds
// (default 100,000).
const residentsBenchEnv = "KIGEN_BENCH_RESIDENTS"

var (
	benchFamilies = []string{"Nguyen", "Tran", "Le", "Pham", "Santos", "Silva", "Garcia", "Kim", "Lee", "Wang", "Li", "Zhang", "Chen",
		"Sharma", "Gurung", "Reyes", "グエン", "チャン", "サントス", "キム", "ワン", "リー"}
	benchGivens = []string{"An", "Binh", "Chi", "Duc", "Maria", "Jose", "Ana", "Min-jun", "Wei", "Fang", "Priya", "Ram", "Mai", "Linh",
		"ヴァン", "マリア", "ミンジュン", "ウェイ", "ホア"}
)

// BenchmarkResidents measures the resident search and Today on one
// municipality of 100,000 residents (KIGEN_BENCH_RESIDENTS) on each
// backend, through the desk (authorization and the audit entry included).
// Names mix Latin and kana; each resident has a residence card, three in
// four a My Number card (one in ten behind the residence card: a renewal
// gap), an email or a phone; one in ten cannot be reached. Run it with
//
//	go test -run '^$' -bench Residents -benchtime 50x ./desk
func BenchmarkResidents(b *testing.B) {
	n := 100_000
	if v := os.Getenv(residentsBenchEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("%s=%q: want a number of residents", residentsBenchEnv, v)
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
			d, a := seedResidents(b, s, n)
			ctx := context.Background()
			for _, c := range []struct {
				name string
				p    desk.ListResidentsParams
			}{
				{"ref prefix", desk.ListResidentsParams{Ref: fmt.Sprintf("C-%04d", n/200)}},
				{"name substring rare", desk.ListResidentsParams{Name: "Gurung Ana"}},
				{"name substring kana", desk.ListResidentsParams{Name: "サントス マリア"}},
				{"name substring common", desk.ListResidentsParams{Name: "nguyen"}},
				{"phone", desk.ListResidentsParams{Phone: benchPhone(n/2/10*10 + 7)}},
				{"search box", desk.ListResidentsParams{Search: "wang"}},
				{"expiring within 30", desk.ListResidentsParams{ExpiringWithin: 30}},
				{"gap open", desk.ListResidentsParams{GapOpen: true}},
				{"unreachable", desk.ListResidentsParams{Unreachable: true}},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						l, err := d.ListResidents(ctx, a, c.p)
						if err != nil {
							b.Fatal(err)
						} else if len(l.Residents) == 0 {
							b.Fatalf("%+v: none found", c.p)
						}
					}
				})
			}
			for _, c := range []struct {
				name string
				f    store.ResidentSearch
			}{
				{"unreachable", store.ResidentSearch{Unreachable: true}},
				{"gap open", store.ResidentSearch{GapOpen: true}},
				{"expiring within 90", store.ResidentSearch{ExpiresFrom: kigen.MustParseISODate("2026-12-04"), ExpiresTo: kigen.MustParseISODate("2027-03-04")}},
			} {
				b.Run("count "+c.name, func(b *testing.B) {
					c.f.MunicipalityID = a.MunicipalityID
					for b.Loop() {
						if _, err := s.CountResidents(ctx, c.f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("today", func(b *testing.B) {
				var v *desk.TodayView
				for b.Loop() {
					var err error
					if v, err = d.Today(ctx, a, desk.TodayParams{}); err != nil {
						b.Fatal(err)
					}
				}
				b.Logf("today: %+v", *v)
			})
		})
	}
}

func benchPhone(i int) string { return fmt.Sprintf("+81901%07d", i) }

// seedResidents loads n residents of one municipality into s and returns a
// desk on it with the municipality's admin.
func seedResidents(b *testing.B, s store.Store, n int) (*desk.Desk, auth.Actor) {
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
				name := benchFamilies[i%len(benchFamilies)] + " " + benchGivens[(i/len(benchFamilies))%len(benchGivens)]
				r.Resident = kigen.Resident{ID: int64(i + 1), MunicipalityID: mu.ID, Ref: fmt.Sprintf("C-%06d", i),
					Name: name, Language: kigen.Languages[i%len(kigen.Languages)], Status: kigen.FixedPeriod}
				if i%5 == 0 {
					r.Status = kigen.Permanent
				}
				switch k := i % 10; {
				case k == 0: // no contact: unreachable
				case k < 6:
					contact++
					r.Contacts = append(r.Contacts, kigen.Contact{ID: contact, Channel: kigen.Email, Address: fmt.Sprintf("c%d@example.jp", i), Consent: true})
				default:
					contact++
					r.Contacts = append(r.Contacts, kigen.Contact{ID: contact, Channel: kigen.SMS, Address: benchPhone(i), Consent: true})
				}
				rc := today.AddDays(i%1800 - 20)
				card++
				r.Cards = append(r.Cards, kigen.Card{ID: card, Kind: kigen.ResidenceCard, ExpiresOn: rc})
				if i%4 != 0 {
					mc := rc.AddDays(400)
					if i%10 == 1 {
						mc = rc.AddDays(-100) // a renewal gap
					}
					card++
					r.Cards = append(r.Cards, kigen.Card{ID: card, Kind: kigen.MyNumberCard, ExpiresOn: mc})
				}
			}
			if !yield(chunk) {
				return
			}
		}
	}
	if err := bench.BulkLoad(ctx, iter.Seq[[]store.LoadResident](chunks)); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d residents in %s", n, time.Since(start).Round(time.Millisecond))
	a, _, err := d.LocalAdmin(ctx, "bench", mu.Code)
	if err != nil {
		b.Fatal(err)
	}
	return d, a
}
