package engine

import (
	"log/slog"
	"maps"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kigen"
	"kigen/desk"
	"kigen/internal/config"
	"kigen/notify"
	"kigen/scheduler"
	"kigen/store"
)

// SelfSendWorker is the worker of resident self-service sends
// (confirmation links and codes, fresh links to a resident's page) on the
// channels' senders, with the configuration's public URL and link secret.
func SelfSendWorker(cfg config.Config, s store.Store, senders map[kigen.Channel]notify.Sender, now func() time.Time,
	logger *slog.Logger, sent func(kigen.Channel)) *scheduler.SelfSendWorker {
	w := &scheduler.SelfSendWorker{Store: s, Senders: maps.Clone(senders), PublicURL: cfg.PublicURL, Now: now, Logger: logger,
		Sent: sent, TokenDays: int(desk.DefaultTokenLifetime / (24 * time.Hour)), Municipalities: &store.MunicipalityCache{}}
	if cfg.LinkSecret != "" {
		w.LinkKey = []byte(cfg.LinkSecret) // else the database's, as the desk's
	}
	return w
}

// SelfConfig is the desk's self-service configuration: the queue's
// self-service sends (when q has them), the limits of KIGEN_SIGNUP_*, and
// the link secret the worker uses.
func SelfConfig(cfg config.Config, q desk.Queue) *desk.SelfConfig {
	l := cfg.Signup
	sc := &desk.SelfConfig{Limits: desk.SignupLimits{PerAddress: l.PerAddress, PerClient: l.PerClient,
		PerMunicipality: l.PerMunicipality, SMSBudget: l.SMSBudget, EmailBudget: l.EmailBudget},
		Municipalities: &store.MunicipalityCache{}}
	if sq, ok := q.(desk.SelfQueue); ok {
		sc.Queue = sq
	}
	if cfg.LinkSecret != "" {
		sc.LinkKey = []byte(cfg.LinkSecret)
	}
	return sc
}

// SignupMetrics are the series of self-service sends:
//
//	kigen_signup_sms_sent_total   counter: self-service SMS (codes, links) a provider took, in this process
//	kigen_signup_sms_budget       gauge: KIGEN_SIGNUP_SMS_DAILY_BUDGET, the SMS the public pages may send a day
//
// The alert "SMS budget near its limit" compares the day's increase of the
// first, summed over the instances, with the second.
type SignupMetrics struct {
	sms prometheus.Counter
}

// NewSignupMetrics registers the series with reg (nil: none).
func NewSignupMetrics(reg prometheus.Registerer, cfg config.Config) *SignupMetrics {
	m := &SignupMetrics{sms: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "kigen_signup_sms_sent_total",
		Help: "Self-service SMS (sign-up and channel confirmation codes, links to a resident's page) a provider took.",
	})}
	budget := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kigen_signup_sms_budget",
		Help: "The SMS the public self-service pages may send a day (KIGEN_SIGNUP_SMS_DAILY_BUDGET).",
	})
	budget.Set(float64(cfg.Signup.SMSBudget))
	if reg != nil {
		reg.MustRegister(m.sms, budget)
	}
	return m
}

// Sent counts a self-service send on ch (SMS only).
func (m *SignupMetrics) Sent(ch kigen.Channel) {
	if ch == kigen.SMS {
		m.sms.Inc()
	}
}
