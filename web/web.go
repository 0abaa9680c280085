// Package web is Kigen's HTTP side: the operations endpoints (/healthz,
// /readyz, /metrics), the provider webhooks, the resident pages (/m/{token},
// /u/{token}) and later the staff API. NewHandler builds the routes on a
// net/http ServeMux with method patterns; Serve runs them with timeouts and
// a graceful shutdown.
//
// Logs name the route pattern, never the path, the query string, the client
// address or a body: paths and queries carry tokens, bodies personal data.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kigen"
	"kigen/web/route"
)

// readyTimeout bounds the readiness checks of one /readyz request: a probe
// must answer quickly, and a database that takes longer is not ready.
const readyTimeout = 2 * time.Second

// Deps are what NewHandler serves.
type Deps struct {
	// Ready answers /readyz; nil means there is nothing to check (always
	// ready).
	Ready ReadyChecker
	// Registry is served at /metrics; nil means no /metrics route.
	Registry *prometheus.Registry
	// Webhooks maps a path (such as sendgrid.EventPath) to its handler,
	// mounted for POST only; nil handlers are skipped.
	Webhooks map[string]http.Handler
	// Pages are the resident's pages (/m/{token}, /u/{token}); nil means
	// no such routes.
	Pages *Pages
	// Surfaces register further routes on the handler's Mux: the staff
	// console, the JSON API, the operators' pages. Each route comes with
	// its access rule (package route).
	Surfaces []Surface
	// Logger receives request logs and errors; nil discards them.
	Logger *slog.Logger
	// TrustedProxies are the load balancers and proxies in front
	// (KIGEN_TRUSTED_PROXIES): a request from one of them is counted for
	// the client its X-Forwarded-For names (clientAddr).
	TrustedProxies []netip.Prefix
}

// Surface is a set of routes mounted on Kigen's handler.
type Surface interface {
	// Register adds the surface's routes to m, each with its rule.
	Register(m *route.Mux)
}

// handler is the http.Handler NewHandler returns: the mux wrapped in the
// request log.
type handler struct {
	mux     *route.Mux
	ready   ReadyChecker
	logger  *slog.Logger
	proxies []netip.Prefix

	mu        sync.Mutex
	lastReady string // the failing checks last logged ("" = ready, "?" = none yet)
}

// NewHandler returns Kigen's HTTP handler:
//
//	GET  /healthz   200 "ok" while the process runs (no database call)
//	GET  /readyz    200 {"status":"ready"} or 503 {"status":"not ready","problems":[…]}
//	GET  /metrics   the Prometheus registry (only if d.Registry is set)
//	POST <path>     each webhook of d.Webhooks
//	GET  /m/{token}, GET|POST /u/{token}   the resident's pages (only if d.Pages is set)
//
// GET routes also answer HEAD; a route asked with another method answers
// 405 with an Allow header. NewHandler panics if a webhook path is not a
// plain path ("/…") or is mounted twice, or if d.Pages lacks its Store or
// Renderer: that is a wiring bug.
func NewHandler(d Deps) http.Handler {
	h := &handler{
		mux:       route.NewMux(),
		ready:     d.Ready,
		logger:    d.Logger,
		lastReady: "?",
		proxies:   d.TrustedProxies,
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}

	open := h.mux.Group(nil)
	open.Handle("GET /healthz", route.Public, h.handle(h.healthz))
	open.Handle("GET /readyz", route.Public, h.handle(h.readyz))
	if d.Registry != nil {
		open.Handle("GET /metrics", route.Public, promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{
			// A failing collector (the jobs query) costs its own series,
			// not the whole scrape; the error goes to the log and to
			// promhttp_metric_handler_errors_total.
			ErrorHandling:       promhttp.ContinueOnError,
			ErrorLog:            promLogger{h.logger},
			Registry:            d.Registry,
			MaxRequestsInFlight: 4,
		}))
	}
	for path, wh := range d.Webhooks {
		if wh == nil {
			continue
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t{}") {
			panic(fmt.Sprintf("web: webhook path %q is not a plain path", path))
		}
		open.Handle("POST "+path, route.Signed, wh)
	}
	if d.Pages != nil {
		h.mountPages(d.Pages)
	}
	for _, sf := range d.Surfaces {
		sf.Register(h.mux)
	}
	return h
}

// Routes returns every route the handler serves, with its access rule.
func (h *handler) Routes() []route.Route { return h.mux.Routes() }

// handlerFunc is an HTTP handler that returns its error for handle to
// answer, so that every failure is logged once and answered alike.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts f to an http.Handler. An error from f is answered as JSON
// {"error":{"code","field","message"}} with the status of its kigen.Error
// code; an internal error (anything not a *kigen.Error, or EINTERNAL) is
// logged here, once, and its text never reaches the client. If f already
// wrote the status line, the error is only logged.
func (h *handler) handle(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		err := f(tw, r)
		if err == nil {
			return
		}
		code := kigen.ErrorCode(err)
		if code == kigen.EINTERNAL {
			h.logger.ErrorContext(r.Context(), "request failed",
				slog.String("route", r.Pattern), slog.Any("error", err))
		}
		if tw.wrote {
			return
		}
		writeError(w, err)
	})
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers err as JSON. Only a *kigen.Error's own message is
// shown; anything else reads "internal error".
func writeError(w http.ResponseWriter, err error) {
	var body errorBody
	body.Error.Code = kigen.ErrorCode(err)
	var e *kigen.Error
	if errors.As(err, &e) && e.Code != kigen.EINTERNAL {
		body.Error.Field, body.Error.Message = e.Field, e.Message
	} else {
		body.Error.Code, body.Error.Message = kigen.EINTERNAL, "internal error"
	}
	writeJSON(w, errorStatus(body.Error.Code), body)
}

// errorStatus maps a kigen.Error code to its HTTP status.
func errorStatus(code string) int {
	switch code {
	case kigen.EINVALID:
		return http.StatusBadRequest
	case kigen.ENOTFOUND:
		return http.StatusNotFound
	case kigen.ECONFLICT:
		return http.StatusConflict
	case kigen.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case kigen.ELOCKED:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeJSON answers v as JSON with the status. An encoding error can only
// be a bug in v's type; a write error means the client left. Neither can
// be answered any more.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// healthz answers that the process runs. It calls nothing: a database
// outage must not get a healthy process restarted.
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write([]byte("ok"))
	return writeErr(err)
}

// readyBody is the JSON of /readyz.
type readyBody struct {
	Status   string    `json:"status"`
	Problems []Problem `json:"problems,omitempty"`
}

// readyz runs the readiness checks within readyTimeout and answers 200 or
// 503 with the problems.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) error {
	var problems []Problem
	if h.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		problems = h.ready.Ready(ctx)
		cancel()
	}
	h.logReadiness(r, problems)
	if len(problems) == 0 {
		writeJSON(w, http.StatusOK, readyBody{Status: "ready"})
		return nil
	}
	writeJSON(w, http.StatusServiceUnavailable, readyBody{Status: "not ready", Problems: problems})
	return nil
}

// logReadiness logs when readiness changes (which checks fail), not at each
// probe: a probe every few seconds would bury the log during an outage.
func (h *handler) logReadiness(r *http.Request, problems []Problem) {
	checks := make([]string, len(problems))
	for i, p := range problems {
		checks[i] = p.Check
	}
	state := strings.Join(checks, ",")

	h.mu.Lock()
	changed := state != h.lastReady
	h.lastReady = state
	h.mu.Unlock()
	if !changed {
		return
	}
	if len(problems) == 0 {
		h.logger.InfoContext(r.Context(), "ready")
		return
	}
	attrs := []any{slog.String("checks", state)}
	for _, p := range problems {
		a := []any{slog.String("message", p.Message)}
		if p.Err != nil {
			a = append(a, slog.Any("error", p.Err))
		}
		attrs = append(attrs, slog.Group(p.Check, a...))
	}
	h.logger.WarnContext(r.Context(), "not ready", attrs...)
}

// writeErr wraps a response write error: the client is gone, which is
// logged as internal but cannot be answered.
func writeErr(err error) error {
	if err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// trackingWriter records whether the status line was written, so that
// handle does not answer twice.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// promLogger sends promhttp's errors to slog.
type promLogger struct{ logger *slog.Logger }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) {
	l.logger.Error("metrics scrape failed", slog.String("error", strings.TrimSpace(fmt.Sprintln(v...))))
}
