package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"kigen"
	"kigen/notify"
)

// Results of a delivery attempt, the result label of kigen_messages_total.
const (
	ResultSent    = "sent"    // the provider accepted the message
	ResultFailed  = "failed"  // the provider refused it, or retries ran out
	ResultSnoozed = "snoozed" // postponed (rate limit, quiet hours)
	ResultUnknown = "unknown" // a send may or may not have reached the provider
	ResultDropped = "dropped" // not sent on purpose (no contact, opted out)
)

// otherLabel replaces a label value that is not one Kigen knows, so that
// no caller can put personal data or unbounded values into a label.
const otherLabel = "other"

// jobStatsTimeout bounds the query behind kigen_jobs, and pingTimeout the
// ping behind kigen_database_up: a scrape has no context of its own, and a
// slow database must not hold it.
const (
	jobStatsTimeout = 5 * time.Second
	pingTimeout     = 2 * time.Second
)

// riverJobStates are River's job states, always reported by kigen_jobs (0 if
// the stats leave one out), so that a query such as
// kigen_jobs{state="retryable"} > 0 never finds no series.
var riverJobStates = []string{
	"available", "cancelled", "completed", "discarded",
	"pending", "retryable", "running", "scheduled",
}

var (
	nameRE         = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	resultSet      = []string{ResultSent, ResultFailed, ResultSnoozed, ResultUnknown, ResultDropped}
	ignoredReasons = []string{notify.IgnoredOtherDeployment, notify.IgnoredOtherSend, notify.IgnoredUnknownMessage}
)

// Metrics are Kigen's Prometheus collectors. The scheduler reports ticks and
// sends through it; /metrics serves the registry it was created on. A nil
// *Metrics accepts every call and records nothing (kigen tick runs without
// metrics). Its methods are safe for concurrent use.
type Metrics struct {
	noticesPlanned *prometheus.CounterVec
	messages       *prometheus.CounterVec
	tickDuration   prometheus.Histogram
	lastTick       *prometheus.GaugeVec // no labels: absent until a tick is known
	ignored        *prometheus.CounterVec
	jobs           *jobsCollector
}

// NewMetrics creates Kigen's collectors and registers them, with the Go
// runtime and process collectors, on reg (if not nil). The Go and process
// collectors may already be there (prometheus.DefaultRegisterer has them);
// a Kigen collector already there is a wiring bug, and NewMetrics panics.
//
// The series:
//
//	kigen_notices_planned_total{card,stage}           counter
//	kigen_messages_total{channel,provider,result}     counter
//	kigen_tick_duration_seconds                       histogram
//	kigen_last_tick_timestamp_seconds                 gauge (absent until a tick is known)
//	kigen_database_up                                 gauge, 1 or 0: the database answered the scrape's ping (SetDatabasePing)
//	kigen_jobs{state}                                 gauge, read at each scrape (SetJobStats); the last counts read while the database is down
//	kigen_provider_reports_ignored_total{provider,reason}  counter
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		noticesPlanned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kigen_notices_planned_total",
			Help: "Notices recorded by the tick, by card kind and stage.",
		}, []string{"card", "stage"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kigen_messages_total",
			Help: "Delivery attempts by channel, provider and result (sent, failed, snoozed, unknown, dropped).",
		}, []string{"channel", "provider", "result"}),
		tickDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kigen_tick_duration_seconds",
			Help: "How long the planning of a tick took.",
			// From a quiet day in one town to a whole prefecture's backlog.
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}),
		lastTick: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kigen_last_tick_timestamp_seconds",
			Help: "Unix time at which the last tick started.",
		}, nil),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kigen_provider_reports_ignored_total",
			Help: "Verified provider reports ignored, by provider and reason (other_deployment, other_send, unknown_message).",
		}, []string{"provider", "reason"}),
		jobs: &jobsCollector{
			desc: prometheus.NewDesc("kigen_jobs",
				"River jobs by state, read from the database at each scrape; while kigen_database_up is 0, the counts read last.", []string{"state"}, nil),
			upDesc: prometheus.NewDesc("kigen_database_up",
				"1 if the database answered this scrape's ping, else 0.", nil, nil),
		},
	}
	if reg == nil {
		return m
	}
	reg.MustRegister(m.noticesPlanned, m.messages, m.tickDuration, m.lastTick, m.ignored, m.jobs)
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			panic(fmt.Sprintf("web: register collector: %v", err))
		}
	}
	return m
}

// ObserveTick records a finished tick: how long it took, when it started
// (at), and the notices it recorded per card kind and stage. An unknown
// kind or stage is counted under "other".
func (m *Metrics) ObserveTick(d time.Duration, at time.Time, byStage map[kigen.CardKind]map[kigen.Stage]int) {
	if m == nil {
		return
	}
	m.tickDuration.Observe(d.Seconds())
	m.SetLastTick(at)
	for kind, stages := range byStage {
		card := string(kind)
		if !kind.Valid() {
			card = otherLabel
		}
		for stage, n := range stages {
			if n <= 0 {
				continue
			}
			s := string(stage)
			if !stage.Valid() {
				s = otherLabel
			}
			m.noticesPlanned.WithLabelValues(card, s).Add(float64(n))
		}
	}
}

// SetLastTick sets kigen_last_tick_timestamp_seconds, without a tick:
// `kigen serve` seeds it at start from store.Store.LastTick, so that a
// restart does not make the series vanish until the next tick. A time
// later than the real clock (a tick recorded by a time-travelling run) is
// reported as now: the series never says a tick ran in the future.
func (m *Metrics) SetLastTick(at time.Time) {
	if m == nil || at.IsZero() {
		return
	}
	if now := time.Now(); at.After(now) {
		at = now
	}
	m.lastTick.WithLabelValues().Set(float64(at.UnixNano()) / 1e9)
}

// ObserveMessage counts one delivery attempt. channel is a kigen.Channel
// ("email", "sms"), provider a short lower-case name ("outbox", "sendgrid",
// "twilio"), result one of the Result constants; any other value is counted
// under "other", so a label never carries an address or a free text.
func (m *Metrics) ObserveMessage(channel, provider, result string) {
	if m == nil {
		return
	}
	if !kigen.Channel(channel).Valid() {
		channel = otherLabel
	}
	if !nameRE.MatchString(provider) {
		provider = otherLabel
	}
	if !slices.Contains(resultSet, result) {
		result = otherLabel
	}
	m.messages.WithLabelValues(channel, provider, result).Inc()
}

// ObserveIgnoredReport counts one verified provider report that was
// ignored: provider a short lower-case name, reason one of notify's
// Ignored* reasons ("other_deployment", "other_send", "unknown_message");
// any other value is counted under "other".
func (m *Metrics) ObserveIgnoredReport(provider, reason string) {
	if m == nil {
		return
	}
	if !nameRE.MatchString(provider) {
		provider = otherLabel
	}
	if !slices.Contains(ignoredReasons, reason) {
		reason = otherLabel
	}
	m.ignored.WithLabelValues(provider, reason).Inc()
}

// SetJobStats sets the function kigen_jobs reads at each scrape: job counts
// by River state (the lead's query on River's job table). Until it is set,
// kigen_jobs has no series. When the database is down (SetDatabasePing) or
// the function fails, kigen_jobs keeps the counts it read last (none, if
// it never read any); a failure while the database answers is also logged
// by /metrics.
func (m *Metrics) SetJobStats(fn func(ctx context.Context) (map[string]int, error)) {
	if m == nil {
		return
	}
	m.jobs.mu.Lock()
	m.jobs.fn = fn
	m.jobs.mu.Unlock()
}

// SetDatabasePing sets the function kigen_database_up asks at each scrape
// (store.Store.Ping): 1 if it returns nil within two seconds, else 0. Until
// it is set, kigen_database_up has no series. While the database is down,
// kigen_jobs is not read: it keeps the counts read last.
func (m *Metrics) SetDatabasePing(fn func(ctx context.Context) error) {
	if m == nil {
		return
	}
	m.jobs.mu.Lock()
	m.jobs.ping = fn
	m.jobs.mu.Unlock()
}

// jobsCollector reports kigen_database_up and kigen_jobs from functions
// called at scrape time, like GaugeFuncs (one with a label).
type jobsCollector struct {
	desc, upDesc *prometheus.Desc

	mu   sync.Mutex
	fn   func(ctx context.Context) (map[string]int, error)
	ping func(ctx context.Context) error
	last map[string]int // the counts read last; nil until a read succeeds
}

// Describe implements prometheus.Collector.
func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.upDesc
}

// Collect implements prometheus.Collector. Scrapes may run at once; each
// pings and reads on its own.
func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	fn, ping := c.fn, c.ping
	c.mu.Unlock()
	up := true
	if ping != nil {
		ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		up = ping(ctx) == nil
		cancel()
		ch <- prometheus.MustNewConstMetric(c.upDesc, prometheus.GaugeValue, map[bool]float64{true: 1, false: 0}[up])
	}
	if fn == nil {
		return
	}
	var counts map[string]int
	if up {
		ctx, cancel := context.WithTimeout(context.Background(), jobStatsTimeout)
		stats, err := fn(ctx)
		cancel()
		if err != nil {
			// Logged by /metrics; the series keep their last counts.
			ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("kigen_jobs: %w", err))
		} else {
			counts = jobCounts(stats)
		}
	}
	c.mu.Lock()
	if counts != nil {
		c.last = counts
	} else {
		counts = c.last
	}
	c.mu.Unlock()
	for _, s := range slices.Sorted(maps.Keys(counts)) {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}

// jobCounts are the series of kigen_jobs: every River state (0 if stats
// leave it out), any other under a safe label.
func jobCounts(stats map[string]int) map[string]int {
	counts := make(map[string]int, len(riverJobStates))
	for _, s := range riverJobStates {
		counts[s] = 0
	}
	for s, n := range stats {
		if !nameRE.MatchString(s) {
			s = otherLabel
		}
		counts[s] += n
	}
	return counts
}
