package web

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

// probeRoutes are asked every few seconds by monitoring; their requests are
// logged at debug level only (readiness changes have their own log line).
var probeRoutes = map[string]bool{
	"GET /healthz": true,
	"GET /readyz":  true,
	"GET /metrics": true,
}

// ServeHTTP serves r through the mux and logs it: method, route pattern,
// status and duration. Never the path (tokens live in paths), the query
// string, the client address, a header or a body. A panic in a route is
// logged and answered 500, so that net/http does not log it with the
// client's address.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	clientAddr(r, h.proxies)
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.logger.ErrorContext(r.Context(), "request panicked",
				slog.String("route", r.Pattern),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if sw.status == 0 {
				writeError(sw, errors.New("panic"))
			}
		}
		h.logRequest(r, sw.status, time.Since(start))
	}()
	h.mux.ServeHTTP(sw, r)
}

// logRequest writes the one log line of a request.
func (h *handler) logRequest(r *http.Request, status int, d time.Duration) {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	route := r.Pattern // set by the mux on r itself
	level := slog.LevelInfo
	if probeRoutes[route] {
		level = slog.LevelDebug
	}
	if route == "" {
		route = "unmatched" // 404, 405: the path itself may be a token
	}
	h.logger.LogAttrs(r.Context(), level, "http request",
		slog.Group("request",
			slog.String("method", r.Method),
			slog.String("route", route)),
		slog.Group("response",
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000)))
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher (promhttp and streaming answers use it).
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush() //nolint:errcheck // nothing to do if it cannot
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// addrRE matches an IPv4 or bracketed IPv6 address with an optional port.
var addrRE = regexp.MustCompile(`\[[0-9A-Fa-f:.%a-z0-9]+\](:\d+)?|\b(\d{1,3}\.){3}\d{1,3}(:\d+)?\b`)

// serverErrorLog returns the http.Server ErrorLog: net/http's own messages
// ("TLS handshake error from ADDR", "panic serving ADDR") name the client's
// address, which Kigen never logs; it is replaced by "[addr]".
func serverErrorLog(logger *slog.Logger) *log.Logger {
	return log.New(serverLogWriter{logger}, "", 0)
}

type serverLogWriter struct{ logger *slog.Logger }

func (w serverLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(bytes.ToValidUTF8(p, nil)))
	msg = addrRE.ReplaceAllString(msg, "[addr]")
	w.logger.Warn("http server", slog.String("error", msg))
	return len(p), nil
}
