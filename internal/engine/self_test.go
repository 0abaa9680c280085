package engine_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/store"
)

// TestSignupMetrics: the SMS budget is the setting, and only SMS sends
// count.
func TestSignupMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	cfg := config.Default()
	cfg.Signup.SMSBudget = 250
	m := engine.NewSignupMetrics(reg, cfg)
	m.Sent(kigen.SMS)
	m.Sent(kigen.SMS)
	m.Sent(kigen.Email)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{"\nkigen_signup_sms_budget 250\n", "\nkigen_signup_sms_sent_total 2\n"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, rec.Body.String())
		}
	}
}

type selfQueue struct{}

func (selfQueue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (selfQueue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (selfQueue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }
func (selfQueue) EnqueueSelfSend(context.Context, store.Tx, int64) error      { return nil }

// TestSelfConfig: the desk gets the queue's self-service sends, the
// limits and the link secret of the configuration.
func TestSelfConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Signup.SMSBudget, cfg.LinkSecret = 7, "0123456789abcdef0123456789abcdef"
	sc := engine.SelfConfig(cfg, selfQueue{})
	if sc.Queue == nil || sc.Limits.SMSBudget != 7 || sc.Limits.PerAddress != 3 || string(sc.LinkKey) != cfg.LinkSecret {
		t.Errorf("SelfConfig = %+v", sc)
	}
}
