package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"kigen"
)

// instancesDay is the day the two-instance tests plan; the instances run at
// 09:30 that day, so the 09:00 tick is due and caught up at start.
var instancesDay = kigen.MustParseISODate("2027-06-01")

// TestTwoInstances_Postgres runs two `kigen serve` processes on one
// PostgreSQL database when the day's tick is due.
func TestTwoInstances_Postgres(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("40 s of two kigen serve processes: not with -short")
	}
	t.Run("one plans, both deliver", testTwoInstancesShare)
	t.Run("the tick's instance dies mid-tick", testTwoInstancesSurvive)
}

// instance is one `kigen serve` of a two-instance test.
type instance struct {
	id string // KIGEN_INSTANCE_ID
	p  *kigenProc
}

// startInstances starts two `kigen serve` processes, kigen-a and kigen-b,
// on d with env, each on a free loopback port.
func startInstances(t *testing.T, d *procDB, env map[string]string) map[string]*instance {
	t.Helper()
	out := map[string]*instance{}
	for _, id := range []string{"kigen-a", "kigen-b"} {
		e := maps.Clone(env)
		e["KIGEN_INSTANCE_ID"] = id
		e["KIGEN_ADDR"] = freeLoopbackAddr(t)
		e["DATABASE_URL"] = d.urlFor(id)
		out[id] = &instance{id: id, p: mustStartKigen(t, id, e, "serve")}
	}
	return out
}

// instancesEnv returns the environment of both instances.
func instancesEnv(f *providerFakes, staleAfter time.Duration) map[string]string {
	env := f.env()
	env["KIGEN_NOW"] = time.Date(instancesDay.Year, instancesDay.Month, instancesDay.Day, 9, 30, 0, 0, kigen.Tokyo).Format(time.RFC3339)
	// 09:00 on the day's date only: KIGEN_NOW makes it due, while River's
	// periodic enqueuer, on the real clock, would add a tick only if the
	// test ran across 09:00 on a 1 June.
	env["KIGEN_SCHEDULE"] = fmt.Sprintf("CRON_TZ=Asia/Tokyo 0 9 %d %d *", instancesDay.Day, int(instancesDay.Month))
	env["KIGEN_TICK_STALE_AFTER"] = staleAfter.String()
	env["KIGEN_PROVIDER_TIMEOUT"] = "2s"
	env["KIGEN_RESCUE_AFTER"] = crashRescueAfter.String()
	return env
}

// waitDelivered waits until the tick has planned all s's messages and none
// is planned still, and no deliver job is left to run.
func waitDelivered(t *testing.T, d *procDB, s dueSeed, timeout time.Duration, alive ...*instance) {
	t.Helper()
	want := s.messages[kigen.Email] + s.messages[kigen.SMS]
	deadline := time.Now().Add(timeout)
	for {
		msgs := d.count(t, "SELECT count(*) FROM messages")
		planned := d.count(t, "SELECT count(*) FROM messages WHERE state = 'planned'")
		jobs := d.count(t, "SELECT count(*) FROM river_job WHERE kind = 'deliver' AND state NOT IN ('completed', 'cancelled', 'discarded')")
		if msgs == want && planned == 0 && jobs == 0 {
			return
		}
		for _, in := range alive {
			if in.p.exited() {
				t.Fatalf("%s exited (code %d)", in.id, in.p.code)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d messages planned, %d still to send, %d deliver jobs left", timeout, msgs, want, planned, jobs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopInstance stops in with SIGTERM: it must exit 0.
func stopInstance(t *testing.T, in *instance) {
	t.Helper()
	code, ok := in.p.terminate(40 * time.Second)
	if !ok {
		t.Fatalf("%s still running 40 s after SIGTERM", in.id)
	}
	if code != exitOK {
		t.Errorf("%s exited %d after SIGTERM, want 0", in.id, code)
	}
}

// deliverJobsBy counts the completed deliver jobs by the instance that
// worked them last.
func deliverJobsBy(t *testing.T, d *procDB) map[string]int {
	t.Helper()
	by := map[string]int{}
	var attempted string
	d.rows(t, "SELECT array_to_string(attempted_by, ',') FROM river_job WHERE kind = 'deliver' AND state = 'completed'", func() error {
		ids := strings.Split(attempted, ",")
		by[ids[len(ids)-1]]++
		return nil
	}, &attempted)
	return by
}

// sendingOn returns the deliveries sending in deliver jobs that instance
// is running (or left running when it died).
func sendingOn(t *testing.T, d *procDB, instance string) []int64 {
	t.Helper()
	var ids []int64
	var id int64
	d.rows(t, `SELECT d.id FROM deliveries d JOIN river_job j ON j.kind = 'deliver' AND (j.args->>'message_id')::bigint = d.message_id
		WHERE d.state = 'sending' AND j.state = 'running' AND j.attempted_by[array_length(j.attempted_by, 1)] = '`+instance+`'`, func() error {
		ids = append(ids, id)
		return nil
	}, &id)
	return ids
}

// testTwoInstancesShare: both instances start with the tick due. Exactly
// one tick job runs, one tick plans the day, both instances deliver, and
// every message goes out once.
func testTwoInstancesShare(t *testing.T) {
	begin := time.Now()
	d := newProcDB(t, "postgres")
	s := mustSeedDue(t, d, instancesDay, 1200)
	f := startProviderFakes(t, 5*time.Millisecond, 40*time.Millisecond)
	// No tick watch here (it would resume a tick slowed by a loaded
	// machine, which is safe but adds a tick row): this part proves that
	// River runs the caught-up tick once.
	env := instancesEnv(f, 10*time.Minute)
	ins := startInstances(t, d, env)
	waitDelivered(t, d, s, 90*time.Second, ins["kigen-a"], ins["kigen-b"])
	delivered := time.Since(begin)

	if n := d.count(t, "SELECT count(*) FROM ticks"); n != 1 {
		t.Errorf("%d tick rows, want 1: one instance plans", n)
	}
	if n := d.count(t, "SELECT count(*) FROM ticks WHERE finished_at IS NOT NULL"); n != 1 {
		t.Errorf("%d finished ticks, want 1", n)
	}
	if n := d.count(t, "SELECT count(*) FROM river_job WHERE kind = 'tick'"); n != 1 {
		t.Errorf("%d tick jobs, want 1: two instances catching up insert one", n)
	}
	by := deliverJobsBy(t, d)
	t.Logf("deliver jobs completed by instance: %v", by)
	if by["kigen-a"] == 0 || by["kigen-b"] == 0 {
		t.Errorf("deliver jobs completed by instance: %v; want both to deliver", by)
	}
	checkOutcome(t, d, f, s, map[string]string{"DATABASE_URL": d.url, "KIGEN_NOW": env["KIGEN_NOW"]}, nil)
	for _, id := range []string{"kigen-a", "kigen-b"} {
		stopInstance(t, ins[id])
	}
	t.Logf("delivered after %s; done in %s", delivered.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}

// testTwoInstancesSurvive: both instances start with the tick due; the one
// that runs the tick job is killed mid-tick. The survivor resumes the tick
// (TickWatch), rescues the dead one's deliver jobs and finishes the day:
// every message sent, or unknown if it was in flight at the death, none
// twice. Then it stops cleanly on SIGTERM.
func testTwoInstancesSurvive(t *testing.T) {
	begin := time.Now()
	d := newProcDB(t, "postgres")
	s := mustSeedDue(t, d, instancesDay, crashResidents)
	f := startProviderFakes(t, 5*time.Millisecond, 40*time.Millisecond)
	env := instancesEnv(f, 2*time.Second)
	ins := startInstances(t, d, env)

	// Find the instance running the tick job, and kill it once the tick
	// has committed a batch and that instance has sends in flight (at the
	// latest when a second batch commits, or after 300 ms).
	var (
		victim    *instance
		runningAt time.Time
	)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var attempted string
		d.rows(t, "SELECT array_to_string(attempted_by, ',') FROM river_job WHERE kind = 'tick' AND state = 'running'", func() error {
			ids := strings.Split(attempted, ",")
			victim = ins[ids[len(ids)-1]]
			return nil
		}, &attempted)
		if victim != nil && runningAt.IsZero() {
			runningAt = time.Now()
		}
		if victim != nil {
			msgs := d.count(t, "SELECT count(*) FROM messages")
			if msgs > 0 && len(sendingOn(t, d, victim.id)) > 0 || msgs > 1250 || time.Since(runningAt) > 300*time.Millisecond {
				break
			}
		}
		if n := d.count(t, "SELECT count(*) FROM river_job WHERE kind = 'tick' AND state IN ('completed', 'retryable', 'cancelled', 'discarded')"); n > 0 && victim == nil {
			t.Fatalf("the tick job finished before the test saw it running")
		}
		if time.Now().After(deadline) {
			t.Fatal("no tick job ran within 30 s")
		}
		time.Sleep(3 * time.Millisecond)
	}
	victim.p.kill()
	killedAt := time.Now()
	d.waitBackendsGone(t, victim.id)
	var survivor *instance
	for id, in := range ins {
		if id != victim.id {
			survivor = in
		}
	}
	msgsAtDeath, reqsAtDeath := d.count(t, "SELECT count(*) FROM messages"), f.requests()
	unfinished := d.count(t, "SELECT count(*) FROM ticks WHERE finished_at IS NULL")
	// The victim's sends in flight (the survivor's own are sending too, and
	// end accepted).
	diedSending := map[int64]bool{}
	for _, id := range sendingOn(t, d, victim.id) {
		diedSending[id] = true
	}
	t.Logf("killed %s, which ran the tick job, %s after it started: %d of %d messages planned, %d requests at the fakes, %d ticks unfinished, %d of its deliveries sending",
		victim.id, killedAt.Sub(runningAt).Round(time.Millisecond), msgsAtDeath, s.messages[kigen.Email]+s.messages[kigen.SMS], reqsAtDeath, unfinished, len(diedSending))
	if unfinished != 1 || msgsAtDeath == s.messages[kigen.Email]+s.messages[kigen.SMS] {
		t.Errorf("the kill did not land mid-tick: %d ticks unfinished, %d messages planned", unfinished, msgsAtDeath)
	}
	if len(diedSending) > maxInFlight {
		t.Errorf("%d deliveries sending at the death of one process; at most %d are in flight", len(diedSending), maxInFlight)
	}

	waitDelivered(t, d, s, 90*time.Second, survivor)
	delivered := time.Since(killedAt)
	// The dead instance's tick row stays unfinished (its River job stays
	// running until TickTimeout); the survivor's tick watch resumed the
	// day in a tick of its own, which finished.
	ticks, finished := d.count(t, "SELECT count(*) FROM ticks"), d.count(t, "SELECT count(*) FROM ticks WHERE finished_at IS NOT NULL")
	if ticks != 2 || finished != 1 {
		t.Errorf("%d tick rows, %d finished; want the dead one's and the survivor's, which finished", ticks, finished)
	}
	by := deliverJobsBy(t, d)
	t.Logf("deliver jobs completed by instance: %v", by)
	if by[survivor.id] == 0 {
		t.Errorf("the survivor completed no deliver job: %v", by)
	}
	checkOutcome(t, d, f, s, map[string]string{"DATABASE_URL": d.url, "KIGEN_NOW": env["KIGEN_NOW"]}, diedSending)
	stopInstance(t, survivor)
	t.Logf("the survivor finished the day %s after the kill; done in %s", delivered.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
}
