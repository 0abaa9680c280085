package scheduler

import (
	"context"
	"sync"

	"kigen"
	"kigen/notify"
)

// The outcomes of a send, as SendCounts counts them.
const (
	OutcomeSent     = "sent"     // the provider accepted the message
	OutcomeFailed   = "failed"   // refused for good on this channel
	OutcomeRetrying = "retrying" // retried later, with backoff
	OutcomeUnknown  = "unknown"  // may have reached the provider: not resent
)

// SendCounts counts the outcome of every send per channel: the summary of
// a tick run in the foreground (RunTick) and the metrics of kigen serve.
// Senders count through Sender; a deliver worker that finds a send
// interrupted adds OutcomeUnknown itself. It is safe for concurrent use.
type SendCounts struct {
	// Observe, if set, is called with each outcome counted.
	Observe func(ch kigen.Channel, outcome string)

	mu sync.Mutex
	n  map[kigen.Channel]map[string]int
}

// Add counts one outcome on ch.
func (c *SendCounts) Add(ch kigen.Channel, outcome string) {
	c.mu.Lock()
	if c.n == nil {
		c.n = map[kigen.Channel]map[string]int{}
	}
	if c.n[ch] == nil {
		c.n[ch] = map[string]int{}
	}
	c.n[ch][outcome]++
	c.mu.Unlock()
	if c.Observe != nil {
		c.Observe(ch, outcome)
	}
}

// Get returns how many outcomes of the kind were counted on ch.
func (c *SendCounts) Get(ch kigen.Channel, outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[ch][outcome]
}

// Sender returns s, counting the outcome of each of its sends on ch.
func (c *SendCounts) Sender(ch kigen.Channel, s notify.Sender) notify.Sender {
	return &countingSender{Sender: s, channel: ch, counts: c}
}

// countingSender classifies each send's outcome. It passes a message's
// record on to the Sender it counts (notify.RecordSender: the outbox needs
// it).
type countingSender struct {
	notify.Sender
	channel kigen.Channel
	counts  *SendCounts
}

func (s *countingSender) Send(ctx context.Context, msg notify.Message) (notify.Receipt, error) {
	return s.count(s.Sender.Send(ctx, msg))
}

func (s *countingSender) SendRecord(ctx context.Context, msg notify.Message, rec notify.Record) (notify.Receipt, error) {
	return s.count(notify.SendWithRecord(ctx, s.Sender, msg, rec))
}

func (s *countingSender) count(r notify.Receipt, err error) (notify.Receipt, error) {
	switch {
	case err == nil:
		s.counts.Add(s.channel, OutcomeSent)
	case notify.MaybeSent(err):
		s.counts.Add(s.channel, OutcomeUnknown)
	case notify.IsPermanent(err):
		s.counts.Add(s.channel, OutcomeFailed)
	default:
		s.counts.Add(s.channel, OutcomeRetrying)
	}
	return r, err
}

// snapshot copies the counts.
func (c *SendCounts) snapshot() map[kigen.Channel]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[kigen.Channel]map[string]int{}
	for _, ch := range kigen.Channels {
		out[ch] = map[string]int{}
		for k, v := range c.n[ch] {
			out[ch][k] = v
		}
	}
	return out
}
