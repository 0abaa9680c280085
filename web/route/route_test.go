package route_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"kigen/web/route"
)

func TestMux_RoutesAndGuard(t *testing.T) {
	m := route.NewMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	m.Group(nil).Handle("GET /healthz", route.Public, ok)
	guard := func(rule route.Rule, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Role") != string(rule) {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	m.Group(guard).Handle("GET /console/{ref}", route.Staff, ok)

	want := []route.Route{{"GET /healthz", route.Public}, {"GET /console/{ref}", route.Staff}}
	got := m.Routes()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Routes() = %v, want %v", got, want)
	}
	if got[1].Method() != "GET" || got[1].Path() != "/console/{ref}" {
		t.Errorf("Method, Path = %q, %q", got[1].Method(), got[1].Path())
	}
	for _, c := range []struct {
		path, role string
		want       int
	}{
		{"/healthz", "", 200},
		{"/console/x", "", 403},
		{"/console/x", "staff", 200},
	} {
		r := httptest.NewRequest("GET", c.path, nil)
		r.Header.Set("X-Role", c.role)
		w := httptest.NewRecorder()
		m.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("GET %s as %q = %d, want %d", c.path, c.role, w.Code, c.want)
		}
	}
}

func TestMux_RefusesRoutesWithoutRule(t *testing.T) {
	ok := http.NotFoundHandler()
	for name, register := range map[string]func(m *route.Mux){
		"no rule":       func(m *route.Mux) { m.Group(nil).Handle("GET /a", "", ok) },
		"unknown rule":  func(m *route.Mux) { m.Group(nil).Handle("GET /a", "everyone", ok) },
		"staff unguard": func(m *route.Mux) { m.Group(nil).Handle("GET /a", route.Staff, ok) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Handle did not panic")
				}
			}()
			register(route.NewMux())
		})
	}
}
