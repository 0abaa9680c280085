package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kigen"
	"kigen/web"
)

// mustScrape serves reg through NewHandler and returns /metrics.
func mustScrape(t *testing.T, reg *prometheus.Registry) (int, string) {
	t.Helper()
	logger, _ := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Registry: reg, Logger: logger}))
	t.Cleanup(srv.Close)
	resp, body := mustDo(t, srv, http.MethodGet, "/metrics")
	return resp.StatusCode, body
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := web.NewMetrics(reg)
	started := time.Date(2026, 3, 10, 0, 0, 3, 0, time.UTC)
	m.ObserveTick(1500*time.Millisecond, started, map[kigen.CardKind]map[kigen.Stage]int{
		kigen.ResidenceCard: {kigen.D90: 3, kigen.D30: 1, kigen.D7: 0},
		kigen.MyNumberCard:  {kigen.RenewalGap: 2},
	})
	m.ObserveTick(500*time.Millisecond, started.Add(24*time.Hour), map[kigen.CardKind]map[kigen.Stage]int{
		kigen.ResidenceCard: {kigen.D90: 1},
	})
	m.ObserveMessage("email", "sendgrid", web.ResultSent)
	m.ObserveMessage("email", "sendgrid", web.ResultSent)
	m.ObserveMessage("sms", "twilio", web.ResultSnoozed)
	// Values that are not Kigen's own land under "other", never as given.
	m.ObserveMessage("taro@example.com", "+819012345678", "Bounced: mailbox full")
	m.ObserveIgnoredReport("sendgrid", "other_send")
	m.ObserveIgnoredReport("twilio", "unknown_message")
	m.ObserveIgnoredReport("sendgrid", "mailbox taro@example.com")
	m.SetJobStats(func(context.Context) (map[string]int, error) {
		return map[string]int{"available": 5, "retryable": 2, "running": 1}, nil
	})

	status, body := mustScrape(t, reg)
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200\n%s", status, body)
	}
	for _, want := range []string{
		`kigen_notices_planned_total{card="residence_card",stage="d90"} 4`,
		`kigen_notices_planned_total{card="residence_card",stage="d30"} 1`,
		`kigen_notices_planned_total{card="mynumber_card",stage="renewal_gap"} 2`,
		`kigen_messages_total{channel="email",provider="sendgrid",result="sent"} 2`,
		`kigen_messages_total{channel="sms",provider="twilio",result="snoozed"} 1`,
		`kigen_messages_total{channel="other",provider="other",result="other"} 1`,
		`kigen_tick_duration_seconds_count 2`,
		`kigen_tick_duration_seconds_sum 2`,
		`kigen_tick_duration_seconds_bucket{le="1"} 1`,
		`kigen_last_tick_timestamp_seconds 1.773187203e+09`,
		`kigen_jobs{state="available"} 5`,
		`kigen_jobs{state="retryable"} 2`,
		`kigen_jobs{state="running"} 1`,
		`kigen_jobs{state="discarded"} 0`,
		`kigen_provider_reports_ignored_total{provider="sendgrid",reason="other_send"} 1`,
		`kigen_provider_reports_ignored_total{provider="twilio",reason="unknown_message"} 1`,
		`kigen_provider_reports_ignored_total{provider="sendgrid",reason="other"} 1`,
		`go_goroutines `,
		`go_memstats_alloc_bytes `,
	} {
		if !strings.Contains(body, want+"") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, bad := range []string{`stage="d7"`, "taro", "example.com", "819012345678", "mailbox"} {
		if strings.Contains(body, bad) {
			t.Errorf("/metrics holds %q", bad)
		}
	}
}

// TestMetrics_LastTickNeverAhead: a tick recorded in the future (a
// time-travelling run) is reported no later than the real clock.
func TestMetrics_LastTickNeverAhead(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := web.NewMetrics(reg)
	m.SetLastTick(time.Now().Add(14 * 24 * time.Hour))
	after := time.Now()
	gauges, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gauges {
		if g.GetName() == "kigen_last_tick_timestamp_seconds" {
			if v := g.GetMetric()[0].GetGauge().GetValue(); v > float64(after.UnixNano())/1e9 {
				t.Errorf("kigen_last_tick_timestamp_seconds = %v, later than now (%v)", v, float64(after.Unix()))
			}
			return
		}
	}
	t.Error("no kigen_last_tick_timestamp_seconds series")
}

func TestMetrics_Empty(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	web.NewMetrics(reg)
	_, body := mustScrape(t, reg)
	// No tick known yet: no last-tick series (an alert on its age would
	// fire at time 0), and no jobs series until SetJobStats.
	for _, bad := range []string{"kigen_last_tick_timestamp_seconds ", "kigen_jobs{"} {
		if strings.Contains(body, bad) {
			t.Errorf("/metrics holds %q before any tick", bad)
		}
	}
}

func TestMetrics_JobStatsError(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := web.NewMetrics(reg)
	m.ObserveMessage("email", "outbox", web.ResultSent)
	m.SetJobStats(func(context.Context) (map[string]int, error) {
		return nil, errors.New("database is locked")
	})
	logger, logs := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Registry: reg, Logger: logger}))
	t.Cleanup(srv.Close)
	resp, body := mustDo(t, srv, http.MethodGet, "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (the other series still served)", resp.StatusCode)
	}
	if !strings.Contains(body, `kigen_messages_total{channel="email",provider="outbox",result="sent"} 1`) {
		t.Errorf("/metrics lost the other series:\n%s", body)
	}
	if strings.Contains(body, "kigen_jobs{") {
		t.Error("/metrics serves kigen_jobs although its query failed")
	}
	if !strings.Contains(logs.String(), "database is locked") {
		t.Error("the failing collector was not logged")
	}
}

// TestMetrics_DatabaseDown: while the database does not answer,
// kigen_database_up is 0 and kigen_jobs keeps the counts read last (it does
// not vanish), and a scrape logs nothing: the gauge says it. A failing
// query while the database answers is logged, and the counts stay too.
func TestMetrics_DatabaseDown(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := web.NewMetrics(reg)
	var (
		mu      sync.Mutex
		pingErr error
		jobsErr error
		pending = 3
	)
	m.SetDatabasePing(func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return pingErr
	})
	m.SetJobStats(func(context.Context) (map[string]int, error) {
		mu.Lock()
		defer mu.Unlock()
		if pingErr != nil {
			t.Error("kigen_jobs read with the database down")
		}
		return map[string]int{"available": pending}, jobsErr
	})
	logger, logs := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Registry: reg, Logger: logger}))
	t.Cleanup(srv.Close)
	scrape := func(want ...string) {
		t.Helper()
		resp, body := mustDo(t, srv, http.MethodGet, "/metrics")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				t.Errorf("/metrics lacks %q", w)
			}
		}
	}
	scrape("kigen_database_up 1", `kigen_jobs{state="available"} 3`)

	mu.Lock()
	pingErr, pending = errors.New("connection refused"), 9
	mu.Unlock()
	for range 3 {
		scrape("kigen_database_up 0", `kigen_jobs{state="available"} 3`, `kigen_jobs{state="retryable"} 0`)
	}
	if l := logs.String(); strings.Contains(l, "ERROR") {
		t.Errorf("a scrape with the database down logged an error:\n%s", l)
	}

	mu.Lock()
	pingErr, jobsErr = nil, errors.New("relation river_job does not exist")
	mu.Unlock()
	scrape("kigen_database_up 1", `kigen_jobs{state="available"} 3`)
	if !strings.Contains(logs.String(), "river_job does not exist") {
		t.Error("a failing jobs query with the database up was not logged")
	}

	mu.Lock()
	jobsErr = nil
	mu.Unlock()
	scrape("kigen_database_up 1", `kigen_jobs{state="available"} 9`)
}

func TestMetrics_Nil(t *testing.T) {
	t.Parallel()
	var m *web.Metrics // kigen tick runs without metrics
	m.ObserveTick(time.Second, time.Now(), nil)
	m.ObserveMessage("email", "outbox", web.ResultSent)
	m.SetLastTick(time.Now())
	m.SetJobStats(nil)
	m.SetDatabasePing(nil)

	// Metrics without a registry work but are served nowhere.
	web.NewMetrics(nil).ObserveMessage("sms", "outbox", web.ResultDropped)
}

func TestNewMetrics_DefaultRegisterer(t *testing.T) {
	t.Parallel()
	// A registry that already has the Go and process collectors (as
	// prometheus.DefaultRegisterer does) is fine.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(prometheus.NewGoCollector()) //nolint:staticcheck // the old constructor, as DefaultRegisterer uses
	web.NewMetrics(reg)
}

func TestHandler_NoRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.NewHandler(web.Deps{}))
	t.Cleanup(srv.Close)
	if resp, _ := mustDo(t, srv, http.MethodGet, "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics without a registry = %d, want 404", resp.StatusCode)
	}
}
