package console_test

import (
	"bytes"
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
// the setup, the logout, the language switch and the style sheet.
func TestConsole_Routes(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	m := route.NewMux()
	console.New(console.Deps{Desk: e.desk, Accounts: e.acc}).Register(m)
	public := map[string]bool{
		"GET " + ui.StylePath: true, "GET /console/login": true, "POST /console/login": true, "POST /console/logout": true,
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
	resp, body = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {"000000"}})
	if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, password) {
		t.Errorf("wrong code: %d", resp.StatusCode)
	}
	checkContains(t, body, "メールアドレス、パスワードまたは確認コードが正しくありません")

	// A locked account says so, and until when (Tokyo time).
	e.acc.users["staff@a.example"].lockedUntil = time.Date(2026, 11, 25, 1, 30, 0, 0, time.UTC)
	resp, body = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {code}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("locked: %d", resp.StatusCode)
	}
	checkContains(t, body, "一時的にロックされています。10:30 に自動で解除されます")
	e.acc.users["staff@a.example"].lockedUntil = time.Time{}

	// Signed in: back to the page asked for, with a session cookie.
	resp, _ = e.post(t, c, "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {code},
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
	if got := e.acc.logins[len(e.acc.logins)-1]; len(got) != 24 || strings.Contains(got, "127.0.0.1") || got != e.acc.logins[0] {
		t.Errorf("the throttle's client key is %q (want a hash of the address, the same at each login)", got)
	}
	resp, body = e.get(t, c, "/console/residents/R-1?x=1")
	if resp.StatusCode != 200 {
		t.Fatalf("after login: %d", resp.StatusCode)
	}
	checkContains(t, body, "staff:1 でログイン中")

	// The next page is never off the console.
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/other", "/console/login"} {
		resp, _ = e.post(t, e.client(t), "/console/login", url.Values{"email": {"staff@a.example"}, "password": {password}, "totp": {code}, "next": {next}})
		if got := resp.Header.Get("Location"); got != "/console/" {
			t.Errorf("next %q: to %q", next, got)
		}
	}

	// Logout ends the session on the server.
	resp, _ = e.post(t, c, "/console/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || len(e.acc.sessions) != 5-1 {
		t.Errorf("logout: %d, %d sessions left", resp.StatusCode, len(e.acc.sessions))
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
		checkContains(t, body, `role="alert"`, "実行できませんでした：2027-01-01 is in the future")

		// Resubscribing a channel never stopped is refused.
		resp, _ = e.post(t, c, "/console/residents/R-1/resubscribe", url.Values{"channel": {"email"}})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "実行できませんでした", "has not opted out of email")

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
			"<code>residence_card_expires_on</code>", "2027-02-30", "is not a date")
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
}

// TestConsole_Audit: the admin sees what staff did, filtered by staff
// member, resident and dates.
func TestConsole_Audit(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staff, admin := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example")
	e.get(t, staff, "/console/residents/R-1")
	_, body := e.get(t, admin, "/console/audit?actor=staff%3A1")
	checkContains(t, body, "staff:1 (職員)", "<code>resident.view</code>", `<a href="/console/residents/R-1">R-1</a>`)
	if strings.Contains(body, "seed") {
		t.Errorf("the actor filter shows others' entries")
	}
	_, body = e.get(t, admin, "/console/audit?ref=R-2")
	checkContains(t, body, "該当する記録はありません。")
	_, body = e.get(t, admin, "/console/audit?from-year=R8&from-month=13&from-day=1")
	checkContains(t, body, `<a href="#from-year">日付として正しくありません`)
	y := time.Now().In(time.UTC).Year()
	_, body = e.get(t, admin, "/console/audit?actor=staff%3A1&to-year="+itoa(y-1)+"&to-month=1&to-day=1")
	checkContains(t, body, "該当する記録はありません。")
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestConsole_Setup: the setup page shows the QR code and the secret;
// a wrong code keeps the page with the error; the right one sets the
// account up and leads to the login.
func TestConsole_Setup(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	e.acc.users["new@a.example"] = &fakeUser{actor: e.acc.users["staff@a.example"].actor}
	e.acc.setups["tok123"] = "new@a.example"
	c := e.client(t)
	resp, body := e.get(t, c, "/console/setup/tok123")
	if resp.StatusCode != 200 {
		t.Fatalf("setup: %d", resp.StatusCode)
	}
	checkContains(t, body, "new@a.example のアカウントを設定します。", `<img src="data:image/png;base64,iVBOR`, "JBSW Y3DP EHPK 3PXP", `autocomplete="new-password"`)
	resp, body = e.post(t, c, "/console/setup/tok123", url.Values{"password": {"short"}, "confirm": {"short"}, "totp": {"999999"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad setup: %d", resp.StatusCode)
	}
	checkContains(t, body, `<a href="#password">the password has 5 characters: at least 12</a>`)
	_, body = e.post(t, c, "/console/setup/tok123", url.Values{"password": {"long enough pw"}, "confirm": {"long enough pX"}, "totp": {code}})
	checkContains(t, body, `<a href="#confirm">確認のパスワードが一致しません</a>`)
	resp, _ = e.post(t, c, "/console/setup/tok123", url.Values{"password": {"long enough pw"}, "confirm": {"long enough pw"}, "totp": {code}})
	if resp.Header.Get("Location") != "/console/login" {
		t.Fatalf("setup done: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = e.follow(t, c, resp)
	checkContains(t, body, "設定が完了しました。ログインしてください。")
	if resp, _ := e.get(t, c, "/console/setup/tok123"); resp.StatusCode != 404 {
		t.Errorf("a used setup link: %d", resp.StatusCode)
	}
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
