package console_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/scheduler"
	"kigen/store"
)

// largeList is a resident list of n rows, L-00001 …; bad, if non-zero,
// is a row (as a spreadsheet numbers it) whose date does not exist.
func largeList(n, bad int) string {
	var sb strings.Builder
	sb.WriteString("resident_ref,name,language,email,residence_card_expires_on,consent\n")
	for i := 1; i <= n; i++ {
		date := "2027-06-30"
		if i+1 == bad {
			date = "2027-02-30"
		}
		fmt.Fprintf(&sb, "L-%05d,Person %d,en,p%d@example.jp,%s,yes\n", i, i, i, date)
	}
	return sb.String()
}

// importQueue gives e's desk a real River queue on its store for
// background imports, not started: start starts working the jobs (until
// the test ends).
func importQueue(t *testing.T, e *env) (start func()) {
	t.Helper()
	workers := river.NewWorkers()
	river.AddWorker(workers, &desk.ImportWorker{Desk: &desk.Desk{Store: e.s, Now: e.clk.Now}})
	q, err := scheduler.NewQueue(e.s, scheduler.QueueConfig{Workers: workers, TestOnly: true,
		FetchPollInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.desk.Jobs = q
	return func() {
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(ctx)
		})
	}
}

// confirm posts the dry run's confirmation (its hidden fields) as the
// browser's form does.
func (e *env) confirm(t *testing.T, c *http.Client, dryRun string) *http.Response {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, m := range hidden.FindAllStringSubmatch(dryRun, -1) {
		mw.WriteField(m[1], m[2])
	}
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+"/console/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, _ := e.do(t, c, req)
	return resp
}

var refresh = regexp.MustCompile(`<meta http-equiv="refresh" content="\d+">`)

// waitDone asks the import's page until it says the import ended, and
// returns that page.
func (e *env) waitDone(t *testing.T, c *http.Client, path string) string {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, body := e.get(t, c, path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
		}
		if !strings.Contains(body, "取込の進み具合") {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still running after 90 s\n%s", path, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsole_BackgroundImport: a large file's dry run says it will be
// imported in the background; confirmed, the browser is sent to its
// progress page, which refreshes itself (no script) while the job waits,
// and shows the result once River's worker has imported every row. The
// history lists it, and the dry run before it; another municipality and
// operators may not see them.
func TestConsole_BackgroundImport(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		start := importQueue(t, e)
		c := e.signedIn(t, "staff@a.example")
		list := largeList(desk.BackgroundRows+1, 0)
		resp, body := e.upload(t, c, "large.csv", list)
		if resp.StatusCode != 200 {
			t.Fatalf("dry run: %d\n%s", resp.StatusCode, body)
		}
		checkContains(t, body, "large.csv（5001行）を確認しました", "このファイルは大きいため", `href="/console/imports"`)
		if refresh.MatchString(body) {
			t.Error("the dry run's page refreshes itself")
		}
		resp = e.confirm(t, c, body)
		page := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page, "/console/imports/") {
			t.Fatalf("confirm: %d %q", resp.StatusCode, page)
		}
		// The queue has not started: the job waits, the page says so. It
		// refreshes itself only when asked to.
		resp, body = e.get(t, c, page)
		if resp.StatusCode != 200 || refresh.MatchString(body) {
			t.Fatalf("progress page: %d, refresh %v\n%s", resp.StatusCode, refresh.MatchString(body), body)
		}
		checkContains(t, body, "<h1>取込の進み具合</h1>", "読み込み済み 0 行／全 5001 行", `<progress id="progress" max="5001" value="0">`,
			`<a href="`+page+`?auto=1">3秒ごとに自動で更新する</a>`, `<a href="`+page+`">最新の状態を見る</a>`, "取込中", "large.csv", "account:1")
		resp, body = e.get(t, c, page+"?auto=1")
		if resp.StatusCode != 200 || !refresh.MatchString(body) {
			t.Fatalf("progress page, refreshing: %d, refresh %v\n%s", resp.StatusCode, refresh.MatchString(body), body)
		}
		checkContains(t, body, "この画面は3秒ごとに自動で更新しています。", `<a href="`+page+`">自動更新を止める</a>`)
		if resp, _ := e.get(t, c, "/console/residents/L-00001"); resp.StatusCode != 404 {
			t.Errorf("L-00001 before the job ran: %d", resp.StatusCode)
		}

		start()
		body = e.waitDone(t, c, page+"?auto=1")
		if refresh.MatchString(body) {
			t.Error("the result page refreshes itself")
		}
		checkContains(t, body, "<h1>取込が終わりました</h1>", "5001 行を取り込みました。", "新規<strong>5001</strong>", "完了")
		if resp, _ := e.get(t, c, "/console/residents/L-05001"); resp.StatusCode != 200 {
			t.Errorf("L-05001 after the job: %d", resp.StatusCode)
		}

		_, body = e.get(t, c, "/console/imports")
		checkContains(t, body, "<h1>取込の履歴</h1>", `<a href="`+page+`">`, "large.csv", "完了", "確認のみ", "バックグラウンド", "その場で")
		for _, pd := range []string{"Person 1", "p1@example.jp", "L-00001"} {
			if strings.Contains(body, pd) {
				t.Errorf("the history shows %q", pd)
			}
		}
		staffB := e.signedIn(t, "staff@b.example")
		if resp, _ := e.get(t, staffB, page); resp.StatusCode != 404 {
			t.Errorf("staff of B on A's import: %d, want 404", resp.StatusCode)
		}
		if _, body := e.get(t, staffB, "/console/imports"); strings.Contains(body, "large.csv") {
			t.Error("staff of B see A's import")
		}
		ops := e.signedIn(t, "ops@example")
		for _, p := range []string{"/console/imports", page} {
			if resp, _ := e.get(t, ops, p); resp.StatusCode != 403 {
				t.Errorf("operator on %s: %d, want 403", p, resp.StatusCode)
			}
		}
		if resp, _ := e.get(t, c, "/console/imports/999999"); resp.StatusCode != 404 {
			t.Errorf("no such import: %d", resp.StatusCode)
		}
	})
}

// TestConsole_BackgroundImportRefused: a background import that meets a
// bad row writes nothing, and its page lists the row, its column and the
// reason in the page's language, as the import in the request does.
func TestConsole_BackgroundImportRefused(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	importQueue(t, e) // not started: the test runs the import itself
	st, err := e.desk.StartImport(t.Context(), e.adminA, desk.ImportParams{CSV: strings.NewReader(largeList(desk.BackgroundRows+1, 4321)),
		FileName: "bad-large.csv"})
	if err != nil || st.Queued == nil {
		t.Fatalf("%+v, %v", st, err)
	}
	if err := e.desk.RunImport(t.Context(), st.Queued.ID); err != nil {
		t.Fatal(err)
	}
	c := e.signedIn(t, "admin@a.example")
	resp, body := e.get(t, c, fmt.Sprintf("/console/imports/%d", st.Queued.ID))
	if resp.StatusCode != 200 {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	checkContains(t, body, "<h1>取り込めない行があります</h1>", "bad-large.csv には問題が1件あります。何も取り込んでいません。",
		`<td class="num">4321</td>`, "<code>residence_card_expires_on</code>", "「2027-02-30」は存在しない日付です")
	if refresh.MatchString(body) {
		t.Error("a refused import's page refreshes itself")
	}
	if resp, _ := e.get(t, c, "/console/residents/L-00001"); resp.StatusCode != 404 {
		t.Errorf("L-00001 after a refused import: %d", resp.StatusCode)
	}
}
