package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kigen/auth"
	"kigen/internal/browsertest"
	"kigen/internal/storetesting"
	"kigen/store"
)

// TestOps_Chromium signs an operator in through the console's login,
// asked for /ops/, and checks with axe-core (WCAG 2.x A and AA, JIS X
// 8341-3 AA) the operators' page, the follow-up form, a municipality's
// unknown sends with their actions, the list once the operator settled
// the send by clicking its button, the same in English after a click on
// the language switch, and the 404: any violation fails.
func TestOps_Chromium(t *testing.T) {
	t.Parallel()
	s := storetesting.SQLite(t)
	e := newEnv(t, s)
	ctx := browsertest.Phone(t, 90*time.Second)
	out := browsertest.ArtifactsDir(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	check := func(name string, want ...string) {
		t.Helper()
		do(chromedp.WaitReady(chromedp.CSS("body")))
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		shot := browsertest.Screenshot(ctx, t, out, name)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the page lacks %q (%s)\n%s", name, w, shot, text)
			}
		}
		browsertest.CheckAxe(ctx, t, name)
	}
	u := e.srv.URL
	do(chromedp.Navigate(u+"/ops/"), chromedp.WaitVisible(chromedp.ID("email")))
	do(chromedp.SendKeys(chromedp.ID("email"), "ops@example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "ops@example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("tick")))
	check("ops.home", "運用の今日", "最後の日次処理", "1.5s", "KIGEN_DATABASE_URL")
	do(chromedp.Navigate(u + "/ops/followup"))
	check("ops.followup.form", "自治体コード")
	do(chromedp.Navigate(u + "/ops/followup?municipality=012033&section=unknown"))
	check("ops.followup.unknown", "R-1", "送信結果が不明")
	// Settle the unknown send as sent, from the page: the form posts
	// (through the cross-origin check, as a browser sends it) and the
	// answer returns to the list, with no flash message: wait for the
	// list's new state, which only the next page has.
	do(chromedp.Click(chromedp.CSS(`form[action="/ops/deliveries/1/resolve"]:has(input[name="sent"][value="yes"]) button`)),
		chromedp.WaitVisible(chromedp.CSS("main > p")))
	check("ops.followup.settled", "該当する住民はいません。")
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/ops/followup?municipality=012033&section=unknown") {
		t.Errorf("after settling, the page is %q (%v), want the list it was settled from", loc, err)
	}
	settled := false
	es, err := s.ListAuditEntries(t.Context(), store.AuditFilter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		settled = settled || (en.Action == string(auth.DeliverySettle) && en.ActorRole == string(auth.Operator))
	}
	if !settled {
		t.Errorf("no delivery.settle audit entry by the operator after the click: %+v", es)
	}
	// The language switch in the header, on an /ops/ page: its cookie
	// must reach /ops/ (it once had the path /console/, and the page
	// stayed Japanese).
	do(chromedp.Click(chromedp.CSS("form.lang button")), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] main > p`)))
	check("ops.followup.settled.en", "Nobody is on this list.", "Unknown sends and sends given up")
	do(chromedp.Navigate(u + "/ops/nope"))
	check("ops.notfound", "Back to the operations page")
}
