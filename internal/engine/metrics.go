package engine

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kigen"
	"kigen/internal/config"
	"kigen/notify/sendgrid"
	"kigen/notify/twilio"
	"kigen/store"
)

// UnknownSendsDays is how many tick days back kigen_unknown_sends looks:
// the follow-up list's horizon for sends given up (River keeps discarded
// jobs 7 days), and a bounded read at any scale.
const UnknownSendsDays = 7

// opsReadEvery is how often the scrape-time series of OpsMetrics read the
// database at most; scrapes in between get the values read last.
const opsReadEvery = 30 * time.Second

// OpsMetrics are the series operators alert on beside web.Metrics (the
// alert rules in deploy/prometheus): the state of the last tick, the
// provider reports received, the unknown sends waiting, and the rate
// limits in force.
//
//	kigen_tick_unfinished_seconds                   gauge: seconds since the last tick started, while it is unfinished; 0 once finished
//	kigen_last_tick_finished_timestamp_seconds      gauge: Unix time the last finished tick ended (absent until one is known)
//	kigen_unknown_sends{channel}                    gauge: messages of the last 7 tick days whose last delivery is unknown
//	kigen_provider_reports_total{provider}          counter: signed webhook requests a provider's status reports came in, answered 2xx
//	kigen_rate_limit_per_second{channel,provider}   gauge: KIGEN_RATE_EMAIL / KIGEN_RATE_SMS of a provider channel (0: unlimited)
type OpsMetrics struct {
	store   store.Store
	now     func() time.Time // the real clock (never KIGEN_NOW)
	reports *prometheus.CounterVec

	unfinishedDesc, finishedDesc, unknownDesc *prometheus.Desc

	mu       sync.Mutex
	readAt   time.Time
	tick     *store.Tick
	unknown  map[kigen.Channel]int
	readDays func() kigen.Date // the tick date to count unknown sends back from
}

// NewOpsMetrics registers Kigen's operator series on reg: the scrape-time
// ones read s (at most every 30 s), today (the tick date of KIGEN_NOW or
// the clock) bounds the unknown sends' window. The provider report counter
// starts at 0 for each provider cfg sends through, so that an alert sees
// "no report" rather than no series; the rate limits are cfg's.
func NewOpsMetrics(reg prometheus.Registerer, cfg config.Config, s store.Store, today func() kigen.Date) *OpsMetrics {
	m := &OpsMetrics{
		store: s, now: time.Now, readDays: today,
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kigen_provider_reports_total",
			Help: "Signed provider webhook requests with status reports, answered 2xx, by provider.",
		}, []string{"provider"}),
		unfinishedDesc: prometheus.NewDesc("kigen_tick_unfinished_seconds",
			"Seconds since the last tick started, while it is unfinished (running, failed or its process died); 0 once it finished.", nil, nil),
		finishedDesc: prometheus.NewDesc("kigen_last_tick_finished_timestamp_seconds",
			"Unix time at which the last finished tick ended.", nil, nil),
		unknownDesc: prometheus.NewDesc("kigen_unknown_sends",
			"Messages of the last 7 tick days whose last delivery is unknown: sends an operator must settle.", []string{"channel"}, nil),
	}
	rate := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kigen_rate_limit_per_second",
		Help: "Messages per second one process hands to a provider (KIGEN_RATE_EMAIL, KIGEN_RATE_SMS); 0: unlimited.",
	}, []string{"channel", "provider"})
	for _, ch := range []kigen.Channel{kigen.Email, kigen.SMS} {
		p := cfg.Provider(ch)
		if p == "outbox" {
			continue // the outbox is never limited and gets no reports
		}
		m.reports.WithLabelValues(p)
		r := cfg.RateEmail
		if ch == kigen.SMS {
			r = cfg.RateSMS
		}
		rate.WithLabelValues(string(ch), p).Set(r)
	}
	reg.MustRegister(m.reports, rate, m)
	return m
}

// reportPaths are the webhook paths that carry a provider's status
// reports (the inbound SMS keywords are not reports).
var reportPaths = map[string]string{sendgrid.EventPath: sendgrid.Provider, twilio.StatusPath: twilio.Provider}

// CountReports wraps the webhook handlers so that each status report
// answered 2xx counts in kigen_provider_reports_total.
func (m *OpsMetrics) CountReports(hooks map[string]http.Handler) map[string]http.Handler {
	out := make(map[string]http.Handler, len(hooks))
	for path, h := range hooks {
		provider, ok := reportPaths[path]
		if !ok || h == nil {
			out[path] = h
			continue
		}
		c := m.reports.WithLabelValues(provider)
		out[path] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			h.ServeHTTP(sw, r)
			if sw.status >= 200 && sw.status < 300 {
				c.Inc()
			}
		})
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Describe implements prometheus.Collector.
func (m *OpsMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.unfinishedDesc
	ch <- m.finishedDesc
	ch <- m.unknownDesc
}

// Collect implements prometheus.Collector: it reads the last tick and the
// unknown sends (at most every 30 s; a failed read keeps the values read
// last, and kigen_database_up tells why).
func (m *OpsMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.readAt.IsZero() || now.Sub(m.readAt) >= opsReadEvery {
		m.read(now)
	}
	if t := m.tick; t != nil {
		unfinished := 0.0
		if t.FinishedAt.IsZero() {
			unfinished = max(0, now.Sub(t.StartedAt).Seconds())
		} else {
			ch <- prometheus.MustNewConstMetric(m.finishedDesc, prometheus.GaugeValue, float64(t.FinishedAt.UnixNano())/1e9)
		}
		ch <- prometheus.MustNewConstMetric(m.unfinishedDesc, prometheus.GaugeValue, unfinished)
	}
	if m.unknown != nil {
		for _, c := range []kigen.Channel{kigen.Email, kigen.SMS} {
			ch <- prometheus.MustNewConstMetric(m.unknownDesc, prometheus.GaugeValue, float64(m.unknown[c]), string(c))
		}
	}
}

// read refreshes the last tick and the unknown sends from the store.
func (m *OpsMetrics) read(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), jobStatsTimeout)
	defer cancel()
	ok := true
	switch t, err := m.store.LastTick(ctx); {
	case err == nil:
		m.tick = t
	case errors.Is(err, store.ErrNotFound):
		m.tick = nil
	default:
		ok = false
	}
	unknown := map[kigen.Channel]int{}
	day := m.readDays()
	for i := range UnknownSendsDays {
		counts, err := m.store.CountMessagesOn(ctx, day.AddDays(-i))
		if err != nil {
			ok = false
			break
		}
		for _, c := range counts {
			if c.Delivery == kigen.DeliveryUnknown {
				unknown[c.Channel] += c.N
			}
		}
	}
	if ok {
		m.unknown = unknown
		m.readAt = now
	}
}

// jobStatsTimeout bounds the scrape's reads: a slow database must not hold
// the scrape.
const jobStatsTimeout = 5 * time.Second
