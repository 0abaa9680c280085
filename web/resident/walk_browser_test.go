package resident_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
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
	"kigen/web"
	"kigen/web/resident"
)

// TestWalk_VietneseBySMS walks the whole path as `kigen serve` runs it (the
// surfaces, the message page, the job queue, the outbox): a resident
// signs up in Vietnamese by SMS, confirms with the code the outbox holds,
// the day's tick sends the 90-day reminder, the resident opens its link,
// says "I applied", sees the timeline change on their page, and erases
// their data.
func TestWalk_VietnameseBySMS(t *testing.T) {
	t.Parallel()
	s := storetesting.SQLite(t)
	ctx := t.Context()
	now := func() time.Time { return testNow }
	logger := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	cfg := config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	cfg.PublicURL = srv.URL
	eng, err := engine.New(ctx, cfg, s, now, logger, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	d := &desk.Desk{Store: s, Now: now}
	if _, err := d.CreateMunicipality(ctx, desk.LocalOperator("test"), desk.MunicipalityParams{Code: "012033"}); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = web.NewHandler(web.Deps{Logger: logger,
		Pages:    &web.Pages{Store: s, Renderer: eng.Renderer, PublicURL: cfg.PublicURL, Now: now},
		Surfaces: engine.Surfaces(cfg, s, eng.Queue, now, logger)})

	b := browsertest.Phone(t, 3*time.Minute)
	out := browsertest.ArtifactsDir(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	vi := func(key string, args ...string) string { return resident.T(kigen.Vietnamese, key, args...) }
	check := func(name string, want ...string) string {
		t.Helper()
		do(chromedp.WaitReady(chromedp.CSS("body")))
		shot := browsertest.Screenshot(b, t, out, "walk."+name)
		body, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q (%s)\n%s", name, w, shot, body)
			}
		}
		return body
	}
	next := chromedp.Click(chromedp.CSS(`button[value=next]`))

	// Sign up in Vietnamese, by SMS.
	do(chromedp.Navigate(srv.URL+"/r/012033/"), chromedp.Click(chromedp.CSS(`a[href="/r/012033/?lang=vi"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/r/012033/signup?lang=vi"]`)), chromedp.WaitVisible(chromedp.ID("cards-two")))
	do(chromedp.Click(chromedp.ID("cards-two")), next, chromedp.WaitVisible(chromedp.ID("residence_card-year")))
	do(chromedp.SendKeys(chromedp.ID("residence_card-year"), "2027"), chromedp.SendKeys(chromedp.ID("residence_card-month"), "1"),
		chromedp.SendKeys(chromedp.ID("residence_card-day"), "31"), chromedp.SendKeys(chromedp.ID("mynumber_card-year"), "2027"),
		chromedp.SendKeys(chromedp.ID("mynumber_card-month"), "1"), chromedp.SendKeys(chromedp.ID("mynumber_card-day"), "31"),
		next, chromedp.WaitVisible(chromedp.ID("status-fixed_period")))
	do(chromedp.Click(chromedp.ID("status-fixed_period")), next, chromedp.WaitVisible(chromedp.ID("address")))
	do(chromedp.Click(chromedp.ID("channel-sms")), chromedp.SendKeys(chromedp.ID("address"), "090-1234-5678"), next,
		chromedp.WaitVisible(chromedp.ID("consent")))
	do(chromedp.Click(chromedp.ID("consent")), next, chromedp.WaitVisible(chromedp.ID("code")))
	check("code", vi("check.sms.title"))

	// The confirmation goes out through the queue: its code is in the
	// outbox, and nothing else is.
	if err := eng.Queue.WorkUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	lines := readOutbox(t, cfg.Outbox)
	if len(lines) != 1 || lines[0].Channel != "sms" || lines[0].To != "+819012345678" {
		t.Fatalf("the outbox after the sign-up: %+v, want one SMS to +819012345678", lines)
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(lines[0].Body)
	if code == "" {
		t.Fatalf("no 6-digit code in the SMS %q", lines[0].Body)
	}
	do(chromedp.SendKeys(chromedp.ID("code"), code), chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("timeline")))
	before := check("me.welcome", vi("done.title"), "Thẻ lưu trú: có hiệu lực đến")
	me, err := chromedp.Run(b, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	me, _, _ = strings.Cut(me, "?")

	// The calendar link, shown once; its feed answers.
	do(chromedp.Click(chromedp.CSS(`form[action$="/calendar"] button`)), chromedp.WaitVisible(chromedp.CSS("a.url")))
	check("calendar", vi("me.calendar.shown"))
	feed, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("a.url")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(feed)
	if err != nil {
		t.Fatal(err)
	}
	ics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") || !strings.Contains(string(ics), "BEGIN:VEVENT") {
		t.Errorf("the calendar feed %s: %d %s\n%s", feed, resp.StatusCode, resp.Header.Get("Content-Type"), ics)
	}

	// The day's tick sends the 90-day reminder by SMS, with its link.
	if _, err := eng.Tick(ctx, kigen.DateOf(testNow)); err != nil {
		t.Fatal(err)
	}
	lines = readOutbox(t, cfg.Outbox)
	if len(lines) != 2 || lines[1].Channel != "sms" || lines[1].Lang != "vi" {
		t.Fatalf("the outbox after the tick: %+v, want the reminder by SMS in Vietnamese", lines)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL) + `/m/[A-Za-z0-9_-]+`).FindString(lines[1].Body)
	if link == "" {
		t.Fatalf("no link in the reminder %q", lines[1].Body)
	}

	// The reminder's page leads to "I applied", which asks, then records.
	do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`a[href$="/applied"]`)))
	check("message", vi("act.link.applied")[:3])
	do(chromedp.Click(chromedp.CSS(`a[href$="/applied"]`)), chromedp.WaitVisible(chromedp.ID("applied-year")))
	check("applied.form", vi("act.applied.title"))
	browsertest.CheckAxe(b, t, "walk.applied.form")
	do(chromedp.SendKeys(chromedp.ID("applied-year"), "2026"), chromedp.SendKeys(chromedp.ID("applied-month"), "11"),
		chromedp.SendKeys(chromedp.ID("applied-day"), "24"), chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.ID("applied-year")))
	check("applied.done", vi("act.applied.done"))

	// The timeline changed: the residence card's reminders stopped.
	do(chromedp.Navigate(me), chromedp.WaitVisible(chromedp.ID("timeline")))
	after := check("me.after", vi("timeline.applied", "date", resident.FormatDate(kigen.Vietnamese, kigen.Date{Year: 2026, Month: 11, Day: 24})))
	if a, bf := strings.Count(after, "Thẻ lưu trú: có hiệu lực đến"), strings.Count(before, "Thẻ lưu trú: có hiệu lực đến"); a >= bf {
		t.Errorf("the residence card is in the timeline %d times after the application, %d before", a, bf)
	}

	// Erase: the question, then the answer; the page is gone.
	do(chromedp.Click(chromedp.CSS(`a[href$="/erase"]`)), chromedp.WaitVisible(chromedp.CSS("button.danger")))
	check("erase", vi("me.erase.confirm.title"))
	do(chromedp.Click(chromedp.CSS("button.danger")), chromedp.WaitNotPresent(chromedp.CSS("button.danger")))
	check("erased", vi("me.erased.title"))
	do(chromedp.Navigate(me))
	check("gone", vi("error.link.title"))
}

// outboxLine is what the test reads of an outbox line.
type outboxLine struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Lang    string `json:"lang"`
	Body    string `json:"body"`
}

func readOutbox(t *testing.T, path string) []outboxLine {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []outboxLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l outboxLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}
