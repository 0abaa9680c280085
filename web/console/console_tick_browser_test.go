package console_test

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"kigen"
	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
)

// TestConsole_ReminderAfterTick signs in, registers a resident whose
// residence card expires in 87 days, runs the day's tick in-process (the
// engine kigen tick runs: plan, then deliver through the River queue to the
// outbox), and finds the reminder on the resident's page: the day, the
// card, the stage, the channel and its delivery state. axe-core runs on
// every page.
func TestConsole_ReminderAfterTick(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
	b := newBrowser(t, e)
	u := e.srv.URL

	b.do(chromedp.Navigate(u+"/console/login"), chromedp.WaitVisible(chromedp.ID("email")))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "staff@a.example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "staff@a.example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("ul.today")))

	// Register at the counter: a residence card expiring on 2027-02-20,
	// 87 days after today (2026-11-25): the 90-day reminder is due.
	b.do(chromedp.Navigate(u+"/console/register"), chromedp.WaitVisible(chromedp.ID("ref")))
	b.do(chromedp.SendKeys(chromedp.ID("ref"), "R-20"), chromedp.SendKeys(chromedp.ID("name"), "Dewi Lestari"),
		chromedp.SetValue(chromedp.ID("language"), "id"), chromedp.SendKeys(chromedp.ID("email"), "dewi@example.jp"),
		chromedp.Click(chromedp.CSS(`input[name=consent][value=yes]`)),
		chromedp.SendKeys(chromedp.ID("residence_card-year"), "2027"), chromedp.SendKeys(chromedp.ID("residence_card-month"), "2"),
		chromedp.SendKeys(chromedp.ID("residence_card-day"), "20"),
		chromedp.Click(chromedp.CSS(`button[value=preview]`)), chromedp.WaitVisible(chromedp.ID("preview")))
	b.check("console.tick.preview", "送信予定", "2026年11月25日", "90日前")
	b.do(chromedp.Click(chromedp.CSS(`button[value=save]`)), chromedp.WaitVisible(chromedp.ID("cards")))
	b.check("console.tick.registered", "住民 R-20 を登録しました。", "Dewi Lestari", "87日")

	// Nothing was sent yet.
	b.do(chromedp.Navigate(u+"/console/residents/R-20"), chromedp.WaitVisible(chromedp.ID("notices")))
	b.check("console.tick.before", "まだお知らせはありません。")

	// The day's tick, as kigen tick runs it, on the console's store.
	cfg := config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	eng, err := engine.New(t.Context(), cfg, e.s, e.clk.Now, slog.New(slog.DiscardHandler), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	rep, err := eng.Tick(t.Context(), kigen.DateOf(e.clk.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent["email"] < 1 {
		t.Fatalf("the tick sent no email: %+v", rep)
	}
	if got := outboxFor(t, cfg.Outbox, "R-20"); got != "email residence_card:d90" {
		t.Fatalf("R-20's messages in the outbox: %q, want its one 90-day email", got)
	}

	// The reminder in the resident's timeline: the day, the card and its
	// expiry, the stage, the channel and the delivery state.
	b.do(chromedp.Navigate(u+"/console/residents/R-20"), chromedp.WaitVisible(chromedp.ID("notices")))
	b.check("console.tick.reminder", "お知らせと送信状況", "2026年11月25日", "在留カード (2027年2月20日)", "90日前", "メール: 送信済み")
	row, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`[aria-labelledby=notices] tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026年11月25日\t在留カード (2027年2月20日)\t90日前\tメール: 送信済み"; row != want {
		t.Errorf("the timeline's row reads %q, want %q", row, want)
	}

	// The same in English.
	b.do(chromedp.Click(chromedp.CSS("form.lang button")), chromedp.WaitVisible(chromedp.CSS(`html[lang=en]`)))
	b.check("console.tick.reminder.en", "25 November 2026", "Residence card (20 February 2027)", "Email: Sent")
	b.do(chromedp.Click(chromedp.CSS("form.lang button")), chromedp.WaitVisible(chromedp.CSS(`html[lang=ja]`)))
}

// outboxFor returns the messages of the outbox file for resident ref, as
// "channel card:stage" (one line each, joined by "; ").
func outboxFor(t *testing.T, path, ref string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Ref     string `json:"resident_ref"`
			Channel string `json:"channel"`
			Notices []struct {
				Card  string `json:"card"`
				Stage string `json:"stage"`
			} `json:"notices"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Ref != ref {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += line.Channel
		for _, n := range line.Notices {
			out += " " + n.Card + ":" + n.Stage
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
