package bench

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"sort"
	"time"

	"kigen"
	"kigen/store"
)

// A seeded resident is a store.LoadResident: IDs are assigned by the
// generator (seedIDs), so that the rows can be written without reading
// anything back, with the notices already recorded (the history of the
// cards).

// resetResident empties r for reuse, keeping its slices' storage.
func resetResident(r *store.LoadResident) {
	*r = store.LoadResident{Contacts: r.Contacts[:0], Cards: r.Cards[:0], Notices: r.Notices[:0]}
}

// holder returns what kigen.Plan knows of r.
func holder(r *store.LoadResident) kigen.Holder {
	h := kigen.Holder{Status: r.Status, Cards: r.Cards,
		Reachable: len(kigen.SendChannels(r.Channel, r.Contacts)) > 0}
	for _, n := range r.Notices {
		h.Sent = append(h.Sent, n.Key())
	}
	return h
}

// setNextDue sets each card's NextNoticeOn as the importer and the tick
// keep it: kigen.NextDue on the day, given the notices already recorded.
func setNextDue(r *store.LoadResident, today kigen.Date) {
	next := kigen.NextDue(holder(r), today)
	for i := range r.Cards {
		r.Cards[i].NextNoticeOn = next[r.Cards[i].ID]
	}
}

// seedIDs hands out row IDs in order.
type seedIDs struct{ contact, card, notice int64 }

// seedGenerator fills the i-th resident (0-based) of a seeded population.
type seedGenerator func(r *store.LoadResident, i int, rng *mrand.Rand, ids *seedIDs)

// seedCounts are the rows a seeding wrote.
type seedCounts struct {
	residents, contacts, cards, notices int
	due                                 int // cards whose next notice is due on the day (or before)
	duration                            time.Duration
}

// seedChunk is how many residents are generated and written at once.
const seedChunk = 20_000

// benchNames are display names for generated residents (no real person).
var benchNames = []string{"Nguyen Van An", "Tran Thi Bich", "Li Wei", "Wang Fang", "Kim Minji", "Park Jisoo",
	"Maria Santos", "Joao Silva", "Juan Dela Cruz", "Ram Bahadur", "Siti Rahma", "Somchai", "Ana Garcia"}

// seedPopulation writes n generated residents (with their contacts, cards
// and notices) into b through store.Bench.BulkLoad, then checkpoints (a
// failure is only reported on stderr: the figures may then include the
// bulk load's checkpoint). Generation runs one chunk ahead of the writes.
// The municipalities the generator names must exist.
func seedPopulation(ctx context.Context, b *db, stderr io.Writer, n int, today kigen.Date, gen seedGenerator) (seedCounts, error) {
	start := time.Now()
	var cnt seedCounts
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []store.LoadResident, 1)
	go func() {
		defer close(chunks)
		rng := mrand.New(mrand.NewPCG(1, 0x9e3779b97f4a7c15))
		ids := &seedIDs{}
		for lo := 0; lo < n; lo += seedChunk {
			chunk := make([]store.LoadResident, min(seedChunk, n-lo))
			for j := range chunk {
				gen(&chunk[j], lo+j, rng, ids)
			}
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return
			}
		}
	}()
	err := b.store.BulkLoad(ctx, func(yield func([]store.LoadResident) bool) {
		for chunk := range chunks {
			for i := range chunk {
				r := &chunk[i]
				cnt.residents++
				cnt.contacts += len(r.Contacts)
				cnt.cards += len(r.Cards)
				cnt.notices += len(r.Notices)
				for _, c := range r.Cards {
					if !c.NextNoticeOn.IsZero() && !c.NextNoticeOn.After(today) {
						cnt.due++
					}
				}
			}
			if !yield(chunk) {
				return
			}
		}
	})
	if err != nil {
		return cnt, err
	}
	// The bulk load wrote much to the log: write its pages out now, or the
	// checkpoint it calls for lands in the measured tick, which no real day
	// follows a bulk load with.
	if err := b.store.Checkpoint(ctx); err != nil {
		fmt.Fprintf(stderr, "kigen bench: no CHECKPOINT after seeding (%v): the tick may meet the bulk load's\n", err)
	}
	cnt.duration = time.Since(start)
	return cnt, nil
}

// createMunicipalities creates k municipalities and returns their IDs.
func createMunicipalities(ctx context.Context, s store.Store, k int) ([]int64, error) {
	ids := make([]int64, k)
	for i := range k {
		mu := &kigen.Municipality{Code: fmt.Sprintf("9%05d", i+1), Name: fmt.Sprintf("ベンチ市%d", i+1),
			NameLatin: fmt.Sprintf("Bench %d", i+1), ContactPhone: "0134-00-0000", ContactURL: "https://example.jp/"}
		if err := s.CreateMunicipality(ctx, mu); err != nil {
			return nil, err
		}
		ids[i] = mu.ID
	}
	return ids, nil
}

// municipalityBlocks splits n residents into k contiguous blocks (as
// imports, one municipality at a time, create them) whose sizes fall like
// 1/rank: a few large cities, many small towns. It returns, for each
// municipality, the index of its first resident.
func municipalityBlocks(n, k int) []int {
	var h float64
	for i := 1; i <= k; i++ {
		h += 1 / float64(i)
	}
	starts := make([]int, k)
	at := 0.0
	for i := range k {
		starts[i] = int(at)
		at += float64(n) / (h * float64(i+1))
	}
	return starts
}

// tickPopulation returns the generator of a realistic population for the
// tick: about 2.5 cards per resident — a residence card for most, a My
// Number card and often its certificate, some integrated cards, special
// permanent residents without a residence card — with expiries spread from
// a month ago to ten years ahead; contacts for nearly all, consent from
// nine in ten. Every notice a daily tick would have sent up to yesterday is
// recorded, and next_notice_on is kigen.NextDue of today: a typical day,
// about 0.3% of cards due.
func tickPopulation(today kigen.Date, mids []int64, n int) seedGenerator {
	starts := municipalityBlocks(n, len(mids))
	yesterday := today.AddDays(-1)
	return func(r *store.LoadResident, i int, rng *mrand.Rand, ids *seedIDs) {
		resetResident(r)
		r.ID = int64(i + 1)
		r.MunicipalityID = mids[sort.SearchInts(starts, i+1)-1]
		r.Ref = fmt.Sprintf("R%08d", i+1)
		r.Name = benchNames[rng.IntN(len(benchNames))]
		r.Language = kigen.Languages[rng.IntN(len(kigen.Languages))]
		// From a month ago (an `expired` notice may still be due) to
		// maxDays ahead.
		day := func(maxDays int) kigen.Date { return today.AddDays(rng.IntN(maxDays+30) - 30) }
		var rc, mn, cert, ic kigen.Date
		switch s := rng.IntN(11); {
		case s == 0:
			r.Status = kigen.SpecialPermanent
			mn, cert = day(3650), day(2600)
		case s <= 2:
			r.Status = kigen.Permanent
		default:
			r.Status = kigen.FixedPeriod
		}
		if r.Status != kigen.SpecialPermanent {
			if rng.IntN(20) == 0 {
				ic, cert = day(3650), day(2600)
			} else {
				rc = day(3650)
				mn = rc
				if rng.IntN(10) == 0 { // renewed at immigration, My Number card left behind
					mn = day(700)
				}
				if rng.IntN(2) == 0 {
					cert = day(2600)
				}
			}
		}
		if !cert.IsZero() && !mn.IsZero() && cert.After(mn) {
			cert = mn
		}
		for _, c := range []struct {
			kind kigen.CardKind
			e    kigen.Date
		}{{kigen.ResidenceCard, rc}, {kigen.MyNumberCard, mn}, {kigen.MyNumberCert, cert}, {kigen.IntegratedCard, ic}} {
			if !c.e.IsZero() {
				ids.card++
				r.Cards = append(r.Cards, kigen.Card{ID: ids.card, ResidentID: r.ID, Kind: c.kind, ExpiresOn: c.e})
			}
		}
		consent := rng.IntN(10) != 0
		email := kigen.Contact{Channel: kigen.Email, Address: fmt.Sprintf("r%d@example.jp", i+1), Consent: consent}
		phone := kigen.Contact{Channel: kigen.SMS, Address: fmt.Sprintf("+8190%08d", rng.IntN(100_000_000)), Consent: consent}
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4, 5:
			r.Contacts = append(r.Contacts, email)
		case 6, 7:
			r.Contacts, r.Channel = append(r.Contacts, phone), kigen.PrefSMS
		default:
			r.Contacts, r.Channel = append(r.Contacts, email, phone), kigen.PrefBoth
		}
		for j := range r.Contacts {
			ids.contact++
			r.Contacts[j].ID, r.Contacts[j].ResidentID = ids.contact, r.ID
		}
		if holder(r).Reachable {
			recordHistory(r, yesterday, rc, ids)
		}
		setNextDue(r, today)
	}
}

// recordHistory records the notices a daily tick sent up to the day
// (included): every before-expiry stage whose day has come, `expired` the
// day after expiry (for 30 days), and the renewal gap of a My Number card
// behind the residence card rc.
func recordHistory(r *store.LoadResident, upTo, rc kigen.Date, ids *seedIDs) {
	add := func(c kigen.Card, st kigen.Stage, on kigen.Date) {
		ids.notice++
		r.Notices = append(r.Notices, kigen.Notice{ID: ids.notice, CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: st, TickDate: on})
	}
	for _, c := range r.Cards {
		if c.Kind == kigen.ResidenceCard && r.Status == kigen.SpecialPermanent {
			continue
		}
		if c.Kind == kigen.MyNumberCard && r.Status == kigen.FixedPeriod && !rc.IsZero() && c.ExpiresOn.Before(rc) {
			add(c, kigen.RenewalGap, upTo) // at once, when the gap opened
		}
		for _, st := range kigen.Stages {
			if days, before := st.LeadDays(); before {
				if on := c.ExpiresOn.AddDays(-days); !on.After(upTo) {
					add(c, st, on)
				}
			}
		}
		if on := c.ExpiresOn.AddDays(1); !on.After(upTo) && !upTo.After(c.ExpiresOn.AddDays(30)) {
			add(c, kigen.Expired, on)
		}
	}
}

// deliverPopulation returns the generator for the delivery benchmark: every
// resident has a residence card expiring in 30 days (its d30 notice due
// today) and one consented contact — email for seven in ten, SMS for the
// rest — so that the tick plans one message per resident.
func deliverPopulation(today kigen.Date, mid int64) seedGenerator {
	return func(r *store.LoadResident, i int, rng *mrand.Rand, ids *seedIDs) {
		resetResident(r)
		r.ID = int64(i + 1)
		r.MunicipalityID = mid
		r.Ref = fmt.Sprintf("D%08d", i+1)
		r.Name = benchNames[rng.IntN(len(benchNames))]
		r.Language = kigen.Languages[rng.IntN(len(kigen.Languages))]
		r.Status = kigen.FixedPeriod
		ids.card++
		r.Cards = append(r.Cards, kigen.Card{ID: ids.card, ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: today.AddDays(30)})
		ids.contact++
		if rng.IntN(10) < 7 {
			r.Contacts = append(r.Contacts, kigen.Contact{ID: ids.contact, ResidentID: r.ID, Channel: kigen.Email,
				Address: fmt.Sprintf("d%d@example.jp", i+1), Consent: true})
		} else {
			r.Channel = kigen.PrefSMS
			r.Contacts = append(r.Contacts, kigen.Contact{ID: ids.contact, ResidentID: r.ID, Channel: kigen.SMS,
				Address: fmt.Sprintf("+8180%08d", i+1), Consent: true})
		}
		setNextDue(r, today)
	}
}
