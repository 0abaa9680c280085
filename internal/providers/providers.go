// Package providers builds, from kigen's configuration, what talks to the
// message providers: each channel's notify.Sender — SendGrid or Twilio when
// their keys are set, at their rate limits, else the outbox (safe by
// default, never a silent drop) — and the providers' webhook handlers. Only
// cmd/kigen uses it.
package providers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"kigen"
	"kigen/internal/config"
	"kigen/notify"
	"kigen/notify/outbox"
	"kigen/notify/sendgrid"
	"kigen/notify/twilio"
	"kigen/scheduler"
)

// SettingsError is a provider refusing its settings: an error of the
// configuration. Any other error is the environment's (the outbox file).
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Senders are each channel's Sender and the name of its provider
// ("sendgrid", "twilio" or "outbox").
type Senders struct {
	Senders   map[kigen.Channel]notify.Sender
	Providers map[kigen.Channel]string
	// Close closes the outbox, if a channel uses it.
	Close func() error
}

// NewSenders returns the senders cfg selects, stamping the outbox's lines
// with now.
func NewSenders(cfg config.Config, logger *slog.Logger, now func() time.Time) (*Senders, error) {
	ss := &Senders{Senders: map[kigen.Channel]notify.Sender{}, Providers: map[kigen.Channel]string{}, Close: func() error { return nil }}
	var box *outbox.Sender
	useOutbox := func(ch kigen.Channel) error {
		if box == nil {
			var err error
			if box, err = outbox.Open(cfg.Outbox, &outbox.Opts{Logger: logger, Now: now}); err != nil {
				return fmt.Errorf("KIGEN_OUTBOX: %w", err)
			}
			ss.Close = box.Close
		}
		ss.Senders[ch], ss.Providers[ch] = box, "outbox"
		return nil
	}
	if cfg.EmailProvider() == "sendgrid" {
		sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, From: cfg.EmailFrom, Deployment: cfg.DeploymentID(),
			BaseURL: cfg.SendGridBaseURL, Timeout: cfg.ProviderTimeout, Logger: logger})
		if err != nil {
			return nil, &SettingsError{err}
		}
		ss.Senders[kigen.Email], ss.Providers[kigen.Email] = scheduler.NewRateLimitedSender(sg, cfg.RateEmail, burst(cfg.RateEmail)), "sendgrid"
	} else if err := useOutbox(kigen.Email); err != nil {
		return nil, err
	}
	if cfg.SMSProvider() == "twilio" {
		tw, err := twilio.New(twilio.Config{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			MessagingServiceSID: cfg.TwilioMessagingServiceSID, From: cfg.TwilioFrom, PublicURL: cfg.PublicURL,
			BaseURL: cfg.TwilioBaseURL, Timeout: cfg.ProviderTimeout, Logger: logger})
		if err != nil {
			return nil, errors.Join(&SettingsError{err}, ss.Close())
		}
		ss.Senders[kigen.SMS], ss.Providers[kigen.SMS] = scheduler.NewRateLimitedSender(tw, cfg.RateSMS, burst(cfg.RateSMS)), "twilio"
	} else if err := useOutbox(kigen.SMS); err != nil {
		return nil, err
	}
	return ss, nil
}

// burst lets a limiter absorb a second's worth of messages at once.
func burst(perSecond float64) int { return max(1, int(perSecond)) }

// Webhooks returns the webhook handlers of the configured providers, by
// path: SendGrid's event webhook with its verification key, Twilio's status
// callbacks and inbound SMS with its keys; each applies what it hears to
// sink, and tells ignored (if not nil) of each verified report it ignores
// (another deployment's, another send's, an unknown message's). Its errors
// are *SettingsError.
func Webhooks(cfg config.Config, sink *scheduler.Sink, logger *slog.Logger, ignored func(provider, reason string)) (map[string]http.Handler, error) {
	if ignored == nil {
		ignored = func(string, string) {}
	}
	hooks := map[string]http.Handler{}
	if cfg.SendGridWebhookKey != "" {
		h, err := sendgrid.NewEventHandler(cfg.SendGridWebhookKey, sink, &sendgrid.EventHandlerOpts{Logger: logger,
			Deployment: cfg.DeploymentID(), Ignored: func(reason string) { ignored(sendgrid.Provider, reason) }})
		if err != nil {
			return nil, &SettingsError{fmt.Errorf("SENDGRID_WEBHOOK_VERIFICATION_KEY: %w", err)}
		}
		hooks[sendgrid.EventPath] = h
	}
	if cfg.SMSProvider() == "twilio" {
		st, err := twilio.NewStatusHandler(cfg.TwilioAuthToken, cfg.PublicURL, sink, &twilio.HandlerOpts{Logger: logger,
			Ignored: func(reason string) { ignored(twilio.Provider, reason) }})
		if err != nil {
			return nil, &SettingsError{err}
		}
		in, err := twilio.NewInboundHandler(cfg.TwilioAuthToken, cfg.PublicURL, sink, &twilio.HandlerOpts{Logger: logger})
		if err != nil {
			return nil, &SettingsError{err}
		}
		hooks[twilio.StatusPath], hooks[twilio.InboundPath] = st, in
	}
	return hooks, nil
}
