package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"kigen/auth"
	"kigen/desk"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/web"
	"kigen/web/route"
)

type noQueue struct{}

func (noQueue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (noQueue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (noQueue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }

// caller is one identity the access test asks every route as.
type caller struct {
	name    string
	session string // the console's session cookie
	bearer  string // an API token
	// admitted says whether a route of each rule lets this caller in.
	admitted map[route.Rule]bool
	// otherMunicipality: the caller belongs to B, and the route's {ref}
	// is A's resident, so an admitted route must answer 404.
	otherMunicipality bool
}

// TestRoutes_EveryRoleOnEveryRoute asks every route that kigen serve
// registers (console, API, resident pages, health, the operators' pages
// and River UI under /ops/river/), a path below each subtree route too,
// as every kind of caller: anonymous, staff and admin of A, staff of B, an operator, A's
// read and write API tokens, B's write token and a revoked token. A route
// whose rule this test does not know fails it, so a surface added later
// must say who may use each of its routes.
func TestRoutes_EveryRoleOnEveryRoute(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		clk := func() time.Time { return now }
		d := &desk.Desk{Store: s, Queue: noQueue{}, Now: clk,
			PasswordParams: &auth.PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
		op := desk.LocalOperator("test")
		for _, code := range []string{"012033", "131016"} {
			if _, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: code}); err != nil {
				t.Fatal(err)
			}
		}
		for code, csv := range map[string]string{
			"012033": "resident_ref,name,language,email,residence_card_expires_on,consent\nA-1,Nguyen Van An,vi,an@example.jp,2027-01-31,yes\n",
			"131016": "resident_ref,name,language,email,residence_card_expires_on,consent\nB-1,Maria Silva,pt,maria@example.jp,2027-03-31,yes\n",
		} {
			admin, _, err := d.LocalAdmin(ctx, "seed", code)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Import(ctx, admin, desk.ImportParams{CSV: strings.NewReader(csv)}); err != nil {
				t.Fatal(err)
			}
		}
		session := func(email string, role auth.Role, code string) string {
			t.Helper()
			link, err := d.InviteStaff(ctx, op, desk.StaffParams{Email: email, Role: role, Municipality: code})
			if err != nil {
				t.Fatal(err)
			}
			setup, err := d.SetupInfo(ctx, link.Token)
			if err != nil {
				t.Fatal(err)
			}
			totp, err := auth.TOTPCode(setup.TOTPSecret, auth.TOTPStep(now))
			if err != nil {
				t.Fatal(err)
			}
			sess, err := d.CompleteSetup(ctx, link.Token, "correct horse battery staple 42", totp)
			if err != nil {
				t.Fatal(err)
			}
			return sess.Token
		}
		token := func(code, scope string, revoke bool) string {
			t.Helper()
			tok, err := d.CreateToken(ctx, op, desk.TokenParams{Municipality: code, Name: scope + code, Scope: scope})
			if err != nil {
				t.Fatal(err)
			}
			if revoke {
				if _, err := d.RevokeToken(ctx, op, tok.Token.ID); err != nil {
					t.Fatal(err)
				}
			}
			return tok.Secret
		}
		staff := map[route.Rule]bool{route.Staff: true}
		callers := []caller{
			{name: "anonymous"},
			{name: "operator", session: session("ops@example.jp", auth.Operator, ""), admitted: map[route.Rule]bool{route.Operator: true}},
			{name: "staff of B", session: session("staff@b.example.jp", auth.Staff, "131016"), admitted: staff, otherMunicipality: true},
			{name: "revoked token", bearer: token("012033", "write", true)},
			{name: "read token of A", bearer: token("012033", "read", false), admitted: map[route.Rule]bool{route.TokenRead: true}},
			{name: "write token of B", bearer: token("131016", "write", false),
				admitted: map[route.Rule]bool{route.TokenRead: true, route.TokenWrite: true}, otherMunicipality: true},
			{name: "staff of A", session: session("staff@a.example.jp", auth.Staff, "012033"), admitted: staff},
			{name: "write token of A", bearer: token("012033", "write", false),
				admitted: map[route.Rule]bool{route.TokenRead: true, route.TokenWrite: true}},
			{name: "admin of A", session: session("admin@a.example.jp", auth.Admin, "012033"),
				admitted: map[route.Rule]bool{route.Staff: true, route.Admin: true}},
		}

		srv := httptest.NewServer(nil)
		t.Cleanup(srv.Close)
		cfg := config.Config{PublicURL: srv.URL}
		h := web.NewHandler(web.Deps{Surfaces: engine.Surfaces(cfg, s, noQueue{}, clk, nil)})
		srv.Config.Handler = h
		routes := h.(interface{ Routes() []route.Route }).Routes()
		client := srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

		wildcard := regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)
		seen := map[route.Rule]int{}
		for _, rt := range routes {
			seen[rt.Rule]++
			switch rt.Rule {
			case route.Public, route.Link:
				continue // anyone; a Link route's token is its own test's
			case route.Staff, route.Admin, route.Operator, route.TokenRead, route.TokenWrite:
			default:
				t.Errorf("%s: rule %q is not one this test knows: say who may use it here", rt.Pattern, rt.Rule)
				continue
			}
			path := wildcard.ReplaceAllStringFunc(rt.Path(), func(w string) string {
				if strings.HasPrefix(w, "{ref") {
					return "A-1"
				}
				return "1"
			})
			path = strings.TrimSuffix(path, "{$}")
			method := rt.Method()
			if method == "" {
				method = http.MethodGet
			}
			ask := func(c caller, path string) (int, string) {
				req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if c.session != "" {
					req.AddCookie(&http.Cookie{Name: "kigen_session", Value: c.session})
				}
				if c.bearer != "" {
					req.Header.Set("Authorization", "Bearer "+c.bearer)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode, resp.Header.Get("Location")
			}
			paths := []string{path}
			if strings.HasSuffix(rt.Path(), "/") { // a subtree: a path below it too
				paths = append(paths, path+"below/it")
			}
			for _, c := range callers {
				for _, path := range paths[1:] {
					status, loc := ask(c, path)
					refused := status == http.StatusUnauthorized || status == http.StatusForbidden ||
						(status/100 == 3 && strings.HasPrefix(loc, "/console/login"))
					if c.admitted[rt.Rule] == refused {
						t.Errorf("%s %s as %s (rule %s, subtree %s) = %d %s, want admitted %v", method, path, c.name, rt.Rule, rt.Pattern, status, loc, c.admitted[rt.Rule])
					}
				}
				status, loc := ask(c, path)
				refused := status == http.StatusUnauthorized || status == http.StatusForbidden ||
					(status/100 == 3 && strings.HasPrefix(loc, "/console/login"))
				switch {
				case c.admitted[rt.Rule] && refused:
					t.Errorf("%s %s as %s (rule %s) = %d %s, want admitted", method, path, c.name, rt.Rule, status, loc)
				case !c.admitted[rt.Rule] && !refused:
					t.Errorf("%s %s as %s (rule %s) = %d, want refused (401, 403 or the login)", method, path, c.name, rt.Rule, status)
				case c.admitted[rt.Rule] && c.otherMunicipality && strings.Contains(rt.Path(), "{ref"):
					// A's resident, asked by B, is answered exactly as one
					// that exists nowhere.
					missing := strings.ReplaceAll(path, "A-1", "Z-404")
					s2, loc2 := ask(c, missing)
					if s2 != status || strings.ReplaceAll(loc2, "Z-404", "A-1") != loc {
						t.Errorf("%s %s as %s = %d %q; a resident that does not exist = %d %q: want the same answer",
							method, path, c.name, status, loc, s2, loc2)
					}
					if method == http.MethodGet && status != http.StatusNotFound {
						t.Errorf("%s %s as %s = %d, want 404", method, path, c.name, status)
					}
				}
			}
		}
		// The resident pages (web/resident): the sign-up's routes are
		// public, every route whose path carries a token is a link route,
		// and a link route asked with a token that opens nothing answers
		// "not found" to every caller, signed in or not: a session or an
		// API token is no way in.
		registered := map[string]route.Rule{}
		for _, rt := range routes {
			registered[rt.Pattern] = rt.Rule
		}
		for pattern, want := range map[string]route.Rule{
			"GET /{$}": route.Public, "GET /r/{code}/{$}": route.Public, "POST /r/{code}/signup": route.Public,
			"POST /r/{code}/code": route.Public, "POST /r/{code}/link": route.Public,
			"GET /r/{code}/confirm/{token}": route.Link, "POST /r/{code}/confirm/{token}": route.Link,
			"GET /me/{token}": route.Link, "POST /me/{token}/erase": route.Link, "POST /me/{token}/applied": route.Link,
			"GET /me/{token}/data.json": route.Link, "GET /m/{token}/applied": route.Link, "POST /m/{token}/card": route.Link,
		} {
			if got, ok := registered[pattern]; !ok || got != want {
				t.Errorf("%s: rule %q (registered %v), want %q", pattern, got, ok, want)
			}
		}
		for _, rt := range routes {
			if rt.Rule != route.Link || !strings.Contains(rt.Path(), "{token}") {
				continue
			}
			if rt.Pattern == "GET /r/{code}/confirm/{token}" {
				// The email's link shows a button and checks nothing: the
				// confirmation (its POST) does; a GET reveals nothing.
				continue
			}
			path := strings.NewReplacer("{token}", "AAAAAAAAAAAAAAAAAAAAAA", "{code}", "012033").Replace(rt.Path())
			for _, c := range callers {
				req, err := http.NewRequestWithContext(ctx, rt.Method(), srv.URL+path, strings.NewReader(""))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if c.session != "" {
					req.AddCookie(&http.Cookie{Name: "kigen_session", Value: c.session})
				}
				if c.bearer != "" {
					req.Header.Set("Authorization", "Bearer "+c.bearer)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusGone {
					t.Errorf("%s %s as %s (an unknown token) = %d, want 404 or 410", rt.Method(), path, c.name, resp.StatusCode)
				}
			}
		}
		// River UI is mounted for operators, its page and every method of
		// its API (the enumeration above asks them all).
		for _, p := range []string{"GET /ops/river", "GET /ops/river/", "GET /ops/river/api/", "POST /ops/river/api/",
			"PUT /ops/river/api/", "PATCH /ops/river/api/", "DELETE /ops/river/api/"} {
			if registered[p] != route.Operator {
				t.Errorf("%s: rule %q, want %q (River UI for operators)", p, registered[p], route.Operator)
			}
		}
		// A calendar feed's token is its only credential: no session or
		// API token opens a feed whose token is unknown.
		feeds := 0
		for _, rt := range routes {
			if rt.Rule != route.Link || !strings.HasPrefix(rt.Path(), "/cal/") {
				continue
			}
			feeds++
			for _, c := range callers {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/cal/"+strings.Repeat("A", 43)+".ics", nil)
				if err != nil {
					t.Fatal(err)
				}
				if c.session != "" {
					req.AddCookie(&http.Cookie{Name: "kigen_session", Value: c.session})
				}
				if c.bearer != "" {
					req.Header.Set("Authorization", "Bearer "+c.bearer)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET an unknown calendar feed as %s = %d, want 404", c.name, resp.StatusCode)
				}
			}
		}
		if feeds != 1 {
			t.Errorf("%d calendar feed routes, want 1: the feed is not mounted", feeds)
		}
		for _, r := range []route.Rule{route.Staff, route.Admin, route.Operator, route.TokenRead, route.TokenWrite} {
			if seen[r] == 0 {
				t.Errorf("no route has rule %s: the surfaces are not all mounted", r)
			}
		}
	})
}
