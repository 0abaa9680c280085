package console_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// password and code are every fake account's password and TOTP code.
const password, code = "correct horse battery", "123456"

// fakeAccounts are accounts in memory, standing in for desk's until they
// land: a user per email, sessions by token, setup tokens.
type fakeAccounts struct {
	mu       sync.Mutex
	users    map[string]*fakeUser
	sessions map[string]auth.Actor
	setups   map[string]string // setup token → email
	logins   []string          // client keys of the logins tried
}

type fakeUser struct {
	actor       auth.Actor
	password    string
	lockedUntil time.Time
}

// lockedError is the fake's locked account.
type lockedError struct{ until time.Time }

func (e *lockedError) Error() string          { return "account locked" }
func (e *lockedError) LockedUntil() time.Time { return e.until }
func (e *lockedError) Unwrap() error          { return kigen.Errorf(kigen.EUNAUTHORIZED, "account locked") }

func newFakeAccounts() *fakeAccounts {
	return &fakeAccounts{users: map[string]*fakeUser{}, sessions: map[string]auth.Actor{}, setups: map[string]string{}}
}

func token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (f *fakeAccounts) Login(ctx context.Context, email, pw, totp, clientKey string) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins = append(f.logins, clientKey)
	u := f.users[email]
	switch {
	case u == nil || u.password == "":
		return "", time.Time{}, kigen.Errorf(kigen.EUNAUTHORIZED, "wrong email, password or code")
	case !u.lockedUntil.IsZero():
		return "", time.Time{}, &lockedError{u.lockedUntil}
	case pw != u.password || totp != code:
		return "", time.Time{}, kigen.Errorf(kigen.EUNAUTHORIZED, "wrong email, password or code")
	}
	t := token()
	f.sessions[t] = u.actor
	return t, time.Now().Add(12 * time.Hour), nil
}

func (f *fakeAccounts) Session(ctx context.Context, t string) (auth.Actor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.sessions[t]
	if !ok {
		return auth.Actor{}, kigen.Errorf(kigen.EUNAUTHORIZED, "no session")
	}
	return a, nil
}

func (f *fakeAccounts) Logout(ctx context.Context, t string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, t)
	return nil
}

func (f *fakeAccounts) SetupInfo(ctx context.Context, t string) (string, string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	email, ok := f.setups[t]
	if !ok {
		return "", "", "", kigen.Errorf(kigen.ENOTFOUND, "no such setup link")
	}
	return email, "otpauth://totp/Kigen:" + url.PathEscape(email) + "?secret=JBSWY3DPEHPK3PXP&issuer=Kigen", "JBSWY3DPEHPK3PXP", nil
}

func (f *fakeAccounts) CompleteSetup(ctx context.Context, t, pw, totp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	email, ok := f.setups[t]
	if !ok {
		return kigen.Errorf(kigen.ENOTFOUND, "no such setup link")
	}
	if len(pw) < 12 {
		return kigen.FieldErrorf("password", "the password has %d characters: at least 12", len(pw))
	}
	if totp != code {
		return kigen.FieldErrorf("totp", "the code is not the one the authenticator shows now")
	}
	f.users[email].password = pw
	delete(f.setups, t)
	return nil
}

var _ console.Accounts = (*fakeAccounts)(nil)

// fakeQueue is a job queue that gave up on nothing.
type fakeQueue struct{}

func (fakeQueue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (fakeQueue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (fakeQueue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }

// env is the console on a store with municipalities A (012033, residents
// ) and B (131016, B-1), served over real HTTP, with accounts
// staff@a (staff of A), admin@a, staff@b and ops (an operator).
type env struct {
	srv  *httptest.Server
	desk *desk.Desk
	acc  *fakeAccounts
	s    store.Store
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	ctx := t.Context()
	d := &desk.Desk{Store: s, Queue: fakeQueue{}, Now: func() time.Time { return now }}
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
	acc := newFakeAccounts()
	acc.users["staff@a.example"] = &fakeUser{password: password, actor: auth.Actor{ID: "staff:1", Role: auth.Staff, MunicipalityID: adminA.MunicipalityID, MunicipalityCode: "012033"}}
	acc.users["admin@a.example"] = &fakeUser{password: password, actor: auth.Actor{ID: "staff:2", Role: auth.Admin, MunicipalityID: adminA.MunicipalityID, MunicipalityCode: "012033"}}
	acc.users["staff@b.example"] = &fakeUser{password: password, actor: auth.Actor{ID: "staff:3", Role: auth.Staff, MunicipalityID: adminB.MunicipalityID, MunicipalityCode: "131016"}}
	acc.users["ops@example"] = &fakeUser{password: password, actor: auth.Actor{ID: "staff:4", Role: auth.Operator}}

	e := &env{desk: d, acc: acc, s: s}
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	c := console.New(console.Deps{Desk: d, Accounts: acc, PublicURL: e.srv.URL})
	e.srv.Config.Handler = web.NewHandler(web.Deps{Surfaces: []web.Surface{c}})
	return e
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
	resp, body := e.post(t, c, "/console/login", url.Values{"email": {email}, "password": {password}, "totp": {code}})
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
