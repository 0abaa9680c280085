package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/web"
	"kigen/web/api"
	"kigen/web/route"
)

// today is the desk's day in every test.
var today = kigen.MustParseISODate("2026-11-25")

// residentsA is municipality A's list: R-1 reachable by email, the others
// not (no consent, or no contact): the follow-up list's unreachable ones.
const residentsA = "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
	"R-1,Nguyen Van An,vi,an@example.jp,定住者,2027-01-31,yes\n" +
	"R-2,Maria Silva,pt,maria@example.jp,定住者,2027-03-31,no\n" +
	"R-3,Ana Santos,pt,ana@example.jp,定住者,2027-04-30,no\n" +
	"R-4,Budi Hartono,id,,定住者,2027-05-31,yes\n"

// The tokens of the tests.
const (
	readA   = "tok-read-a"
	writeA  = "tok-write-a"
	writeB  = "tok-write-b"
	failing = "tok-failing" // its check fails (the database is down)
)

// bundle is the API on a fresh store with municipalities A (012033, with
// residentsA) and B (131016, with B-1), served over HTTP.
type bundle struct {
	t     *testing.T
	s     store.Store
	srv   *httptest.Server
	c     *http.Client
	aID   int64
	logs  *logBuffer
	calls sync.Map // tokens checked
}

// fakeQueue is the job queue the follow-up list reads: it gave up on
// nothing.
type fakeQueue struct{}

func (fakeQueue) Enqueue(context.Context, store.Tx, []int64) error            { return nil }
func (fakeQueue) EnqueueResend(context.Context, store.Tx, int64, int64) error { return nil }
func (fakeQueue) GivenUp(context.Context) ([]int64, error)                    { return nil, nil }

// each runs f on a fresh bundle on each store backend.
func each(t *testing.T, f func(t *testing.T, b *bundle)) {
	t.Helper()
	storetesting.Each(t, func(t *testing.T, s store.Store) { f(t, setup(t, s, 0)) })
}

func setup(t *testing.T, s store.Store, maxImport int64) *bundle {
	t.Helper()
	ctx := t.Context()
	d := &desk.Desk{Store: s, Queue: fakeQueue{}, Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, kigen.Tokyo) }}
	op := desk.LocalOperator("ops")
	for _, code := range []string{"012033", "131016"} {
		if _, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: code}); err != nil {
			t.Fatal(err)
		}
	}
	adminA, _, err := d.LocalAdmin(ctx, "alice", "012033")
	if err != nil {
		t.Fatal(err)
	}
	adminB, _, err := d.LocalAdmin(ctx, "bob", "131016")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(ctx, adminA, desk.ImportParams{CSV: strings.NewReader(residentsA)}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(ctx, adminB, desk.ImportParams{CSV: strings.NewReader(
		"resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\nB-1,Lee Min,ko,lee@example.jp,定住者,2027-02-28,yes\n")}); err != nil {
		t.Fatal(err)
	}
	staff := func(a auth.Actor, id string) auth.Actor {
		return auth.Actor{ID: id, Role: auth.Staff, MunicipalityID: a.MunicipalityID, MunicipalityCode: a.MunicipalityCode}
	}
	readOnly := func(a auth.Actor) auth.Actor { a.ReadOnly = true; return a }
	tokens := map[string]api.Token{
		readA:  {Actor: readOnly(staff(adminA, "token:1"))},
		writeA: {Actor: staff(adminA, "token:2"), Write: true},
		writeB: {Actor: staff(adminB, "token:3"), Write: true},
	}
	b := &bundle{t: t, s: s, aID: adminA.MunicipalityID, logs: &logBuffer{}}
	authn := func(_ context.Context, token string) (api.Token, error) {
		b.calls.Store(token, true)
		if token == failing {
			return api.Token{}, errors.New("database is down")
		}
		tk, ok := tokens[token]
		if !ok {
			return api.Token{}, kigen.Errorf(kigen.ENOTFOUND, "no such token")
		}
		return tk, nil
	}
	logger := slog.New(slog.NewJSONHandler(b.logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", b.logs.String())
		}
	})
	h := web.NewHandler(web.Deps{Logger: logger, Surfaces: []web.Surface{
		api.New(api.Deps{Desk: d, Authenticate: authn, Logger: logger, MaxImportBody: maxImport})}})
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	b.c = &http.Client{Transport: checkingTransport{t: t, next: b.srv.Client().Transport}}
	return b
}

// request is one request of a test.
type request struct {
	method, path, token string
	contentType, body   string
	// offSpec: the document does not admit this request (on purpose).
	offSpec bool
}

// do sends q and returns the answer and its body; the transport checks
// both against the OpenAPI document.
func (b *bundle) do(q request) (*http.Response, []byte) {
	b.t.Helper()
	return b.doWith(q, nil)
}

// doWith is do with further headers.
func (b *bundle) doWith(q request, headers map[string]string) (*http.Response, []byte) {
	b.t.Helper()
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(b.t.Context(), q.method, b.srv.URL+q.path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if q.token != "" {
		req.Header.Set("Authorization", "Bearer "+q.token)
	}
	if q.contentType != "" {
		req.Header.Set("Content-Type", q.contentType)
	}
	if q.offSpec {
		req.Header.Set(offSpec, "1")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, out
}

// mustJSON decodes an answer of status want into v.
func mustJSON(t *testing.T, resp *http.Response, body []byte, want int, v any) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

// problemBody is what the tests read of a problem.
type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Field  string `json:"field"`
	Errors []struct {
		Row    int    `json:"row"`
		Column string `json:"column"`
		Field  string `json:"field"` // a refused resident's
		Reason string `json:"reason"`
	} `json:"errors"`
	Total int `json:"total"`
}

func mustProblem(t *testing.T, resp *http.Response, body []byte, want int) problemBody {
	t.Helper()
	var p problemBody
	mustJSON(t, resp, body, want, &p)
	if p.Status != want || p.Type != api.ProblemType+p.Code || p.Title != http.StatusText(want) {
		t.Errorf("problem %+v: want status %d, type %s<code>, title %q", p, want, api.ProblemType, http.StatusText(want))
	}
	return p
}

// logBuffer is a concurrency-safe buffer for a test's logs.
type logBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOpenAPI_Document: the document is valid OpenAPI 3.1, served as it
// is embedded to anyone, and names an operation for every route the API
// registers but the catch-all (and no other).
func TestOpenAPI_Document(t *testing.T) {
	t.Parallel()
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	b := setup(t, storetesting.SQLite(t), 0)
	resp, body := b.do(request{method: "GET", path: "/api/v1/openapi.json"})
	if resp.StatusCode != http.StatusOK || string(body) != string(api.OpenAPI()) || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("openapi.json: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}

	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	var registered []string
	for _, r := range routesOf(t) {
		if r.Path() != api.Prefix {
			registered = append(registered, r.Pattern)
		}
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Errorf("documented operations\n%v\nregistered routes\n%v", documented, registered)
	}
}

// TestAPI_Rules: every route has the rule its method asks (reads
// token:read, writes token:write), the document is public, and the
// catch-all answers anyone.
func TestAPI_Rules(t *testing.T) {
	t.Parallel()
	for _, r := range routesOf(t) {
		var want string
		switch {
		case r.Path() == api.Prefix || r.Path() == "/api/v1/openapi.json":
			want = "public"
		case r.Method() == "GET":
			want = "token:read"
		default:
			want = "token:write"
		}
		if string(r.Rule) != want {
			t.Errorf("%s: rule %s, want %s", r.Pattern, r.Rule, want)
		}
	}
}

// TestAPI_Authentication: no token or a bad one is 401 with
// WWW-Authenticate: Bearer, a read token on a write route 403, a token
// whose check fails 500 (logged, its text not shown); the scheme is read
// in any case.
func TestAPI_Authentication(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		resp, body := b.do(request{method: "GET", path: "/api/v1/residents/R-1", offSpec: true})
		if p := mustProblem(t, resp, body, 401); p.Code != "unauthenticated" || resp.Header.Get("WWW-Authenticate") != `Bearer realm="kigen"` {
			t.Errorf("no token: %+v, WWW-Authenticate %q", p, resp.Header.Get("WWW-Authenticate"))
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: "tok-unknown"})
		if mustProblem(t, resp, body, 401); !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("unknown token: WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
		}
		resp, body = b.do(request{method: "DELETE", path: "/api/v1/residents/R-1", token: readA})
		if p := mustProblem(t, resp, body, 403); p.Code != "insufficient_scope" {
			t.Errorf("read token on a write route: %+v", p)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/imports", token: readA, contentType: "text/csv", body: residentsA})
		mustProblem(t, resp, body, 403)
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: failing})
		if p := mustProblem(t, resp, body, 500); p.Detail != "internal error" || !strings.Contains(b.logs.String(), "database is down") {
			t.Errorf("failing check: %+v; logs %s", p, b.logs.String())
		}

		req, _ := http.NewRequestWithContext(t.Context(), "GET", b.srv.URL+"/api/v1/residents/R-1", nil)
		req.Header.Set("Authorization", "bearer "+readA)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("lower-case scheme: %d", resp.StatusCode)
		}
		// The erasure the read token asked for did not happen.
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "R-1"); err != nil {
			t.Errorf("R-1 after a refused DELETE: %v", err)
		}
		if strings.Contains(b.logs.String(), readA) || strings.Contains(b.logs.String(), "R-1") {
			t.Errorf("a token or a ref in the logs: %s", b.logs.String())
		}
	})
}

// TestAPI_ShowResident: a resident of the token's municipality, as the
// counter sees them; one of another municipality is not found, word for
// word as one that does not exist; the view is audited with the token's
// actor.
func TestAPI_ShowResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var v desk.ResidentView
		resp, body := b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: readA})
		mustJSON(t, resp, body, 200, &v)
		if v.Ref != "R-1" || v.Name != "Nguyen Van An" || v.Municipality != "012033" || len(v.Cards) != 1 ||
			v.Cards[0].ExpiresOn != kigen.MustParseISODate("2027-01-31") || v.Date != today {
			t.Errorf("R-1: %+v", v)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		es, err := b.s.ListAuditEntries(t.Context(), store.AuditFilter{MunicipalityID: b.aID, Action: string(auth.ResidentView)})
		if err != nil || len(es) != 1 || es[0].ActorID != "token:1" || es[0].ResidentRef != "R-1" {
			t.Errorf("audit: %v, %v", es, err)
		}

		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/B-1", token: readA})
		other := mustProblem(t, resp, body, 404)
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/B-2", token: readA})
		missing := mustProblem(t, resp, body, 404)
		if strings.ReplaceAll(other.Detail, "B-1", "B-2") != missing.Detail || other.Code != kigen.ENOTFOUND || strings.Contains(other.Detail, "131016") {
			t.Errorf("another municipality's resident: %+v; a missing one: %+v", other, missing)
		}
		// B's own token sees B-1.
		resp, _ = b.do(request{method: "GET", path: "/api/v1/residents/B-1", token: writeB})
		if resp.StatusCode != 200 {
			t.Errorf("B-1 with B's token: %d", resp.StatusCode)
		}
	})
}

// TestAPI_Applied: an application recorded (dated, or today); a date in
// the future refused for field "on"; a body that is not the document's
// refused before the desk (unknown field, not JSON, wrong type, too
// large).
func TestAPI_Applied(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var res desk.AppliedResult
		resp, body := b.do(request{method: "POST", path: "/api/v1/residents/R-1/applied", token: writeA,
			contentType: "application/json", body: `{"on":"2026-11-20"}`})
		mustJSON(t, resp, body, 200, &res)
		if res.Ref != "R-1" || res.On != kigen.MustParseISODate("2026-11-20") || res.Card != kigen.ResidenceCard {
			t.Errorf("applied: %+v", res)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents/R-2/applied", token: writeA})
		mustJSON(t, resp, body, 200, &res)
		if res.On != today {
			t.Errorf("applied without a body: %+v", res)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents/R-3/applied", token: writeA,
			contentType: "application/json", body: `{"on":"2026-12-01"}`})
		if p := mustProblem(t, resp, body, 400); p.Field != "on" || !strings.Contains(p.Detail, "future") {
			t.Errorf("future: %+v", p)
		}
		for _, c := range []struct{ name, ct, body, field string }{
			{"unknown field", "application/json", `{"when":"2026-11-20"}`, "when"},
			{"not JSON", "application/json", `{"on":`, ""},
			{"a number", "application/json", `{"on":20261120}`, "on"},
			{"not a date", "application/json", `{"on":"2026-02-30"}`, ""},
			{"two values", "application/json", `{} {}`, ""},
		} {
			resp, body = b.do(request{method: "POST", path: "/api/v1/residents/R-3/applied", token: writeA,
				contentType: c.ct, body: c.body, offSpec: true})
			if p := mustProblem(t, resp, body, 400); p.Field != c.field {
				t.Errorf("%s: %+v", c.name, p)
			}
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents/R-3/applied", token: writeA,
			contentType: "text/plain", body: `{"on":"2026-11-20"}`, offSpec: true})
		mustProblem(t, resp, body, 415)
		resp, body = b.do(request{method: "POST", path: "/api/v1/residents/R-3/applied", token: writeA,
			contentType: "application/json", body: `{"on":"2026-11-20"` + strings.Repeat(" ", api.MaxJSONBody) + "}", offSpec: true})
		mustProblem(t, resp, body, 413)
		// Nothing of the refused requests was recorded.
		var v desk.ResidentView
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-3", token: readA})
		mustJSON(t, resp, body, 200, &v)
		if !v.Cards[0].RenewalAppliedOn.IsZero() {
			t.Errorf("R-3 after refused requests: %+v", v.Cards[0])
		}
	})
}

// TestAPI_Erase: a dry run says what would go and erases nothing; the
// erasure does, and the resident is then not found; another
// municipality's resident is not found and stays.
func TestAPI_Erase(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var res desk.EraseResult
		resp, body := b.do(request{method: "DELETE", path: "/api/v1/residents/R-1?dry_run=true", token: writeA})
		mustJSON(t, resp, body, 200, &res)
		if res.Erased || res.Ref != "R-1" || res.Contacts != 1 || res.Cards != 1 {
			t.Errorf("dry run: %+v", res)
		}
		resp, body = b.do(request{method: "DELETE", path: "/api/v1/residents/R-1", token: writeA})
		mustJSON(t, resp, body, 200, &res)
		if !res.Erased {
			t.Errorf("erase: %+v", res)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-1", token: readA})
		mustProblem(t, resp, body, 404)
		resp, body = b.do(request{method: "DELETE", path: "/api/v1/residents/B-1", token: writeA})
		mustProblem(t, resp, body, 404)
		resp, body = b.do(request{method: "DELETE", path: "/api/v1/residents/R-2?dry_run=maybe", token: writeA, offSpec: true})
		if p := mustProblem(t, resp, body, 400); p.Field != "dry_run" {
			t.Errorf("dry_run=maybe: %+v", p)
		}
	})
}

// TestAPI_Messages: the resident's messages, oldest first, each with its
// state and the notices it carries.
func TestAPI_Messages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		cards, err := b.s.ListCards(ctx, b.aID, r.ID)
		if err != nil || len(cards) != 1 {
			t.Fatalf("cards: %v, %v", cards, err)
		}
		var ids []int64
		for _, st := range []kigen.Stage{kigen.D90, kigen.D60} {
			n := &kigen.Notice{CardID: cards[0].ID, ExpiresOn: cards[0].ExpiresOn, Stage: st, TickDate: today}
			if err := b.s.CreateNotice(ctx, b.aID, n); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, n.ID)
		}
		sent := &kigen.Message{MunicipalityID: b.aID, ResidentID: r.ID, Channel: kigen.Email, TickDate: today, State: kigen.MessageSent, NoticeIDs: ids}
		failed := &kigen.Message{MunicipalityID: b.aID, ResidentID: r.ID, Channel: kigen.SMS, TickDate: today, State: kigen.MessageFailed, NoticeIDs: ids[1:]}
		for _, m := range []*kigen.Message{sent, failed} {
			if err := b.s.CreateMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		var got struct {
			Ref      string `json:"ref"`
			Messages []struct {
				ID      int64  `json:"id"`
				Channel string `json:"channel"`
				State   string `json:"state"`
				Notices []struct {
					Stage string `json:"stage"`
				} `json:"notices"`
			} `json:"messages"`
		}
		resp, body := b.do(request{method: "GET", path: "/api/v1/residents/R-1/messages", token: readA})
		mustJSON(t, resp, body, 200, &got)
		summary := fmt.Sprint(got.Ref)
		for _, m := range got.Messages {
			summary += fmt.Sprintf(" %d/%s/%s", m.ID, m.Channel, m.State)
			for _, n := range m.Notices {
				summary += ":" + n.Stage
			}
		}
		want := fmt.Sprintf("R-1 %d/email/sent:d90:d60 %d/sms/failed:d60", sent.ID, failed.ID)
		if summary != want {
			t.Errorf("messages %s, want %s", summary, want)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/R-2/messages", token: readA})
		mustJSON(t, resp, body, 200, &got)
		if got.Messages == nil || len(got.Messages) != 0 {
			t.Errorf("R-2's messages: %s", body)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/residents/B-1/messages", token: readA})
		mustProblem(t, resp, body, 404)
	})
}

// TestAPI_Import: a dry run counts and writes nothing; the import writes
// and says so as `kigen import --json` does; a file with bad rows is 422
// with every row as {row, column, reason}, and writes nothing; a body
// that is not text/csv is 415.
func TestAPI_Import(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		csv := "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
			"N-1,Tran Thi Binh,vi,binh@example.jp,定住者,2027-06-30,yes\n" +
			"R-1,Nguyen Van An,vi,an@example.jp,定住者,2027-01-31,yes\n"
		var sum struct {
			Municipality string `json:"municipality"`
			Encoding     string `json:"encoding"`
			Rows         int    `json:"rows"`
			Created      int    `json:"created"`
			Unchanged    int    `json:"unchanged"`
			DryRun       bool   `json:"dry_run"`
			Warnings     []any  `json:"warnings"`
		}
		resp, body := b.do(request{method: "POST", path: "/api/v1/imports?dry_run=true", token: writeA, contentType: "text/csv", body: csv})
		mustJSON(t, resp, body, 200, &sum)
		if !sum.DryRun || sum.Rows != 2 || sum.Created != 1 || sum.Unchanged != 1 || sum.Municipality != "012033" || sum.Warnings == nil {
			t.Errorf("dry run: %s", body)
		}
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "N-1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("N-1 after a dry run: %v", err)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/imports", token: writeA, contentType: "text/csv; charset=utf-8", body: csv})
		mustJSON(t, resp, body, 200, &sum)
		if sum.DryRun || sum.Created != 1 || sum.Encoding != "UTF-8" {
			t.Errorf("import: %s", body)
		}
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "N-1"); err != nil {
			t.Errorf("N-1 after the import: %v", err)
		}

		bad := "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
			"N-2,Ok Row,vi,ok@example.jp,定住者,2027-06-30,yes\n" +
			"N-3,Bad Date,vi,bad@example.jp,定住者,2027-02-30,yes\n" +
			"N-4,Bad Consent,vi,bad2@example.jp,定住者,2027-06-30,perhaps\n"
		resp, body = b.do(request{method: "POST", path: "/api/v1/imports", token: writeA, contentType: "text/csv", body: bad})
		p := mustProblem(t, resp, body, 422)
		if p.Total != 2 || len(p.Errors) != 2 || p.Errors[0].Row != 3 || p.Errors[0].Column != "residence_card_expires_on" ||
			p.Errors[1].Row != 4 || p.Errors[1].Column != "consent" || p.Errors[1].Reason == "" {
			t.Errorf("refused: %s", body)
		}
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "N-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("N-2 after a refused import: %v", err)
		}
		// A file that is no resident list: its header's problems, row 0.
		resp, body = b.do(request{method: "POST", path: "/api/v1/imports", token: writeA, contentType: "text/csv", body: "a,b\n1,2\n"})
		if p := mustProblem(t, resp, body, 422); len(p.Errors) == 0 || p.Errors[0].Row != 0 {
			t.Errorf("no header: %s", body)
		}
		resp, body = b.do(request{method: "POST", path: "/api/v1/imports", token: writeA, contentType: "application/json", body: `{}`, offSpec: true})
		mustProblem(t, resp, body, 415)
	})
}

// TestAPI_Import_TooLarge: a body over the cap is 413 and writes nothing,
// whichever row the cap cuts.
func TestAPI_Import_TooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t, storetesting.SQLite(t), 200)
	csv := "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n" +
		"N-1,Tran Thi Binh,vi,binh@example.jp,定住者,2027-06-30,yes\n" +
		"N-2,Tran Thi Binh,vi,binh@example.jp,定住者,2027-06-30,yes\n" +
		"N-3,Tran Thi Binh,vi,binh@example.jp,定住者,2027-06-30,yes\n"
	resp, body := b.do(request{method: "POST", path: "/api/v1/imports", token: writeA, contentType: "text/csv", body: csv})
	if p := mustProblem(t, resp, body, 413); !strings.Contains(p.Detail, "200 bytes") {
		t.Errorf("too large: %+v", p)
	}
	if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "N-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("N-1 after a refused import: %v", err)
	}
}

// TestAPI_Import_Slow: an import whose body takes longer to arrive than
// the server's read timeout of ordinary requests goes through.
func TestAPI_Import_Slow(t *testing.T) {
	t.Parallel()
	b := setup(t, storetesting.SQLite(t), 0)
	slow := httptest.NewUnstartedServer(b.srv.Config.Handler)
	slow.Config.ReadTimeout = 200 * time.Millisecond
	slow.Start()
	t.Cleanup(slow.Close)
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "resident_ref,name,language,email,residence_status,residence_card_expires_on,consent\n")
		time.Sleep(600 * time.Millisecond)
		_, _ = io.WriteString(pw, "N-1,Tran Thi Binh,vi,binh@example.jp,定住者,2027-06-30,yes\n")
		pw.Close()
	}()
	req, err := http.NewRequestWithContext(t.Context(), "POST", slow.URL+"/api/v1/imports", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+writeA)
	req.Header.Set("Content-Type", "text/csv")
	// Straight to the server: the checking transport would read the
	// whole body before sending it.
	resp, err := slow.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var sum struct {
		Created int `json:"created"`
	}
	if mustJSON(t, resp, body, 200, &sum); sum.Created != 1 {
		t.Errorf("slow import: %s", body)
	}
}

// TestAPI_Followup: the unreachable section read a page of one at a time,
// following the Link header's next, gives every unreachable resident of
// the municipality once, in order; a bad section or cursor is 400.
func TestAPI_Followup(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		link := regexp.MustCompile(`^<(/api/v1/followup\?[^>]+)>; rel="next"$`)
		var refs []string
		path := "/api/v1/followup?section=unreachable&limit=1"
		for pages := 0; path != ""; pages++ {
			if pages > 10 {
				t.Fatal("more than 10 pages")
			}
			var pg desk.FollowupPage
			resp, body := b.do(request{method: "GET", path: path, token: readA})
			mustJSON(t, resp, body, 200, &pg)
			for _, it := range pg.Unreachable {
				refs = append(refs, it.Ref+" "+it.Reason)
			}
			path = ""
			if m := link.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
				path = m[1]
			} else if pg.Next != "" || resp.Header.Get("Link") != "" {
				t.Fatalf("next %q, Link %q", pg.Next, resp.Header.Get("Link"))
			}
		}
		want := []string{"R-2 no consent", "R-3 no consent", "R-4 no contact"}
		if !slices.Equal(refs, want) {
			t.Errorf("unreachable %q, want %q", refs, want)
		}
		resp, body := b.do(request{method: "GET", path: "/api/v1/followup?section=gone", token: readA, offSpec: true})
		if p := mustProblem(t, resp, body, 400); p.Field != "section" {
			t.Errorf("bad section: %+v", p)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/followup?section=stale&cursor=x", token: readA})
		if p := mustProblem(t, resp, body, 400); p.Field != "cursor" {
			t.Errorf("bad cursor: %+v", p)
		}
		resp, body = b.do(request{method: "GET", path: "/api/v1/followup?section=unknown&limit=0", token: readA, offSpec: true})
		if p := mustProblem(t, resp, body, 400); p.Field != "limit" {
			t.Errorf("limit 0: %+v", p)
		}
		// B's list holds none of A's residents.
		var pg desk.FollowupPage
		resp, body = b.do(request{method: "GET", path: "/api/v1/followup?section=unreachable", token: writeB})
		mustJSON(t, resp, body, 200, &pg)
		if pg.Municipality != "131016" || len(pg.Unreachable) != 0 {
			t.Errorf("B's list: %s", body)
		}
	})
}

// TestAPI_NotFound: a path under /api/v1/ that is no route is a 404
// problem, for anyone; a route asked with another method a 405 problem
// with Allow.
func TestAPI_NotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, storetesting.SQLite(t), 0)
	for _, path := range []string{"/api/v1/", "/api/v1/nothing", "/api/v1/resident", "/api/v1/residents/R-1/other"} {
		resp, body := b.do(request{method: "GET", path: path, offSpec: true})
		mustProblem(t, resp, body, 404)
	}
	resp, body := b.do(request{method: "PUT", path: "/api/v1/residents/R-1", token: writeA, offSpec: true})
	mustProblem(t, resp, body, 405)
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow %q", allow)
	}
}

// routesOf returns the API's routes, as it registers them.
func routesOf(t *testing.T) []route.Route {
	t.Helper()
	m := route.NewMux()
	api.New(api.Deps{Desk: &desk.Desk{}, Authenticate: func(context.Context, string) (api.Token, error) {
		return api.Token{}, errors.New("unused")
	}}).Register(m)
	if len(m.Routes()) == 0 {
		t.Fatal("no routes")
	}
	return m.Routes()
}

// TestAPI_EveryRouteGuarded asks every route the API registers (so also
// one added later) without a token, with an unknown one and, for a route
// that writes, with a read token: 401, 401 and 403, as problems, and
// nothing changed.
func TestAPI_EveryRouteGuarded(t *testing.T) {
	t.Parallel()
	b := setup(t, storetesting.SQLite(t), 0)
	before, err := b.s.ListAuditEntries(t.Context(), store.AuditFilter{MunicipalityID: b.aID})
	if err != nil {
		t.Fatal(err)
	}
	// The requests carry no body or query: the guard answers first.
	for _, r := range routesOf(t) {
		if r.Rule == route.Public {
			continue
		}
		path := strings.ReplaceAll(r.Path(), "{ref}", "R-1")
		resp, body := b.do(request{method: r.Method(), path: path, offSpec: true})
		if mustProblem(t, resp, body, 401); resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without a token: no WWW-Authenticate", r.Pattern)
		}
		resp, body = b.do(request{method: r.Method(), path: path, token: "tok-unknown", offSpec: true})
		mustProblem(t, resp, body, 401)
		if r.Rule == route.TokenWrite {
			resp, body = b.do(request{method: r.Method(), path: path, token: readA, offSpec: true})
			mustProblem(t, resp, body, 403)
		}
	}
	if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "R-1"); err != nil {
		t.Errorf("R-1 after refused requests: %v", err)
	}
	after, err := b.s.ListAuditEntries(t.Context(), store.AuditFilter{MunicipalityID: b.aID})
	if err != nil || len(after) != len(before) {
		t.Errorf("audit log after refused requests: %d entries, before %d (%v)", len(after), len(before), err)
	}
}
