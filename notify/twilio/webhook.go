package twilio

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"kigen/notify"
)

// Where Kigen serves Twilio's webhooks. Status callbacks are requested per
// message (Config.PublicURL); point the Messaging Service's (or the
// number's) "incoming messages" webhook at KIGEN_PUBLIC_URL + InboundPath,
// method POST.
const (
	StatusPath  = "/webhooks/twilio/status"
	InboundPath = "/webhooks/twilio/inbound"
)

// DefaultMaxBody is the largest webhook body read; Twilio's are a few KB.
const DefaultMaxBody = 64 << 10

// SignatureHeader is the header Twilio signs its webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// HandlerOpts are the optional settings of the webhook handlers.
type HandlerOpts struct {
	MaxBody int64            // default DefaultMaxBody
	Logger  *slog.Logger     // default: discard
	Now     func() time.Time // stamps status events (Twilio sends no time); default time.Now
	// Ignored, if set, is told the reason of every verified status
	// callback that is ignored (notify.IgnoredUnknownMessage,
	// IgnoredOtherSend).
	Ignored func(reason string)
}

// webhook verifies Twilio's signature on a request.
type webhook struct {
	validator client.RequestValidator
	public    *url.URL
	maxBody   int64
	logger    *slog.Logger
	now       func() time.Time
	ignored   func(reason string)
}

func newWebhook(authToken, publicURL string, opts *HandlerOpts) (*webhook, error) {
	var errs []error
	if authToken == "" {
		errs = append(errs, errors.New("TWILIO_AUTH_TOKEN: missing"))
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("KIGEN_PUBLIC_URL: not an http(s) URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &HandlerOpts{}
	}
	h := &webhook{validator: client.NewRequestValidator(authToken), public: u, maxBody: opts.MaxBody, logger: opts.Logger, now: opts.Now, ignored: opts.Ignored}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.ignored == nil {
		h.ignored = func(string) {}
	}
	return h, nil
}

// signedURL is the URL Twilio called and signed: KIGEN_PUBLIC_URL's scheme,
// host and path prefix with the request's path and query. Never r.Host:
// behind a proxy it is not what Twilio called, and anyone can set it.
func (h *webhook) signedURL(r *http.Request) string {
	uri := r.RequestURI // unlike r.URL, untouched by http.StripPrefix
	if !strings.HasPrefix(uri, "/") {
		uri = r.URL.RequestURI()
	}
	prefix := strings.TrimSuffix(h.public.Path, "/")
	if prefix != "" && uri != prefix && !strings.HasPrefix(uri, prefix+"/") {
		uri = prefix + uri // a proxy stripped the prefix
	}
	return h.public.Scheme + "://" + h.public.Host + uri
}

// verify reads and checks the request; on failure it has answered and
// returns false.
func (h *webhook) verify(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	// An unsigned request is refused before its body is read.
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		h.reject(w, r, http.StatusUnauthorized, "signature missing")
		return nil, false
	}
	if r.ContentLength > h.maxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		} else {
			h.reject(w, r, http.StatusBadRequest, "cannot read body")
		}
		return nil, false
	}
	if !h.validator.ValidateBody(h.signedURL(r), body, sig) {
		h.reject(w, r, http.StatusForbidden, "signature invalid")
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "body is not a form")
		return nil, false
	}
	return form, true
}

func (h *webhook) reject(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.logger.LogAttrs(r.Context(), slog.LevelWarn, "webhook request rejected",
		slog.String("provider", Provider), slog.Int("status", status), slog.String("reason", reason))
	http.Error(w, reason, status)
}

type statusHandler struct {
	*webhook
	sink notify.EventSink
}

// NewStatusHandler returns the handler of Twilio's status callbacks.
//
// A request is refused, and the sink never called, when X-Twilio-Signature
// is missing (401) or does not verify (403) with authToken for the URL
// under publicURL (KIGEN_PUBLIC_URL) and the exact form; it is checked with
// twilio-go's client.RequestValidator. Twilio signs no timestamp, so a
// captured callback can be replayed: the sink's idempotence makes that
// harmless, as it does Twilio's own duplicates and out-of-order callbacks,
// which are passed on as they come.
//
// queued (and accepted, scheduled, sending), sent, delivered (and read),
// undelivered and failed (and canceled) become an Event for the message_id
// of the callback URL, with Twilio's ErrorCode and the MessageSid as
// ProviderMessageID: it applies only to the send that got that SID. A
// callback the sink answers notify.ErrUnknownMessage or notify.ErrOtherSend
// for is ignored, counted (opts.Ignored) and answered 204; any other sink
// error answers 500.
func NewStatusHandler(authToken, publicURL string, sink notify.EventSink, opts *HandlerOpts) (http.Handler, error) {
	if sink == nil {
		return nil, errors.New("twilio: status handler: nil sink")
	}
	wh, err := newWebhook(authToken, publicURL, opts)
	if err != nil {
		return nil, err
	}
	return &statusHandler{wh, sink}, nil
}

func (h *statusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := h.verify(w, r)
	if !ok {
		return
	}
	// The query is ours (Config.PublicURL) and covered by the signature.
	id, err := strconv.ParseInt(r.URL.Query().Get("message_id"), 10, 64)
	e, known := statusEvent(form)
	if err != nil || id <= 0 || !known {
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "webhook event skipped",
			slog.String("provider", Provider), slog.String("status", form.Get("MessageStatus")))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	e.MessageID, e.At = id, h.now().UTC()
	err = h.sink.ApplyEvent(r.Context(), e)
	switch reason := notify.IgnoredReason(err); {
	case reason != "":
		h.ignored(reason)
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "webhook event ignored", slog.Any("event", e), slog.String("reason", reason))
	case err != nil:
		h.logger.LogAttrs(r.Context(), slog.LevelError, "webhook event not applied", slog.Any("event", e), slog.String("error", err.Error()))
		http.Error(w, "cannot apply event", http.StatusInternalServerError)
		return
	default:
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "webhook event applied", slog.Any("event", e))
	}
	w.WriteHeader(http.StatusNoContent)
}

// Twilio delivery error codes (30xxx) and create codes that say something
// about the number.
var (
	// contactFailedCodes: the number is invalid, not a mobile, or gone.
	contactFailedCodes = map[int]bool{codeInvalidTo: true, codeInvalidNumber: true, codeUnreachable: true, codeNotMobile: true,
		30005: true, // unknown destination handset
		30006: true, // landline or unreachable carrier
	}
	// transientCodes: undelivered now, but a later resend may arrive.
	transientCodes = map[int]bool{
		30001: true, // queue overflow
		30003: true, // unreachable destination handset (switched off)
		30008: true, // unknown error
		30009: true, // missing segment
	}
)

// statusEvent maps a status callback to an Event (without MessageID and
// At); false for statuses Kigen does not act on.
func statusEvent(f url.Values) (notify.Event, bool) {
	status := f.Get("MessageStatus")
	if status == "" {
		status = f.Get("SmsStatus")
	}
	e := notify.Event{Provider: Provider, ProviderMessageID: f.Get("MessageSid")}
	switch status {
	case "accepted", "scheduled", "queued", "sending":
		e.Status = notify.StatusQueued
	case "sent":
		e.Status = notify.StatusSent
	case "delivered", "read":
		e.Status = notify.StatusDelivered
	case "undelivered":
		e.Status = notify.StatusUndelivered
	case "failed", "canceled":
		e.Status = notify.StatusFailed
	default:
		return notify.Event{}, false
	}
	code, _ := strconv.Atoi(f.Get("ErrorCode"))
	if code != 0 {
		e.Code = strconv.Itoa(code)
		e.Reason = "twilio error " + e.Code
	}
	if e.Status == notify.StatusUndelivered || e.Status == notify.StatusFailed {
		e.Permanent = !transientCodes[code]
		e.ContactFailed = contactFailedCodes[code]
		e.OptOut = code == codeUnsubscribed
	}
	return e, true
}

type inboundHandler struct {
	*webhook
	sink notify.InboundSink
}

// twiml is the empty TwiML answer: Kigen sends no reply of its own (the
// Messaging Service's opt-out handling sends the carrier-required one).
const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// NewInboundHandler returns the handler of inbound SMS: STOP (and STOPALL,
// UNSUBSCRIBE, CANCEL, END, QUIT, 停止) switches the sender's SMS channel
// off, START (and YES, UNSTOP, 再開) back on, through sink; see
// notify.ParseKeyword. Twilio's Advanced Opt-Out OptOutType parameter, when
// present, is honoured too. Any other text changes nothing. The answer is
// empty TwiML. Signatures are checked as for NewStatusHandler.
func NewInboundHandler(authToken, publicURL string, sink notify.InboundSink, opts *HandlerOpts) (http.Handler, error) {
	if sink == nil {
		return nil, errors.New("twilio: inbound handler: nil sink")
	}
	wh, err := newWebhook(authToken, publicURL, opts)
	if err != nil {
		return nil, err
	}
	return &inboundHandler{wh, sink}, nil
}

func (h *inboundHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	form, ok := h.verify(w, r)
	if !ok {
		return
	}
	in := inbound(form)
	if in.Keyword != notify.KeywordNone {
		if err := h.sink.SetSMSOptOut(r.Context(), in.From, in.Keyword == notify.KeywordStop); err != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelError, "sms keyword not applied",
				slog.String("provider", Provider), slog.String("keyword", string(in.Keyword)), slog.String("error", err.Error()))
			http.Error(w, "cannot apply keyword", http.StatusInternalServerError)
			return
		}
	}
	h.logger.LogAttrs(r.Context(), slog.LevelInfo, "sms received",
		slog.String("provider", Provider), slog.String("provider_message_id", form.Get("MessageSid")),
		slog.String("keyword", string(in.Keyword)))
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = io.WriteString(w, twiml)
}

// inbound reads the keyword of an inbound message; KeywordNone when there
// is none or the sender is not an E.164 number.
func inbound(f url.Values) notify.Inbound {
	in := notify.Inbound{From: f.Get("From"), Keyword: notify.ParseKeyword(f.Get("Body"))}
	switch strings.ToUpper(f.Get("OptOutType")) {
	case "STOP":
		in.Keyword = notify.KeywordStop
	case "START":
		in.Keyword = notify.KeywordStart
	}
	if !e164(in.From) {
		in.Keyword = notify.KeywordNone
	}
	return in
}

func e164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
