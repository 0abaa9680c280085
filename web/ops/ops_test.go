package ops_test

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
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/storetest"
	"kigen/web"
	"kigen/web/console"
	"kigen/web/ops"
)

// now is the desk's clock: 2026-11-25, 09:00 in Tokyo.
var now = time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo)

const password = "otaru canal under snow 2026"

var fastHash = auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// queue is a job queue that gave up on nothing.
type queue struct{}

func (queue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (queue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (queue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }

// env is the console and the operators' page over real HTTP, with the
// accounts ops@example (an operator), staff@a.example and admin@a.example
// (of 012033), set up through desk; the last tick planned 3 notices in one
// message, whose send is unknown.
type env struct {
	srv     *httptest.Server
	desk    *desk.Desk
	clk     *clock
	secrets map[string]string
}

// theConfig stands for config.Config.Print's redacted text.
const theConfig = "KIGEN_DATABASE_URL=postgres://kigen:xxxxx@db/kigen\n"

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	ctx := t.Context()
	clk := &clock{t: now}
	d := &desk.Desk{Store: s, Queue: queue{}, Now: clk.Now, PasswordParams: &fastHash}
	op := desk.LocalOperator("test")
	if _, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "012033"}); err != nil {
		t.Fatal(err)
	}
	adminA, mu, err := d.LocalAdmin(ctx, "seed", "012033")
	if err != nil {
		t.Fatal(err)
	}
	csv := "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
		"R-1,Nguyen Van An,vi,an@example.jp,定住者,2027-01-31,yes\n"
	if _, err := d.Import(ctx, adminA, desk.ImportParams{CSV: strings.NewReader(csv)}); err != nil {
		t.Fatal(err)
	}
	start := now.Add(-3 * time.Hour)
	tk := &store.Tick{Date: kigen.DateOf(now), StartedAt: start}
	if err := s.CreateTick(ctx, tk); err != nil {
		t.Fatal(err)
	}
	tk.FinishedAt, tk.Notices, tk.Messages = start.Add(1500*time.Millisecond), 3, 1
	if err := s.FinishTick(ctx, tk); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetResidentByRef(ctx, mu.ID, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	msg := storetest.MustCreateMessage(t, ctx, s, mu.ID, r.ID, kigen.Email, kigen.DateOf(now))
	dl := storetest.MustCreateDelivery(t, ctx, s, msg.ID, "outbox")
	dl.State = kigen.DeliveryUnknown
	if err := s.UpdateDelivery(ctx, dl); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMessageState(ctx, msg.ID, kigen.MessageUnknown); err != nil {
		t.Fatal(err)
	}
	e := &env{desk: d, clk: clk, secrets: map[string]string{}}
	for _, u := range []struct {
		by    auth.Actor
		email string
		role  auth.Role
	}{{adminA, "staff@a.example", auth.Staff}, {adminA, "admin@a.example", auth.Admin}, {op, "ops@example", auth.Operator}} {
		p := desk.StaffParams{Email: u.email, Role: u.role}
		if u.role != auth.Operator {
			p.Municipality = "012033"
		}
		link, err := d.InviteStaff(ctx, u.by, p)
		if err != nil {
			t.Fatal(err)
		}
		setup, err := d.SetupInfo(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		e.secrets[u.email] = setup.TOTPSecret
		if _, err := d.CompleteSetup(ctx, link.Token, password, e.code(t, u.email)); err != nil {
			t.Fatalf("set up %s: %v", u.email, err)
		}
	}
	e.srv = httptest.NewServer(nil)
	t.Cleanup(e.srv.Close)
	c := console.New(console.Deps{Desk: d, Accounts: console.DeskAccounts(d), PublicURL: e.srv.URL})
	o := ops.New(ops.Deps{Desk: d, Guard: c.Guard, Config: theConfig})
	e.srv.Config.Handler = web.NewHandler(web.Deps{Surfaces: []web.Surface{c, o}})
	return e
}

func (e *env) code(t *testing.T, email string) string {
	t.Helper()
	e.clk.Add(auth.TOTPPeriod)
	c, err := auth.TOTPCode(e.secrets[email], auth.TOTPStep(e.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signedIn returns a client (keeping cookies, not following redirects)
// signed in as email; "" for one signed out.
func (e *env) signedIn(t *testing.T, email string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if email == "" {
		return c
	}
	resp, err := c.PostForm(e.srv.URL+"/console/login", url.Values{"email": {email}, "password": {password}, "totp": {e.code(t, email)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", email, resp.StatusCode)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
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

// TestOps_Operator: an operator sees the last tick, today's messages by
// channel and state and the configuration, and no resident.
func TestOps_Operator(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "ops@example")
		c.Jar.SetCookies(mustURL(t, e.srv.URL), []*http.Cookie{{Name: "kigen_console_lang", Value: "en", Path: "/"}})
		resp, body := get(t, c, e.srv.URL+"/ops/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /ops/ = %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{"Operations today", "2026-11-25 06:00:00 JST", "2026-11-25 06:00:01 JST", "1.5s",
			"Notices recorded</dt><dd>3<", "Messages planned</dt><dd>1<",
			"<th scope=\"row\">Email</th><td>unknown</td><td>unknown</td><td>1</td>", "Total</th><td>1<",
			"KIGEN_DATABASE_URL=postgres://kigen:xxxxx@db/kigen"} {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %q\n%s", want, body)
			}
		}
		for _, no := range []string{"R-1", "Nguyen", "an@example.jp"} {
			if strings.Contains(body, no) {
				t.Errorf("the page shows %q", no)
			}
		}
		if resp, _ := get(t, c, e.srv.URL+"/ops/nothing"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /ops/nothing as an operator = %d, want 404", resp.StatusCode)
		}
	})
}

// TestOps_OthersRefused: staff and admins get 403 on every /ops/ path;
// someone signed out is sent to the login.
func TestOps_OthersRefused(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		for _, who := range []string{"staff@a.example", "admin@a.example"} {
			c := e.signedIn(t, who)
			for _, p := range []string{"/ops/", "/ops/nothing", "/ops/river/", "/ops/followup?municipality=012033"} {
				resp, body := get(t, c, e.srv.URL+p)
				if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Last tick") || strings.Contains(body, "最後の日次処理") {
					t.Errorf("GET %s as %s = %d, want 403 without the page", p, who, resp.StatusCode)
				}
			}
		}
		resp, _ := get(t, e.signedIn(t, ""), e.srv.URL+"/ops/")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=%2Fops%2F") {
			t.Errorf("GET /ops/ signed out = %d %q, want the login", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOps_SettleUnknown: an operator lists a municipality's unknown sends
// (by reference only) and settles one from the page, audited by desk; the
// list is then empty.
func TestOps_SettleUnknown(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "ops@example")
		list := "/ops/followup?municipality=012033&section=unknown"
		resp, body := get(t, c, e.srv.URL+list)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "R-1") || !strings.Contains(body, `action="/ops/deliveries/1/resolve"`) {
			t.Fatalf("GET %s = %d\n%s", list, resp.StatusCode, body)
		}
		if strings.Contains(body, "Nguyen") || strings.Contains(body, "an@example.jp") {
			t.Errorf("the list shows personal data\n%s", body)
		}
		resp, err := c.PostForm(e.srv.URL+"/ops/deliveries/1/resolve", url.Values{"sent": {"no"}, "back": {list}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != list {
			t.Fatalf("resolve = %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, body := get(t, c, e.srv.URL+list); strings.Contains(body, "/ops/deliveries/1/") {
			t.Errorf("the settled send is still listed\n%s", body)
		}
		es, err := s.ListAuditEntries(t.Context(), store.AuditFilter{Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, en := range es {
			found = found || (en.Action == string(auth.DeliverySettle) && en.ActorRole == string(auth.Operator))
		}
		if !found {
			t.Errorf("no delivery.settle audit entry by the operator: %+v", es)
		}
		if resp, _ := get(t, c, e.srv.URL+"/ops/followup"); resp.StatusCode != http.StatusOK {
			t.Errorf("GET /ops/followup without a municipality = %d, want the form", resp.StatusCode)
		}
	})
}
