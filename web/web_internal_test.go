package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kigen"
)

func TestHandle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		write      bool // the handler writes before failing
		wantStatus int
		wantBody   string
		wantLogged bool
	}{
		{name: "OK", wantStatus: http.StatusOK, wantBody: "fine"},
		{
			name:       "Invalid",
			err:        fmt.Errorf("decode: %w", kigen.FieldErrorf("consent", "must be yes or no")),
			wantStatus: http.StatusBadRequest,
			wantBody:   `{"error":{"code":"invalid","field":"consent","message":"must be yes or no"}}`,
		},
		{
			name:       "NotFound",
			err:        kigen.Errorf(kigen.ENOTFOUND, "no such message"),
			wantStatus: http.StatusNotFound,
			wantBody:   `{"error":{"code":"not_found","message":"no such message"}}`,
		},
		{
			name:       "Conflict",
			err:        kigen.Errorf(kigen.ECONFLICT, "already recorded"),
			wantStatus: http.StatusConflict,
			wantBody:   `{"error":{"code":"conflict","message":"already recorded"}}`,
		},
		{
			name:       "Unauthorized",
			err:        kigen.Errorf(kigen.EUNAUTHORIZED, "token expired"),
			wantStatus: http.StatusUnauthorized,
			wantBody:   `{"error":{"code":"unauthorized","message":"token expired"}}`,
		},
		{
			name:       "Internal",
			err:        errors.New("GetMessage(42): sql: database is closed"),
			wantStatus: http.StatusInternalServerError,
			wantBody:   `{"error":{"code":"internal","message":"internal error"}}`,
			wantLogged: true,
		},
		{
			name:       "InternalKigenError",
			err:        kigen.Errorf(kigen.EINTERNAL, "secret detail"),
			wantStatus: http.StatusInternalServerError,
			wantBody:   `{"error":{"code":"internal","message":"internal error"}}`,
			wantLogged: true,
		},
		{
			name:       "AfterWrite",
			err:        errors.New("write response: broken pipe"),
			write:      true,
			wantStatus: http.StatusOK,
			wantBody:   "fine",
			wantLogged: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := &handler{logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			fn := h.handle(func(w http.ResponseWriter, r *http.Request) error {
				if tt.err == nil || tt.write {
					_, _ = io.WriteString(w, "fine")
				}
				return tt.err
			})
			rec := httptest.NewRecorder()
			fn.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))

			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if n := strings.Count(logs.String(), `"msg":"request failed"`); n != map[bool]int{false: 0, true: 1}[tt.wantLogged] {
				t.Errorf("logged %d times, want logged = %v:\n%s", n, tt.wantLogged, logs.String())
			}
		})
	}
}

func TestServerErrorLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	l := serverErrorLog(slog.New(slog.NewJSONHandler(&logs, nil)))
	l.Printf("http: TLS handshake error from 203.0.113.7:51234: EOF")
	l.Printf("http: panic serving [2001:db8::1]:443: boom")
	got := logs.String()
	for _, bad := range []string{"203.0.113.7", "2001:db8"} {
		if strings.Contains(got, bad) {
			t.Errorf("the server log holds the client address %s:\n%s", bad, got)
		}
	}
	if strings.Count(got, "[addr]") != 2 {
		t.Errorf("addresses not replaced:\n%s", got)
	}
}
