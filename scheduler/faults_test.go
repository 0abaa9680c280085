package scheduler_test

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/internal/testseed"
	"kigen/notify"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
	"kigen/store/storetest"
)

// The provider-fault scenario: how many messages, how the providers fail,
// how fast Kigen may send and how soon it retries.
const (
	faultEmails = 120
	faultSMS    = 80

	// sendTimeout is the senders' per-request timeout; a fake that
	// delays its answer by faultDelay makes the send time out.
	sendTimeout = 400 * time.Millisecond
	faultDelay  = 2 * time.Second

	// The providers' paces. The fakes record arrival times a little after
	// the limiter let each send go; on a loaded machine that delay varies
	// by tens of milliseconds, which can move a send or two into a window
	// the limiter did not release it in. So the paces are checked over
	// windows of paceWindow, allowing paceJitter sends beyond
	// rate × window + burst — far below what an unlimited sender does.
	emailRate, emailBurst = 12, 3
	smsRate, smsBurst     = 8, 2
	paceWindow            = 3 * time.Second
	paceJitter            = 2
)

// faultDelays are the retry waits of the scenario: short, so that retries
// happen in seconds, and many, so that a message whose every attempt draws
// a 5xx (about 0.1 per attempt) is vanishingly rare (0.1^8 per message).
var faultDelays = []time.Duration{
	200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
	time.Second, time.Second, time.Second, time.Second,
}

// fault is one kind of answer a fake draws for a request.
type fault int

const (
	faultNone        fault = iota // the normal answer: accepted
	faultUnavailable              // 500 or 503
	faultTooMany                  // 429 with Retry-After: 1
	faultTimeout                  // no answer within the sender's timeout
	faultDrop                     // the connection closed without an answer
	faultKinds
)

func (f fault) String() string {
	return [...]string{"none", "5xx", "429", "timeout", "drop"}[f]
}

// chaos draws a fault per request: 30% of requests fail — 10% with a 500
// or 503, 8% with a 429, 6% time out and 6% drop the connection — and
// every fifth of the first twenty gets each fault once, so that every seed
// exercises every fault (at random, about one seed in a hundred drew no
// drop from Twilio's hundred requests). It counts what it drew. The fakes call draw under their own lock, one request at a
// time.
type chaos struct {
	rng         *rand.Rand
	unavailable [2]sendgridtest.Failure // 500, 503
	tooMany     sendgridtest.Failure

	mu    sync.Mutex
	n     int // requests drawn for
	drawn [faultKinds]int
}

func (c *chaos) draw() sendgridtest.Failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.rng.IntN(100)
	c.n++
	var f fault
	switch {
	case c.n%5 == 0 && c.n/5 < int(faultKinds):
		f = fault(c.n / 5)
	case p < 10:
		f = faultUnavailable
	case p < 18:
		f = faultTooMany
	case p < 24:
		f = faultTimeout
	case p < 30:
		f = faultDrop
	}
	c.drawn[f]++
	switch f {
	case faultUnavailable:
		return c.unavailable[p%2]
	case faultTooMany:
		return c.tooMany
	case faultTimeout:
		return sendgridtest.Failure{Delay: faultDelay}
	case faultDrop:
		return sendgridtest.Failure{Drop: true}
	}
	return sendgridtest.Failure{}
}

func (c *chaos) counts() [faultKinds]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drawn
}

// requestHeader carries the sequence number the observer gives each
// request; the fakes record it with the request.
const requestHeader = "X-Kigen-Test-Request"

// answer is what the sender saw of one request: the HTTP status, or 0 when
// no answer came (a timeout, a dropped connection).
type answer struct{ status int }

// observer is the senders' HTTP transport: it numbers each request (in a
// header the fakes record) and keeps the status of its answer, so that the
// test knows, for each request a fake recorded, whether the provider
// accepted it, refused it or left the sender without an answer.
type observer struct {
	next http.RoundTripper

	mu      sync.Mutex
	n       int
	answers map[string]answer
}

func newObserver() *observer {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	return &observer{next: tr, answers: map[string]answer{}}
}

func (o *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	o.mu.Lock()
	o.n++
	seq := strconv.Itoa(o.n)
	o.mu.Unlock()
	req = req.Clone(req.Context())
	req.Header.Set(requestHeader, seq)
	resp, err := o.next.RoundTrip(req)
	a := answer{}
	if err == nil {
		a.status = resp.StatusCode
	}
	o.mu.Lock()
	o.answers[seq] = a
	o.mu.Unlock()
	return resp, err
}

// count returns how many requests the observer saw.
func (o *observer) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// answerTo returns the answer to the request the observer numbered seq.
func (o *observer) answerTo(t *testing.T, seq string) answer {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	a, ok := o.answers[seq]
	if !ok {
		t.Fatalf("the fake recorded request %q, which the sender never made", seq)
	}
	return a
}

// sent is one request a fake recorded, as the test reads it.
type sent struct {
	messageID int64
	at        time.Time
	answer    answer
	// providerID is the provider's id of the message had it been accepted
	// (the fakes number them in arrival order).
	providerID string
	// callback is the Twilio StatusCallback URL of the request.
	callback string
	// to is the SendGrid recipient (echoed by events as "email").
	to string
}

// accepted: a 2xx answer. refused: an error status, which providers send
// for requests they did not take. Otherwise the sender got no answer and
// the provider may well have the message.
func (s sent) accepted() bool { return s.answer.status >= 200 && s.answer.status < 300 }
func (s sent) refused() bool  { return s.answer.status >= 300 }
func (s sent) noAnswer() bool { return s.answer.status == 0 }

// TestProviderFaults delivers a few hundred planned messages, email and
// SMS, through the real SendGrid and Twilio senders (each behind Kigen's
// rate limiter) to loopback fakes that fail 30% of requests: 5xx, 429 with
// Retry-After, answers slower than the sender's timeout, dropped
// connections. It then plays the providers' own reports — SendGrid's
// processed and delivered events, Twilio's sent and delivered status
// callbacks — through the real webhook handlers for every request the
// fakes did not refuse: what a real provider got, it reports on.
//
// It proves: every message ends delivered; no message is accepted twice,
// and none is sent again after a request that was accepted or went
// unanswered (that send is recorded unknown, and the provider's report
// resolves it); each message's attempts stay within the Backoff's
// MaxAttempts, with 429 snoozes not counted as attempts; and no one-second
// window of arrivals at a provider holds more than its rate plus burst.
//
// A request the provider truly never got (the connection dropped before it
// arrived) is reported by nobody: its message stays unknown, and kigen
// followup lists it for staff to settle. The fakes record every request
// they read, so here every unanswered request has a report.
func TestProviderFaults(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		seed := testseed.Seed(t) // KIGEN_TEST_SEED replays a run
		logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))

		// The fakes, failing at random.
		sg := sendgridtest.NewServer()
		t.Cleanup(sg.Close)
		sgChaos := &chaos{
			rng: rand.New(rand.NewPCG(seed, 1)),
			unavailable: [2]sendgridtest.Failure{
				{Status: http.StatusInternalServerError, Body: sendgridtest.ErrorBody("internal error", "")},
				{Status: http.StatusServiceUnavailable, Body: sendgridtest.ErrorBody("service unavailable", "")},
			},
			tooMany: sendgridtest.Failure{Status: http.StatusTooManyRequests, RetryAfter: "1",
				Body: sendgridtest.ErrorBody("too many requests", "")},
		}
		sg.FailRandomly(sgChaos.draw)
		tw := twiliotest.NewServer()
		t.Cleanup(tw.Close)
		twChaos := &chaos{
			rng: rand.New(rand.NewPCG(seed, 2)),
			unavailable: [2]sendgridtest.Failure{
				{Status: http.StatusInternalServerError, Body: twiliotest.ErrorBody(20500, 500, "Internal Server Error")},
				{Status: http.StatusServiceUnavailable, Body: twiliotest.ErrorBody(20503, 503, "Service Unavailable")},
			},
			tooMany: sendgridtest.Failure{Status: http.StatusTooManyRequests, RetryAfter: "1",
				Body: twiliotest.ErrorBody(20429, 429, "Too Many Requests")},
		}
		tw.FailRandomly(twChaos.draw)

		// The real senders, observed, behind the rate limiters.
		sgObs, twObs := newObserver(), newObserver()
		sgSender, err := sendgrid.New(sendgrid.Config{APIKey: sg.APIKey, From: "Kigen <noreply@kigen.example>",
			BaseURL: sg.URL, Timeout: sendTimeout, HTTPClient: &http.Client{Transport: sgObs}})
		if err != nil {
			t.Fatal(err)
		}
		twSender, err := twilio.New(twilio.Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: "+15005550006",
			PublicURL: publicURL, BaseURL: tw.URL, Timeout: sendTimeout, Transport: twObs})
		if err != nil {
			t.Fatal(err)
		}

		r, err := renderer()
		if err != nil {
			t.Fatal(err)
		}
		worker := &scheduler.DeliverWorker{
			Store: s,
			Senders: map[kigen.Channel]notify.Sender{
				kigen.Email: scheduler.NewRateLimitedSender(sgSender, emailRate, emailBurst),
				kigen.SMS:   scheduler.NewRateLimitedSender(twSender, smsRate, smsBurst),
			},
			Providers: map[kigen.Channel]string{kigen.Email: sendgrid.Provider, kigen.SMS: twilio.Provider},
			Renderer:  r,
			PublicURL: publicURL,
			Now:       func() time.Time { return now }, // 09:00 Tokyo: SMS may go
			Logger:    logger,
		}
		backoff := scheduler.Backoff{Delays: faultDelays}
		cfg := scheduler.QueueConfig{Worker: worker, Logger: logger, TestOnly: true, MaxWorkers: 20,
			FetchPollInterval: 50 * time.Millisecond, Retry: backoff}
		var (
			q       *scheduler.Queue
			jobRows func() map[int64]jobRow
		)
		switch s := s.(type) {
		case *sqlite.Store:
			q, err = scheduler.NewQueue(s, cfg)
			jobRows = func() map[int64]jobRow {
				return scanJobs(t, func(query string) (rowsScanner, error) { return s.DB().QueryContext(ctx, query) },
					`SELECT json_extract(args, '$.message_id'), state, attempt, COALESCE(json_extract(metadata, '$.snoozes'), 0)
					 FROM river_job WHERE kind = 'deliver'`)
			}
		case *postgres.Store:
			if err := s.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&cfg.Schema); err != nil {
				t.Fatal(err)
			}
			q, err = scheduler.NewQueue(s, cfg)
			jobRows = func() map[int64]jobRow {
				return scanJobs(t, func(query string) (rowsScanner, error) {
					rows, err := s.Pool().Query(ctx, query)
					return pgxRows{rows}, err
				}, `SELECT (args->>'message_id')::bigint, state::text, attempt, COALESCE((metadata->>'snoozes')::int, 0)
					FROM river_job WHERE kind = 'deliver'`)
			}
		default:
			t.Fatalf("unknown store %T", s)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Migrate(ctx); err != nil {
			t.Fatal(err)
		}

		// The planned messages, each with its deliver job.
		ids := planMany(t, s, faultEmails, faultSMS)
		if err := s.InTx(ctx, func(tx store.Tx) error { return q.Enqueue(ctx, tx, ids) }); err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Minute, "every deliver job finished", func() bool {
			st, err := q.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return st["completed"]+st["cancelled"]+st["discarded"] == len(ids)
		})
		stopQueue(t, q)
		t.Logf("delivery took %s; SendGrid drew %v, Twilio %v (none, 5xx, 429, timeout, drop)",
			time.Since(start).Round(time.Millisecond), sgChaos.counts(), twChaos.counts())

		// What the providers got, by message.
		bySeq := map[int64][]sent{}
		for i, req := range sg.Requests() {
			id, err := strconv.ParseInt(req.Mail.CustomArgs[sendgrid.MessageIDArg], 10, 64)
			if err != nil {
				t.Fatalf("SendGrid request %d without our message id: %v", i, err)
			}
			bySeq[id] = append(bySeq[id], sent{messageID: id, at: req.At, answer: sgObs.answerTo(t, req.Header.Get(requestHeader)),
				providerID: req.MessageID, to: req.Mail.Personalizations[0].To[0].Address})
		}
		for i, req := range tw.Requests() {
			cb := req.Form.Get("StatusCallback")
			id, err := messageIDOfCallback(cb)
			if err != nil {
				t.Fatalf("Twilio request %d: StatusCallback %q: %v", i, cb, err)
			}
			bySeq[id] = append(bySeq[id], sent{messageID: id, at: req.At, answer: twObs.answerTo(t, req.Header.Get(requestHeader)),
				providerID: req.SID, callback: cb})
		}
		if got, want := len(sg.Requests())+len(tw.Requests()), sgObs.count()+twObs.count(); got != want {
			t.Errorf("the fakes recorded %d requests, the senders made %d: some were refused as invalid", got, want)
		}

		// Every kind of fault happened on both providers.
		for name, c := range map[string]*chaos{"SendGrid": sgChaos, "Twilio": twChaos} {
			for f, n := range c.counts() {
				if n == 0 {
					t.Errorf("%s never drew a %s: the scenario did not exercise it", name, fault(f))
				}
			}
		}

		// Before any report: each message's requests, and what it became.
		jobs := jobRows()
		unknown := 0
		for _, id := range ids {
			reqs := bySeq[id]
			if len(reqs) == 0 {
				t.Errorf("message %d: never sent", id)
				continue
			}
			accepted, attempts, tooMany := 0, 0, 0
			for i, r := range reqs {
				if r.accepted() {
					accepted++
				}
				if r.answer.status == http.StatusTooManyRequests {
					tooMany++
				} else {
					attempts++
				}
				if i < len(reqs)-1 && !r.refused() {
					t.Errorf("message %d: sent again after request %d was answered %d (0: no answer)", id, i+1, r.answer.status)
				}
			}
			if accepted > 1 {
				t.Errorf("message %d: accepted %d times", id, accepted)
			}
			if attempts > backoff.MaxAttempts() {
				t.Errorf("message %d: %d attempts (and %d 429s), want at most %d", id, attempts, tooMany, backoff.MaxAttempts())
			}
			// River counts an attempt per run and takes a snooze's back:
			// its count is the requests that were not answered 429.
			job, ok := jobs[id]
			switch {
			case !ok:
				t.Errorf("message %d: no deliver job", id)
			case job.state != "completed" || job.attempt != attempts || job.snoozes < tooMany:
				t.Errorf("message %d: job %s after %d attempts and %d snoozes; want completed after %d attempts and at least %d snoozes (429s)",
					id, job.state, job.attempt, job.snoozes, attempts, tooMany)
			}

			last := reqs[len(reqs)-1]
			want := kigen.MessageSent
			if last.noAnswer() {
				want = kigen.MessageUnknown
				unknown++
			} else if !last.accepted() {
				t.Errorf("message %d: the last of its %d requests was refused (%d): retries exhausted?", id, len(reqs), last.answer.status)
				continue
			}
			if got := outcomeOf(t, s, id); got.Message != want {
				t.Errorf("message %d before the reports: %s (deliveries %v), want %s", id, got.Message, got.Deliveries, want)
			}
		}
		if unknown == 0 {
			t.Error("no send ended without an answer: the unknown path was not exercised")
		}

		// The providers report on every request they did not refuse,
		// in shuffled order, through the real webhook handlers.
		sink := &scheduler.Sink{Store: s, Logger: logger, Now: func() time.Time { return now }, Enqueue: q.Enqueue}
		sgHook, err := sendgrid.NewEventHandler(sg.PublicKeyBase64(), sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		twHook, err := twilio.NewStatusHandler(tw.AuthToken, publicURL, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		var (
			sgEvents  []sendgridtest.Event
			callbacks []*http.Request
		)
		rng := rand.New(rand.NewPCG(seed, 3))
		for _, id := range ids {
			for _, r := range bySeq[id] {
				if r.refused() {
					continue
				}
				if r.callback == "" {
					for _, ev := range []string{"processed", "delivered"} {
						sgEvents = append(sgEvents, sendgridtest.Event{Email: r.to, Timestamp: r.at.Unix(), Event: ev,
							SGEventID: "ev-" + strconv.Itoa(len(sgEvents)), SGMessageID: sendgridtest.SGMessageID(r.providerID),
							KigenMessageID: strconv.FormatInt(id, 10)})
					}
					continue
				}
				for _, st := range []string{"sent", "delivered"} {
					callbacks = append(callbacks, tw.NewWebhookRequest(r.callback, tw.StatusForm(r.providerID, st, 0)))
				}
			}
		}
		rng.Shuffle(len(sgEvents), func(i, j int) { sgEvents[i], sgEvents[j] = sgEvents[j], sgEvents[i] })
		rng.Shuffle(len(callbacks), func(i, j int) { callbacks[i], callbacks[j] = callbacks[j], callbacks[i] })
		for batch := range slices.Chunk(sgEvents, 50) {
			w := httptest.NewRecorder()
			sgHook.ServeHTTP(w, sg.NewEventRequest(publicURL+sendgrid.EventPath, sendgridtest.Events(batch...), time.Now()))
			if w.Code != http.StatusNoContent {
				t.Fatalf("SendGrid event batch: %d %s", w.Code, w.Body)
			}
		}
		for _, req := range callbacks {
			w := httptest.NewRecorder()
			twHook.ServeHTTP(w, req)
			if w.Code != http.StatusNoContent {
				t.Fatalf("Twilio status callback: %d %s", w.Code, w.Body)
			}
		}

		// Every message is delivered; a send recorded unknown is resolved
		// by the report, not by a second send.
		for _, id := range ids {
			got := outcomeOf(t, s, id)
			last := bySeq[id][len(bySeq[id])-1]
			if got.Message != kigen.MessageDelivered || got.Deliveries[len(got.Deliveries)-1] != kigen.DeliveryDelivered {
				t.Errorf("message %d after the reports: %s (deliveries %v), want delivered", id, got.Message, got.Deliveries)
			} else if last.accepted() && got.ProviderID != last.providerID {
				t.Errorf("message %d: delivered as %q, want the accepted request's %q", id, got.ProviderID, last.providerID)
			}
		}
		t.Logf("%d messages: %d SendGrid and %d Twilio requests; %d sends ended unanswered (unknown until reported)",
			len(ids), len(sg.Requests()), len(tw.Requests()), unknown)

		// The providers' paces held.
		for _, p := range []struct {
			name        string
			at          []time.Time
			rate, burst int
		}{
			{"SendGrid", arrivals(sg.Requests(), func(r sendgridtest.Request) time.Time { return r.At }), emailRate, emailBurst},
			{"Twilio", arrivals(tw.Requests(), func(r twiliotest.Request) time.Time { return r.At }), smsRate, smsBurst},
		} {
			secs := int(paceWindow / time.Second)
			n, from := busiestWindow(p.at, paceWindow)
			if n < p.rate*secs {
				t.Errorf("%s got at most %d requests in %s: the limiter (%d a second) was never pressed", p.name, n, paceWindow, p.rate)
			}
			if limit := p.rate*secs + p.burst + paceJitter; n > limit {
				t.Errorf("%s got %d requests in the %s from %s; the limit is %d a second with bursts of %d (at most %d with jitter)",
					p.name, n, paceWindow, from.Format("15:04:05.000"), p.rate, p.burst, limit)
			}
			t.Logf("%s: %d requests over %s from the start; busiest %s %d (limit %d/s + burst %d)", p.name, len(p.at),
				slices.MaxFunc(p.at, time.Time.Compare).Sub(start).Round(time.Millisecond), paceWindow, n, p.rate, p.burst)
		}
	})
}

// planMany records, in one municipality, emails residents reachable by
// email and sms residents reachable by SMS, each with a residence card, its
// d60 notice due today and a planned message carrying it; it returns the
// messages' ids.
func planMany(t *testing.T, s store.Store, emails, sms int) []int64 {
	t.Helper()
	ctx := t.Context()
	var ids []int64
	err := s.InTx(ctx, func(tx store.Tx) error {
		m := storetest.MustCreateMunicipality(t, ctx, tx, "012033")
		for i := range emails + sms {
			// Interleaved, so that both providers are busy at once.
			ch, address := kigen.Email, fmt.Sprintf("f%d@example.com", i)
			if i*sms/(emails+sms) != (i+1)*sms/(emails+sms) {
				ch, address = kigen.SMS, fmt.Sprintf("+8190%08d", i)
			}
			r := storetest.MustUpsertResident(t, ctx, tx, m.ID, fmt.Sprintf("F-%04d", i))
			storetest.MustUpsertContact(t, ctx, tx, m.ID, r.ID, ch, address)
			card := storetest.MustUpsertCard(t, ctx, tx, m.ID, r.ID, kigen.ResidenceCard, cardExpiresOn)
			n := storetest.MustCreateNotice(t, ctx, tx, m.ID, card.ID, cardExpiresOn, kigen.D60)
			ids = append(ids, storetest.MustCreateMessage(t, ctx, tx, m.ID, r.ID, ch, kigen.DateOf(now), n.ID).ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// messageIDOfCallback reads the message id of a Twilio StatusCallback URL.
func messageIDOfCallback(cb string) (int64, error) {
	req, err := http.NewRequest(http.MethodPost, cb, nil)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(req.URL.Query().Get("message_id"), 10, 64)
}

func arrivals[R any](reqs []R, at func(R) time.Time) []time.Time {
	out := make([]time.Time, len(reqs))
	for i, r := range reqs {
		out[i] = at(r)
	}
	return out
}

// busiestWindow returns the most arrivals in any window [t, t+w), and
// where the first such window starts.
func busiestWindow(at []time.Time, w time.Duration) (int, time.Time) {
	at = slices.Clone(at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	best, from, j := 0, time.Time{}, 0
	for i := range at {
		for j < len(at) && at[j].Sub(at[i]) < w {
			j++
		}
		if j-i > best {
			best, from = j-i, at[i]
		}
	}
	return best, from
}

// jobRow is what the test reads of a deliver job.
type jobRow struct {
	state            string
	attempt, snoozes int
}

// rowsScanner is what scanJobs needs of *sql.Rows and pgx.Rows.
type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// pgxRows adapts pgx.Rows (whose Close returns nothing) to rowsScanner.
type pgxRows struct {
	rows interface {
		Next() bool
		Scan(dest ...any) error
		Close()
		Err() error
	}
}

func (r pgxRows) Next() bool             { return r.rows.Next() }
func (r pgxRows) Scan(dest ...any) error { return r.rows.Scan(dest...) }
func (r pgxRows) Close() error           { r.rows.Close(); return nil }
func (r pgxRows) Err() error             { return r.rows.Err() }

// scanJobs runs query, which returns (message id, state, attempt,
// snoozes) rows, and returns them by message id.
func scanJobs(t *testing.T, run func(query string) (rowsScanner, error), query string) map[int64]jobRow {
	t.Helper()
	rows, err := run(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]jobRow{}
	for rows.Next() {
		var (
			id int64
			j  jobRow
		)
		if err := rows.Scan(&id, &j.state, &j.attempt, &j.snoozes); err != nil {
			t.Fatal(err)
		}
		out[id] = j
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
