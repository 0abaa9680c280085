package console_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/web/console"
	"kigen/web/route"
	"kigen/web/ui"
)

func sqliteEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, storetesting.SQLite(t))
}

func checkContains(t *testing.T, body string, wants ...string) {
	t.Helper()
	failed := false
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
			failed = true
		}
	}
	if failed {
		t.Logf("page:\n%s", body)
	}
}

// TestConsole_Routes: every console route has a rule, every route but the
// public ones needs a session, and the public ones are only the login,
// the setup, the logout, the language switch and the style sheets.
func TestConsole_Routes(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	m := route.NewMux()
	console.New(console.Deps{Desk: e.desk, Accounts: console.DeskAccounts(e.desk)}).Register(m)
	public := map[string]bool{
		"GET " + ui.StylePath: true, "GET /console/static/flyer.css": true, "GET /console/login": true, "POST /console/login": true, "POST /console/logout": true,
		"POST /console/lang": true, "GET /console/setup/{token}": true, "POST /console/setup/{token}": true, "GET /console/": true,
	}
	c := e.client(t)
	for _, r := range m.Routes() {
		if public[r.Pattern] != (r.Rule == route.Public) {
			t.Errorf("%s has rule %s", r.Pattern, r.Rule)
		}
		if r.Rule == route.Public {
			continue
		}
		path := strings.NewReplacer("{ref}", "R-1", "{$}", "").Replace(r.Path())
		var resp *http.Response
		if r.Method() == "POST" {
			resp, _ = e.post(t, c, path, url.Values{})
		} else {
			resp, _ = e.get(t, c, path)
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login?next=") {
			t.Errorf("%s anonymous: %d %q, want a redirect to the login", r.Pattern, resp.StatusCode, loc)
		}
	}
}

// TestConsole_Guard asks pages as each role: staff and admins of A see A's
// pages, an operator is refused the console (403), staff are refused the
// audit log (403), and a resident of B is not found for A (404), the same
// answer as for one that does not exist.
func TestConsole_Guard(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staffA, adminA, staffB, ops := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example"), e.signedIn(t, "staff@b.example"), e.signedIn(t, "ops@example")
	tests := []struct {
		name   string
		c      *http.Client
		path   string
		status int
	}{
		{"staff A home", staffA, "/console/", 200},
		{"staff A residents", staffA, "/console/residents?q=B-1", 200},
		{"operator residents", ops, "/console/residents", 403},
		{"operator register", ops, "/console/register", 403},
		{"staff A resident", staffA, "/console/residents/R-1", 200},
		{"staff A resident of B", staffA, "/console/residents/B-1", 404},
		{"staff A unknown resident", staffA, "/console/residents/NOPE", 404},
		{"staff B resident of A", staffB, "/console/residents/R-1", 404},
		{"staff B own resident", staffB, "/console/residents/B-1", 200},
		{"staff A audit", staffA, "/console/audit", 403},
		{"admin A audit", adminA, "/console/audit", 200},
		{"admin A follow-up", adminA, "/console/followup", 200},
		{"operator home", ops, "/console/", 403},
		{"operator resident", ops, "/console/residents/R-1", 403},
		{"operator import", ops, "/console/import", 403},
	}
	for _, tt := range tests {
		resp, body := e.get(t, tt.c, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: GET %s = %d, want %d", tt.name, tt.path, resp.StatusCode, tt.status)
		}
		if tt.status == 404 && (strings.Contains(body, "Lee Min") || strings.Contains(body, "Nguyen")) {
			t.Errorf("%s: the 404 page names a resident", tt.name)
		}
	}
	// The same 404 page for another municipality's resident and for none.
	_, other := e.get(t, staffA, "/console/residents/B-1")
	_, none := e.get(t, staffA, "/console/residents/B-2")
	if strings.ReplaceAll(other, "B-1", "B-2") != none {
		t.Errorf("B's resident and no resident answer differently")
	}
	// A POST from another municipality changes nothing.
	resp, _ := e.post(t, staffB, "/console/residents/R-1/applied", url.Values{})
	if resp.StatusCode != 404 {
		t.Errorf("staff B records applied for A's resident: %d", resp.StatusCode)
	}
}

// TestConsole_Login: the redirect to the login and back, the refusals,
// the locked account's message with its time, the cookie's flags, the
// logout.
func TestConsole_Login(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.client(t)
	resp, _ := e.get(t, c, "/console/residents/R-1?x=1")
	if got := resp.Header.Get("Location"); got != "/console/login?next="+url.QueryEscape("/console/residents/R-1?x=1") {
		t.Fatalf("redirect to %q", got)
	}
	_, body := e.get(t, c, resp.Header.Get("Location"))
	checkContains(t, body, `<html lang="ja">`, `name="next" value="/console/residents/R-1?x=1"`, `autocomplete="one-time-code"`, "確認コード（6桁）")

	// Missing fields: each named, linked from the summary.
	resp, body = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("missing fields: %d", resp.StatusCode)
	}
	checkContains(t, body, `<a href="#password">パスワードを入力してください</a>`, `<a href="#totp">確認コードを入力してください</a>`, `value="staff@a.example"`)

	// A wrong code: refused, the email kept, the password not.
	resp, body = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {wrongCode(e.code(t, "staff@a.example"))}})
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, password) {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	checkContains(t, body, "メールアドレス、パスワードまたは確認コードが正しくありません")

	// Five failures lock the account: it says so, and until when.
	for range 4 {
		e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {"wrong password!"}, "totp": {e.code(t, "staff@a.example")}})
	}
	resp, body = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {e.code(t, "staff@a.example")}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("locked: %d", resp.StatusCode)
	}
	checkContains(t, body, "一時的にログインできません（このアカウントは2026-11-25 09:", "までロックされています（ログインの失敗5回）", `value="staff@a.example"`)
	e.clk.Add(16 * time.Minute) // it unlocks by itself

	// Signed in: back to the page asked for, with a session cookie.
	resp, _ = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {e.code(t, "staff@a.example")},
		"next": {"/console/residents/R-1?x=1"}})
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/console/residents/R-1?x=1" {
		t.Fatalf("login: %d to %q", resp.StatusCode, got)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "kigen_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure || session.Path != "/" {
		t.Errorf("session cookie %+v (the public URL is http on loopback: not Secure)", session)
	}
	resp, body = e.get(t, c, "/console/residents/R-1?x=1")
	if resp.StatusCode != 200 {
		t.Fatalf("after login: %d", resp.StatusCode)
	}
	checkContains(t, body, "account:1 でログイン中")

	// The next page is never off the console.
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/other", "/console/login"} {
		resp, _ = e.post(t, e.client(t), "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {e.code(t, "staff@a.example")}, "next": {next}})
		if got := resp.Header.Get("Location"); got != "/console/" {
			t.Errorf("next %q: to %q", next, got)
		}
	}

	// Logout ends the session on the server.
	srvURL, _ := url.Parse(e.srv.URL)
	var token string
	for _, ck := range c.Jar.Cookies(srvURL) {
		if ck.Name == "kigen_session" {
			token = ck.Value
		}
	}
	if _, err := e.desk.Session(t.Context(), token); err != nil {
		t.Fatalf("the session before logout: %v", err)
	}
	resp, _ = e.post(t, c, "/console/logout", nil)
	if _, err := e.desk.Session(t.Context(), token); resp.StatusCode != http.StatusSeeOther || err == nil {
		t.Errorf("logout: %d, the session still works (%v)", resp.StatusCode, err)
	}
	_, body = e.follow(t, c, resp)
	checkContains(t, body, "ログアウトしました。")
	resp, _ = e.get(t, c, "/console/")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout: %d", resp.StatusCode)
	}
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"": true, "https://kigen.example.jp": true, "http://kigen.example.jp": true, "http://127.0.0.1:8080": false,
		"http://localhost:8080": false, "http://[::1]:8080": false, "https://127.0.0.1": true,
	} {
		if got := console.SecureCookies(u); got != want {
			t.Errorf("SecureCookies(%q) = %v", u, got)
		}
	}
}

// TestConsole_CrossOrigin: a POST a browser sends from another site is
// refused before it does anything.
func TestConsole_CrossOrigin(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/residents/R-1/erase", strings.NewReader("confirm=R-1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, body := e.do(t, c, req)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", resp.StatusCode)
	}
	checkContains(t, body, "別のサイトからの送信は受け付けません")
	if resp, _ := e.get(t, c, "/console/residents/R-1"); resp.StatusCode != 200 {
		t.Errorf("the resident was erased by a cross-site POST")
	}
	req, _ = http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/login", strings.NewReader("email=a"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := e.do(t, e.client(t), req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin login: %d", resp.StatusCode)
	}
}

// TestConsole_Headers: every page, signed in or not, error or not, sends
// the strict headers.
func TestConsole_Headers(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	for _, p := range []string{"/console/login", "/console/", "/console/residents/R-1", "/console/residents/NOPE", "/console/audit", "/console/setup/nope"} {
		resp, body := e.get(t, c, p)
		h := resp.Header
		if h.Get("Content-Security-Policy") != ui.CSP || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s (%d): headers %v", p, resp.StatusCode, h)
		}
		if strings.Contains(body, "<script") {
			t.Errorf("%s has a script", p)
		}
	}
}

// TestConsole_Resident shows R-1 on both stores: the card with its days
// left, the date to go by and the next reminder, the contact and its state;
// records the application (with an era date, and a wrong date first),
// resubscribes, and erases with the confirmation naming the resident.
func TestConsole_Resident(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		resp, body := e.get(t, c, "/console/residents/R-1")
		if resp.StatusCode != 200 {
			t.Fatalf("resident: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "<h1>住民 R-1</h1>", "Nguyen Van An", "ベトナム語", "在留カード", "2027年1月31日", "67日",
			"2027年1月29日", // the go-by date: the 31st is a Sunday, the 30th a Saturday
			"2026年11月25日（90日前）", "an@example.jp", "利用可", "マイナンバーカード", "2030年5月1日")

		// The look-up box leads there.
		resp, _ = e.get(t, c, "/console/find?ref=R-1")
		if resp.Header.Get("Location") != "/console/residents/R-1" {
			t.Errorf("find: %q", resp.Header.Get("Location"))
		}
		resp, body = e.get(t, c, "/console/find?ref=")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("find nothing: %d", resp.StatusCode)
		}
		checkContains(t, body, "整理番号を入力してください")

		// A date that is no date: the form again, the error by the field.
		resp, _ = e.post(t, c, "/console/residents/R-1/applied", url.Values{"applied-year": {"R8"}, "applied-month": {"2"}, "applied-day": {"30"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, `<a href="#applied-year">日付として正しくありません`, `value="R8"`, `aria-invalid="true"`)

		// The application, on 2026-11-20 typed as an era.
		resp, _ = e.post(t, c, "/console/residents/R-1/applied", url.Values{"applied-year": {"R8"}, "applied-month": {"11"}, "applied-day": {"20"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, `role="status"`, "更新申請（2026年11月20日）を記録しました", "2027年3月31日", "<td>2026年11月20日</td>")

		// A future date is refused by desk, and said so.
		resp, _ = e.post(t, c, "/console/residents/R-1/applied", url.Values{"applied-year": {"2027"}, "applied-month": {"1"}, "applied-day": {"1"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, `role="alert"`, "実行できませんでした：2027-01-01は未来の日付です")

		// Taken back: the residence card's reminders resume.
		checkContains(t, body, "更新申請が記録されています（2026年11月20日）")
		resp, _ = e.post(t, c, "/console/residents/R-1/applied", url.Values{"undo": {"1"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "更新申請（2026年11月20日）の記録を取り消しました")
		if strings.Contains(body, "更新申請が記録されています") {
			t.Errorf("the application is still shown after taking it back")
		}

		// Resubscribing a channel never stopped is refused.
		resp, _ = e.post(t, c, "/console/residents/R-1/resubscribe", url.Values{"channel": {"email"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "実行できませんでした", "住民R-1はemailの配信を停止していません")

		// Erase: the confirmation names the resident; a wrong reference
		// erases nothing.
		_, body = e.get(t, c, "/console/residents/R-2/erase")
		checkContains(t, body, "Maria Silva さん（整理番号 R-2）を削除します。", "連絡先 1 件とカード 1 件", "R-2 を削除する")
		resp, _ = e.post(t, c, "/console/residents/R-2/erase", url.Values{"confirm": {"R-1"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "入力された整理番号が一致しません")
		resp, _ = e.post(t, c, "/console/residents/R-2/erase", url.Values{"confirm": {"R-2"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "住民 R-2 を削除しました（連絡先 1 件、カード 1 件）。")
		if resp, _ := e.get(t, c, "/console/residents/R-2"); resp.StatusCode != 404 {
			t.Errorf("R-2 after erasing: %d", resp.StatusCode)
		}
	})
}

// TestConsole_English: the switch sets English and returns to the page.
func TestConsole_English(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	resp, _ := e.post(t, c, "/console/lang", url.Values{"lang": {"en"}, "back": {"/console/residents/R-1"}})
	if resp.Header.Get("Location") != "/console/residents/R-1" {
		t.Fatalf("switch: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body := e.follow(t, c, resp)
	checkContains(t, body, `<html lang="en">`, "<h1>Resident R-1</h1>", "Residence card", "31 January 2027", "67 days", `lang="ja">日本語</button>`)
	resp, _ = e.post(t, c, "/console/lang", url.Values{"lang": {"ja"}, "back": {"https://evil.example/"}})
	if resp.Header.Get("Location") != "/console/" {
		t.Errorf("switch back to %q", resp.Header.Get("Location"))
	}
}

// upload posts a CSV to the import as a browser's form does.
func (e *env) upload(t *testing.T, c *http.Client, name, csv string) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(csv))
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(t, c, req)
}

// confirmForm reads the hidden fields of the dry run's confirmation.
var hidden = regexp.MustCompile(`<input type="hidden" name="(confirm|name|data)" value="([^"]*)">`)

// TestConsole_Import: a file with a bad row is refused with its row,
// column and reason and nothing is written; the corrected file's dry run
// shows the counts and writes nothing; confirmed, it is imported.
func TestConsole_Import(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		bad := "resident_ref,name,language,email,residence_card_expires_on,consent\n" +
			"R-3,Ana Lima,pt,ana@example.jp,2027-02-30,yes\n" +
			"R-1,Nguyen Van An,vi,an@example.jp,2027-01-31,yes\n"
		resp, body := e.upload(t, c, "list.csv", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad file: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "list.csv には問題が1件あります。何も取り込んでいません。", `<td class="num">2</td>`,
			"<code>residence_card_expires_on</code>", "「2027-02-30」は存在しない日付です")
		if resp, _ := e.get(t, c, "/console/residents/R-3"); resp.StatusCode != 404 {
			t.Errorf("R-3 exists after a refused import")
		}

		good := strings.Replace(bad, "2027-02-30", "2027-02-28", 1)
		resp, body = e.upload(t, c, "list.csv", good)
		if resp.StatusCode != 200 {
			t.Fatalf("dry run: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "list.csv（2行）を確認しました。まだ取り込んでいません。", "新規<strong>1</strong>", "変更なし<strong>1</strong>")
		if resp, _ := e.get(t, c, "/console/residents/R-3"); resp.StatusCode != 404 {
			t.Errorf("R-3 exists after a dry run")
		}
		form := url.Values{}
		for _, m := range hidden.FindAllStringSubmatch(body, -1) {
			form.Set(m[1], m[2])
		}
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k := range form {
			mw.WriteField(k, form.Get(k))
		}
		mw.Close()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/import", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, _ = e.do(t, c, req)
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "list.csv を取り込みました：新規 1 件、更新 0 件、変更なし 1 件、新たな更新漏れ 0 件。")
		if resp, _ := e.get(t, c, "/console/residents/R-3"); resp.StatusCode != 200 {
			t.Errorf("R-3 after the import: %d", resp.StatusCode)
		}

		// Shift_JIS, as a spreadsheet in Japan saves it: read, and the
		// Japanese header understood.
		sjis, err := japanese.ShiftJIS.NewEncoder().String("整理番号,氏名,言語,メール,在留カード有効期限,同意\n" +
			"R-4,髙橋 ① 花子,ja,hanako@example.jp,令和9年3月31日,はい\n")
		if err != nil {
			t.Fatal(err)
		}
		resp, body = e.upload(t, c, "sjis.csv", sjis)
		if resp.StatusCode != 200 {
			t.Fatalf("Shift_JIS dry run: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "sjis.csv（1行）を確認しました", "新規<strong>1</strong>")

		// No file: the form again with the error.
		var empty bytes.Buffer
		mw = multipart.NewWriter(&empty)
		mw.Close()
		req, _ = http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/import", &empty)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		_, body = e.do(t, c, req)
		checkContains(t, body, `<a href="#file">CSVファイルを選んでください</a>`)
	})
}

// TestConsole_Followup lists R-2 (no consent) among the unreachable, a
// link to their page.
func TestConsole_Followup(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	resp, body := e.get(t, c, "/console/followup")
	if resp.StatusCode != 200 {
		t.Fatalf("followup: %d", resp.StatusCode)
	}
	checkContains(t, body, `<a href="/console/residents/R-2">R-2</a>`, "同意なし", `aria-current="page">連絡がつかない住民`)
	if strings.Contains(body, "Maria") {
		t.Errorf("the follow-up list shows a name")
	}
	_, body = e.get(t, c, "/console/followup?section=stale")
	checkContains(t, body, "該当する住民はいません。")
	if resp, _ := e.get(t, c, "/console/followup?section=unreachable&cursor=zzz"); resp.StatusCode != 400 {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
	resp, body = e.get(t, c, "/console/followup.csv")
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("CSV headers %v", resp.Header)
	}
	if !strings.HasPrefix(body, "section,resident_ref,") || !strings.Contains(body, "unreachable,R-2,") || strings.Contains(body, "Maria") {
		t.Errorf("follow-up CSV:\n%s", body)
	}
	_, body = e.get(t, c, "/console/residents.csv")
	if !strings.HasPrefix(body, "resident_ref,") || !strings.Contains(body, "R-1,Nguyen Van An") || strings.Contains(body, "B-1") {
		t.Errorf("residents CSV:\n%s", body)
	}
}

// TestConsole_Audit: the admin sees what staff did, filtered by staff
// member, resident and dates.
func TestConsole_Audit(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staff, admin := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example")
	e.get(t, staff, "/console/residents/R-1")
	_, body := e.get(t, admin, "/console/audit?actor=account%3A1")
	checkContains(t, body, "account:1 (職員)", "<code>resident.view</code>", `<a href="/console/residents/R-1">R-1</a>`)
	if strings.Contains(body, "seed") {
		t.Errorf("the actor filter shows others' entries")
	}
	_, body = e.get(t, admin, "/console/audit?ref=R-2")
	checkContains(t, body, "該当する記録はありません。")
	_, body = e.get(t, admin, "/console/audit?from-year=R8&from-month=13&from-day=1")
	checkContains(t, body, `<a href="#from-year">日付として正しくありません`)
	y := time.Now().In(time.UTC).Year()
	_, body = e.get(t, admin, "/console/audit?actor=account%3A1&to-year="+itoa(y-1)+"&to-month=1&to-day=1")
	checkContains(t, body, "該当する記録はありません。")
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestConsole_Setup: the setup page shows the QR code and the secret;
// a wrong code keeps the page with the error; the right one sets the
// account up and leads to the login.
func TestConsole_Setup(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	link := e.invite(t, e.adminA, "new@a.example", auth.Staff)
	setup, err := e.desk.SetupInfo(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	resp, body := e.get(t, c, "/console/setup/"+link)
	if resp.StatusCode != 200 {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	grouped := regexp.MustCompile(`(.{4})`).ReplaceAllString(setup.TOTPSecret, "$1 ")
	checkContains(t, body, "new@a.example のアカウントを設定します。", `<img src="data:image/png;base64,iVBOR`,
		strings.TrimSpace(grouped), `autocomplete="new-password"`)
	resp, body = e.post(t, c, "/console/setup/"+link, url.Values{"password": {"short"}, "confirm": {"short"}, "totp": {e.codeOf(t, setup.TOTPSecret)}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a short password: %d", resp.StatusCode)
	}
	checkContains(t, body, `<a href="#password">`, `<p class="error" id="password-error">`)
	_, body = e.post(t, c, "/console/setup/"+link, url.Values{"password": {password}, "confirm": {password}, "totp": {wrongCode(e.codeOf(t, setup.TOTPSecret))}})
	checkContains(t, body, `<a href="#totp">`)
	_, body = e.post(t, c, "/console/setup/"+link, url.Values{"password": {password}, "confirm": {password + "x"}, "totp": {e.codeOf(t, setup.TOTPSecret)}})
	checkContains(t, body, `<a href="#confirm">確認のパスワードが一致しません</a>`)
	resp, _ = e.post(t, c, "/console/setup/"+link, url.Values{"password": {password}, "confirm": {password}, "totp": {e.codeOf(t, setup.TOTPSecret)}})
	if resp.Header.Get("Location") != "/console/login" {
		t.Fatalf("setup done: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = e.follow(t, c, resp)
	checkContains(t, body, "設定が完了しました。ログインしてください。")
	if resp, _ := e.get(t, c, "/console/setup/"+link); resp.StatusCode != 404 {
		t.Errorf("a used setup link: %d", resp.StatusCode)
	}
	// The new account signs in.
	e.secrets["new@a.example"] = setup.TOTPSecret
	e.login(t, c, "new@a.example")
}

// wrongCode is a code that is not c.
func wrongCode(c string) string {
	if c == "000000" {
		return "111111"
	}
	return "000000"
}

// keyRef matches a catalog key a template or a page names.
var keyRef = regexp.MustCompile(`(?:\.T|T\(|ui\.T\([a-zA-Z.]+,) ?"([a-z_]+(?:\.[a-z_\-]+)+)"`)

// TestCatalog_Complete: every key the console's templates and code name
// literally is in both catalogs.
func TestCatalog_Complete(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("pages/*.html")
	more, _ := filepath.Glob("*.go")
	tmpl, _ := filepath.Glob("../ui/tmpl/*.html")
	n := 0
	for _, f := range append(append(files, more...), tmpl...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRef.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, l := range ui.Langs {
				if _, ok := ui.Keys(l)[m[1]]; !ok {
					t.Errorf("%s names %q, not in the %s catalog", f, m[1], l)
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d keys found: the pattern is wrong", n)
	}
}

// TestConsole_Today counts the municipality's day, each count a link to
// its list, which lists as many.
func TestConsole_Today(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	resp, body := e.get(t, c, "/console/")
	if resp.StatusCode != 200 {
		t.Fatalf("today: %d", resp.StatusCode)
	}
	checkContains(t, body, "<h1>小樽市の今日</h1>", "2026年11月25日 現在",
		`<a href="/console/residents?unreachable=1">連絡がつかない住民</a><strong>1</strong>`,
		`<a href="/console/residents?within=90">90日以内に期限が来る住民</a><strong>1</strong>`,
		`<a href="/console/residents?within=30">30日以内に期限が来る住民</a><strong>0</strong>`)
	_, body = e.get(t, c, "/console/residents?unreachable=1")
	checkContains(t, body, `<a href="/console/residents/R-2">R-2</a>`)
	if strings.Contains(body, `"/console/residents/R-1"`) {
		t.Errorf("R-1 is listed as unreachable")
	}
}

// TestConsole_Residents searches by name, reference prefix and email,
// filters, and pages; another municipality's residents never show.
func TestConsole_Residents(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	ctx := t.Context()
	adminA, _, err := e.desk.LocalAdmin(ctx, "seed", "012033")
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("resident_ref,name,language,email,residence_card_expires_on,consent\n")
	for i := range 55 {
		fmt.Fprintf(&csv, "P-%03d,Person %d,en,p%d@example.jp,2028-01-01,yes\n", i, i, i)
	}
	if _, err := e.desk.Import(ctx, adminA, desk.ImportParams{CSV: strings.NewReader(csv.String())}); err != nil {
		t.Fatal(err)
	}
	c := e.signedIn(t, "staff@a.example")
	tests := []struct {
		query     string
		want, not []string
	}{
		{"q=Nguyen", []string{"R-1"}, []string{"R-2", "B-1"}},
		{"q=an%40example.jp", []string{"R-1"}, []string{"R-2"}},
		{"q=R-", []string{"R-1", "R-2"}, []string{"P-001"}},
		{"q=Lee", nil, []string{"B-1"}},
		{"unreachable=1", []string{"R-2"}, []string{"R-1"}},
		{"within=90", []string{"R-1"}, []string{"R-2", "P-001"}},
		{"language=pt", []string{"R-2"}, []string{"R-1"}},
	}
	for _, tt := range tests {
		resp, body := e.get(t, c, "/console/residents?"+tt.query)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", tt.query, resp.StatusCode)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, ">"+w+"</a>") {
				t.Errorf("%s: %s not listed", tt.query, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(body, ">"+n+"</a>") {
				t.Errorf("%s: %s listed", tt.query, n)
			}
		}
	}
	_, body := e.get(t, c, "/console/residents?q=P-")
	checkContains(t, body, ">P-000</a>", ">P-049</a>", `rel="next">次のページ</a>`)
	next := regexp.MustCompile(`href="(/console/residents\?[^"]*cursor=[^"]*)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page")
	}
	_, body = e.get(t, c, html.UnescapeString(next[1]))
	checkContains(t, body, ">P-050</a>", ">P-054</a>", "最初のページ")
	if strings.Contains(body, ">P-049</a>") || strings.Contains(body, `rel="next"`) {
		t.Errorf("the second page repeats the first or has a third")
	}
	_, body = e.get(t, c, "/console/residents?within=abc")
	checkContains(t, body, `<a href="#within">日数は0以上の数字で入力してください</a>`)
}

// registerForm is a filled-in registration.
func registerValues() url.Values {
	return url.Values{"ref": {"R-9"}, "name": {"Tran Thi Mai"}, "language": {"vi"}, "status": {"fixed_period"},
		"email": {"mai@example.jp"}, "phone": {""}, "channel": {""}, "consent": {"yes"},
		"residence_card-year": {"R9"}, "residence_card-month": {"1"}, "residence_card-day": {"31"}}
}

// TestConsole_Register: every problem at once beside its field and in the
// summary, the input kept, nothing saved; the preview shows the timeline;
// saving registers; a reference taken is refused on the reference.
func TestConsole_Register(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		_, body := e.get(t, c, "/console/register")
		checkContains(t, body, `<legend>在留カード <span class="need">※任意</span></legend>`, `name="consent" value="yes"`)

		bad := registerValues()
		bad.Set("email", "mai@")
		bad.Set("mynumber_card-year", "2030")
		bad.Set("action", "save")
		resp, body := e.post(t, c, "/console/register", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, `<a href="#mynumber_card-year">マイナンバーカード: 年・月・日をすべて入力してください</a>`, `value="Tran Thi Mai"`, `value="R9"`)
		bad.Set("mynumber_card-month", "5")
		bad.Set("mynumber_card-day", "1")
		resp, body = e.post(t, c, "/console/register", bad)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad email: %d", resp.StatusCode)
		}
		checkContains(t, body, `<a href="#email">`, `<p class="error" id="email-error">`)
		if resp, _ := e.get(t, c, "/console/residents/R-9"); resp.StatusCode != 404 {
			t.Errorf("R-9 saved with errors")
		}

		ok := registerValues()
		ok.Set("action", "preview")
		resp, body = e.post(t, c, "/console/register", ok)
		if resp.StatusCode != 200 {
			t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "送信予定", "送信手段：メール", "<td>2026年11月25日</td><td>在留カード</td><td>90日前</td><td class=\"num\">67日</td><td>2027年1月29日</td>", "2027年1月29日")
		if resp, _ := e.get(t, c, "/console/residents/R-9"); resp.StatusCode != 404 {
			t.Errorf("R-9 saved by a preview")
		}
		ok.Set("action", "save")
		resp, _ = e.post(t, c, "/console/register", ok)
		if resp.Header.Get("Location") != "/console/residents/R-9" {
			t.Fatalf("save: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "住民 R-9 を登録しました。", "Tran Thi Mai", "2027年1月31日")
		resp, body = e.post(t, c, "/console/register", ok)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("again: %d", resp.StatusCode)
		}
		checkContains(t, body, `<a href="#ref">住民「R-9」は小樽市（012033）に登録済みです`)
	})
}

// TestConsole_Edit changes a resident: the form holds them as stored; a
// new residence card date (a renewal) is saved; a change made meanwhile by
// someone else is refused, nothing overwritten.
func TestConsole_Edit(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	c := e.signedIn(t, "staff@a.example")
	_, body := e.get(t, c, "/console/residents/R-1/edit")
	checkContains(t, body, "<h1>住民 R-1 の変更</h1>", `value="Nguyen Van An"`, `value="an@example.jp"`, `<option value="vi" selected>`,
		`name="residence_card-year" type="text" value="2027"`, `name="consent" value="yes" checked`)
	version := regexp.MustCompile(`name="version" value="([^"]+)"`).FindStringSubmatch(body)
	if version == nil {
		t.Fatal("no version in the form")
	}
	form := url.Values{"version": {version[1]}, "name": {"Nguyen Van An"}, "language": {"vi"}, "status": {"fixed_period"},
		"email": {"an@example.jp"}, "consent": {"yes"}, "residence_card-year": {"R11"}, "residence_card-month": {"1"},
		"residence_card-day": {"31"}, "mynumber_card-year": {"2030"}, "mynumber_card-month": {"5"}, "mynumber_card-day": {"1"}, "action": {"preview"}}
	resp, body := e.post(t, c, "/console/residents/R-1/edit", form)
	if resp.StatusCode != 200 {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
	}
	checkContains(t, body, "送信予定", "2029年1月31日")
	if _, body := e.get(t, c, "/console/residents/R-1"); strings.Contains(body, "2029年1月31日") {
		t.Errorf("the preview saved the change")
	}

	// Someone else changes R-1 meanwhile: saving on the old version is
	// refused.
	other := "Nguyen V. An"
	if _, err := e.desk.UpdateResident(t.Context(), e.adminA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"},
		ResidentFields: desk.ResidentFields{Name: &other}}); err != nil {
		t.Fatal(err)
	}
	form.Set("action", "save")
	resp, body = e.post(t, c, "/console/residents/R-1/edit", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	checkContains(t, body, `<a href="#name">住民「R-1」は、この画面を開いた後にほかの人が変更しました`)

	_, body = e.get(t, c, "/console/residents/R-1/edit")
	version = regexp.MustCompile(`name="version" value="([^"]+)"`).FindStringSubmatch(body)
	form.Set("version", version[1])
	resp, _ = e.post(t, c, "/console/residents/R-1/edit", form)
	if resp.Header.Get("Location") != "/console/residents/R-1" {
		t.Fatalf("save: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = e.follow(t, c, resp)
	checkContains(t, body, "住民 R-1 の変更を保存しました。", "2029年1月31日")
}
