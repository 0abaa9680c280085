package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"kigen/web/route"
)

// remoteSurface answers GET /who with the request's RemoteAddr host.
type remoteSurface struct{}

func (remoteSurface) Register(m *route.Mux) {
	m.Group(nil).Handle("GET /who", route.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, hostOf(r.RemoteAddr))
	}))
}

// TestClientAddr checks that a request through a trusted proxy is counted
// for the client X-Forwarded-For names (the right-most untrusted hop), and
// that anyone else's X-Forwarded-For is ignored.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	h := NewHandler(Deps{Surfaces: []Surface{remoteSurface{}}, TrustedProxies: trusted})
	for _, tt := range []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct, no header", "203.0.113.9:5000", nil, "203.0.113.9"},
		{"direct, forged header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"through the proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"forged left hop ignored", "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"two proxies", "10.1.2.3:5000", []string{"198.51.100.1", "192.0.2.7"}, "198.51.100.1"},
		{"IPv4 in IPv6", "10.1.2.3:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"garbled header keeps the proxy", "10.1.2.3:5000", []string{"198.51.100.1, nonsense"}, "10.1.2.3"},
		{"only proxies", "10.1.2.3:5000", []string{"10.9.9.9"}, "10.1.2.3"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/who", nil)
		req.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if got := rec.Body.String(); got != tt.want {
			t.Errorf("%s: client %q, want %q", tt.name, got, tt.want)
		}
	}
	// Without trusted proxies, X-Forwarded-For is never read.
	h = NewHandler(Deps{Surfaces: []Surface{remoteSurface{}}})
	req := httptest.NewRequest(http.MethodGet, "/who", nil)
	req.RemoteAddr = "10.1.2.3:5000"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Body.String(); got != "10.1.2.3" {
		t.Errorf("no trusted proxies: client %q, want the connection's 10.1.2.3", got)
	}
}
