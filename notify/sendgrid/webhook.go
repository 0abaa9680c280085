package sendgrid

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"kigen/notify"
)

// EventPath is where Kigen serves the event webhook; point SendGrid's
// "Event Webhook" HTTP POST URL at KIGEN_PUBLIC_URL + EventPath.
const EventPath = "/webhooks/sendgrid/events"

// Defaults of EventHandlerOpts.
const (
	DefaultMaxAge  = 5 * time.Minute // replay window
	DefaultMaxBody = 1 << 20         // SendGrid posts batches of up to about 768 KB
)

// EventHandlerOpts are the optional settings of NewEventHandler.
type EventHandlerOpts struct {
	Now     func() time.Time // default time.Now
	MaxAge  time.Duration    // how old (or how far in the future) a timestamp may be; default DefaultMaxAge
	MaxBody int64            // largest body read; default DefaultMaxBody
	Logger  *slog.Logger     // default: discard
	// Deployment is KIGEN_DEPLOYMENT: an event that carries another
	// deployment's identifier is ignored. One that carries none (sent by
	// an earlier version) is matched by its sg_message_id alone.
	Deployment string
	// Ignored, if set, is told the reason of every verified event that is
	// ignored (notify.IgnoredOtherDeployment, IgnoredUnknownMessage,
	// IgnoredOtherSend).
	Ignored func(reason string)
}

type eventHandler struct {
	key     *ecdsa.PublicKey
	sink    notify.EventSink
	now     func() time.Time
	maxAge  time.Duration
	maxBody int64
	logger  *slog.Logger
	deploy  string
	ignored func(reason string)
}

// NewEventHandler returns the handler of SendGrid's signed event webhook.
// publicKeyBase64 is the verification key SendGrid shows when signing is
// enabled (SENDGRID_WEBHOOK_VERIFICATION_KEY); an unusable key is an error
// here, at start-up, rather than a 403 on every event.
//
// A request is refused, and the sink never called, when the signature or
// timestamp header is missing (401), when the timestamp is more than MaxAge
// away from now (403: a replay), when the body is over MaxBody (413), or
// when the signature does not verify for this key and the exact body
// (403). Everything but the signature is checked before the body is read,
// so that an unsigned request costs no memory, and a body is read up to
// MaxBody only. The signature is checked with sendgrid-go's
// helpers/eventwebhook.
//
// Each verified event that carries our kigen_message_id and is one of
// processed, deferred, delivered, bounce (and blocked), dropped, spamreport,
// unsubscribe (and group_unsubscribe) goes to the sink, in the order of the
// batch, with the X-Message-Id of its send (the part of sg_message_id
// before the first dot) as ProviderMessageID; other events (open, click,
// …) and mail sent by others are skipped. An event of another deployment
// (its kigen_deployment is not opts.Deployment) is ignored, and so is one
// the sink answers notify.ErrUnknownMessage or notify.ErrOtherSend for:
// each is counted (opts.Ignored) and logged, and the batch answered 204.
// Duplicates and out-of-order events are passed on as they come: a replay
// within the window, or SendGrid retrying a batch, reaches the sink again,
// and the sink's idempotence makes that harmless. A sink error other than
// notify.ErrUnknownMessage answers 500, so SendGrid retries the batch.
func NewEventHandler(publicKeyBase64 string, sink notify.EventSink, opts *EventHandlerOpts) (http.Handler, error) {
	key, err := parseKey(publicKeyBase64)
	if err != nil {
		return nil, fmt.Errorf("SENDGRID_WEBHOOK_VERIFICATION_KEY: %w", err)
	}
	if sink == nil {
		return nil, errors.New("sendgrid: event handler: nil sink")
	}
	if opts == nil {
		opts = &EventHandlerOpts{}
	}
	h := &eventHandler{key: key, sink: sink, now: opts.Now, maxAge: opts.MaxAge, maxBody: opts.MaxBody, logger: opts.Logger,
		deploy: opts.Deployment, ignored: opts.Ignored}
	if h.now == nil {
		h.now = time.Now
	}
	if h.maxAge <= 0 {
		h.maxAge = DefaultMaxAge
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.ignored == nil {
		h.ignored = func(string) {}
	}
	return h, nil
}

// parseKey checks the key before handing it to eventwebhook, whose
// ConvertPublicKeyBase64ToECDSA panics on a key that is not ECDSA.
func parseKey(b64 string) (*ecdsa.PublicKey, error) {
	b64 = strings.TrimSpace(b64)
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("not base64")
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not a public key")
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return nil, errors.New("not an ECDSA public key")
	}
	return eventwebhook.ConvertPublicKeyBase64ToECDSA(b64)
}

func (h *eventHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Everything that can be checked without the body is checked first:
	// an unsigned or stale request costs no read and no memory.
	sig, ts := r.Header.Get(eventwebhook.VerificationHTTPHeader), r.Header.Get(eventwebhook.TimestampHTTPHeader)
	if sig == "" || ts == "" {
		h.reject(w, r, http.StatusUnauthorized, "signature missing")
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		h.reject(w, r, http.StatusForbidden, "timestamp invalid")
		return
	}
	if age := h.now().Sub(time.Unix(sec, 0)); age > h.maxAge || age < -h.maxAge {
		h.reject(w, r, http.StatusForbidden, "timestamp outside the replay window")
		return
	}
	if !plausibleSignature(sig) {
		h.reject(w, r, http.StatusForbidden, "signature invalid")
		return
	}
	if r.ContentLength > h.maxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		h.reject(w, r, http.StatusBadRequest, "cannot read body")
		return
	}
	if ok, err := eventwebhook.VerifySignature(h.key, body, sig, ts); err != nil || !ok {
		h.reject(w, r, http.StatusForbidden, "signature invalid")
		return
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		h.reject(w, r, http.StatusBadRequest, "body is not a JSON array")
		return
	}
	var applied, skipped int
	ignored := map[string]int{}
	for _, b := range raws {
		// One malformed event must not make SendGrid retry the whole batch
		// for ever: skip it.
		var raw rawEvent
		if json.Unmarshal(b, &raw) != nil {
			skipped++
			continue
		}
		e, ok := raw.event()
		if !ok {
			skipped++
			continue
		}
		if raw.Deployment != "" && raw.Deployment != h.deploy {
			ignored[notify.IgnoredOtherDeployment]++
			h.ignored(notify.IgnoredOtherDeployment)
			continue
		}
		err := h.sink.ApplyEvent(r.Context(), e)
		if reason := notify.IgnoredReason(err); reason != "" {
			ignored[reason]++
			h.ignored(reason)
			continue
		}
		if err != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelError, "webhook event not applied",
				slog.String("provider", Provider), slog.Any("event", e), slog.String("error", err.Error()))
			http.Error(w, "cannot apply event", http.StatusInternalServerError)
			return
		}
		applied++
	}
	h.logger.LogAttrs(r.Context(), slog.LevelInfo, "webhook events applied",
		slog.String("provider", Provider), slog.Int("applied", applied), slog.Int("skipped", skipped),
		slog.Int(notify.IgnoredUnknownMessage, ignored[notify.IgnoredUnknownMessage]),
		slog.Int(notify.IgnoredOtherSend, ignored[notify.IgnoredOtherSend]),
		slog.Int(notify.IgnoredOtherDeployment, ignored[notify.IgnoredOtherDeployment]))
	w.WriteHeader(http.StatusNoContent)
}

// maxSignature bounds the DER encoding of an ECDSA P-256 signature: two
// integers of at most 33 bytes, with their headers.
const maxSignature = 72

// plausibleSignature reports whether sig can be SendGrid's signature:
// base64 of at most maxSignature bytes. Anything else is refused before the
// body is read.
func plausibleSignature(sig string) bool {
	if base64.StdEncoding.DecodedLen(len(sig)) > maxSignature+2 {
		return false
	}
	_, err := base64.StdEncoding.DecodeString(sig)
	return err == nil
}

func (h *eventHandler) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.logger.LogAttrs(r.Context(), slog.LevelWarn, "webhook request rejected",
		slog.String("provider", Provider), slog.Int("status", status), slog.String("reason", reason))
	http.Error(w, reason, status)
}

// rawEvent is the part of a SendGrid event Kigen reads. The recipient's
// address ("email") is deliberately not read.
type rawEvent struct {
	Event       string          `json:"event"`
	Timestamp   json.Number     `json:"timestamp"`
	SGEventID   string          `json:"sg_event_id"`
	SGMessageID string          `json:"sg_message_id"`
	Reason      string          `json:"reason"`
	Status      string          `json:"status"`
	Response    string          `json:"response"`
	Type        string          `json:"type"`
	MessageID   json.RawMessage `json:"kigen_message_id"` // custom args arrive as strings; accept a number too
	Deployment  string          `json:"kigen_deployment"`
}

// event maps a SendGrid event to a notify.Event; false for events Kigen
// does not act on or that are not ours.
func (raw rawEvent) event() (notify.Event, bool) {
	id, err := strconv.ParseInt(string(bytes.Trim(raw.MessageID, `"`)), 10, 64)
	if err != nil || id <= 0 {
		return notify.Event{}, false
	}
	// sg_message_id is the X-Message-Id of the send, a dot, and the name of
	// the SendGrid server that handled it: the send is the first part.
	xid, _, _ := strings.Cut(raw.SGMessageID, ".")
	e := notify.Event{MessageID: id, Provider: Provider, ProviderMessageID: xid, ProviderEventID: raw.SGEventID}
	if sec, err := raw.Timestamp.Int64(); err == nil {
		e.At = time.Unix(sec, 0).UTC()
	}
	switch raw.Event {
	case "processed":
		e.Status = notify.StatusProcessed
	case "deferred":
		e.Status, e.Reason = notify.StatusDeferred, raw.Response
	case "delivered":
		e.Status = notify.StatusDelivered
	case "bounce", "blocked":
		// type "blocked" (or the older "blocked" event): the receiving server
		// refused this message (content, reputation), not the address.
		e.Status, e.Permanent, e.Code, e.Reason = notify.StatusBounced, true, raw.Status, raw.Reason
		e.ContactFailed = raw.Event == "bounce" && raw.Type != "blocked"
	case "dropped":
		e.Status, e.Permanent, e.Reason = notify.StatusDropped, true, raw.Reason
		switch strings.ToLower(strings.TrimSpace(raw.Reason)) {
		case "bounced address", "invalid", "spam reporting address":
			e.ContactFailed = true
		case "unsubscribed address":
			e.OptOut = true
		}
	case "spamreport":
		e.Status, e.ContactFailed = notify.StatusSpamReport, true
	case "unsubscribe", "group_unsubscribe":
		e.Status, e.OptOut = notify.StatusUnsubscribed, true
	default:
		return notify.Event{}, false
	}
	e.Reason = notify.Redact(e.Reason)
	return e, true
}
