// Package notify is the seam between Kigen and the providers that carry its
// messages: one rendered Message, one Sender, one outcome.
//
// A Send has three outcomes. It is accepted (a Receipt with the provider's
// id), it failed and may be retried (an *Error that is not Permanent,
// perhaps with a RetryAfter), or it failed for good on this channel (an
// *Error that is Permanent, with the provider's code and a reason). How a
// provider's answer maps to those outcomes is the provider package's
// business and nowhere else's.
//
// What became of a message after the provider accepted it arrives later as
// an Event through a provider's webhook; the handlers in the provider
// packages verify the signature and hand each Event to an EventSink. SMS
// keywords (STOP, START, 停止, 再開) arrive the same way and reach an
// InboundSink.
//
// Implementations: notify/outbox (the embedded default: JSON lines),
// notify/sendgrid (email), notify/twilio (SMS), and notify/notifytest (a
// recording fake for tests).
//
// Nothing in this tree logs or returns personal data: logs carry ids only,
// and provider reasons are passed through Redact before they reach an error
// or an event.
package notify

import (
	"context"
	"errors"
	"log/slog"

	"kigen"
)

// Sender hands one rendered message to a provider. It returns a Receipt
// when the provider accepted the message, or an error, usually an *Error
// saying whether a retry can help (see IsPermanent and RetryAfter). Send is
// safe for concurrent use. It sends once: retries are the caller's (River's)
// business.
type Sender interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// Receipt is a provider's acceptance of a message.
type Receipt struct {
	Provider          string // "outbox", "sendgrid", "twilio"
	ProviderMessageID string // the provider's id: SendGrid's X-Message-Id, Twilio's Message SID
}

// Message is one rendered message for one resident on one channel, with
// everything a provider needs and nothing it does not: no resident
// reference, municipality, notices or tick (a Record carries those to the
// outbox). The renderer fills the text; the deliver job fills the rest
// from the store.
type Message struct {
	ID      int64 // our message id (kigen.Message.ID); providers echo it in their events
	Channel kigen.Channel
	To      string // an email address, or a phone number in E.164

	// Email.
	Subject    string
	HTML       string
	Text       string            // the plain-text part; also the outbox's body for email
	Headers    map[string]string // e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058)
	Categories []string          // provider-side tags for statistics (no personal data)

	// SMS.
	SMS string
}

// Record is what the outbox line says of a message beyond what a provider
// is given (docs/architecture.md, "Outbox line"): whose message it is, in which
// language, about which notices, planned by which tick. The deliver job
// hands it only to a RecordSender; a provider never sees it.
type Record struct {
	MunicipalityCode string
	ResidentRef      string
	Lang             kigen.Language
	Notices          []OutboxNotice
	TickDate         kigen.Date
}

// OutboxNotice is one notice a message carries, as the outbox line shows it:
// the card's kind, its expiry date and the stage.
type OutboxNotice struct {
	Card      kigen.CardKind
	ExpiresOn kigen.Date
	Stage     kigen.Stage
}

// RecordSender is a Sender that keeps its own record of every message, and
// so needs the message's Record: the outbox. It is an optional ability,
// found by a type assertion (SendWithRecord). A Sender that wraps another
// (a rate limit, a counter) implements it too and passes the Record on
// with SendWithRecord, so that the record reaches the Sender that wants it
// and no other.
type RecordSender interface {
	Sender
	// SendRecord is Send with the message's Record.
	SendRecord(ctx context.Context, m Message, r Record) (Receipt, error)
}

// SendWithRecord sends m through s: with r if s is a RecordSender, else
// with Send alone, r left behind.
func SendWithRecord(ctx context.Context, s Sender, m Message, r Record) (Receipt, error) {
	if rs, ok := s.(RecordSender); ok {
		return rs.SendRecord(ctx, m, r)
	}
	return s.Send(ctx, m)
}

// LogValue implements slog.LogValuer: the id and channel only, never the
// address or the text.
func (m Message) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", m.ID), slog.String("channel", string(m.Channel)))
}

// Validate reports whether m can be sent on its channel: an id, a known
// channel, an address, and the text that channel needs (a subject and a
// body for email, a text for SMS). The error never echoes the address.
func (m Message) Validate() error {
	var errs []error
	if m.ID <= 0 {
		errs = append(errs, errors.New("message id missing"))
	}
	if m.To == "" {
		errs = append(errs, errors.New("recipient missing"))
	}
	switch m.Channel {
	case kigen.Email:
		if m.Subject == "" {
			errs = append(errs, errors.New("email subject missing"))
		}
		if m.Text == "" && m.HTML == "" {
			errs = append(errs, errors.New("email body missing"))
		}
	case kigen.SMS:
		if m.SMS == "" {
			errs = append(errs, errors.New("sms text missing"))
		}
	default:
		errs = append(errs, errors.New("unknown channel"))
	}
	return errors.Join(errs...)
}
