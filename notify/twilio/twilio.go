// Package twilio sends Kigen's SMS through Twilio's Messages API with
// github.com/twilio/twilio-go, and receives Twilio's signed webhooks: status
// callbacks (NewStatusHandler) and inbound keywords such as STOP
// (NewInboundHandler).
//
// Everything Kigen knows about Twilio lives here: the request shape, the
// error codes and their classification, the statuses. A message's
// StatusCallback URL carries our message id, which is how a status callback
// finds its message.
package twilio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/httpclass"
)

// Provider is the provider name in receipts, errors and events.
const Provider = "twilio"

// DefaultTimeout bounds one Messages request (twilio-go's own default).
const DefaultTimeout = 10 * time.Second

var _ notify.Sender = (*Sender)(nil)

// Config configures a Sender.
type Config struct {
	AccountSID          string // TWILIO_ACCOUNT_SID (required)
	AuthToken           string // TWILIO_AUTH_TOKEN (required)
	MessagingServiceSID string // TWILIO_MESSAGING_SERVICE_SID; wins over From
	From                string // TWILIO_FROM, in E.164; one of the two is required

	// PublicURL is KIGEN_PUBLIC_URL: each message asks Twilio for status
	// callbacks at PublicURL + StatusPath + "?message_id=<id>". Empty: no
	// callbacks (Twilio still applies the Messaging Service's own).
	PublicURL string
	// BaseURL is KIGEN_TWILIO_BASE_URL: when set, every API request goes to
	// its scheme and host (and path prefix) instead of api.twilio.com — a
	// loopback fake in tests, or a regional edge.
	BaseURL   string
	Timeout   time.Duration     // per request; default DefaultTimeout
	Transport http.RoundTripper // default http.DefaultTransport
	Logger    *slog.Logger      // default: discard
	Now       func() time.Time  // reads Retry-After dates; default time.Now
}

// Sender sends SMS through Twilio. It is safe for concurrent use.
type Sender struct {
	cfg       Config
	base      *url.URL
	callback  string
	transport http.RoundTripper
	logger    *slog.Logger
	now       func() time.Time
}

var alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// New returns a Sender, or an error naming every problem in cfg.
func New(cfg Config) (*Sender, error) {
	var errs []error
	// twilio-go refuses other credentials at every request; say so once, here.
	if !alphanumeric.MatchString(cfg.AccountSID) {
		errs = append(errs, errors.New("TWILIO_ACCOUNT_SID: missing or not alphanumeric"))
	}
	if !alphanumeric.MatchString(cfg.AuthToken) {
		errs = append(errs, errors.New("TWILIO_AUTH_TOKEN: missing or not alphanumeric"))
	}
	if cfg.MessagingServiceSID == "" && cfg.From == "" {
		errs = append(errs, errors.New("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM: one is required"))
	}
	s := &Sender{cfg: cfg, transport: cfg.Transport, logger: cfg.Logger, now: cfg.Now}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("KIGEN_TWILIO_BASE_URL: not an http(s) URL"))
		}
		s.base = u
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("KIGEN_PUBLIC_URL: not an http(s) URL"))
		}
		s.callback = strings.TrimSuffix(cfg.PublicURL, "/") + StatusPath + "?message_id="
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("twilio timeout: negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if s.cfg.Timeout == 0 {
		s.cfg.Timeout = DefaultTimeout
	}
	if s.transport == nil {
		s.transport = http.DefaultTransport
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// roundTripper serves one Send: it points the SDK's request at BaseURL,
// binds it to the Send's context (CreateMessage takes none), and keeps the
// HTTP status and headers of the answer, which twilio-go does not return
// with its errors.
type roundTripper struct {
	ctx    context.Context
	base   *url.URL
	next   http.RoundTripper
	status int
	header http.Header
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	// The request's own context carries http.Client's timeout; cancel it
	// also when the Send's context ends. The Send's context ends when Send
	// returns, so the AfterFunc never outlives it.
	ctx, cancel := context.WithCancelCause(req.Context())
	context.AfterFunc(rt.ctx, func() { cancel(context.Cause(rt.ctx)) })
	req = req.Clone(ctx)
	if rt.base != nil {
		req.URL.Scheme, req.URL.Host, req.Host = rt.base.Scheme, rt.base.Host, ""
		req.URL.Path = strings.TrimSuffix(rt.base.Path, "/") + req.URL.Path
		req.URL.RawPath = ""
	}
	resp, err := rt.next.RoundTrip(req)
	if err == nil {
		rt.status, rt.header = resp.StatusCode, resp.Header
	}
	return resp, err
}

// Send sends one SMS: m.SMS to m.To, from the Messaging Service (or the From
// number), with a StatusCallback URL carrying m.ID.
//
// Outcomes: a created message is accepted, with its SID as the provider id.
// Twilio error codes 21211 (invalid number), 21612 (unreachable), 21614 (not
// a mobile) are permanent and fail the contact; 21610 (the recipient sent
// STOP) is permanent and an opt-out; 21408 (region not enabled) and every
// other 4xx are permanent; 20429 / HTTP 429 (with Retry-After when sent) and
// 5xx are retryable, and so is 20003 / HTTP 401 (wrong credentials: a
// configuration problem, not this message's fault). An answer that is not
// Twilio's JSON (an HTML 502 from a proxy), a network error or a timeout is
// retryable.
func (s *Sender) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if err := m.Validate(); err != nil {
		return notify.Receipt{}, notify.InvalidMessage(Provider, err)
	}
	if m.Channel != kigen.SMS {
		return notify.Receipt{}, notify.InvalidMessage(Provider, errors.New("not an SMS"))
	}
	if err := ctx.Err(); err != nil {
		return notify.Receipt{}, &notify.Error{Provider: Provider, Code: "canceled", Reason: "the send was cancelled", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	rt := &roundTripper{ctx: ctx, base: s.base, next: s.transport}
	c := &client.Client{
		Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport:     rt,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.cfg.AccountSID)
	c.SetTimeout(s.cfg.Timeout)
	// One ApiService per Send (it is two small structs) so that the
	// roundTripper sees this Send's answer only. The v2010 package alone,
	// rather than twilio.NewRestClientWithParams, spares the build every
	// other Twilio API.
	api := openapi.NewApiServiceWithClient(c)

	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To)
	params.SetBody(m.SMS)
	if s.cfg.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(s.cfg.MessagingServiceSID)
	} else {
		params.SetFrom(s.cfg.From)
	}
	if s.callback != "" {
		params.SetStatusCallback(s.callback + strconv.FormatInt(m.ID, 10))
	}
	msg, err := api.CreateMessage(params)
	if err != nil {
		return notify.Receipt{}, s.classify(ctx, err, rt)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return notify.Receipt{}, &notify.Error{Provider: Provider, Code: "bad_answer", Reason: "answer without a message SID", MaybeSent: true}
	}
	rc := notify.Receipt{Provider: Provider, ProviderMessageID: *msg.Sid}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "sms accepted by provider",
		slog.Int64("message_id", m.ID),
		slog.String("provider", Provider),
		slog.String("provider_message_id", rc.ProviderMessageID))
	return rc, nil
}

// classify turns a CreateMessage error into a *notify.Error.
func (s *Sender) classify(ctx context.Context, err error, rt *roundTripper) *notify.Error {
	if re, ok := errors.AsType[*client.TwilioRestError](err); ok {
		return s.restError(re.Code, re.Status, re.Message, rt.header, err)
	}
	if re, ok := errors.AsType[*client.RestErrorV1](err); ok {
		return s.restError(re.Code, re.HttpStatusCode, re.Message, rt.header, err)
	}
	if rt.status == 0 {
		return httpclass.NetworkError(ctx, Provider, err)
	}
	// An answer twilio-go could not decode: a proxy's HTML 502, or a body
	// cut short. Retryable; a 2xx may have been accepted.
	e := &notify.Error{Provider: Provider, Code: strconv.Itoa(rt.status), Reason: "unreadable answer", Err: err}
	if rt.status < 300 {
		e.Code, e.MaybeSent = "bad_answer", true
	}
	if rt.status == http.StatusTooManyRequests {
		e.RetryAfter = httpclass.RetryAfter(rt.header, s.now())
	}
	return e
}

// Twilio error codes Kigen acts on.
const (
	codeAuthenticate   = 20003 // wrong credentials
	codeTooManyRequest = 20429
	codeInvalidTo      = 21211 // the 'To' number is not a valid phone number
	codeInvalidNumber  = 21217 // phone number does not appear to be valid
	codeRegion         = 21408 // permission to send to this region is not enabled
	codeUnsubscribed   = 21610 // the recipient replied STOP
	codeUnreachable    = 21612 // the 'To' number is not reachable by SMS
	codeNotMobile      = 21614 // the 'To' number is not a mobile number
)

func (s *Sender) restError(code, status int, message string, h http.Header, err error) *notify.Error {
	e := &notify.Error{Provider: Provider, Code: strconv.Itoa(code), Reason: notify.Redact(message), Err: err}
	if code == 0 {
		e.Code = strconv.Itoa(status)
	}
	switch {
	case code == codeUnsubscribed:
		e.Permanent, e.OptOut = true, true
	case code == codeInvalidTo, code == codeInvalidNumber, code == codeUnreachable, code == codeNotMobile:
		e.Permanent, e.ContactFailed = true, true
	case code == codeRegion:
		e.Permanent = true
	case code == codeTooManyRequest, status == http.StatusTooManyRequests:
		e.RetryAfter = httpclass.RetryAfter(h, s.now())
	case code == codeAuthenticate, status == http.StatusUnauthorized, status >= 500:
	case status >= 400:
		e.Permanent = true
	}
	return e
}
