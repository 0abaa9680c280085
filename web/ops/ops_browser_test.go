package ops_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kigen/internal/browsertest"
	"kigen/internal/storetesting"
)

// TestOps_Chromium signs an operator in through the console's login,
// asked for /ops/, and checks with axe-core (WCAG 2.x A and AA, JIS X
// 8341-3 AA) the operators' page, the follow-up form, a municipality's
// unknown sends with their actions, and the 404: any violation fails.
func TestOps_Chromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
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
	check("ops.followup.unknown", "R-1", "届いていない")
	do(chromedp.Navigate(u + "/ops/nope"))
	check("ops.notfound", "運用のページへ戻る")
}
