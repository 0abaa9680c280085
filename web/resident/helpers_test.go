package resident_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/scheduler"
	"kigen/store"
	"kigen/templates"
	"kigen/web/resident"
	"kigen/web/route"
)

// selfQueue records the sign-ups the desk queues a send for (the send job
// is the scheduler's; here the test derives what it would send).
type selfQueue struct {
	mu  sync.Mutex
	ids []int64
}

func (q *selfQueue) EnqueueSelfSend(_ context.Context, _ store.Tx, id int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

// env is the resident pages over a real desk and store, served over
// HTTP.
type env struct {
	s   store.Store
	d   *desk.Desk
	q   *selfQueue
	srv *httptest.Server
	c   *http.Client
	now time.Time
}

var testNow = time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo)

// each runs f on both stores with municipality 012033 (Otaru) set up.
func each(t *testing.T, f func(t *testing.T, e *env)) {
	t.Helper()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		f(t, newEnv(t, s))
	})
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	e := &env{s: s, q: &selfQueue{}, now: testNow}
	e.d = &desk.Desk{Store: s, Now: func() time.Time { return e.now }, Self: &desk.SelfConfig{Queue: e.q, Limits: desk.SignupLimits{PerClient: 1000}}}
	if _, err := e.d.CreateMunicipality(t.Context(), desk.LocalOperator("test"), desk.MunicipalityParams{Code: "012033"}); err != nil {
		t.Fatal(err)
	}
	rd, err := templates.New(templates.DefaultHotlines())
	if err != nil {
		t.Fatal(err)
	}
	m := route.NewMux()
	resident.New(resident.Deps{Service: e.d, Renderer: rd, Now: func() time.Time { return e.now }}).Register(m)
	e.srv = httptest.NewServer(m)
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.c = e.srv.Client()
	e.c.Jar = jar
	return e
}

// get and post answer the status, the final URL's path and query, and
// the body (redirects followed).
func (e *env) get(t *testing.T, path string) (int, string, string) {
	t.Helper()
	resp, err := e.c.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return answer(t, resp)
}

func (e *env) post(t *testing.T, path string, form url.Values) (int, string, string) {
	t.Helper()
	resp, err := e.c.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return answer(t, resp)
}

func answer(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	checkHeaders(t, resp)
	return resp.StatusCode, resp.Request.URL.RequestURI(), string(b)
}

// checkHeaders: every page is noindex, no-referrer, no-store, and runs no
// script.
func checkHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	h := resp.Header
	if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		return
	}
	for k, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
		"X-Robots-Tag": "noindex, nofollow", "Content-Security-Policy": resident.CSP} {
		if got := h.Get(k); got != want {
			t.Errorf("%s %s: %s = %q, want %q", resp.Request.Method, resp.Request.URL.Path, k, got, want)
		}
	}
	if strings.Contains(resident.CSP, "script-src") || !strings.Contains(resident.CSP, "default-src 'none'") {
		t.Errorf("CSP %q allows scripts", resident.CSP)
	}
}

// signupForm is a complete sign-up of a fixed-period resident with a
// residence card and a My Number card expiring on 31 January 2027.
func signupForm(lang kigen.Language, channel kigen.Channel, address string) url.Values {
	return url.Values{"lang": {string(lang)}, "step": {"consent"}, "go": {"next"}, "cards": {"two"},
		"residence_card-year": {"2027"}, "residence_card-month": {"1"}, "residence_card-day": {"31"},
		"mynumber_card-year": {"2027"}, "mynumber_card-month": {"1"}, "mynumber_card-day": {"31"},
		"status": {"fixed_period"}, "channel": {string(channel)}, "address": {address}, "consent": {"yes"}}
}

// last returns the sign-up last queued.
func (e *env) last(t *testing.T) *store.Signup {
	t.Helper()
	e.q.mu.Lock()
	ids := append([]int64{}, e.q.ids...)
	e.q.mu.Unlock()
	if len(ids) == 0 {
		t.Fatal("nothing queued")
	}
	s, err := e.s.GetSignup(t.Context(), ids[len(ids)-1])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// code and token are what the send job derives for s.
func (e *env) code(t *testing.T, s *store.Signup) string {
	t.Helper()
	key, err := e.s.LinkSecret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return scheduler.SelfCode(key, s.Nonce)
}

func (e *env) token(t *testing.T, s *store.Signup, purpose string) string {
	t.Helper()
	key, err := e.s.LinkSecret(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return scheduler.SelfToken(key, purpose, s.Nonce)
}

var hiddenHandle = regexp.MustCompile(`name="handle" value="([^"]+)"`)

// signUpBySMS signs up by SMS in lang and confirms with the code; it
// returns the resident's page path (/me/{token}) and its body.
func (e *env) signUpBySMS(t *testing.T, lang kigen.Language, phone string) (string, string) {
	t.Helper()
	status, _, body := e.post(t, "/r/012033/signup", signupForm(lang, kigen.SMS, phone))
	if status != http.StatusOK {
		t.Fatalf("sign-up: %d\n%s", status, body)
	}
	m := hiddenHandle.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("the code page has no handle:\n%s", body)
	}
	status, path, body := e.post(t, "/r/012033/code", url.Values{"lang": {string(lang)}, "handle": {m[1]}, "code": {e.code(t, e.last(t))}})
	if status != http.StatusOK || !strings.HasPrefix(path, "/me/") {
		t.Fatalf("confirm: %d %s\n%s", status, path, body)
	}
	p, _, _ := strings.Cut(path, "?")
	return p, body
}

// myNumber returns a valid individual number (its check digit right).
func myNumber(first11 string) string {
	d, _ := kigen.MyNumberCheckDigit(first11)
	return first11 + string(rune('0'+d))
}

// eraseAll erases every resident of 012033 (so that the next sign-up with
// the same address is not a duplicate).
func (e *env) eraseAll(t *testing.T) {
	t.Helper()
	admin, _, err := e.d.LocalAdmin(t.Context(), "test", "012033")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.d.ListResidents(t.Context(), admin, desk.ListResidentsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range list.Residents {
		if _, err := e.d.EraseResident(t.Context(), admin, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: r.Ref}}); err != nil {
			t.Fatal(err)
		}
	}
}
