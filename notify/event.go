package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"kigen"
)

// EventStatus is what a provider reported about a message it accepted.
type EventStatus string

// The statuses the webhook handlers report. SendGrid reports processed,
// deferred, delivered, bounced, dropped, spam_report and unsubscribed;
// Twilio reports queued, sent, delivered, undelivered and failed.
const (
	StatusProcessed    EventStatus = "processed"    // SendGrid accepted it for delivery
	StatusDeferred     EventStatus = "deferred"     // the receiving server said "later"; SendGrid keeps trying
	StatusDelivered    EventStatus = "delivered"    // the receiving server or handset took it
	StatusBounced      EventStatus = "bounced"      // the receiving server refused it for good
	StatusDropped      EventStatus = "dropped"      // SendGrid refused to send it (suppressed or invalid address)
	StatusSpamReport   EventStatus = "spam_report"  // the recipient marked it as spam
	StatusUnsubscribed EventStatus = "unsubscribed" // the recipient unsubscribed through the provider
	StatusQueued       EventStatus = "queued"       // Twilio queued it
	StatusSent         EventStatus = "sent"         // Twilio handed it to the carrier
	StatusUndelivered  EventStatus = "undelivered"  // the carrier could not deliver it
	StatusFailed       EventStatus = "failed"       // Twilio could not send it at all
)

// Event is one status report about one of our messages, verified and
// translated by a provider's webhook handler.
//
// The handlers pass events on as they come: providers send duplicates
// (retries of the same webhook, a replay inside the signature's window) and
// do not keep order (a "processed" may arrive after "delivered"). Making
// that harmless is the EventSink's job; DeliveryState says how.
type Event struct {
	MessageID         int64  // our message id, from SendGrid's custom_args or Twilio's StatusCallback URL
	Provider          string // "sendgrid", "twilio"
	ProviderMessageID string // the provider's id of the send it reports on, as the Receipt gave it: SendGrid's X-Message-Id (the part of sg_message_id before the first dot), Twilio's Message SID
	ProviderEventID   string // SendGrid's sg_event_id (unique per event; empty for Twilio)
	Status            EventStatus
	Permanent         bool   // failed, and sending it again on this channel cannot help (a bounce, a drop, an invalid number); a failure that is not Permanent (the handset was off) may succeed on a later resend
	Code              string // the provider's code (a Twilio ErrorCode, an SMTP status), if any
	Reason            string // redacted
	At                time.Time

	// ContactFailed says the address is bad (a hard bounce, a spam report, an
	// invalid number): mark the contact failed; it is not used again until
	// the resident confirms it anew (docs/domain.md §11.17).
	ContactFailed bool
	// OptOut says the resident asked the provider to stop: switch the
	// channel off for them (it wins over staff, docs/domain.md §11.17).
	OptOut bool
}

// LogValue implements slog.LogValuer: ids and the status only.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("message_id", e.MessageID),
		slog.String("provider", e.Provider),
		slog.String("provider_message_id", e.ProviderMessageID),
		slog.String("status", string(e.Status)),
	)
}

// ErrUnknownMessage is what an EventSink may return for an event whose
// MessageID it does not know (a message of another installation, or one
// erased with its resident). The handlers log it and answer 2xx, so the
// provider does not retry; any other error makes them answer 5xx, and the
// provider retries the whole batch later.
var ErrUnknownMessage = errors.New("notify: unknown message")

// ErrOtherSend is what an EventSink returns for an event about one of our
// messages whose ProviderMessageID is not the one the message's send got
// (a report about an earlier attempt, or a forged or misrouted one). It
// changes nothing; the handlers count it and answer 2xx, as for
// ErrUnknownMessage.
var ErrOtherSend = errors.New("notify: report about another send of the message")

// The reasons a webhook handler ignores a verified report, as its
// HandlerOpts' Ignored hook is told (the label of
// kigen_provider_reports_ignored_total).
const (
	IgnoredOtherDeployment = "other_deployment" // it carries another deployment's identifier
	IgnoredUnknownMessage  = "unknown_message"  // ErrUnknownMessage
	IgnoredOtherSend       = "other_send"       // ErrOtherSend
)

// IgnoredReason returns the reason a handler ignores an event the sink
// answered err for, or "" when err is nil or a real failure.
func IgnoredReason(err error) string {
	switch {
	case errors.Is(err, ErrOtherSend):
		return IgnoredOtherSend
	case errors.Is(err, ErrUnknownMessage):
		return IgnoredUnknownMessage
	}
	return ""
}

// EventSink applies verified provider events to Kigen's records.
//
// ApplyEvent must be idempotent and must tolerate any order: the same event
// may come twice, and a late "processed" must not undo "delivered" (see
// DeliveryState). It applies an event only to the send it is about: one
// whose ProviderMessageID is another send's changes nothing and returns
// ErrOtherSend. It is called once per event, from the webhook request's
// goroutine, possibly concurrently for different requests.
type EventSink interface {
	ApplyEvent(ctx context.Context, e Event) error
}

// deliveryRank orders delivery states by how much they know: an event may
// only move a delivery to a higher rank.
var deliveryRank = map[kigen.DeliveryState]int{
	"":                      0,
	kigen.DeliveryCreated:   0,
	kigen.DeliverySending:   1,
	kigen.DeliveryUnknown:   1,
	kigen.DeliveryAccepted:  2,
	kigen.DeliveryDelivered: 3,
	kigen.DeliveryBounced:   3,
	kigen.DeliveryFailed:    3,
}

// DeliveryState returns the state a delivery in state cur moves to on e,
// and false when e changes nothing. The rules, which make events
// idempotent and order-proof:
//
//   - processed, deferred, queued and sent mean accepted; delivered means
//     delivered; bounced means bounced; dropped, undelivered and failed
//     mean failed;
//     spam_report and unsubscribed leave the state alone (they concern the
//     contact: see ContactFailed and OptOut, which apply whatever the state);
//   - a state only moves forward (created, sending, unknown → accepted →
//     delivered or failed): a late "processed" never overwrites
//     "delivered", a duplicate changes nothing, and an event resolves an
//     "unknown" send;
//   - one exception: a bounce after "delivered" moves it to bounced
//     (SendGrid reports asynchronous bounces that way).
func DeliveryState(cur kigen.DeliveryState, e Event) (kigen.DeliveryState, bool) {
	var next kigen.DeliveryState
	switch e.Status {
	case StatusProcessed, StatusDeferred, StatusQueued, StatusSent:
		next = kigen.DeliveryAccepted
	case StatusDelivered:
		next = kigen.DeliveryDelivered
	case StatusBounced:
		next = kigen.DeliveryBounced
	case StatusDropped, StatusUndelivered, StatusFailed:
		next = kigen.DeliveryFailed
	default:
		return cur, false
	}
	if cur == kigen.DeliveryDelivered && e.Status == StatusBounced {
		return next, true
	}
	cr, ok := deliveryRank[cur]
	if !ok || deliveryRank[next] <= cr {
		return cur, false
	}
	return next, true
}

// Keyword is an SMS keyword a resident sent.
type Keyword string

// The keywords Kigen acts on.
const (
	KeywordNone  Keyword = ""      // not a keyword: nothing to do
	KeywordStop  Keyword = "stop"  // switch SMS off
	KeywordStart Keyword = "start" // switch SMS back on
)

// keywords are the words, folded (upper case, half width), that switch SMS
// off or on. They match the opt-out keywords carriers and Twilio honour, plus
// Japanese 停止 (stop) and 再開 (resume), which our Japanese texts name.
var keywords = map[string]Keyword{
	"STOP": KeywordStop, "STOPALL": KeywordStop, "UNSUBSCRIBE": KeywordStop,
	"CANCEL": KeywordStop, "END": KeywordStop, "QUIT": KeywordStop, "停止": KeywordStop,
	"START": KeywordStart, "YES": KeywordStart, "UNSTOP": KeywordStart, "再開": KeywordStart,
}

// ParseKeyword returns the keyword an SMS body is, or KeywordNone. The whole
// body must be the keyword; case, full-width letters and surrounding space
// (including the ideographic space) do not matter, so "stop", " ＳＴＯＰ " and
// "停止" all stop. "Please stop" is not a keyword (carriers agree).
func ParseKeyword(body string) Keyword {
	body = strings.TrimFunc(body, unicode.IsSpace)
	if body == "" || len(body) > 64 {
		return KeywordNone
	}
	return keywords[strings.ToUpper(foldWidth(body))]
}

// foldWidth maps full-width ASCII (U+FF01–U+FF5E) to ASCII.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		return r
	}, s)
}

// Inbound is an SMS keyword a resident sent, verified by the provider's
// webhook handler.
type Inbound struct {
	From    string // the sender's number in E.164
	Keyword Keyword
}

// InboundSink applies SMS keywords. SetSMSOptOut switches the SMS channel
// of every resident whose phone is phoneE164 off (optedOut) or back on. It
// must be idempotent; an unknown number is not an error. A resident's STOP
// wins over staff: only START (or a new confirmation) undoes it.
type InboundSink interface {
	SetSMSOptOut(ctx context.Context, phoneE164 string, optedOut bool) error
}
