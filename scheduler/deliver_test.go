package scheduler_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/notify"
	"kigen/notify/notifytest"
	"kigen/notify/outbox"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
	"kigen/store/storetest"
	"kigen/templates"
)

// publicURL is the base of the links in the tests' messages.
const publicURL = "https://k.example"

var renderer = sync.OnceValues(func() (*templates.Renderer, error) {
	return templates.New(templates.DefaultHotlines())
})

// queueEnv is a store with a deliver queue on its database.
type queueEnv struct {
	store store.Store
	rec   *notifytest.Recorder
	// worker is the queue's DeliverWorker; a test may change it before the
	// first WorkUntilIdle.
	worker *scheduler.DeliverWorker
	cfg    scheduler.QueueConfig
	queue  *scheduler.Queue
	// exec runs raw SQL on the store's database: sqlite for SQLite,
	// postgres for PostgreSQL.
	exec func(t *testing.T, sqlite, postgres string)
}

// eachQueue runs f on each backend (see backends) with a migrated Queue on
// the store's database whose deliver worker sends through a Recorder (both
// channels, provider "recorder") at now. tune, if set, adjusts the worker
// and the queue's configuration before the queue is made.
func eachQueue(t *testing.T, tune func(w *scheduler.DeliverWorker, cfg *scheduler.QueueConfig), f func(t *testing.T, e *queueEnv)) {
	backends(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		r, err := renderer()
		if err != nil {
			t.Fatal(err)
		}
		e := &queueEnv{store: s, rec: &notifytest.Recorder{}}
		logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		e.worker = &scheduler.DeliverWorker{
			Store:     s,
			Senders:   map[kigen.Channel]notify.Sender{kigen.Email: e.rec, kigen.SMS: e.rec},
			Providers: map[kigen.Channel]string{kigen.Email: "recorder", kigen.SMS: "recorder"},
			Renderer:  r,
			PublicURL: publicURL,
			Now:       func() time.Time { return now },
			Logger:    logger,
		}
		e.cfg = scheduler.QueueConfig{Logger: logger, TestOnly: true, FetchPollInterval: 50 * time.Millisecond}
		if tune != nil {
			tune(e.worker, &e.cfg)
		}
		e.cfg.Worker = e.worker
		switch s := s.(type) {
		case *sqlite.Store:
			e.queue, err = scheduler.NewQueue(s, e.cfg)
			e.exec = func(t *testing.T, q, _ string) {
				t.Helper()
				if _, err := s.DB().ExecContext(t.Context(), q); err != nil {
					t.Fatal(err)
				}
			}
		case *postgres.Store:
			if err := s.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&e.cfg.Schema); err != nil {
				t.Fatal(err)
			}
			e.queue, err = scheduler.NewQueue(s, e.cfg)
			e.exec = func(t *testing.T, _, q string) {
				t.Helper()
				if _, err := s.Pool().Exec(t.Context(), q); err != nil {
					t.Fatal(err)
				}
			}
		default:
			t.Fatalf("unknown store %T", s)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := e.queue.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		f(t, e)
	})
}

// enqueue enqueues deliver jobs for the messages in one transaction.
func (e *queueEnv) enqueue(t *testing.T, ids ...int64) {
	t.Helper()
	err := e.store.InTx(t.Context(), func(tx store.Tx) error { return e.queue.Enqueue(t.Context(), tx, ids) })
	if err != nil {
		t.Fatal(err)
	}
}

// work runs the queue until no job can run now.
func (e *queueEnv) work(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := e.queue.WorkUntilIdle(ctx); err != nil {
		t.Fatalf("WorkUntilIdle: %v", err)
	}
}

// stats returns the jobs by state, leaving out states with none.
func (e *queueEnv) stats(t *testing.T) map[string]int {
	t.Helper()
	st, err := e.queue.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range st {
		if n == 0 {
			delete(st, k)
		}
	}
	return st
}

// planned is a planned message with what it was made from.
type planned struct {
	muni     *kigen.Municipality
	resident *kigen.Resident
	contact  *kigen.Contact
	card     *kigen.Card
	message  *kigen.Message
}

// cardExpiresOn is the expiry of the fixture's residence card: its d60
// notice falls due on now's date.
var cardExpiresOn = kigen.DateOf(now).AddDays(60)

// plan records, for a resident speaking lang reachable on ch only, a
// residence card expiring on cardExpiresOn, its notice of the stage and a
// planned message on ch carrying it; the card's next notice date is then
// re-planned as a tick would leave it.
func plan(t *testing.T, s store.Store, lang kigen.Language, ch kigen.Channel, stage kigen.Stage, expiresOn kigen.Date) planned {
	t.Helper()
	ctx := t.Context()
	m := storetest.MustCreateMunicipality(t, ctx, s, "012033")
	r := storetest.MustUpsertResident(t, ctx, s, m.ID, "R-1")
	r.Language = lang
	if _, err := s.UpsertResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	address := "r1@example.com"
	if ch == kigen.SMS {
		address = "+819012345678"
	}
	c := storetest.MustUpsertContact(t, ctx, s, m.ID, r.ID, ch, address)
	card := storetest.MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, expiresOn)
	n := storetest.MustCreateNotice(t, ctx, s, m.ID, card.ID, expiresOn, stage)
	msg := storetest.MustCreateMessage(t, ctx, s, m.ID, r.ID, ch, kigen.DateOf(now), n.ID)
	if err := store.Replan(ctx, s, m.ID, r.ID, kigen.DateOf(now)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // deliveries are made after the contact
	return planned{muni: m, resident: r, contact: c, card: card, message: msg}
}

// outcome is what became of a message: its state, its deliveries' states
// (oldest first) and the provider id of the last.
type outcome struct {
	Message    kigen.MessageState
	Deliveries []kigen.DeliveryState
	ProviderID string
	ErrorCode  string
}

func outcomeOf(t *testing.T, s store.Store, id int64) outcome {
	t.Helper()
	m, err := s.GetMessage(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.ListDeliveries(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	o := outcome{Message: m.State}
	for _, d := range ds {
		o.Deliveries = append(o.Deliveries, d.State)
		o.ProviderID, o.ErrorCode = d.ProviderMessageID, d.ErrorCode
	}
	return o
}

// linkRE finds the links of a message; group 1 is the path, 2 the token.
var linkRE = regexp.MustCompile(regexp.QuoteMeta(publicURL) + `(/[mu]/)([A-Za-z0-9_-]{22})`)

func TestDeliver_Sends(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lang    kigen.Language
		channel kigen.Channel
		want    string // in the subject (email) or the SMS
	}{
		{name: "EmailSpanish", lang: kigen.Spanish, channel: kigen.Email, want: "24 de enero de 2027"},
		{name: "SMSJapanese", lang: kigen.Japanese, channel: kigen.SMS, want: "2027年1月24日"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
				p := plan(t, e.store, tc.lang, tc.channel, kigen.D60, cardExpiresOn)
				e.enqueue(t, p.message.ID)
				e.work(t)

				sent := e.rec.Messages()
				if len(sent) != 1 {
					t.Fatalf("the provider got %d messages, want 1", len(sent))
				}
				got, rec := sent[0], e.rec.Records()[0]
				if got.ID != p.message.ID || got.Channel != tc.channel || got.To != p.contact.Address || rec.Lang != tc.lang {
					t.Errorf("sent message %d on %s in %s, want %d on %s in %s (or another address)",
						got.ID, got.Channel, rec.Lang, p.message.ID, tc.channel, tc.lang)
				}
				wantNotices := []notify.OutboxNotice{{Card: kigen.ResidenceCard, ExpiresOn: cardExpiresOn, Stage: kigen.D60}}
				if d := cmp.Diff(wantNotices, rec.Notices); d != "" {
					t.Errorf("notices (-want +got):\n%s", d)
				}
				if rec.MunicipalityCode != p.muni.Code || rec.ResidentRef != p.resident.Ref || rec.TickDate != kigen.DateOf(now) {
					t.Errorf("outbox record: municipality %q, ref %q, tick %s", rec.MunicipalityCode, rec.ResidentRef, rec.TickDate)
				}
				text := got.SMS
				if tc.channel == kigen.Email {
					text = got.Text
					if !strings.Contains(got.Subject, tc.want) {
						t.Errorf("subject %q does not contain %q", got.Subject, tc.want)
					}
					if u := got.Headers["List-Unsubscribe"]; !strings.Contains(u, publicURL+"/u/") {
						t.Errorf("List-Unsubscribe = %q", u)
					}
				}
				if !strings.Contains(text, tc.want) {
					t.Errorf("text does not contain %q:\n%s", tc.want, text)
				}

				// The links carry one token, which finds the message.
				links := linkRE.FindAllStringSubmatch(text+got.HTML+got.Headers["List-Unsubscribe"], -1)
				paths := map[string]bool{}
				for _, l := range links {
					paths[l[1]] = true
					if l[2] != links[0][2] {
						t.Errorf("two tokens in one message: %s and %s", l[2], links[0][2])
					}
				}
				wantPaths := map[string]bool{"/m/": true}
				if tc.channel == kigen.Email {
					wantPaths["/u/"] = true
				}
				if d := cmp.Diff(wantPaths, paths); d != "" {
					t.Fatalf("links (-want +got):\n%s\n%s", d, text)
				}
				m, err := e.store.GetMessageByToken(t.Context(), scheduler.TokenHash(links[0][2]))
				if err != nil || m.ID != p.message.ID {
					t.Errorf("GetMessageByToken(link token) = %v, %v; want message %d", m, err, p.message.ID)
				}

				want := outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted},
					ProviderID: "recorder-" + itoa(p.message.ID)}
				if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
					t.Errorf("outcome (-want +got):\n%s", d)
				}
				if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDeliver_Outbox(t *testing.T) {
	t.Parallel()
	// Each backend's outbox file, by its worker: the backends run at once.
	var paths sync.Map // *scheduler.DeliverWorker → string
	eachQueue(t, func(w *scheduler.DeliverWorker, _ *scheduler.QueueConfig) {
		path := filepath.Join(t.TempDir(), "outbox.jsonl")
		ob, err := outbox.Open(path, &outbox.Opts{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ob.Close() })
		// Behind a wrapper, as in production: the record must get through
		// (notify.RecordSender).
		w.Senders = map[kigen.Channel]notify.Sender{kigen.Email: scheduler.NewRateLimitedSender(ob, 0, 1)}
		w.Providers = map[kigen.Channel]string{kigen.Email: outbox.Provider}
		paths.Store(w, path)
	}, func(t *testing.T, e *queueEnv) {
		v, _ := paths.Load(e.worker)
		path := v.(string)
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		e.enqueue(t, p.message.ID)
		e.work(t)

		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != 1 {
			t.Fatalf("outbox has %d lines, want 1:\n%s", len(lines), b)
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
			t.Fatal(err)
		}
		body, _ := line["body"].(string)
		subject, _ := line["subject"].(string)
		if !strings.Contains(body, publicURL+"/m/") || !strings.Contains(subject, "2027") {
			t.Errorf("subject %q / body without the message link:\n%s", subject, body)
		}
		delete(line, "body")
		delete(line, "subject")
		want := map[string]any{
			"message_id":   float64(p.message.ID),
			"municipality": p.muni.Code,
			"resident_ref": p.resident.Ref,
			"channel":      "email",
			"to":           p.contact.Address,
			"lang":         "en",
			"notices":      []any{map[string]any{"card": "residence_card", "expires_on": cardExpiresOn.String(), "stage": "d60"}},
			"tick_date":    kigen.DateOf(now).String(),
			"created_at":   now.UTC().Format(time.RFC3339),
		}
		if d := cmp.Diff(want, line); d != "" {
			t.Errorf("outbox line (-want +got):\n%s", d)
		}
		want2 := outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted},
			ProviderID: "outbox-" + itoa(p.message.ID)}
		if d := cmp.Diff(want2, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
	})
}

func TestDeliver_RetryableFailure(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	tests := []struct {
		name string
		err  error
	}{
		{name: "Backoff", err: &notify.Error{Provider: "recorder", Code: "503", Reason: "unavailable"}},
		{name: "RetryAfter", err: &notify.Error{Provider: "recorder", Code: "429", Reason: "slow down", RetryAfter: delay}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, func(_ *scheduler.DeliverWorker, cfg *scheduler.QueueConfig) {
				cfg.Retry = scheduler.Backoff{Delays: []time.Duration{delay}}
			}, func(t *testing.T, e *queueEnv) {
				p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
				e.rec.FailNext(tc.err)
				e.enqueue(t, p.message.ID)
				start := time.Now()
				e.work(t)

				if n, m := len(e.rec.Attempts()), len(e.rec.Messages()); n != 1 || m != 0 {
					t.Fatalf("after the first run: %d attempts, %d accepted; want 1, 0", n, m)
				}
				code := tc.err.(*notify.Error).Code
				want := outcome{Message: kigen.MessagePlanned, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed}, ErrorCode: code}
				if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
					t.Errorf("after the failure (-want +got):\n%s", d)
				}
				// The job waits for its retry (River makes a short wait
				// available at once, with a later scheduled_at).
				st := e.stats(t)
				if st["completed"]+st["cancelled"]+st["discarded"] != 0 || st["available"]+st["retryable"]+st["scheduled"] != 1 {
					t.Errorf("jobs after the failure: %v; want one waiting", st)
				}

				// The retry is due delay after the first attempt ended, which
				// a loaded machine makes later than start+delay: work until
				// it ran (or long past its time).
				time.Sleep(time.Until(start.Add(delay)))
				for deadline := time.Now().Add(delay + 10*time.Second); len(e.rec.Attempts()) < 2 && time.Now().Before(deadline); {
					time.Sleep(20 * time.Millisecond)
					e.work(t)
				}
				if n, m := len(e.rec.Attempts()), len(e.rec.Messages()); n != 2 || m != 1 {
					t.Fatalf("after the second run: %d attempts, %d accepted; want 2, 1", n, m)
				}
				want = outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed, kigen.DeliveryAccepted},
					ProviderID: "recorder-" + itoa(p.message.ID)}
				if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
					t.Errorf("after the retry (-want +got):\n%s", d)
				}
				if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

func TestDeliver_RetriesExhausted(t *testing.T) {
	t.Parallel()
	eachQueue(t, func(_ *scheduler.DeliverWorker, cfg *scheduler.QueueConfig) {
		cfg.Retry = scheduler.Backoff{Delays: []time.Duration{time.Millisecond}} // two attempts
	}, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		fail := &notify.Error{Provider: "recorder", Code: "503", Reason: "unavailable"}
		e.rec.FailNext(fail, fail)
		e.enqueue(t, p.message.ID)
		e.work(t)
		time.Sleep(10 * time.Millisecond)
		e.work(t)

		if n := len(e.rec.Attempts()); n != 2 {
			t.Errorf("%d attempts, want 2", n)
		}
		want := outcome{Message: kigen.MessageFailed, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed, kigen.DeliveryFailed}, ErrorCode: "503"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
		if d := cmp.Diff(map[string]int{"discarded": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
	})
}

func TestDeliver_PermanentFailure(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		ctx := t.Context()
		p := plan(t, e.store, kigen.English, kigen.SMS, kigen.D60, cardExpiresOn)
		before, err := e.store.ListCards(ctx, p.muni.ID, p.resident.ID)
		if err != nil || before[0].NextNoticeOn.IsZero() {
			t.Fatalf("fixture card has no next notice date (%v)", err)
		}
		e.rec.FailNext(&notify.Error{Provider: "recorder", Permanent: true, Code: "21211", Reason: "invalid number", ContactFailed: true})
		e.enqueue(t, p.message.ID)
		e.work(t)

		want := outcome{Message: kigen.MessageFailed, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed}, ErrorCode: "21211"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
		if d := cmp.Diff(map[string]int{"cancelled": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
		hs, err := store.LoadHoldings(ctx, e.store, p.muni.ID, p.resident.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c := hs[0].Contacts[0]; !c.Failed {
			t.Error("the contact is not marked failed")
		}
		if next := hs[0].Cards[0].NextNoticeOn; !next.IsZero() {
			t.Errorf("the unreachable resident still has a next notice on %s; want none (re-planned)", next)
		}
	})
}

func TestDeliver_FoundSending(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		var mu sync.Mutex
		var interrupted []kigen.Channel
		e.worker.Interrupted = func(ch kigen.Channel) { mu.Lock(); interrupted = append(interrupted, ch); mu.Unlock() }
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		// An earlier attempt recorded its delivery, then its process died.
		d := &kigen.Delivery{MessageID: p.message.ID, Provider: "recorder", State: kigen.DeliverySending}
		if err := e.store.CreateDelivery(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		e.enqueue(t, p.message.ID)
		e.work(t)

		if n := len(e.rec.Attempts()); n != 0 {
			t.Errorf("the message was sent again (%d attempts)", n)
		}
		want := outcome{Message: kigen.MessageUnknown, Deliveries: []kigen.DeliveryState{kigen.DeliveryUnknown}, ErrorCode: "interrupted"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
		mu.Lock()
		defer mu.Unlock()
		if d := cmp.Diff([]kigen.Channel{kigen.Email}, interrupted); d != "" {
			t.Errorf("Interrupted calls (-want +got): the unknown must be counted in the tick summary and metrics\n%s", d)
		}
	})
}

func TestDeliver_MaybeSent(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		e.rec.FailNext(&notify.Error{Provider: "recorder", Code: "timeout", MaybeSent: true})
		e.enqueue(t, p.message.ID)
		e.work(t)

		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d attempts, want 1 (no retry after a send that may have left)", n)
		}
		want := outcome{Message: kigen.MessageUnknown, Deliveries: []kigen.DeliveryState{kigen.DeliveryUnknown}, ErrorCode: "timeout"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
		if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
	})
}

func TestDeliver_Dropped(t *testing.T) {
	t.Parallel()
	yesterday := kigen.DateOf(now).AddDays(-1)
	tests := []struct {
		name  string
		stage kigen.Stage
		exp   kigen.Date
		setup func(t *testing.T, s store.Store, p planned)
	}{
		{
			// A d1 notice for a card that expired yesterday can no longer
			// go out; the expired notice follows (docs/domain.md §11.18).
			name: "ExpiredBeforeExpiryNotice", stage: kigen.D1, exp: yesterday,
		},
		{
			name: "ContactOptedOut", stage: kigen.D60, exp: cardExpiresOn,
			setup: func(t *testing.T, s store.Store, p planned) {
				p.contact.OptedOut = true
				if err := s.UpsertContact(t.Context(), p.muni.ID, p.contact); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "CardRenewed", stage: kigen.D60, exp: cardExpiresOn,
			setup: func(t *testing.T, s store.Store, p planned) {
				p.card.ExpiresOn = cardExpiresOn.AddMonths(36)
				if err := s.UpsertCard(t.Context(), p.muni.ID, p.card); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "ResidentErased", stage: kigen.D60, exp: cardExpiresOn,
			setup: func(t *testing.T, s store.Store, p planned) {
				if err := s.DeleteResident(t.Context(), p.muni.ID, p.resident.ID); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
				p := plan(t, e.store, kigen.English, kigen.Email, tc.stage, tc.exp)
				if tc.setup != nil {
					tc.setup(t, e.store, p)
				}
				e.enqueue(t, p.message.ID)
				e.work(t)
				if n := len(e.rec.Attempts()); n != 0 {
					t.Errorf("%d attempts, want none", n)
				}
				if d := cmp.Diff(outcome{Message: kigen.MessageDropped}, outcomeOf(t, e.store, p.message.ID)); d != "" {
					t.Errorf("outcome (-want +got):\n%s", d)
				}
				if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

// TestDeliver_SMSQuietHours: an SMS goes out only from 09:00 to 20:00
// Asia/Tokyo. Outside, the job is snoozed to the next 09:00 and the message
// stays planned; once the night has passed (the clock at 09:05, the job's
// time come), the SMS goes out once and the message is sent.
//
// River snoozes from its own (wall) clock, not the worker's: the job's
// scheduled_at is the wall time of the attempt plus the wait from the
// worker's now to the next 09:00.
func TestDeliver_SMSQuietHours(t *testing.T) {
	t.Parallel()
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, kigen.Tokyo) }
	tests := []struct {
		name string
		at   time.Time
		// next is the 09:00 the SMS waits for; zero: it goes at once.
		next time.Time
	}{
		{"20:30 waits for the next morning", day(25, 20, 30), day(26, 9, 0)},
		{"20:00 waits", day(25, 20, 0), day(26, 9, 0)},
		{"08:59 waits a minute", day(25, 8, 59), day(25, 9, 0)},
		{"09:00 goes", day(25, 9, 0), time.Time{}},
		{"19:59 goes", day(25, 19, 59), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A clock for each backend's worker: the backends run at once,
			// and one's night passing (09:05) must not reach the other's
			// 20:00.
			var clocks sync.Map // *scheduler.DeliverWorker → *atomic.Pointer[time.Time]
			eachQueue(t, func(w *scheduler.DeliverWorker, _ *scheduler.QueueConfig) {
				clock := new(atomic.Pointer[time.Time])
				clocks.Store(w, clock)
				w.Now = func() time.Time { return *clock.Load() }
			}, func(t *testing.T, e *queueEnv) {
				c, _ := clocks.Load(e.worker)
				clock := c.(*atomic.Pointer[time.Time])
				at := tt.at
				clock.Store(&at)
				p := plan(t, e.store, kigen.English, kigen.SMS, kigen.D60, cardExpiresOn)
				e.enqueue(t, p.message.ID)
				before := time.Now()
				e.work(t)
				after := time.Now()

				if !tt.next.IsZero() {
					if n := len(e.rec.Attempts()); n != 0 {
						t.Fatalf("an SMS went out at %s (%d attempts)", tt.at.Format("15:04"), n)
					}
					if d := cmp.Diff(outcome{Message: kigen.MessagePlanned}, outcomeOf(t, e.store, p.message.ID)); d != "" {
						t.Errorf("outcome (-want +got):\n%s", d)
					}
					if d := cmp.Diff(map[string]int{"scheduled": 1}, e.stats(t)); d != "" {
						t.Errorf("jobs (-want +got): the job should wait for 09:00\n%s", d)
					}
					// scheduled_at, on the worker's clock, is the next 09:00.
					wait := tt.next.Sub(tt.at)
					got := e.deliverScheduledAt(t)
					lo, hi := before.Add(wait).Add(-time.Millisecond), after.Add(wait).Add(time.Millisecond)
					if got.Before(lo) || got.After(hi) {
						t.Fatalf("scheduled_at = %v, want the attempt's time plus %v (the next 09:00 from %s), within [%v, %v]",
							got.UTC(), wait, tt.at.Format("15:04"), lo.UTC(), hi.UTC())
					}

					// The night passes: the clock reads 09:05 and the
					// job's time has come.
					release := tt.next.Add(5 * time.Minute)
					clock.Store(&release)
					e.exec(t,
						`UPDATE river_job SET scheduled_at = datetime('now', '-1 minute', 'subsec') WHERE kind = 'deliver'`,
						`UPDATE river_job SET scheduled_at = now() - interval '1 minute' WHERE kind = 'deliver'`)
					e.work(t)
				}

				if n, m := len(e.rec.Attempts()), len(e.rec.Messages()); n != 1 || m != 1 {
					t.Fatalf("%d attempts, %d accepted; want the SMS sent once", n, m)
				}
				if e.rec.Messages()[0].To != p.contact.Address {
					t.Error("the SMS went to another number than the resident's")
				}
				want := outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted},
					ProviderID: "recorder-" + itoa(p.message.ID)}
				if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
					t.Errorf("outcome (-want +got):\n%s", d)
				}
				if d := cmp.Diff(map[string]int{"completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

// deliverScheduledAt returns the scheduled_at of the one deliver job.
func (e *queueEnv) deliverScheduledAt(t *testing.T) time.Time {
	t.Helper()
	var ms int64
	var err error
	switch s := e.store.(type) {
	case *sqlite.Store:
		// River keeps SQLite times as UTC text.
		err = s.DB().QueryRowContext(t.Context(),
			`SELECT CAST(round(unixepoch(scheduled_at, 'subsec') * 1000) AS INTEGER) FROM river_job WHERE kind = 'deliver'`).Scan(&ms)
	case *postgres.Store:
		err = s.Pool().QueryRow(t.Context(),
			`SELECT round(extract(epoch FROM scheduled_at) * 1000)::bigint FROM river_job WHERE kind = 'deliver'`).Scan(&ms)
	default:
		t.Fatalf("unknown store %T", e.store)
	}
	if err != nil {
		t.Fatalf("read the deliver job's scheduled_at: %v", err)
	}
	return time.UnixMilli(ms)
}

func TestDeliver_MessageGone(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		e.enqueue(t, 987654)
		e.work(t)
		if d := cmp.Diff(map[string]int{"cancelled": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
	})
}

// TestDeliver_OneTokenPerMessage: every attempt of a message carries the
// same link token (the link of an email sent earlier keeps working), and
// that token finds the message. With a LinkKey (KIGEN_LINK_SECRET) the
// token is derived from it instead of the database's secret.
func TestDeliver_OneTokenPerMessage(t *testing.T) {
	t.Parallel()
	tokenOf := func(t *testing.T, m notify.Message) string {
		t.Helper()
		l := linkRE.FindStringSubmatch(m.Text)
		if l == nil {
			t.Fatalf("no link in %q", m.Text)
		}
		return l[2]
	}
	for _, key := range [][]byte{nil, []byte("0123456789abcdef0123456789abcdef")} {
		eachQueue(t, func(w *scheduler.DeliverWorker, cfg *scheduler.QueueConfig) {
			w.LinkKey = key
			cfg.Retry = scheduler.Backoff{Delays: []time.Duration{time.Millisecond, time.Millisecond}}
		}, func(t *testing.T, e *queueEnv) {
			p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
			e.rec.FailNext(&notify.Error{Provider: "recorder", Code: "503", Reason: "unavailable"})
			e.enqueue(t, p.message.ID)
			e.work(t)
			time.Sleep(10 * time.Millisecond)
			e.work(t)
			attempts := e.rec.Attempts()
			if len(attempts) != 2 {
				t.Fatalf("%d attempts, want 2", len(attempts))
			}
			first, second := tokenOf(t, attempts[0]), tokenOf(t, attempts[1])
			if first != second {
				t.Errorf("the retry carries token %s, the first attempt %s: want one token per message", second, first)
			}
			m, err := e.store.GetMessageByToken(t.Context(), scheduler.TokenHash(first))
			if err != nil || m.ID != p.message.ID {
				t.Errorf("GetMessageByToken(the token) = %v, %v; want message %d", m, err, p.message.ID)
			}
			// The derivation is pinned: changing it would break the links
			// of every message already sent once it is sent again.
			secret := key
			if secret == nil {
				if secret, err = e.store.LinkSecret(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			mac := hmac.New(sha256.New, secret)
			fmt.Fprintf(mac, "kigen link %d %d", p.message.ID, m.CreatedAt.Unix())
			if want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16]); first != want {
				t.Errorf("token %s, want %s (HMAC-SHA256 of the message's id and creation time)", first, want)
			}
		})
	}
}

// outageStore is a store whose next transactions fail, as while the
// database restarts.
type outageStore struct {
	store.Store

	mu    sync.Mutex
	fails int // transactions still to fail
	tried int // transactions refused
}

func (s *outageStore) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	s.mu.Lock()
	if s.fails > 0 {
		s.fails--
		s.tried++
		s.mu.Unlock()
		return errors.New("failed to connect: connection refused")
	}
	s.mu.Unlock()
	return s.Store.InTx(ctx, fn)
}

// TestDeliver_OutcomeWriteRetried: the database goes away while the
// provider has the message, and comes back a moment later. The outcome is
// written once it is back, with the provider's id: the message is sent,
// not unknown (issue: nine accepted emails stored unknown after a 23 s
// PostgreSQL restart).
func TestDeliver_OutcomeWriteRetried(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		outage := &outageStore{Store: e.store}
		e.worker.Store = outage
		e.rec.SendFunc = func(ctx context.Context, m notify.Message) (notify.Receipt, error) {
			outage.mu.Lock()
			outage.fails = 4 // about 1.5 s of backoff
			outage.mu.Unlock()
			return notify.Receipt{Provider: "recorder", ProviderMessageID: "recorder-" + itoa(m.ID)}, nil
		}
		p := plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
		e.enqueue(t, p.message.ID)
		e.work(t)

		want := outcome{Message: kigen.MessageSent, Deliveries: []kigen.DeliveryState{kigen.DeliveryAccepted},
			ProviderID: "recorder-" + itoa(p.message.ID)}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("outcome (-want +got):\n%s", d)
		}
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
		if outage.tried != 4 {
			t.Errorf("%d writes refused, want 4: the outage did not happen as planned", outage.tried)
		}
	})
}
