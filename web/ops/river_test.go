package ops_test

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"kigen/auth"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/web"
	"kigen/web/console"
	"kigen/web/ops"
	"kigen/web/route"
)

// pingArgs is a job River UI lists (no worker works it: the test's River
// client only inserts).
type pingArgs struct {
	N int `json:"n"`
}

func (pingArgs) Kind() string { return "kigen_test_ping" }

// newRiverEnv is newEnv with River UI mounted at /ops/river/ beside the
// console and the operators' page, River's tables migrated into s and
// jobs of kind "kigen_test_ping" waiting (IDs 1 to jobs).
func newRiverEnv(t *testing.T, s store.Store, jobs int) *env {
	t.Helper()
	e := newEnv(t, s)
	rc, err := s.(store.RiverOpener).NewRiverClient(&river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if _, err := rc.Insert(t.Context(), pingArgs{N: i + 1}); err != nil {
			t.Fatal(err)
		}
	}
	ui, err := s.(store.RiverUIOpener).NewRiverUI(ops.RiverPrefix, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := console.New(console.Deps{Desk: e.desk, Accounts: console.DeskAccounts(e.desk), PublicURL: e.srv.URL})
	o := ops.New(ops.Deps{Desk: e.desk, Guard: c.Guard, Config: theConfig})
	rv := ops.NewRiver(ops.RiverDeps{UI: ui, Guard: c.Guard, Desk: e.desk})
	if err := rv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = web.NewHandler(web.Deps{Surfaces: []web.Surface{c, o, rv}})
	return e
}

// wildcard is a path wildcard of a route pattern ({id}, {rest...}).
var wildcard = regexp.MustCompile(`\{[a-z_]+(\.\.\.)?\}`)

// do sends a request with the headers given (name, value, …).
func do(t *testing.T, c *http.Client, method, u, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
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

// TestRiver_Operator: an operator gets River UI's page (with its own CSP)
// and its JSON API, lists the waiting jobs and cancels one, audited; a
// cancel the browser says comes from another site is refused (403) and
// changes nothing, in River or in the audit log. Both stores.
func TestRiver_Operator(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newRiverEnv(t, s, 2)
		c := e.signedIn(t, "ops@example")
		u := e.srv.URL
		resp, body := do(t, c, http.MethodGet, u+"/ops/river/", "", "Accept", "text/html")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<div id="root"`) || !strings.Contains(body, `"/ops/river/api"`) {
			t.Fatalf("GET /ops/river/ = %d\n%s", resp.StatusCode, body)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none';", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) { // scripts: its own files only, no inline script, no eval
				t.Errorf("River UI's CSP %q lacks %q", csp, want)
			}
		}
		if resp, _ := do(t, c, http.MethodGet, u+"/ops/river", ""); resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/ops/river/" {
			t.Errorf("GET /ops/river = %d %q, want a redirect to /ops/river/", resp.StatusCode, resp.Header.Get("Location"))
		}

		resp, body = do(t, c, http.MethodGet, u+"/ops/river/api/jobs?state=available&limit=20", "")
		var list struct {
			Data []struct {
				ID    int64  `json:"id"`
				Kind  string `json:"kind"`
				State string `json:"state"`
			} `json:"data"`
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil || len(list.Data) != 2 || list.Data[0].Kind != "kigen_test_ping" {
			t.Fatalf("GET /ops/river/api/jobs = %d\n%s", resp.StatusCode, body)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("River UI's API: Cache-Control %q, want no-store", cc)
		}
		id := strconv.FormatInt(list.Data[0].ID, 10)
		cancel := `{"ids":["` + id + `"]}`
		resp, body = do(t, c, http.MethodPost, u+"/ops/river/api/jobs/cancel", cancel,
			"Content-Type", "application/json", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site cancel = %d, want 403\n%s", resp.StatusCode, body)
		}
		if st := jobState(t, c, u, id); st != "available" {
			t.Errorf("after the refused cancel, job %s is %q, want available", id, st)
		}
		resp, body = do(t, c, http.MethodPost, u+"/ops/river/api/jobs/cancel", cancel,
			"Content-Type", "application/json", "Sec-Fetch-Site", "same-origin", "Origin", u)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("a same-origin cancel = %d\n%s", resp.StatusCode, body)
		}
		if st := jobState(t, c, u, id); st != "cancelled" {
			t.Errorf("after the cancel, job %s is %q, want cancelled", id, st)
		}
		// The cancel is audited (queue.manage), the refused one was not.
		es, err := s.ListAuditEntries(t.Context(), store.AuditFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var calls []string
		for _, en := range es {
			if en.Action == string(auth.QueueManage) {
				calls = append(calls, en.ActorRole+" "+en.Detail)
			}
		}
		if want := "operator River UI: POST jobs/cancel (job " + id + ")"; len(calls) != 1 || calls[0] != want {
			t.Errorf("queue.manage audit entries %q, want one: %q", calls, want)
		}
	})
}

// jobState is a job's state as River UI's API gives it.
func jobState(t *testing.T, c *http.Client, u, id string) string {
	t.Helper()
	resp, body := do(t, c, http.MethodGet, u+"/ops/river/api/jobs/"+id, "")
	var job struct {
		State string `json:"state"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &job) != nil {
		t.Fatalf("GET /ops/river/api/jobs/%s = %d\n%s", id, resp.StatusCode, body)
	}
	return job.State
}

// TestRiver_OthersRefused: staff and admins get 403 on every path under
// /ops/river/, the API's state-changing calls included, and nothing of
// River UI, and on every other route registered under /ops/; someone
// signed out is sent to the login from a page under /ops/river/ and gets
// 401 (JSON) from its API.
func TestRiver_OthersRefused(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newRiverEnv(t, s, 1)
		u := e.srv.URL
		type ask struct{ method, path, body string }
		asks := []ask{
			{"GET", "/ops/river", ""}, {"GET", "/ops/river/", ""}, {"GET", "/ops/river/jobs", ""},
			{"GET", "/ops/river/assets/main.js", ""}, {"HEAD", "/ops/river/", ""},
			{"GET", "/ops/river/api/jobs?state=available", ""}, {"GET", "/ops/river/api/jobs/1", ""},
			{"GET", "/ops/river/api/queues", ""}, {"GET", "/ops/river/api/states", ""},
			{"POST", "/ops/river/api/jobs/cancel", `{"ids":["1"]}`}, {"POST", "/ops/river/api/jobs/delete", `{"ids":["1"]}`},
			{"POST", "/ops/river/api/jobs/retry", `{"ids":["1"]}`}, {"PUT", "/ops/river/api/queues/default/pause", "{}"},
			{"PATCH", "/ops/river/api/queues/default", "{}"}, {"DELETE", "/ops/river/api/jobs/1", ""},
		}
		// And every route registered under /ops/, whoever added it.
		for _, rt := range e.srv.Config.Handler.(interface{ Routes() []route.Route }).Routes() {
			p := strings.TrimSuffix(wildcard.ReplaceAllString(rt.Path(), "1"), "{$}")
			if strings.HasPrefix(p, "/ops/") {
				asks = append(asks, ask{cmp.Or(rt.Method(), http.MethodGet), p, ""})
			}
		}
		for _, who := range []string{"staff@a.example", "admin@a.example"} {
			c := e.signedIn(t, who)
			for _, a := range asks {
				resp, body := do(t, c, a.method, u+a.path, a.body, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
				if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "kigen_test_ping") || strings.Contains(body, `id="root"`) {
					t.Errorf("%s %s as %s = %d, want 403 without River UI\n%s", a.method, a.path, who, resp.StatusCode, body)
				}
			}
		}
		anon := e.signedIn(t, "")
		for _, a := range asks {
			if !strings.HasPrefix(a.path, "/ops/river") {
				continue
			}
			resp, body := do(t, anon, a.method, u+a.path, a.body, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
			api := strings.HasPrefix(a.path, "/ops/river/api/")
			switch {
			case api && (resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
				!strings.Contains(body, `"message"`) || resp.Header.Get("Location") != ""):
				t.Errorf("%s %s signed out = %d %q, want 401 JSON\n%s", a.method, a.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			case !api && (resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/login?next=")):
				t.Errorf("%s %s signed out = %d %q, want the login", a.method, a.path, resp.StatusCode, resp.Header.Get("Location"))
			}
			if strings.Contains(body, "kigen_test_ping") {
				t.Errorf("%s %s signed out shows River's jobs", a.method, a.path)
			}
		}
		// The job is untouched by all of it.
		if st := jobState(t, e.signedIn(t, "ops@example"), u, "1"); st != "available" {
			t.Errorf("job 1 is %q after the refused calls, want available", st)
		}
	})
}
