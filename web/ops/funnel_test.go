package ops_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/store/storetest"
	"kigen/web"
	"kigen/web/console"
	"kigen/web/ops"
)

// depthQueue is a queue that can say how deep it is.
type depthQueue struct {
	queue
	depth store.QueueDepth
}

func (q depthQueue) Depth(context.Context) (store.QueueDepth, error) { return q.depth, nil }

// TestOps_Funnel: the page shows the funnel of the last day and week per
// channel and provider, failures by error code, the queue's depth, the
// rate limits, each provider's last report and the municipalities without
// a contact block — by counts and codes, never a resident.
func TestOps_Funnel(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		ctx := t.Context()
		mu, err := s.GetMunicipalityByCode(ctx, "012033")
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.GetResidentByRef(ctx, mu.ID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"21211", "21211", "30003"} {
			m := storetest.MustCreateMessage(t, ctx, s, mu.ID, r.ID, kigen.SMS, kigen.DateOf(now))
			d := storetest.MustCreateDelivery(t, ctx, s, m.ID, "twilio")
			d.State, d.ErrorCode = kigen.DeliveryFailed, code
			if err := s.UpdateDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
			if err := s.SetMessageState(ctx, m.ID, kigen.MessageFailed); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordProviderReport(ctx, store.ProviderReport{Provider: "twilio", Status: "undelivered", MessageID: 3,
			At: time.Date(2026, 11, 25, 0, 30, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		// Now with a queue that tells its depth and the rate limits.
		e.desk.Queue = depthQueue{depth: store.QueueDepth{Waiting: 12, Running: 2, Later: 5, OldestWait: 95 * time.Second}}
		c := console.New(console.Deps{Desk: e.desk, Accounts: console.DeskAccounts(e.desk), PublicURL: e.srv.URL})
		o := ops.New(ops.Deps{Desk: e.desk, Guard: c.Guard, Config: theConfig,
			RateLimits: []ops.RateLimit{{Channel: kigen.Email, PerSecond: 100}, {Channel: kigen.SMS, PerSecond: 0}}})
		e.srv.Config.Handler = web.NewHandler(web.Deps{Surfaces: []web.Surface{c, o}})

		cl := e.signedIn(t, "ops@example")
		cl.Jar.SetCookies(mustURL(t, e.srv.URL), []*http.Cookie{{Name: "kigen_console_lang", Value: "en", Path: "/"}})
		resp, body := get(t, cl, e.srv.URL+"/ops/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /ops/ = %d\n%s", resp.StatusCode, body)
		}
		flat := regexp.MustCompile(`\n`).ReplaceAllString(body, "")
		for _, window := range []string{"funnel-day", "funnel-week"} {
			for _, want := range []string{
				`<tr data-row="email outbox"><th scope="row">Email</th><td>outbox</td>` + cells(0, 0, 0, 0, 0, 0, 0, 1, 0) + `<td data-stage="total">1</td></tr>`,
				`<tr data-row="sms twilio"><th scope="row">SMS</th><td>twilio</td>` + cells(0, 0, 0, 0, 0, 3, 0, 0, 0) + `<td data-stage="total">3</td></tr>`,
			} {
				i := strings.Index(flat, `<table id="`+window+`">`)
				if i < 0 || !strings.Contains(flat[i:], want) {
					t.Errorf("%s lacks %s\n%s", window, want, body)
				}
			}
		}
		for _, want := range []string{
			`<tr><th scope="row">twilio</th><td>SMS</td><td>failed</td><td>21211</td><td>2</td><td>2</td></tr>`,
			`<tr><th scope="row">twilio</th><td>SMS</td><td>failed</td><td>30003</td><td>1</td><td>1</td></tr>`,
			`<dd id="queue-waiting">12</dd>`, `1m35s`,
			`<dt>Email</dt><dd>100 (Sends per second)</dd>`, `<dt>SMS</dt><dd>unlimited (Sends per second)</dd>`,
			`<tr><th scope="row">twilio</th><td>2026-11-25 09:30:00 JST</td><td>undelivered</td><td>3</td></tr>`,
			`<li>012033 小樽市</li>`,
			`<a href="/ops/">Operations</a>`,
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("the page lacks %s\n%s", want, body)
			}
		}
		for _, no := range []string{"R-1", "Nguyen", "an@example.jp"} {
			if strings.Contains(body, no) {
				t.Errorf("the page shows %q", no)
			}
		}
	})
}

// cells are the funnel's cells with these counts, in funnel order.
func cells(n ...int) string {
	stages := []string{"planned", "sending", "retrying", "sent", "delivered", "failed", "bounced", "unknown", "dropped"}
	var b strings.Builder
	for i, v := range n {
		b.WriteString(`<td data-stage="` + stages[i] + `">` + strconv.Itoa(v) + `</td>`)
	}
	return b.String()
}
