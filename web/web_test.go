package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen/web"
	"kigen/web/route"
)

// readyFunc is a ReadyChecker from a function.
type readyFunc func(ctx context.Context) []web.Problem

func (f readyFunc) Ready(ctx context.Context) []web.Problem { return f(ctx) }

func TestHandler_Healthz(t *testing.T) {
	t.Parallel()
	// A checker that fails proves /healthz does not consult it.
	notReady := readyFunc(func(context.Context) []web.Problem {
		return []web.Problem{{Check: "database", Message: "down"}}
	})
	srv := httptest.NewServer(web.NewHandler(web.Deps{Ready: notReady}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name       string
		method     string
		wantStatus int
		wantBody   string
	}{
		{name: "GET", method: http.MethodGet, wantStatus: http.StatusOK, wantBody: "ok"},
		{name: "HEAD", method: http.MethodHead, wantStatus: http.StatusOK, wantBody: ""},
		{name: "POST", method: http.MethodPost, wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := mustDo(t, srv, tt.method, "/healthz")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK && body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
		})
	}
}

// readyResponse is the JSON of /readyz.
type readyResponse struct {
	Status   string        `json:"status"`
	Problems []web.Problem `json:"problems"`
}

// mustReadyz asks srv's /readyz and decodes the answer.
func mustReadyz(t *testing.T, srv *httptest.Server) (int, readyResponse, string) {
	t.Helper()
	resp, body := mustDo(t, srv, http.MethodGet, "/readyz")
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got readyResponse
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return resp.StatusCode, got, body
}

func TestHandler_Readyz(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		ready      web.ReadyChecker
		wantStatus int
		want       readyResponse
	}{
		{
			name:       "NoChecker",
			wantStatus: http.StatusOK,
			want:       readyResponse{Status: "ready"},
		},
		{
			name:       "Ready",
			ready:      readyFunc(func(context.Context) []web.Problem { return nil }),
			wantStatus: http.StatusOK,
			want:       readyResponse{Status: "ready"},
		},
		{
			name: "NotReady",
			ready: readyFunc(func(context.Context) []web.Problem {
				return []web.Problem{
					{Check: "migrations", Message: "2 migration(s) pending"},
					{Check: "tick", Message: "overdue"},
				}
			}),
			wantStatus: http.StatusServiceUnavailable,
			want: readyResponse{Status: "not ready", Problems: []web.Problem{
				{Check: "migrations", Message: "2 migration(s) pending"},
				{Check: "tick", Message: "overdue"},
			}},
		},
		{
			name: "Timeout",
			ready: readyFunc(func(ctx context.Context) []web.Problem {
				deadline, ok := ctx.Deadline()
				if !ok || time.Until(deadline) > 2*time.Second {
					return []web.Problem{{Check: "test", Message: "no 2 s deadline"}}
				}
				<-ctx.Done() // a check that hangs until the deadline
				return []web.Problem{{Check: "database", Message: "timed out"}}
			}),
			wantStatus: http.StatusServiceUnavailable,
			want: readyResponse{Status: "not ready", Problems: []web.Problem{
				{Check: "database", Message: "timed out"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, _ := newLogger(t)
			srv := httptest.NewServer(web.NewHandler(web.Deps{Ready: tt.ready, Logger: logger}))
			t.Cleanup(srv.Close)
			status, got, _ := mustReadyz(t, srv)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandler_ReadyzLogsChanges(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger(t)
	var failing atomic.Bool
	checker := readyFunc(func(context.Context) []web.Problem {
		if failing.Load() {
			return []web.Problem{{Check: "database", Message: "the database does not answer",
				Err: errString("dial tcp 10.1.2.3:5432: connection refused")}}
		}
		return nil
	})
	srv := httptest.NewServer(web.NewHandler(web.Deps{Ready: checker, Logger: logger}))
	t.Cleanup(srv.Close)

	// ready, ready, not ready ×3, ready: three changes logged.
	for _, f := range []bool{false, false, true, true, true, false} {
		failing.Store(f)
		_, _, body := mustReadyz(t, srv)
		if strings.Contains(body, "10.1.2.3") {
			t.Errorf("/readyz serves the driver error: %s", body)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"ready"`); n != 2 {
		t.Errorf(`logged "ready" %d times, want 2`, n)
	}
	if n := strings.Count(logs.String(), `"msg":"not ready"`); n != 1 {
		t.Errorf(`logged "not ready" %d times, want 1`, n)
	}
	if !strings.Contains(logs.String(), "connection refused") {
		t.Error("the underlying error of a problem was not logged")
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestHandler_Webhooks(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(append([]byte("got "), b...))
	})
	srv := httptest.NewServer(web.NewHandler(web.Deps{Webhooks: map[string]http.Handler{
		"/webhooks/sendgrid/events": hook,
		"/webhooks/twilio/status":   nil, // provider not configured
	}}))
	t.Cleanup(srv.Close)

	t.Run("POST", func(t *testing.T) {
		resp, err := srv.Client().Post(srv.URL+"/webhooks/sendgrid/events", "application/json", strings.NewReader("[]"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(body) != "got []" {
			t.Errorf("POST = %d %q, want 200 %q", resp.StatusCode, body, "got []")
		}
	})
	t.Run("GET", func(t *testing.T) {
		resp, _ := mustDo(t, srv, http.MethodGet, "/webhooks/sendgrid/events")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET status = %d, want 405", resp.StatusCode)
		}
		if allow := resp.Header.Get("Allow"); allow != "POST" {
			t.Errorf("Allow = %q, want POST", allow)
		}
	})
	t.Run("NilSkipped", func(t *testing.T) {
		resp, _ := mustDo(t, srv, http.MethodPost, "/webhooks/twilio/status")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST to an unconfigured webhook = %d, want 404", resp.StatusCode)
		}
	})
	if n := calls.Load(); n != 1 {
		t.Errorf("webhook called %d times, want 1", n)
	}
}

func TestNewHandler_BadWebhookPath(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"webhooks/x", "GET /webhooks/x", "/m/{token}"} {
		t.Run(path, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("NewHandler accepted webhook path %q", path)
				}
			}()
			web.NewHandler(web.Deps{Webhooks: map[string]http.Handler{path: http.NotFoundHandler()}})
		})
	}
}

func TestHandler_RequestLog(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Logger: logger, Webhooks: map[string]http.Handler{
		"/webhooks/x": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
		}),
	}}))
	t.Cleanup(srv.Close)

	mustDo(t, srv, http.MethodGet, "/m/secret-token?x=1")
	mustDo(t, srv, http.MethodGet, "/healthz?token=secret-token")
	mustDo(t, srv, http.MethodPost, "/webhooks/x?sig=secret-token")

	got := logs.String()
	if strings.Contains(got, "secret-token") || strings.Contains(got, "x=1") {
		t.Errorf("the log holds a path or query string:\n%s", got)
	}
	if strings.Contains(got, "127.0.0.1") {
		t.Errorf("the log holds the client address:\n%s", got)
	}

	type line struct {
		Level   string `json:"level"`
		Msg     string `json:"msg"`
		Request struct {
			Method string `json:"method"`
			Route  string `json:"route"`
		} `json:"request"`
		Response struct {
			Status int `json:"status"`
		} `json:"response"`
	}
	var lines []line
	for _, s := range strings.Split(strings.TrimSpace(got), "\n") {
		var l line
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		lines = append(lines, l)
	}
	mk := func(level, method, route string, status int) line {
		var l line
		l.Level, l.Msg, l.Request.Method, l.Request.Route, l.Response.Status = level, "http request", method, route, status
		return l
	}
	want := []line{
		mk("INFO", "GET", "unmatched", http.StatusNotFound),
		mk("DEBUG", "GET", "GET /healthz", http.StatusOK),
		mk("INFO", "POST", "POST /webhooks/x", http.StatusAccepted),
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
	if !strings.Contains(got, `"duration_ms":`) {
		t.Error("the log has no duration")
	}
}

func TestHandler_Panic(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger(t)
	srv := httptest.NewServer(web.NewHandler(web.Deps{Logger: logger, Webhooks: map[string]http.Handler{
		"/webhooks/x": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }),
	}}))
	t.Cleanup(srv.Close)

	resp, body := mustDo(t, srv, http.MethodPost, "/webhooks/x")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}
	want := `{"error":{"code":"internal","message":"internal error"}}` + "\n"
	if body != want {
		t.Errorf("body = %q, want %q", body, want)
	}
	if !strings.Contains(logs.String(), `"msg":"request panicked"`) {
		t.Error("the panic was not logged")
	}
	if n := strings.Count(logs.String(), `"level":"ERROR"`); n != 1 {
		t.Errorf("%d error lines, want 1", n)
	}
}

// surfaceFunc is a web.Surface from a function.
type surfaceFunc func(m *route.Mux)

func (f surfaceFunc) Register(m *route.Mux) { f(m) }

// TestHandler_Routes: every route NewHandler serves is listed with its
// rule, a surface's routes included, so that the access test can ask each
// as every role.
func TestHandler_Routes(t *testing.T) {
	t.Parallel()
	h := web.NewHandler(web.Deps{
		Webhooks: map[string]http.Handler{"/webhooks/x": http.NotFoundHandler()},
		Surfaces: []web.Surface{surfaceFunc(func(m *route.Mux) {
			m.Group(func(route.Rule, http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
			}).Handle("GET /console/", route.Staff, http.NotFoundHandler())
		})},
	})
	got := h.(interface{ Routes() []route.Route }).Routes()
	want := []route.Route{
		{Pattern: "GET /healthz", Rule: route.Public},
		{Pattern: "GET /readyz", Rule: route.Public},
		{Pattern: "POST /webhooks/x", Rule: route.Signed},
		{Pattern: "GET /console/", Rule: route.Staff},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Routes() (-want +got):\n%s", diff)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if resp, _ := mustDo(t, srv, http.MethodGet, "/console/"); resp.StatusCode != http.StatusTeapot {
		t.Errorf("GET /console/ = %d, want the guard's %d", resp.StatusCode, http.StatusTeapot)
	}
}
