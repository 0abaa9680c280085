package engine

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/storetesting"
	"kigen/notify/sendgrid"
	"kigen/notify/twilio"
	"kigen/store"
	"kigen/store/storetest"
)

// gathered returns the value of each series of reg, keyed by name and
// labels ("kigen_unknown_sends{channel=email}").
func gathered(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			key := mf.GetName()
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			out[key] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	return 0
}

// TestOpsMetrics checks the operators' series on a real store: the last
// tick unfinished then finished, the unknown sends of the last 7 tick
// days, the provider reports counted per provider, and the rate limits.
func TestOpsMetrics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := storetesting.SQLite(t)
	today := kigen.MustParseISODate("2026-12-04")
	cfg := config.Default()
	cfg.SendGridAPIKey, cfg.EmailFrom = "SG.x", "kigen@city.example"
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom = "AC1", "tok", "+815012345678"
	cfg.RateSMS = 3
	reg := prometheus.NewRegistry()
	m := NewOpsMetrics(reg, cfg, s, func() kigen.Date { return today })
	fresh := func() map[string]float64 { m.mu.Lock(); m.readAt = time.Time{}; m.mu.Unlock(); return gathered(t, reg) }

	got := fresh()
	for key, want := range map[string]float64{
		`kigen_provider_reports_total{provider=sendgrid}`:              0,
		`kigen_provider_reports_total{provider=twilio}`:                0,
		`kigen_rate_limit_per_second{channel=email,provider=sendgrid}`: 100,
		`kigen_rate_limit_per_second{channel=sms,provider=twilio}`:     3,
		`kigen_unknown_sends{channel=email}`:                           0,
		`kigen_unknown_sends{channel=sms}`:                             0,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	if _, ok := got["kigen_tick_unfinished_seconds"]; ok {
		t.Error("kigen_tick_unfinished_seconds present before any tick")
	}

	tick := &store.Tick{Date: today, StartedAt: time.Now().Add(-10 * time.Minute)}
	if err := s.CreateTick(ctx, tick); err != nil {
		t.Fatal(err)
	}
	got = fresh()
	if v := got["kigen_tick_unfinished_seconds"]; v < 590 || v > 700 {
		t.Errorf("kigen_tick_unfinished_seconds = %v, want about 600 for a tick started 10 minutes ago", v)
	}
	if _, ok := got["kigen_last_tick_finished_timestamp_seconds"]; ok {
		t.Error("kigen_last_tick_finished_timestamp_seconds present while the only tick is unfinished")
	}
	tick.FinishedAt = time.Now()
	if err := s.FinishTick(ctx, tick); err != nil {
		t.Fatal(err)
	}
	got = fresh()
	if v, ok := got["kigen_tick_unfinished_seconds"]; !ok || v != 0 {
		t.Errorf("kigen_tick_unfinished_seconds = %v (present %v) after the tick finished, want 0", v, ok)
	}
	if v := got["kigen_last_tick_finished_timestamp_seconds"]; v < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("kigen_last_tick_finished_timestamp_seconds = %v, want about now", v)
	}

	// Two unknown SMS (one 6 days back), one unknown email 8 days back (out
	// of the window), one email sent.
	mu := storetest.MustCreateMunicipality(t, ctx, s, "012033")
	r := storetest.MustUpsertResident(t, ctx, s, mu.ID, "R-1")
	send := func(ch kigen.Channel, day kigen.Date, state kigen.DeliveryState) {
		msg := storetest.MustCreateMessage(t, ctx, s, mu.ID, r.ID, ch, day)
		dl := storetest.MustCreateDelivery(t, ctx, s, msg.ID, "outbox")
		dl.State = state
		if err := s.UpdateDelivery(ctx, dl); err != nil {
			t.Fatal(err)
		}
	}
	send(kigen.SMS, today, kigen.DeliveryUnknown)
	send(kigen.SMS, today.AddDays(-6), kigen.DeliveryUnknown)
	send(kigen.Email, today.AddDays(-8), kigen.DeliveryUnknown)
	send(kigen.Email, today, kigen.DeliveryAccepted)
	got = fresh()
	if got[`kigen_unknown_sends{channel=sms}`] != 2 || got[`kigen_unknown_sends{channel=email}`] != 0 {
		t.Errorf("kigen_unknown_sends = sms %v, email %v; want 2 and 0", got[`kigen_unknown_sends{channel=sms}`], got[`kigen_unknown_sends{channel=email}`])
	}

	// Reports: a 2xx answer counts for its provider, a refusal and the
	// inbound SMS keywords do not.
	answer := func(code int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) })
	}
	hooks := m.CountReports(map[string]http.Handler{
		sendgrid.EventPath: answer(http.StatusOK), twilio.StatusPath: answer(http.StatusForbidden), twilio.InboundPath: answer(http.StatusOK),
	})
	for _, p := range []string{sendgrid.EventPath, sendgrid.EventPath, twilio.StatusPath, twilio.InboundPath} {
		hooks[p].ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, p, nil))
	}
	got = gathered(t, reg)
	if got[`kigen_provider_reports_total{provider=sendgrid}`] != 2 || got[`kigen_provider_reports_total{provider=twilio}`] != 0 {
		t.Errorf("kigen_provider_reports_total = sendgrid %v, twilio %v; want 2 and 0",
			got[`kigen_provider_reports_total{provider=sendgrid}`], got[`kigen_provider_reports_total{provider=twilio}`])
	}
}
