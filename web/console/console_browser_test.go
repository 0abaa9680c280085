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

	"kigen/auth"
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
	link := e.invite(t, e.adminA, "new@a.example", auth.Staff)
	setup, err := e.desk.SetupInfo(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	u := e.srv.URL

	// The setup page of a new account, and a setup link that is gone.
	b.do(chromedp.Navigate(u + "/console/setup/" + link))
	b.check("console.setup", "new@a.example", setup.TOTPSecret[:4]+" ")
	b.do(chromedp.Navigate(u + "/console/setup/gone"))
	b.check("console.setup.gone", "設定リンクが無効です")

	// Asked for a page, the console asks to sign in first; a wrong code
	// is refused with the summary.
	b.do(chromedp.Navigate(u+"/console/residents/R-1"),
		chromedp.WaitVisible(chromedp.ID("email")))
	b.check("console.login", "ログイン")
	b.do(chromedp.SendKeys(chromedp.ID("email"), "admin@a.example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), wrongCode(e.code(t, "admin@a.example"))), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.login.refused", "メールアドレス、パスワードまたは確認コードが正しくありません")
	b.do(chromedp.SendKeys(chromedp.ID("password"), password), chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "admin@a.example")),
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
		{"console.edit", "/console/residents/R-1/edit", "住民 R-1 の変更"},
		{"console.followup", "/console/followup", "R-2"},
		{"console.followup.stale", "/console/followup?section=stale", "該当する住民はいません。"},
		{"console.audit", "/console/audit", "resident.applied"},
		{"console.notfound", "/console/nope", "見つかりません"},
	} {
		b.do(chromedp.Navigate(u + p.path))
		b.check(p.name, p.want)
	}

	// The staff accounts (settings): the list, a bad address, a new
	// account's setup link shown once, a disabled account.
	b.do(chromedp.Navigate(u+"/console/settings/staff"), chromedp.WaitVisible(chromedp.ID("staff-email")))
	b.check("console.settings.staff", "staff@a.example", "招待中")
	b.do(chromedp.SendKeys(chromedp.ID("staff-email"), "nobody"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/staff"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.settings.staff.error", "入力内容に1件のエラーがあります")
	b.do(chromedp.SetValue(chromedp.ID("staff-email"), "clerk@a.example"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/staff"] button`)),
		chromedp.WaitVisible(chromedp.ID("setup-link")))
	b.check("console.settings.staff.invited", "clerk@a.example の設定リンク", "/console/setup/")
	b.do(chromedp.Navigate(u+"/console/settings/staff"), chromedp.Click(chromedp.CSS(`form[action$="/disable"]:has(input[value="clerk@a.example"]) button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.check("console.settings.staff.disabled", "を無効にしました。")

	// The API tokens (settings): none, a bad name, a new one shown once,
	// the list, a revoked one.
	b.do(chromedp.Navigate(u+"/console/settings/tokens"), chromedp.WaitVisible(chromedp.ID("token-name")))
	b.check("console.settings.tokens.empty", "APIトークンはありません。")
	b.do(chromedp.SendKeys(chromedp.ID("token-name"), "bad name!"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.settings.tokens.error", "入力内容に1件のエラーがあります")
	b.do(chromedp.SetValue(chromedp.ID("token-name"), "resident-system"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/tokens"] button`)),
		chromedp.WaitVisible(chromedp.ID("new-token")))
	b.check("console.settings.tokens.created", "APIトークン resident-system を作成しました", "今回だけ表示されます")
	b.do(chromedp.Navigate(u + "/console/settings/tokens"))
	b.check("console.settings.tokens.list", "resident-system", "有効")
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/revoke"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.check("console.settings.tokens.revoked", "APIトークン resident-system を失効させました。", "失効（")

	// The municipality (settings): the form as stored, a bad date next
	// to its field, saved.
	b.do(chromedp.Navigate(u+"/console/settings/municipality"), chromedp.WaitVisible(chromedp.ID("muni-closed-days")))
	b.check("console.settings.muni", "自治体", "臨時閉庁日")
	b.do(chromedp.SendKeys(chromedp.ID("muni-closed-days"), "soon"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/municipality"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.settings.muni.error", "入力内容に1件のエラーがあります", "1番目の日付を読み取れません")
	b.do(chromedp.SetValue(chromedp.ID("muni-closed-days"), "2027-01-08"), chromedp.Click(chromedp.CSS(`form[action="/console/settings/municipality"] button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.check("console.settings.muni.saved", "自治体の設定を保存しました。")

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

	// Today, and the search behind a count.
	b.do(chromedp.Navigate(u+"/console/"), chromedp.WaitVisible(chromedp.CSS("ul.today")))
	b.check("console.today", "小樽市の今日", "連絡がつかない住民")
	b.do(chromedp.Click(chromedp.CSS(`a[href="/console/residents?unreachable=1"]`)), chromedp.WaitVisible(chromedp.ID("results")))
	b.check("console.residents", "R-2", "絞り込み条件")

	// Register at the counter, by keyboard alone: a date left half done
	// first, then the preview, then saving.
	b.do(chromedp.Navigate(u+"/console/register"), chromedp.WaitVisible(chromedp.ID("ref")))
	b.check("console.register", "窓口で住民を登録")
	b.do(chromedp.Focus(chromedp.CSS("a.skip")))
	b.tabTo("#ref")
	b.do(chromedp.KeyEvent("R-8"))
	b.tabTo("#name")
	b.do(chromedp.KeyEvent("Le Van Binh"))
	b.tabTo("#language")
	for range 11 { // 選んでください → ベトナム語
		b.do(chromedp.KeyEvent(kb.ArrowDown))
	}
	b.tabTo("#email")
	b.do(chromedp.KeyEvent("binh@example.jp"))
	b.tabTo("#consent")
	b.do(chromedp.KeyEvent(" "))
	b.tabTo("#residence_card-year")
	b.do(chromedp.KeyEvent("R9"))
	b.tabTo("#residence_card-month")
	b.do(chromedp.KeyEvent("1"))
	b.tabTo(`button[value=preview]`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	b.check("console.register.error", "年・月・日をすべて入力してください")
	// Each link of the summary leads to an input of the form.
	if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll(".error-summary a")].every(a => document.getElementById(a.hash.slice(1)) instanceof HTMLInputElement)`)); err != nil || !ok {
		t.Errorf("a link of the error summary leads nowhere (%v)", err)
	}
	b.tabTo("#residence_card-day")
	b.do(chromedp.KeyEvent("31"))
	b.tabTo(`button[value=preview]`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("preview")))
	b.check("console.register.preview", "送信予定", "送信手段：メール", "2027年1月29日")
	b.tabTo(`button[value=save]`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("cards")))
	b.check("console.register.saved", "住民 R-8 を登録しました。", "Le Van Binh", "ベトナム語", "2027年1月31日")

	// At a phone's width nothing scrolls sideways but the tables, each in
	// its own scrolling region.
	b.do(chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulateMobile))
	for _, p := range []struct{ name, path string }{
		{"console.phone.today", "/console/"}, {"console.phone.resident", "/console/residents/R-1"},
		{"console.phone.register", "/console/register"}, {"console.phone.import", "/console/import"},
	} {
		b.do(chromedp.Navigate(u + p.path))
		b.check(p.name)
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s scrolls sideways at a phone's width (%v)", p.name, err)
		}
	}
}
