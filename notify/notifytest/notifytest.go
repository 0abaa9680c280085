// Package notifytest provides fakes of the notify seams for scheduler and
// web tests: a recording Sender that can be scripted to fail, and a
// recording EventSink / InboundSink.
package notifytest

import (
	"context"
	"fmt"
	"sync"

	"kigen/notify"
)

var (
	_ notify.RecordSender = (*Recorder)(nil)
	_ notify.EventSink    = (*Sink)(nil)
	_ notify.InboundSink  = (*Sink)(nil)
)

// Recorder is a notify.Sender that records what it is given. By default it
// accepts every message with the provider id "recorder-<message id>"; queue
// errors with FailNext, or set SendFunc, to script failures. It is a
// notify.RecordSender, like the outbox, and keeps each message's record
// too (Records). The zero value is ready to use; it is safe for concurrent
// use.
type Recorder struct {
	// SendFunc, when set, decides each outcome (after the queued errors).
	SendFunc func(ctx context.Context, m notify.Message) (notify.Receipt, error)

	mu       sync.Mutex
	attempts []notify.Message
	sent     []notify.Message
	records  []notify.Record // of sent[i]
	failures []error
}

// Send records m (without a record) and returns the next queued error,
// else SendFunc's outcome, else a Receipt.
func (r *Recorder) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	return r.SendRecord(ctx, m, notify.Record{})
}

// SendRecord is Send with the message's record, which Records returns.
func (r *Recorder) SendRecord(ctx context.Context, m notify.Message, rec notify.Record) (notify.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return notify.Receipt{}, &notify.Error{Provider: "recorder", Code: "canceled", Err: err}
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, m)
	var err error
	if len(r.failures) > 0 {
		err, r.failures = r.failures[0], r.failures[1:]
	}
	f := r.SendFunc
	r.mu.Unlock()
	if err != nil {
		return notify.Receipt{}, err
	}
	rc := notify.Receipt{Provider: "recorder", ProviderMessageID: fmt.Sprintf("recorder-%d", m.ID)}
	if f != nil {
		if rc, err = f(ctx, m); err != nil {
			return rc, err
		}
	}
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.records = append(r.records, rec)
	r.mu.Unlock()
	return rc, nil
}

// FailNext queues errors: the next len(errs) sends fail with them, in
// order. Use *notify.Error values to script a class of failure.
func (r *Recorder) FailNext(errs ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, errs...)
}

// Messages returns the messages accepted so far, in order.
func (r *Recorder) Messages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.sent...)
}

// Records returns the records of the messages accepted so far, in the
// order of Messages (a zero Record for one sent without).
func (r *Recorder) Records() []notify.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Record(nil), r.records...)
}

// Attempts returns every message given to Send, accepted or not, in order.
func (r *Recorder) Attempts() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.attempts...)
}

// Reset forgets everything recorded and queued.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts, r.sent, r.records, r.failures = nil, nil, nil, nil
}

// OptOut is one SetSMSOptOut call a Sink recorded.
type OptOut struct {
	Phone    string
	OptedOut bool
}

// Sink records the events and keyword changes the webhook handlers apply.
// Err, when set, is returned by every call (which is still recorded). The
// zero value is ready to use; it is safe for concurrent use.
type Sink struct {
	mu      sync.Mutex
	events  []notify.Event
	optOuts []OptOut
	err     error
}

// ApplyEvent records e.
func (s *Sink) ApplyEvent(_ context.Context, e notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	return s.err
}

// SetSMSOptOut records the change.
func (s *Sink) SetSMSOptOut(_ context.Context, phone string, optedOut bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optOuts = append(s.optOuts, OptOut{phone, optedOut})
	return s.err
}

// SetErr makes every later call return err (nil: succeed again).
func (s *Sink) SetErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// Events returns the events applied so far, in order.
func (s *Sink) Events() []notify.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Event(nil), s.events...)
}

// OptOuts returns the keyword changes applied so far, in order.
func (s *Sink) OptOuts() []OptOut {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]OptOut(nil), s.optOuts...)
}
