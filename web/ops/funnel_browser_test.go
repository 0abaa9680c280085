package ops_test

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kigen"
	"kigen/desk"
	"kigen/internal/browsertest"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
	"kigen/notify/twilio/twiliotest"
)

// TestOps_FunnelChromium signs an operator in, runs the day's tick through
// the real queue and senders with SMS going to Twilio's loopback fake,
// which refuses the first number for good (21211) and drops the connection
// of the second (the send may have reached Twilio: unknown), and checks
// that the funnel of the last 24 hours shows Twilio's failed, unknown and
// sent counts rise, and that the failure is listed by its error code. Each
// page is checked with axe-core.
func TestOps_FunnelChromium(t *testing.T) {
	t.Parallel()
	s := storetesting.SQLite(t)
	e := newEnv(t, s)
	ctx := t.Context()
	admin, _, err := e.desk.LocalAdmin(ctx, "seed", "012033")
	if err != nil {
		t.Fatal(err)
	}
	// Three SMS residents whose residence card's 30-day notice is due today.
	csv := "resident_ref,name,language,phone,residence_status,residence_card_expires_on,consent,channel\n" +
		"S-1,Tran Thi Bich,vi,090-1234-5671,定住者,2026-12-25,yes,sms\n" +
		"S-2,Li Wei,zh-Hans,090-1234-5672,定住者,2026-12-25,yes,sms\n" +
		"S-3,Ram Bahadur,ne,090-1234-5673,定住者,2026-12-25,yes,sms\n"
	if _, err := e.desk.Import(ctx, admin, desk.ImportParams{CSV: strings.NewReader(csv)}); err != nil {
		t.Fatal(err)
	}
	tw := twiliotest.NewServer()
	t.Cleanup(tw.Close)
	tw.FailNext(twiliotest.Failure{Status: 400, Body: twiliotest.ErrorBody(21211, 400, "The 'To' number is not a valid phone number.")},
		twiliotest.Failure{Drop: true})
	cfg := config.Default()
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom, cfg.TwilioBaseURL = tw.AccountSID, tw.AuthToken, "+815012345678", tw.URL
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	cfg.PublicURL = "https://kigen.example"
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	eng, err := engine.New(ctx, cfg, s, e.clk.Now, logger, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	e.desk.Queue = eng.Queue // the page shows its depth

	bctx := browsertest.Phone(t, 120*time.Second)
	out := browsertest.ArtifactsDir(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	u := e.srv.URL
	do(chromedp.Navigate(u+"/ops/"), chromedp.WaitVisible(chromedp.ID("email")))
	do(chromedp.SendKeys(chromedp.ID("email"), "ops@example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "ops@example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("funnel")))
	const row = `#funnel-day tr[data-row="sms twilio"]`
	if n := count(row); n != 0 {
		t.Fatalf("before the tick the funnel has %d Twilio rows", n)
	}
	browsertest.Screenshot(bctx, t, out, "ops.funnel.before")
	browsertest.CheckAxe(bctx, t, "ops.funnel.before")

	rep, err := eng.Tick(ctx, kigen.DateOf(now))
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	t.Logf("tick: %+v", rep)

	do(chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("funnel")))
	shot := browsertest.Screenshot(bctx, t, out, "ops.funnel.after")
	if n := count(row); n != 1 {
		t.Fatalf("after the tick the 24-hour funnel has %d Twilio rows, want 1 (%s)", n, shot)
	}
	for stage, want := range map[string]string{"failed": "1", "unknown": "1", "sent": "1", "planned": "0", "total": "3"} {
		if got := text(row + ` td[data-stage="` + stage + `"]`); got != want {
			t.Errorf("Twilio's %s in the last 24 hours = %q, want %s (%s)", stage, got, want, shot)
		}
	}
	if got := text(`#failures-table`); !strings.Contains(got, "21211") || !strings.Contains(got, "twilio") {
		t.Errorf("failures by error code: %q, want Twilio's 21211 (%s)", got, shot)
	}
	if got := text(`#queue-waiting`); got != "0" {
		t.Errorf("jobs waiting after the tick = %q, want 0", got)
	}
	browsertest.CheckAxe(bctx, t, "ops.funnel.after")
}
