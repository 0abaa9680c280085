package ops_test

import (
	"context"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"kigen/internal/browsertest"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// cspWatch records, in every document the browser opens, the violations
// of the page's Content-Security-Policy (window.__csp), before the page's
// own scripts run.
const cspWatch = `window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`

// TestRiver_Chromium signs an operator in through the console's login,
// asked for /ops/river/, and sees River UI render its list of the waiting
// jobs, on both stores; a cancel posted from the page passes the
// cross-origin check with the headers the browser sets; and the page
// breaks nothing of River UI's CSP (its scripts, styles and API calls are
// all allowed, nothing else is needed). axe-core is not run: River UI is
// a third party's page.
func TestRiver_Chromium(t *testing.T) {
	t.Parallel()
	// One store after the other: two browsers at once on a small machine
	// only slow each other down.
	for _, st := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", func(t testing.TB) store.Store { return storetesting.SQLite(t) }},
		{"postgres", func(t testing.TB) store.Store { return postgrestest.NewStore(t) }}} {
		t.Run(st.name, func(t *testing.T) { riverChromium(t, st.open(t)) })
	}
}

// riverChromium is TestRiver_Chromium on s.
func riverChromium(t *testing.T, s store.Store) {
	e := newRiverEnv(t, s, 3)
	ctx := browsertest.Phone(t, 90*time.Second)
	out := browsertest.ArtifactsDir(t)
	name := "river." + path.Base(t.Name()) // river.sqlite, river.postgres
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(step, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("browser: %v, at %s (%s)\n%s", err, loc, browsertest.Screenshot(ctx, t, out, name+".failed"), text)
		}
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatch}); err != nil {
		t.Fatal(err)
	}
	u := e.srv.URL
	do(chromedp.Navigate(u+"/ops/river/jobs?state=available"), chromedp.WaitVisible(chromedp.ID("email")))
	do(chromedp.SendKeys(chromedp.ID("email"), "ops@example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "ops@example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitReady(chromedp.ID("root"))) // the login returns to River UI
	// River UI's own page: its job list, from its API.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.innerText.includes("kigen_test_ping")`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("River UI shows no job (%v, %s)\n%s", err, browsertest.Screenshot(ctx, t, out, name+".failed"), text)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatal(err)
	}
	shot := browsertest.Screenshot(ctx, t, out, name)
	if n := strings.Count(text, "kigen_test_ping"); n < 3 {
		t.Errorf("River UI lists %d jobs of kind kigen_test_ping, want 3 (%s)\n%s", n, shot, text)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, u+"/ops/river/") {
		t.Errorf("River UI is at %q (%v), want under /ops/river/", loc, err)
	}
	// A state-changing call as River UI's page makes it: the browser sets
	// Origin and Sec-Fetch-Site, and the cross-origin check lets it through.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/ops/river/api/jobs/cancel", {method: "POST",
		headers: {"Content-Type": "application/json"}, body: JSON.stringify({ids: ["1"]})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 200 {
		t.Errorf("River UI's cancel from the page = %d (%v), want 200", status, err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch("/ops/river/api/jobs/1").then(r => r.json()).then(j => j.state)`, chromedp.EvalAwaitPromise))
	if err != nil || state != "cancelled" {
		t.Errorf("job 1 after the cancel from the page: %q (%v), want cancelled", state, err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp`))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		if v == "script-src eval" {
			continue // zod's probe for eval (Function("")), which falls back without it
		}
		t.Errorf("River UI breaks its CSP: %s", v)
	}
}
