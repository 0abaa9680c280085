package store

import (
	"context"
	"iter"
	"time"

	"kigen"
)

// OpsQueries are the reads behind the operators' page (/ops/, issue 21):
// the delivery funnel and the failures of a bounded window, and the last
// report each provider's webhook sent. They read across municipalities
// and return counts and opaque identifiers only, never a resident.
//
// The windows are bounded: each read goes through an index on the
// creation time (migrations PG 017, SQLite 015), so that its cost is that
// of the window, not of a year of history.
type OpsQueries interface {
	// CountFunnel counts the messages created at or after since, in every
	// municipality, by channel, the provider of their last delivery ("" for
	// none), their state and their last delivery's state ("" for none), in
	// that order. Recent counts, of each group, those created at or after
	// recent (a later time: the last 24 hours of a 7-day window).
	CountFunnel(ctx context.Context, since, recent time.Time) ([]FunnelCount, error)
	// CountFailures counts the deliveries created at or after since that
	// failed or bounced, by provider, channel, state and the provider's
	// error code ("" for none), in that order; Recent as for CountFunnel.
	CountFailures(ctx context.Context, since, recent time.Time) ([]FailureCount, error)
	// RecordProviderReport records r as its provider's last report, unless
	// the one recorded is as recent or more (At): reports may arrive out of
	// order.
	RecordProviderReport(ctx context.Context, r ProviderReport) error
	// ListProviderReports returns each provider's last report, by
	// provider.
	ListProviderReports(ctx context.Context) ([]ProviderReport, error)
}

// FunnelCount is a group of CountFunnel: N messages of the window, Recent
// of them in its last part.
type FunnelCount struct {
	Channel  kigen.Channel
	Provider string // of the last delivery; "" when none was made
	State    kigen.MessageState
	Delivery kigen.DeliveryState // of the last delivery; "" for none
	N        int
	Recent   int
}

// FailureCount is a group of CountFailures.
type FailureCount struct {
	Provider  string
	Channel   kigen.Channel
	State     kigen.DeliveryState // failed or bounced
	ErrorCode string              // the provider's code; "" when it gave none
	N         int
	Recent    int
}

// ProviderReport is the last report a provider's webhook sent that Kigen
// applied: when it came (At, the store's clock), what it said (a
// notify.EventStatus such as "delivered") and about which message (an
// opaque ID).
type ProviderReport struct {
	Provider  string
	Status    string
	MessageID int64
	At        time.Time
}

// QueueWatcher is the ability of a RiverClient to say how much work its
// queue holds (the operators' page). Both backends' clients have it.
type QueueWatcher interface {
	// QueueDepth reads River's job table: the jobs waiting (available, or
	// scheduled or retryable at a time the database's clock has reached),
	// running, and scheduled for later, and how long the oldest waiting job
	// has waited since its scheduled time.
	QueueDepth(ctx context.Context) (QueueDepth, error)
}

// QueueDepth is what QueueWatcher.QueueDepth reads.
type QueueDepth struct {
	Waiting, Running, Later int
	// OldestWait is the wait of the oldest waiting job; 0 with none.
	OldestWait time.Duration
}

// MessageLoader is what the ops benchmark (kigen bench ops) needs beyond
// Bench: loading a history of messages and their deliveries fast. Both
// backends have it. Like BulkLoad it skips the checks of Queries: use it
// only on a database made for the purpose.
type MessageLoader interface {
	// BulkLoadMessages writes the messages of each chunk with their
	// deliveries exactly as given, IDs and timestamps included (COPY on
	// PostgreSQL, a transaction of prepared inserts a chunk on SQLite),
	// then brings the identities and statistics up to date. The messages'
	// residents and municipalities must exist. It is not atomic.
	BulkLoadMessages(ctx context.Context, chunks iter.Seq[[]LoadMessage]) error
}

// LoadMessage is a message for MessageLoader.BulkLoadMessages: ID,
// MunicipalityID, ResidentID, Channel, TickDate, State, CreatedAt and
// UpdatedAt are written (no notices, no token), with its deliveries (ID,
// Provider, State, ProviderMessageID, ErrorCode, ErrorReason, CreatedAt,
// UpdatedAt; MessageID is the message's).
type LoadMessage struct {
	kigen.Message
	Deliveries []kigen.Delivery
}

// Last returns the provider and state of the message's last delivery (by
// creation time, then ID), or "", "" without one.
func (m *LoadMessage) Last() (provider string, state kigen.DeliveryState) {
	var last *kigen.Delivery
	for i := range m.Deliveries {
		d := &m.Deliveries[i]
		if last == nil || d.CreatedAt.After(last.CreatedAt) || (d.CreatedAt.Equal(last.CreatedAt) && d.ID > last.ID) {
			last = d
		}
	}
	if last == nil {
		return "", ""
	}
	return last.Provider, last.State
}
