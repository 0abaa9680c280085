package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
	"kigen/web"
	"kigen/web/console"
)

// now is the desk's clock in every test: 2026-11-25, 09:00 in Tokyo.
var now = time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo)

// residentsA is the list of municipality A: R-1 has an email and a
// residence card expiring in 67 days, R-2 gave no consent.
const residentsA = "resident_ref,name,language,email,residence_status,residence_card_expires_on,mynumber_card_expires_on,consent\n" +
	"R-1,Nguyen Van An,vi,an@example.jp,定住者,2027-01-31,2030-05-01,yes\n" +
	"R-2,Maria Silva,pt,maria@example.jp,定住者,2027-03-31,,no\n"

const residentsB = "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
	"B-1,Lee Min,ko,lee@example.jp,定住者,2027-06-30,yes\n"

// password is every test account's password.
const password = "otaru canal under snow 2026"

// fastHash keeps the tests quick: the hash format is the same.
var fastHash = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// clock is the desk's clock, which the tests move: a TOTP code is used
// once, so each login takes the next 30-second step.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// fakeQueue is a job queue that gave up on nothing.
type fakeQueue struct{}

func (fakeQueue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (fakeQueue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (fakeQueue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }

// env is the console on a store with municipalities A (012033, residents
// ) and B (131016, B-1), served over real HTTP, with accounts
// staff@a.example (staff of A, account:1), admin@a.example (account:2),
// staff@b.example (account:3) and ops@example (an operator, account:4),
// real accounts set up through desk.
type env struct {
	srv     *httptest.Server
	desk    *desk.Desk
	s       store.Store
	clk     *clock
	adminA  auth.Actor // the local admin of A (kigen on the command line)
	secrets map[string]string
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	ctx := t.Context()
	clk := &clock{t: now}
	d := &desk.Desk{Store: s, Queue: fakeQueue{}, Now: clk.Now, PasswordParams: &fastHash}
	op := desk.LocalOperator("test")
	name := func(s string) *string { return &s }
	for _, m := range []desk.MunicipalityParams{{Code: "012033", Name: name("小樽市")}, {Code: "131016", Name: name("千代田区")}} {
		if _, err := d.CreateMunicipality(ctx, op, m); err != nil {
			t.Fatal(err)
		}
	}
	adminA, _, err := d.LocalAdmin(ctx, "seed", "012033")
	if err != nil {
		t.Fatal(err)
	}
	adminB, _, err := d.LocalAdmin(ctx, "seed", "131016")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(ctx, adminA, desk.ImportParams{CSV: strings.NewReader(residentsA)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(ctx, adminB, desk.ImportParams{CSV: strings.NewReader(residentsB)}); err != nil {
		t.Fatal(err)
	}
	e := &env{desk: d, s: s, clk: clk, adminA: adminA, secrets: map[string]string{}}
	for _, u := range []struct {
		by    auth.Actor
		email string
		role  auth.Role
	}{{adminA, "staff@a.example", auth.Staff}, {adminA, "admin@a.example", auth.Admin}, {adminB, "staff@b.example", auth.Staff},
		{op, "ops@example", auth.Operator}} {
		link := e.invite(t, u.by, u.email, u.role)
		setup, err := d.SetupInfo(ctx, link)
		if err != nil {
			t.Fatal(err)
		}
		e.secrets[u.email] = setup.TOTPSecret
		if _, err := d.CompleteSetup(ctx, link, password, e.code(t, u.email)); err != nil {
			t.Fatalf("set up %s: %v", u.email, err)
		}
	}
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	c := console.New(console.Deps{Desk: d, Accounts: console.DeskAccounts(d), PublicURL: e.srv.URL})
	e.srv.Config.Handler = web.NewHandler(web.Deps{Surfaces: []web.Surface{c}})
	return e
}

// invite creates the account of email (by a) and returns its setup
// link's token.
func (e *env) invite(t *testing.T, a auth.Actor, email string, role auth.Role) string {
	t.Helper()
	p := desk.StaffParams{Email: email, Role: role}
	if role != auth.Operator {
		p.Municipality = a.MunicipalityCode
	}
	link, err := e.desk.InviteStaff(t.Context(), a, p)
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return link.Token
}

// code moves the clock to the next TOTP step and returns the code of
// email's authenticator then.
func (e *env) code(t *testing.T, email string) string {
	t.Helper()
	return e.codeOf(t, e.secrets[email])
}

func (e *env) codeOf(t *testing.T, secret string) string {
	t.Helper()
	e.clk.Add(auth.TOTPPeriod)
	c, err := auth.TOTPCode(secret, auth.TOTPStep(e.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// client is a browser: it keeps cookies and does not follow redirects, so
// that tests see them.
func (e *env) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the response with its body read.
func (e *env) do(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func (e *env) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, c, req)
}

func (e *env) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(t, c, req)
}

// login signs c in as email and fails the test unless it worked.
func (e *env) login(t *testing.T, c *http.Client, email string) {
	t.Helper()
	resp, body := e.post(t, c, "/console/login", url.Values{"email": {email}, "password": {password}, "totp": {e.code(t, email)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d\n%s", email, resp.StatusCode, body)
	}
}

// signedIn returns a client signed in as email.
func (e *env) signedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	c := e.client(t)
	e.login(t, c, email)
	return c
}

// follow answers a redirect: the page it leads to.
func (e *env) follow(t *testing.T, c *http.Client, resp *http.Response) (*http.Response, string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		t.Fatalf("%s %s: %d, want a redirect", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	}
	return e.get(t, c, resp.Header.Get("Location"))
}
