package console_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/scheduler"
)

// TestConsole_SignupsChromium: the page of self sign-ups to check, with
// one possible duplicate and then none, passes axe-core (WCAG 2.x A and
// AA) at a desk's width.
func TestConsole_SignupsChromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
	ctx := t.Context()
	q := &selfQueue{}
	e.desk.Self = &desk.SelfConfig{Queue: q}
	if _, err := e.desk.StartSignup(ctx, desk.SignupParams{Municipality: "012033", Language: "ne", Name: "Sita",
		ResidenceCard: "2029-01-31", Email: "an@example.jp", Consent: true}); err != nil {
		t.Fatal(err)
	}
	s, err := e.s.GetSignup(ctx, q.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.s.LinkSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.desk.ConfirmSignup(ctx, desk.ConfirmParams{Token: scheduler.SelfToken(key, "confirm", s.Nonce)}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	u := e.srv.URL
	b.do(chromedp.Navigate(u+"/console/signups"), chromedp.WaitVisible(chromedp.ID("email")))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "staff@a.example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "staff@a.example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("signups")))
	b.check("console.signups", "確認が必要な本人登録", "an@example.jp", "Sita", "R-1")
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/dismiss"] button`)), chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/dismiss"]`)))
	b.check("console.signups.empty", "本人登録を閉じました。", "確認が必要な本人登録はありません。")
}
