// Package sendgrid sends Kigen's emails through SendGrid's v3 mail send API
// with github.com/sendgrid/sendgrid-go, and receives SendGrid's signed event
// webhook (NewEventHandler).
//
// Everything Kigen knows about SendGrid lives here: the request shape, the
// classification of its answers, the event names. A message carries our
// message id (kigen_message_id) and the deployment's identifier
// (kigen_deployment) in custom_args, which every event echoes: that is how
// events find their message, and how two deployments sharing one SendGrid
// account leave each other's events alone. An event applies only to the
// send whose X-Message-Id starts its sg_message_id.
package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/httpclass"
)

// Provider is the provider name in receipts, errors and events.
const Provider = "sendgrid"

// DefaultBaseURL is SendGrid's global API host. The EU data-residency host
// is https://api.eu.sendgrid.com.
const DefaultBaseURL = "https://api.sendgrid.com"

// DefaultTimeout bounds one mail send request.
const DefaultTimeout = 10 * time.Second

// The custom_args keys Kigen sets on every email; SendGrid echoes them in
// every event: our message id, and the deployment's identifier
// (KIGEN_DEPLOYMENT).
const (
	MessageIDArg  = "kigen_message_id"
	DeploymentArg = "kigen_deployment"
)

var _ notify.Sender = (*Sender)(nil)

// Config configures a Sender.
type Config struct {
	APIKey     string           // SENDGRID_API_KEY (required)
	From       string           // KIGEN_EMAIL_FROM: "Name <address>" or "address" (required)
	Deployment string           // KIGEN_DEPLOYMENT, sent in custom_args (DeploymentArg); empty: none
	BaseURL    string           // KIGEN_SENDGRID_BASE_URL; default DefaultBaseURL
	Timeout    time.Duration    // per request; default DefaultTimeout
	HTTPClient *http.Client     // default: a client without a timeout of its own (Timeout applies through the context)
	Logger     *slog.Logger     // default: discard
	Now        func() time.Time // reads X-RateLimit-Reset; default time.Now
}

// Sender sends email through SendGrid. It is safe for concurrent use.
type Sender struct {
	key     string
	from    *sgmail.Email
	deploy  string
	baseURL string
	timeout time.Duration
	client  *rest.Client
	logger  *slog.Logger
	now     func() time.Time
}

// New returns a Sender, or an error naming every problem in cfg.
func New(cfg Config) (*Sender, error) {
	var errs []error
	if cfg.APIKey == "" {
		errs = append(errs, errors.New("SENDGRID_API_KEY: missing"))
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		errs = append(errs, fmt.Errorf("KIGEN_EMAIL_FROM: not an email address: %w", err))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("KIGEN_SENDGRID_BASE_URL: not an http(s) URL"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, errors.New("sendgrid timeout: negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Sender{
		key:     cfg.APIKey,
		from:    sgmail.NewEmail(from.Name, from.Address),
		deploy:  cfg.Deployment,
		baseURL: strings.TrimSuffix(cfg.BaseURL, "/"),
		timeout: cfg.Timeout,
		client:  &rest.Client{HTTPClient: cfg.HTTPClient},
		logger:  cfg.Logger,
		now:     cfg.Now,
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.client.HTTPClient == nil {
		s.client.HTTPClient = &http.Client{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Send sends one email: a text/plain and a text/html part, m.Headers (the
// List-Unsubscribe pair), m.Categories, and our message id and deployment
// in custom_args.
//
// Outcomes: a 2xx answer is accepted, with SendGrid's X-Message-Id as the
// provider id; 429 (with Retry-After, or X-RateLimit-Reset) and 5xx are
// retryable; 401 and 403 are retryable too (the API key is wrong or lacks
// the "mail send" scope: a configuration problem the operator fixes within
// the retry window, not this message's fault); any other 4xx is permanent.
// Network errors and timeouts are retryable and MaybeSent.
func (s *Sender) Send(ctx context.Context, m notify.Message) (notify.Receipt, error) {
	if err := m.Validate(); err != nil {
		return notify.Receipt{}, notify.InvalidMessage(Provider, err)
	}
	if m.Channel != kigen.Email {
		return notify.Receipt{}, notify.InvalidMessage(Provider, errors.New("not an email"))
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	req := sg.GetRequest(s.key, "/v3/mail/send", s.baseURL)
	req.Method = rest.Post
	body, err := json.Marshal(s.mail(m))
	if err != nil {
		return notify.Receipt{}, notify.InvalidMessage(Provider, err)
	}
	req.Body = body
	// The client's SendWithContext is what sendgrid.MakeRequestWithContext
	// calls on the package's DefaultClient; ours carries Config.HTTPClient.
	resp, err := s.client.SendWithContext(ctx, req)
	if err != nil {
		return notify.Receipt{}, httpclass.NetworkError(ctx, Provider, err)
	}
	// sendgrid-go returns err == nil for every HTTP answer: check it.
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return notify.Receipt{}, s.statusError(resp)
	}
	rc := notify.Receipt{Provider: Provider, ProviderMessageID: header(resp.Headers, "X-Message-Id")}
	s.logger.LogAttrs(ctx, slog.LevelInfo, "email accepted by provider",
		slog.Int64("message_id", m.ID),
		slog.String("provider", Provider),
		slog.String("provider_message_id", rc.ProviderMessageID))
	return rc, nil
}

func (s *Sender) mail(m notify.Message) *sgmail.SGMailV3 {
	p := sgmail.NewPersonalization()
	p.AddTos(sgmail.NewEmail("", m.To))
	v := sgmail.NewV3Mail()
	v.SetFrom(s.from)
	v.Subject = m.Subject
	v.AddPersonalizations(p)
	// SendGrid wants text/plain first when both are present.
	if m.Text != "" {
		v.AddContent(sgmail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		v.AddContent(sgmail.NewContent("text/html", m.HTML))
	}
	for k, val := range m.Headers {
		v.SetHeader(k, val)
	}
	if len(m.Categories) > 0 {
		v.AddCategories(m.Categories...)
	}
	v.SetCustomArg(MessageIDArg, strconv.FormatInt(m.ID, 10))
	if s.deploy != "" {
		v.SetCustomArg(DeploymentArg, s.deploy)
	}
	return v
}

// statusError classifies a non-2xx answer.
func (s *Sender) statusError(resp *rest.Response) *notify.Error {
	e := &notify.Error{Provider: Provider, Code: strconv.Itoa(resp.StatusCode)}
	var body struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal([]byte(resp.Body), &body) == nil && len(body.Errors) > 0 {
		first := body.Errors[0]
		e.Reason = first.Message
		if first.Field != nil && *first.Field != "" {
			e.Reason = *first.Field + ": " + first.Message
			// SendGrid refuses a malformed recipient address up front.
			e.ContactFailed = strings.HasPrefix(*first.Field, "personalizations") && strings.HasSuffix(*first.Field, ".email")
		}
	} else {
		e.Reason = http.StatusText(resp.StatusCode)
	}
	e.Reason = notify.Redact(e.Reason)
	switch c := resp.StatusCode; {
	case c == http.StatusTooManyRequests:
		e.RetryAfter = httpclass.RetryAfter(resp.Headers, s.now())
	case c >= 500, c == http.StatusUnauthorized, c == http.StatusForbidden, c == http.StatusRequestTimeout:
	default:
		e.Permanent = true
	}
	if !e.Permanent {
		e.ContactFailed = false
	}
	return e
}

func header(h map[string][]string, k string) string {
	return http.Header(h).Get(k)
}
