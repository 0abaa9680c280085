package scheduler_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/notify"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/storetest"
)

// smsAddress is the fallback fixtures' phone number.
const smsAddress = "+819012345678"

// planWithSMS is plan on email (English) for a resident who also has an
// SMS contact: consented, or opted out if optedOut. The worker's and (if
// made) the Sink's Enqueue must be set by the caller.
func planWithSMS(t *testing.T, s store.Store, optedOut bool) planned {
	t.Helper()
	ctx := t.Context()
	p := plan(t, s, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
	c := &kigen.Contact{ResidentID: p.resident.ID, Channel: kigen.SMS, Address: smsAddress, Consent: true, OptedOut: optedOut}
	if err := s.UpsertContact(ctx, p.muni.ID, c); err != nil {
		t.Fatal(err)
	}
	if err := store.Replan(ctx, s, p.muni.ID, p.resident.ID, kigen.DateOf(now)); err != nil {
		t.Fatal(err)
	}
	return p
}

// noMessageAfter fails the test if a message was made after message id
// (the stores are fresh: IDs grow one by one).
func noMessageAfter(t *testing.T, s store.Store, id int64) {
	t.Helper()
	if m, err := s.GetMessage(t.Context(), id+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMessage(%d) = %v, %v; want no fallback message (ErrNotFound)", id+1, m, err)
	}
}

// checkFallback checks that the recorder got exactly one SMS, a message
// other than the original carrying the same notices on the same tick, and
// that this message is sent and the original failed.
func checkFallback(t *testing.T, e *queueEnv, p planned) {
	t.Helper()
	ctx := t.Context()
	var (
		sms  []notify.Message
		recs []notify.Record
	)
	for i, m := range e.rec.Messages() {
		if m.Channel == kigen.SMS {
			sms, recs = append(sms, m), append(recs, e.rec.Records()[i])
		}
	}
	if len(sms) != 1 {
		t.Fatalf("the provider got %d SMS, want 1 (the fallback)", len(sms))
	}
	got, rec := sms[0], recs[0]
	if got.ID == p.message.ID || got.To != smsAddress || rec.TickDate != p.message.TickDate {
		t.Errorf("fallback SMS: message %d (original %d), tick %s (want %s), or another number",
			got.ID, p.message.ID, rec.TickDate, p.message.TickDate)
	}
	wantNotices := []notify.OutboxNotice{{Card: kigen.ResidenceCard, ExpiresOn: cardExpiresOn, Stage: kigen.D60}}
	if d := cmp.Diff(wantNotices, rec.Notices); d != "" {
		t.Errorf("fallback notices (-want +got):\n%s", d)
	}
	fm, err := e.store.GetMessage(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p.message.NoticeIDs, fm.NoticeIDs); d != "" {
		t.Errorf("fallback message's notice IDs (-original +fallback):\n%s", d)
	}
	if fm.Channel != kigen.SMS || fm.State != kigen.MessageSent || fm.ResidentID != p.resident.ID {
		t.Errorf("fallback message: %s, %s, resident %d; want sms, sent, resident %d", fm.Channel, fm.State, fm.ResidentID, p.resident.ID)
	}
	if m, err := e.store.GetMessage(ctx, p.message.ID); err != nil || m.State != kigen.MessageFailed {
		t.Errorf("original message: %v, %v; want failed", m, err)
	}
	noMessageAfter(t, e.store, got.ID)
}

func TestFallback_PermanentFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      *notify.Error
		noSMS    bool // the resident has no SMS contact
		optedOut bool // their SMS contact is opted out
		want     bool // a fallback SMS is sent
	}{
		{name: "BadAddress", err: &notify.Error{Provider: "recorder", Permanent: true, Code: "400", Reason: "invalid email", ContactFailed: true}, want: true},
		{name: "Rejected", err: &notify.Error{Provider: "recorder", Permanent: true, Code: "400", Reason: "bad request"}, want: true},
		{name: "NoSecondChannel", err: &notify.Error{Provider: "recorder", Permanent: true, Code: "400", Reason: "invalid email", ContactFailed: true}, noSMS: true},
		{name: "SMSOptedOut", err: &notify.Error{Provider: "recorder", Permanent: true, Code: "400", Reason: "invalid email", ContactFailed: true}, optedOut: true},
		{name: "ResidentOptedOut", err: &notify.Error{Provider: "recorder", Permanent: true, Code: "unsubscribed", Reason: "unsubscribed", OptOut: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
				e.worker.Enqueue = e.queue.Enqueue
				var p planned
				if tc.noSMS {
					p = plan(t, e.store, kigen.English, kigen.Email, kigen.D60, cardExpiresOn)
				} else {
					p = planWithSMS(t, e.store, tc.optedOut)
				}
				e.rec.FailNext(tc.err)
				e.enqueue(t, p.message.ID)
				e.work(t)

				if !tc.want {
					if n := len(e.rec.Attempts()); n != 1 {
						t.Errorf("%d sends, want 1 (no fallback)", n)
					}
					want := outcome{Message: kigen.MessageFailed, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed}, ErrorCode: tc.err.Code}
					if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
						t.Errorf("original outcome (-want +got):\n%s", d)
					}
					noMessageAfter(t, e.store, p.message.ID)
					if d := cmp.Diff(map[string]int{"cancelled": 1}, e.stats(t)); d != "" {
						t.Errorf("jobs (-want +got):\n%s", d)
					}
					return
				}
				checkFallback(t, e, p)
				if d := cmp.Diff(map[string]int{"cancelled": 1, "completed": 1}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
			})
		})
	}
}

// A worker without Enqueue leaves the message failed.
func TestFallback_NoQueue(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		p := planWithSMS(t, e.store, false)
		e.rec.FailNext(&notify.Error{Provider: "recorder", Permanent: true, Code: "400", ContactFailed: true})
		e.enqueue(t, p.message.ID)
		e.work(t)
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
		noMessageAfter(t, e.store, p.message.ID)
	})
}

func TestFallback_RetriesExhausted(t *testing.T) {
	t.Parallel()
	eachQueue(t, func(_ *scheduler.DeliverWorker, cfg *scheduler.QueueConfig) {
		cfg.Retry = scheduler.Backoff{Delays: []time.Duration{time.Millisecond}} // two attempts
	}, func(t *testing.T, e *queueEnv) {
		e.worker.Enqueue = e.queue.Enqueue
		p := planWithSMS(t, e.store, false)
		fail := &notify.Error{Provider: "recorder", Code: "503", Reason: "unavailable"}
		e.rec.FailNext(fail, fail)
		e.enqueue(t, p.message.ID)
		e.work(t)
		time.Sleep(10 * time.Millisecond)
		e.work(t)

		if n := len(e.rec.Attempts()); n != 3 {
			t.Errorf("%d sends, want 3 (email twice, then the SMS)", n)
		}
		want := outcome{Message: kigen.MessageFailed, Deliveries: []kigen.DeliveryState{kigen.DeliveryFailed, kigen.DeliveryFailed}, ErrorCode: "503"}
		if d := cmp.Diff(want, outcomeOf(t, e.store, p.message.ID)); d != "" {
			t.Errorf("original outcome (-want +got):\n%s", d)
		}
		checkFallback(t, e, p)
		if d := cmp.Diff(map[string]int{"discarded": 1, "completed": 1}, e.stats(t)); d != "" {
			t.Errorf("jobs (-want +got):\n%s", d)
		}
	})
}

func TestFallback_BounceEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		event    notify.Event // MessageID and Provider are set by the test
		times    int          // how many times the webhook reports it
		optedOut bool         // the SMS contact is opted out
		want     bool         // a fallback SMS is sent
	}{
		{name: "Bounce", event: notify.Event{Status: notify.StatusBounced, Permanent: true, Code: "550", ContactFailed: true}, times: 1, want: true},
		{name: "DuplicateBounce", event: notify.Event{Status: notify.StatusBounced, Permanent: true, Code: "550", ContactFailed: true}, times: 3, want: true},
		{name: "Dropped", event: notify.Event{Status: notify.StatusDropped, Permanent: true, Code: "invalid", ContactFailed: true}, times: 2, want: true},
		{name: "SMSOptedOut", event: notify.Event{Status: notify.StatusBounced, Permanent: true, Code: "550", ContactFailed: true}, times: 1, optedOut: true},
		{name: "NotPermanent", event: notify.Event{Status: notify.StatusFailed, Code: "30003"}, times: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
				ctx := t.Context()
				e.worker.Enqueue = e.queue.Enqueue
				sink := &scheduler.Sink{Store: e.store, Now: func() time.Time { return now }, Enqueue: e.queue.Enqueue, Logger: e.worker.Logger}
				p := planWithSMS(t, e.store, tc.optedOut)
				e.enqueue(t, p.message.ID)
				e.work(t)
				if n := len(e.rec.Messages()); n != 1 {
					t.Fatalf("the provider got %d messages, want 1 (the email)", n)
				}
				e.rec.Reset()

				ev := tc.event
				ev.MessageID, ev.Provider, ev.ProviderMessageID = p.message.ID, "recorder", fmt.Sprintf("recorder-%d", p.message.ID)
				for range tc.times {
					if err := sink.ApplyEvent(ctx, ev); err != nil {
						t.Fatalf("ApplyEvent: %v", err)
					}
				}
				e.work(t)

				if m, err := e.store.GetMessage(ctx, p.message.ID); err != nil || m.State != kigen.MessageFailed {
					t.Errorf("original message: %v, %v; want failed", m, err)
				}
				if !tc.want {
					if n := len(e.rec.Attempts()); n != 0 {
						t.Errorf("%d sends after the event, want none", n)
					}
					noMessageAfter(t, e.store, p.message.ID)
					return
				}
				checkFallback(t, e, p)
				if d := cmp.Diff(map[string]int{"completed": 2}, e.stats(t)); d != "" {
					t.Errorf("jobs (-want +got):\n%s", d)
				}
				hs, err := store.LoadHoldings(ctx, e.store, p.muni.ID, p.resident.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c := hs[0].Contact(kigen.Email); !c.Failed {
					t.Error("the bounced email contact is not marked failed")
				}

				// A late report on the fallback SMS does not come back to
				// the failed email, nor make a third message.
				fid := p.message.ID + 1
				err = sink.ApplyEvent(ctx, notify.Event{MessageID: fid, Provider: "recorder", ProviderMessageID: fmt.Sprintf("recorder-%d", fid), Status: notify.StatusUndelivered,
					Permanent: true, Code: "30005", ContactFailed: true})
				if err != nil {
					t.Fatalf("ApplyEvent on the fallback: %v", err)
				}
				noMessageAfter(t, e.store, fid)
			})
		})
	}
}

// A resident who chose both channels already got the SMS from the tick:
// the email's bounce makes no second SMS.
func TestFallback_AlreadyOnOtherChannel(t *testing.T) {
	t.Parallel()
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		ctx := t.Context()
		e.worker.Enqueue = e.queue.Enqueue
		p := planWithSMS(t, e.store, false)
		sms := storetest.MustCreateMessage(t, ctx, e.store, p.muni.ID, p.resident.ID, kigen.SMS, p.message.TickDate, p.message.NoticeIDs...)
		e.rec.FailNext(&notify.Error{Provider: "recorder", Permanent: true, Code: "400", ContactFailed: true})
		e.enqueue(t, p.message.ID)
		e.work(t)
		if n := len(e.rec.Attempts()); n != 1 {
			t.Errorf("%d sends, want 1", n)
		}
		noMessageAfter(t, e.store, sms.ID)
	})
}
