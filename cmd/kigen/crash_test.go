package main

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kigen"
)

// The crash tests run `kigen tick` as a subprocess on a day with a few
// thousand residents due, SIGKILL it at many moments (planning, mid-batch,
// mid-send), restart it until a run finishes, and then check that nobody
// got a notice twice and nobody missed one (checkOutcome).

// crashDay is the day the crash tests plan.
var crashDay = kigen.MustParseISODate("2027-06-01")

const (
	// crashResidents is how many residents have something due on crashDay:
	// 3 planning batches, 3000 messages.
	crashResidents = 2400
	// crashKills is how many times a tick is killed before one may finish.
	crashKills = 24
	// maxInFlight is how many sends one process has in flight at most
	// (the queue's MaxWorkers).
	maxInFlight = 10
	// crashRescueAfter is KIGEN_RESCUE_AFTER: how long a job left running
	// by a dead process waits for River's rescuer.
	crashRescueAfter = 5 * time.Second
)

// TestCrashSafety_SQLite kills `kigen tick` 24 times on SQLite; see
// testCrashSafety.
func TestCrashSafety_SQLite(t *testing.T) {
	t.Parallel()
	testCrashSafety(t, "sqlite")
}

// TestCrashSafety_Postgres kills `kigen tick` 24 times on PostgreSQL (a
// schema of its own, River's tables in it); see testCrashSafety.
func TestCrashSafety_Postgres(t *testing.T) {
	t.Parallel()
	testCrashSafety(t, "postgres")
}

// runObservation is what the test sees of a run at one moment.
type runObservation struct {
	elapsed  time.Duration // since the run started
	tickAt   time.Duration // elapsed when this run's tick row was first seen; 0: not yet
	ticks    int           // rows in ticks
	messages int           // rows in messages
	sending  int           // deliveries in state sending
	requests int           // send requests that reached the fakes
}

// killTrigger is a moment to kill a run at: the first observation for which
// fire holds, given the observation at the run's start.
type killTrigger struct {
	name string
	fire func(base, now runObservation) bool
}

// planTriggers are the kill moments while the day is not planned yet. Each
// also fires if sends have begun (the day was planned by a run killed just
// before it finished).
var planTriggers = []killTrigger{
	{"at exec", func(b, o runObservation) bool { return true }},
	{"10 ms in (opening the store)", func(b, o runObservation) bool { return o.elapsed >= 10*time.Millisecond }},
	{"tick row written (first batch open)", func(b, o runObservation) bool { return o.ticks > b.ticks }},
	{"a batch committed", func(b, o runObservation) bool { return o.messages > b.messages }},
	{"tick row + 30 ms (mid-batch)", func(b, o runObservation) bool { return o.tickAt > 0 && o.elapsed-o.tickAt >= 30*time.Millisecond }},
	{"a batch committed", func(b, o runObservation) bool { return o.messages > b.messages }},
	{"tick row + 80 ms (mid-batch)", func(b, o runObservation) bool { return o.tickAt > 0 && o.elapsed-o.tickAt >= 80*time.Millisecond }},
	{"a batch committed", func(b, o runObservation) bool { return o.messages > b.messages }},
}

// sendTriggers are the kill moments once the day is planned.
var sendTriggers = []killTrigger{
	afterRequests(1), sendingAtLeast(5), afterRequests(40), atElapsed(300 * time.Millisecond), afterRequests(5), afterRequests(120), sendingAtLeast(9),
	afterRequests(15), afterRequests(200), afterRequests(2), atElapsed(700 * time.Millisecond), afterRequests(80), sendingAtLeast(1), afterRequests(30),
	afterRequests(160), afterRequests(10), afterRequests(60), afterRequests(3), afterRequests(250),
}

// afterRequests fires once the fakes have seen n more requests in this run.
func afterRequests(n int) killTrigger {
	return killTrigger{fmt.Sprintf("after %d requests", n), func(b, o runObservation) bool { return o.requests >= b.requests+n }}
}

// sendingAtLeast fires when n deliveries are sending at once.
func sendingAtLeast(n int) killTrigger {
	return killTrigger{fmt.Sprintf("with %d deliveries sending", n), func(b, o runObservation) bool { return o.sending >= n && o.requests > b.requests }}
}

// atElapsed fires d after the run started.
func atElapsed(d time.Duration) killTrigger {
	return killTrigger{fmt.Sprintf("%s in", d), func(b, o runObservation) bool { return o.elapsed >= d }}
}

// testCrashSafety seeds crashResidents due residents, then runs `kigen
// tick` and SIGKILLs it crashKills times: while it plans (at exec, before
// and after the tick row, mid-batch, after a batch committed) and while it
// sends (after k requests reached the fakes, with deliveries sending, at
// a time). After each kill, before the restart, it records the deliveries
// left `sending`: the dead process's sends in flight. Then it runs the
// tick until a run exits 0 with nothing left to do, and checks the outcome
// (checkOutcome): nothing twice, nothing missed, and unknown exactly what
// was in flight at a death.
//
// River's leader lease (about 15 s) and its rescuer (KIGEN_RESCUE_AFTER;
// it runs when a client becomes leader, then every 30 s) mean that the
// jobs a dead process held wait for a later run: the killed runs restart
// at once, and only the final run waits for them.
func testCrashSafety(t *testing.T, backend string) {
	if testing.Short() {
		t.Skip("a minute of killing and restarting kigen tick: not with -short")
	}
	begin := time.Now()
	d := newProcDB(t, backend)
	s := mustSeedDue(t, d, crashDay, crashResidents)
	f := startProviderFakes(t, 5*time.Millisecond, 40*time.Millisecond)
	seeded := time.Since(begin)

	env := f.env()
	env["KIGEN_NOW"] = crashDay.String()
	env["KIGEN_PROVIDER_TIMEOUT"] = "2s"
	env["KIGEN_RESCUE_AFTER"] = crashRescueAfter.String()
	env["KIGEN_OUTBOX"] = filepath.Join(t.TempDir(), "outbox.jsonl") // unused: both channels have a provider

	observe := func(start time.Time) runObservation {
		return runObservation{
			elapsed:  time.Since(start),
			ticks:    d.count(t, "SELECT count(*) FROM ticks"),
			messages: d.count(t, "SELECT count(*) FROM messages"),
			sending:  d.count(t, "SELECT count(*) FROM deliveries WHERE state = 'sending'"),
			requests: f.requests(),
		}
	}
	diedSending := map[int64]bool{}
	var (
		kills                                      int
		preTick, midPlan, plannedNotSent, midSends int // kills by what the run had done
		planKills, sendKills                       int
		lastKill                                   time.Time
		log                                        []string
	)
	for run := 1; kills < crashKills; run++ {
		planned := d.count(t, "SELECT count(*) FROM notices") == s.cards
		var trig killTrigger
		if !planned {
			trig = planTriggers[planKills%len(planTriggers)]
		} else {
			trig = sendTriggers[sendKills%len(sendTriggers)]
		}
		name := fmt.Sprintf("tick%02d", run)
		runEnv := maps.Clone(env)
		runEnv["DATABASE_URL"] = d.urlFor(name)
		start := time.Now()
		base := observe(start)
		p := mustStartKigen(t, name, runEnv, "tick")
		var o runObservation
		fired := false
		for !fired && !p.exited() {
			o = observe(start)
			if o.ticks > base.ticks && base.tickAt == 0 {
				base.tickAt = o.elapsed // remembered across polls in base
			}
			o.tickAt = base.tickAt
			fired = trig.fire(base, o) || (!planned && o.requests > base.requests)
			if !fired {
				time.Sleep(3 * time.Millisecond)
			}
		}
		if !fired {
			code, _ := p.wait(time.Second)
			t.Fatalf("run %d exited by itself (code %d) after %d kills, before %s; want %d kills: make the day bigger",
				run, code, kills, trig.name, crashKills)
		}
		p.kill()
		lastKill = time.Now()
		kills++
		d.waitBackendsGone(t, name)
		// What the dead process left: its sends in flight.
		dead := observe(start)
		sending := d.sendingDeliveries(t, s.municipalityID)
		fresh := 0 // sending since this run: its own sends in flight
		for _, id := range sending {
			if !diedSending[id] {
				diedSending[id] = true
				fresh++
			}
		}
		moment := trig.name
		if !trig.fire(base, o) {
			moment += " (not reached: sends had begun)"
		}
		switch {
		case dead.ticks == base.ticks:
			preTick++
		case !planned && dead.requests == base.requests && dead.messages == base.messages:
			midPlan++
		case !planned && dead.requests == base.requests:
			plannedNotSent++
		}
		if fresh > 0 {
			midSends++
		}
		if fresh > maxInFlight {
			t.Errorf("kill %d: %d deliveries sending since this run started; a process has at most %d sends in flight", kills, fresh, maxInFlight)
		}
		if planned {
			sendKills++
		} else {
			planKills++
		}
		log = append(log, fmt.Sprintf("kill %2d  %-44s at %4d ms: ticks +%d, messages %4d→%4d, requests %4d→%4d, %2d sending at death (%d since this run)",
			kills, moment, o.elapsed.Milliseconds(), dead.ticks-base.ticks, base.messages, dead.messages, base.requests, dead.requests, len(sending), fresh))
	}
	t.Logf("%s: %d kills\n%s", backend, kills, strings.Join(log, "\n"))
	if preTick == 0 || midPlan == 0 || plannedNotSent == 0 || midSends < 5 {
		t.Errorf("kills by moment: %d before the tick row, %d mid-batch, %d after a batch but before any send, %d with sends in flight; want at least 1, 1, 1 and 5",
			preTick, midPlan, plannedNotSent, midSends)
	}
	if len(diedSending) > kills*maxInFlight {
		t.Errorf("%d deliveries were sending at %d deaths: more than %d in flight per process", len(diedSending), kills, maxInFlight)
	}
	killPhase := time.Since(begin) - seeded

	// Let the jobs the dead held grow older than KIGEN_RESCUE_AFTER, so that
	// River's rescuer takes them all as soon as a live run leads, then run
	// to the end.
	time.Sleep(time.Until(lastKill.Add(crashRescueAfter + 500*time.Millisecond)))
	for run := 1; ; run++ {
		name := fmt.Sprintf("final%d", run)
		runEnv := maps.Clone(env)
		runEnv["DATABASE_URL"] = d.urlFor(name)
		p := mustStartKigen(t, name, runEnv, "tick", "--json")
		code, ok := p.wait(90 * time.Second)
		if !ok {
			t.Fatalf("%s still running after 90 s", name)
		}
		if code != exitOK {
			t.Fatalf("%s exited %d", name, code)
		}
		var first, last time.Duration
		n := 0
		for _, a := range f.arrivals(t) {
			if a.at.After(p.started) {
				if n == 0 || a.at.Sub(p.started) < first {
					first = a.at.Sub(p.started)
				}
				last = max(last, a.at.Sub(p.started))
				n++
			}
		}
		t.Logf("%s: %d requests from %s to %s after its start", name, n, first.Round(time.Millisecond), last.Round(time.Millisecond))
		planned := d.count(t, "SELECT count(*) FROM messages WHERE state = 'planned'")
		jobs := d.count(t, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')")
		t.Logf("%s: exit 0 after %s: %s; %d messages planned, %d jobs left", name, time.Since(p.started).Round(time.Millisecond),
			strings.Join(strings.Fields(p.stdout.String()), " "), planned, jobs)
		if planned == 0 && jobs == 0 {
			break
		}
		if run == 3 {
			t.Fatalf("after %d final runs, %d messages are still planned and %d jobs left", run, planned, jobs)
		}
	}
	if n := d.count(t, "SELECT count(*) FROM river_job WHERE state = 'discarded'"); n > 0 {
		t.Errorf("%d jobs were discarded", n)
	}
	diedIDs := slices.Sorted(maps.Keys(diedSending))
	t.Logf("%s: %d deliveries were sending at a death: %v", backend, len(diedIDs), diedIDs)
	checkOutcome(t, d, f, s, map[string]string{"DATABASE_URL": d.url, "KIGEN_NOW": env["KIGEN_NOW"]}, diedSending)
	t.Logf("%s: seeding %s, %d kills %s, final run(s) and checks %s", backend, seeded.Round(time.Millisecond),
		kills, killPhase.Round(time.Millisecond), (time.Since(begin) - seeded - killPhase).Round(time.Millisecond))
}
