package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"kigen/internal/browsertest"
	"kigen/internal/storetesting"
)

// browser drives a headless chromium at a desk's width on the console.
type browser struct {
	t   *testing.T
	ctx context.Context
	e   *env
	out string
}

func newBrowser(t *testing.T, e *env) *browser {
	t.Helper()
	ctx := browsertest.Phone(t, 3*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, e: e, out: browsertest.ArtifactsDir(t)}
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// check saves a screenshot of the page as name, and fails the test for
// every accessibility violation axe-core finds on it and unless it shows
// want.
func (b *browser) check(name string, want ...string) {
	b.t.Helper()
	b.do(chromedp.WaitReady(chromedp.CSS("body")))
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatal(err)
	}
	shot := browsertest.Screenshot(b.ctx, b.t, b.out, name)
	for _, w := range want {
		if !strings.Contains(text, w) {
			b.t.Errorf("%s: the page lacks %q (%s)\n%s", name, w, shot, text)
		}
	}
	start := time.Now()
	browsertest.CheckAxe(b.ctx, b.t, name)
	b.t.Logf("%s: axe-core took %v", name, time.Since(start).Round(time.Millisecond))
}

// tabTo presses Tab until the focused element matches the CSS selector
// (at most 40 times), failing the test if it never does.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for range 40 {
		b.do(chromedp.KeyEvent(kb.Tab))
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`!!(document.activeElement && document.activeElement.matches(`+jsString(sel)+`))`))
		if err != nil {
			b.t.Fatal(err)
		}
		if ok {
			return
		}
	}
	b.t.Fatalf("Tab never reaches %s", sel)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestConsole_Chromium signs in, looks a resident up, records an
// application, visits every page, and imports a file with a bad row, fixes
// it and imports it — the import by keyboard alone. axe-core runs on every
// page (WCAG 2.x A and AA, JIS X 8341-3 AA) and any violation fails.
func TestConsole_Chromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
	e.acc.users["new@a.example"] = &fakeUser{actor: e.acc.users["staff@a.example"].actor}
	e.acc.setups["tok-browser"] = "new@a.example"
	b := newBrowser(t, e)
	u := e.srv.URL

	// The setup page of a new account, and a setup link that is gone.
	b.do(chromedp.Navigate(u + "/console/setup/tok-browser"))
	b.check("console.setup", "new@a.example", "JBSW Y3DP EHPK 3PXP")
	b.do(chromedp.Navigate(u + "/console/setup/gone"))
	b.check("console.setup.gone", "設定リンクが無効です")

	// Asked for a page, the console asks to sign in first; a wrong code
	// is refused with the summary.
	b.do(chromedp.Navigate(u+"/console/residents/R-1"),
		chromedp.WaitVisible(chromedp.ID("email")))
	b.check("console.login", "ログイン")
	b.do(chromedp.SendKeys(chromedp.ID("email"), "admin@a.example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), "000000"), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.login.refused", "メールアドレス、パスワードまたは確認コードが正しくありません")
	b.do(chromedp.SendKeys(chromedp.ID("password"), password), chromedp.SendKeys(chromedp.ID("totp"), code),
		chromedp.Click(chromedp.CSS("main button[type=submit]")), chromedp.WaitVisible(chromedp.ID("cards")))
	b.check("console.resident", "住民 R-1", "Nguyen Van An", "67日")

	// The look-up from the home page.
	b.do(chromedp.Navigate(u+"/console/"), chromedp.WaitVisible(chromedp.ID("ref")))
	b.check("console.home", "住民を探す")
	b.do(chromedp.SendKeys(chromedp.ID("ref"), "NOPE"), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.home.unknown", "この整理番号の住民は見つかりませんでした")
	b.do(chromedp.SetValue(chromedp.ID("ref"), "R-1"), chromedp.Focus(chromedp.ID("ref")), chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("cards")))

	// Record the application, first with a wrong date.
	b.do(chromedp.SendKeys(chromedp.ID("applied-year"), "R8"), chromedp.SendKeys(chromedp.ID("applied-month"), "2"),
		chromedp.SendKeys(chromedp.ID("applied-day"), "30"), chromedp.Click(chromedp.CSS(`form[action$="/applied"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.resident.applied_error", "日付として正しくありません")
	b.do(chromedp.SetValue(chromedp.ID("applied-month"), "11"), chromedp.SetValue(chromedp.ID("applied-day"), "20"),
		chromedp.Click(chromedp.CSS(`form[action$="/applied"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.check("console.resident.applied", "更新申請（2026年11月20日）を記録しました")

	// The other pages.
	for _, p := range []struct{ name, path, want string }{
		{"console.erase", "/console/residents/R-2/erase", "Maria Silva さん（整理番号 R-2）を削除します。"},
		{"console.followup", "/console/followup", "R-2"},
		{"console.followup.stale", "/console/followup?section=stale", "該当する住民はいません。"},
		{"console.audit", "/console/audit", "resident.applied"},
		{"console.notfound", "/console/nope", "見つかりません"},
	} {
		b.do(chromedp.Navigate(u + p.path))
		b.check(p.name, p.want)
	}

	// English.
	b.do(chromedp.Navigate(u+"/console/residents/R-1"), chromedp.Click(chromedp.CSS("form.lang button")), chromedp.WaitVisible(chromedp.CSS(`html[lang=en]`)))
	b.check("console.resident.en", "Resident R-1", "Residence card", "Renewal applied on")
	b.do(chromedp.Click(chromedp.CSS("form.lang button")), chromedp.WaitVisible(chromedp.CSS(`html[lang=ja]`)))

	// The import, by keyboard: the file is chosen (a file dialog is the
	// system's, not the page's), then Tab and Enter do the rest.
	dir := t.TempDir()
	bad := filepath.Join(dir, "residents.csv")
	if err := os.WriteFile(bad, []byte("resident_ref,name,language,email,residence_card_expires_on,consent\n"+
		"R-3,Ana Lima,pt,ana@example.jp,2027-02-30,yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(u+"/console/import"), chromedp.WaitVisible(chromedp.ID("file")))
	b.check("console.import", "住民リストの取込")
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{bad}))
	b.do(chromedp.Focus(chromedp.CSS("a.skip")))
	b.tabTo("main form button[type=submit]")
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("problems")))
	b.check("console.import.refused", "問題が1件あります", "residence_card_expires_on", "2027-02-30")

	if err := os.WriteFile(bad, []byte("resident_ref,name,language,email,residence_card_expires_on,consent\n"+
		"R-3,Ana Lima,pt,ana@example.jp,2027-02-28,yes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.SetUploadFiles(chromedp.ID("file"), []string{bad}))
	b.do(chromedp.Focus(chromedp.CSS("a.skip")))
	b.tabTo("main form button[type=submit]")
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".counts")))
	b.check("console.import.check", "まだ取り込んでいません", "新規1")
	b.tabTo("main form button[type=submit]")
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.check("console.import.done", "residents.csv を取り込みました：新規 1 件")

	// The imported resident is there.
	b.do(chromedp.Navigate(u+"/console/residents/R-3"), chromedp.WaitVisible(chromedp.ID("cards")))
	b.check("console.resident.imported", "Ana Lima", "2027年2月28日")

	// At a phone's width nothing scrolls sideways but the tables, each in
	// its own scrolling region.
	b.do(chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{
		{"console.phone.home", "/console/"}, {"console.phone.resident", "/console/residents/R-1"}, {"console.phone.import", "/console/import"},
	} {
		b.do(chromedp.Navigate(u + p.path))
		b.check(p.name)
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s scrolls sideways at a phone's width (%v)", p.name, err)
		}
	}
}
