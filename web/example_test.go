package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kigen/store"
	"kigen/web"
)

func ExampleNewHandler() {
	reg := prometheus.NewRegistry()
	metrics := web.NewMetrics(reg)
	metrics.ObserveMessage("email", "outbox", web.ResultSent)

	now := time.Date(2026, 3, 10, 10, 30, 0, 0, time.UTC)
	h := web.NewHandler(web.Deps{
		Registry: reg,
		Ready: &web.Readiness{
			Ping:              func(context.Context) error { return nil },
			MigrationsPending: func(context.Context) (int, error) { return 0, nil },
			LastTick:          func(context.Context) (*store.Tick, error) { return nil, store.ErrNotFound },
			Prev:              func(now time.Time) time.Time { return now.Truncate(24 * time.Hour) },
			Now:               func() time.Time { return now },
		},
	})

	for _, path := range []string{"/healthz", "/readyz"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Print(rec.Code, " ", rec.Body.String(), "\n")
	}
	// Output:
	// 200 ok
	// 503 {"status":"not ready","problems":[{"check":"tick","message":"no tick has ever run; one was due at 2026-03-10T00:00:00Z"}]}
}
