package resident_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"kigen"
	"kigen/internal/browsertest"
	"kigen/internal/storetesting"
	"kigen/web/resident"
)

// TestPages_Chromium walks every resident page at a phone's width in
// Japanese, English, Vietnamese, Nepali and Thai — the first page, the
// municipality's entry, each sign-up step (and a step with its errors),
// the SMS code (wrong, then right), the resident's page, the erasure's
// question, the fresh-link form and its answer, a message's "I applied"
// and "I have my new card" pages, an unknown link — and checks each with
// axe-core (WCAG 2.x A and AA, JIS X 8341-3 AA): any violation fails.
// Korean and Nepali sign-ups are saved as screenshots (testdata/artifacts).
func TestPages_Chromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
	ctx := browsertest.Phone(t, 3*time.Minute)
	out := browsertest.ArtifactsDir(t)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	text := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var lang kigen.Language
	shots := false
	check := func(name string, want ...string) {
		t.Helper()
		do(chromedp.WaitReady(chromedp.CSS("body")))
		name = string(lang) + "." + name
		t.Logf("page %s", name)
		shot := "(no screenshot)"
		if shots {
			shot = browsertest.Screenshot(ctx, t, out, name)
		}
		body := text()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q (%s)\n%s", name, w, shot, body)
			}
		}
		browsertest.CheckAxe(ctx, t, name)
		// Phone width first: nothing wider than the screen.
		if w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > browsertest.PhoneWidth {
			t.Errorf("%s: the page is %v px wide (%v), wider than the phone's %d", name, w, err, browsertest.PhoneWidth)
		}
	}
	tr := func(key string, args ...string) string { return resident.T(lang, key, args...) }
	next := chromedp.Click(chromedp.CSS(`button[value=next]`))
	u := e.srv.URL
	for i, l := range []kigen.Language{kigen.Japanese, kigen.English, kigen.Vietnamese, kigen.Nepali, kigen.Thai, kigen.Korean} {
		lang, shots = l, l == kigen.Korean || l == kigen.Nepali
		if l == kigen.Korean && testing.Short() {
			break
		}
		do(chromedp.Navigate(u + "/"))
		check("home.languages", resident.T(kigen.English, "home.choose_language"))
		do(chromedp.Click(chromedp.CSS(`a[href="/?lang=`+string(l)+`"]`)), chromedp.WaitVisible(chromedp.ID("q")))
		check("home.municipalities", tr("home.choose_municipality"))
		do(chromedp.Click(chromedp.CSS(`a[href="/r/012033/?lang=`+string(l)+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/r/012033/signup?lang=`+string(l)+`"]`)))
		check("entry", tr("entry.start"))
		do(chromedp.Click(chromedp.CSS(`a[href="/r/012033/signup?lang=`+string(l)+`"]`)), chromedp.WaitVisible(chromedp.ID("cards-two")))
		check("signup.1.cards", tr("cards.title"))
		if words := scriptFonts[l]; words != nil {
			if f := h1Fonts(ctx, t); !containsAny(f, words) {
				t.Errorf("%s: the heading is drawn with %q, no font for its script (%v)", l, f, words)
			}
		}
		do(next, chromedp.WaitVisible(chromedp.ID("error-summary-title")))
		check("signup.1.cards.error", tr("cards.error"))
		do(chromedp.Click(chromedp.ID("cards-two")), next, chromedp.WaitVisible(chromedp.ID("residence_card-year")))
		check("signup.2.dates", tr("dates.title"))
		do(chromedp.SendKeys(chromedp.ID("residence_card-year"), "2027"), chromedp.SendKeys(chromedp.ID("residence_card-month"), "2"),
			chromedp.SendKeys(chromedp.ID("residence_card-day"), "30"), next, chromedp.WaitVisible(chromedp.ID("error-summary-title")))
		check("signup.2.dates.error", tr("dates.error.required", "field", tr("dates.mynumber_card")))
		do(chromedp.SetValue(chromedp.ID("residence_card-month"), "1"), chromedp.SetValue(chromedp.ID("residence_card-day"), "31"),
			chromedp.SendKeys(chromedp.ID("mynumber_card-year"), "2027"), chromedp.SendKeys(chromedp.ID("mynumber_card-month"), "1"),
			chromedp.SendKeys(chromedp.ID("mynumber_card-day"), "31"), next, chromedp.WaitVisible(chromedp.ID("status-fixed_period")))
		check("signup.3.status", tr("status.title"))
		do(chromedp.Click(chromedp.ID("status-fixed_period")), next, chromedp.WaitVisible(chromedp.ID("address")))
		check("signup.4.contact", tr("contact.title"))
		do(chromedp.Click(chromedp.ID("channel-sms")), chromedp.SendKeys(chromedp.ID("address"), fmt.Sprintf("090-1111-%04d", i)),
			next, chromedp.WaitVisible(chromedp.ID("consent")))
		check("signup.5.consent", tr("consent.title"))
		do(chromedp.Click(chromedp.ID("consent")), next, chromedp.WaitVisible(chromedp.ID("code")))
		check("signup.6.code", tr("check.sms.title"))
		do(chromedp.SendKeys(chromedp.ID("code"), "000000"), chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("error-summary-title")))
		check("signup.6.code.error", tr("check.code"))
		do(chromedp.SetValue(chromedp.ID("code"), e.code(t, e.last(t))), chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("timeline")))
		check("me.welcome", tr("done.title"), tr("timeline.title"))
		me, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		me, _, _ = strings.Cut(me, "?")
		do(chromedp.Click(chromedp.CSS(`form[action$="/calendar"] button`)), chromedp.WaitVisible(chromedp.CSS("a.url")))
		check("me.calendar", tr("me.calendar.shown"))
		do(chromedp.Navigate(me+"/erase"), chromedp.WaitVisible(chromedp.CSS("button.danger")))
		check("me.erase", tr("me.erase.confirm.title"))

		token := fmt.Sprintf("browserMessage-%02d-0123456", i)
		e.sentMessage(t, token)
		do(chromedp.Navigate(u+"/m/"+token+"/applied"), chromedp.WaitVisible(chromedp.ID("applied-year")))
		check("message.applied", tr("act.applied.title"))
		do(chromedp.Navigate(u+"/m/"+token+"/card?card=residence_card"), chromedp.WaitVisible(chromedp.ID("expires-year")))
		check("message.card", tr("act.newcard.title"))
		e.eraseAll(t)

		do(chromedp.Navigate(u+"/r/012033/link?lang="+string(l)), chromedp.WaitVisible(chromedp.ID("address")))
		check("link", tr("link.title"))
		do(chromedp.SendKeys(chromedp.ID("address"), fmt.Sprintf("090-2222-%04d", i)), chromedp.Click(chromedp.CSS(`main button[type=submit]`)),
			chromedp.WaitNotPresent(chromedp.ID("address")))
		check("link.sent", tr("link.sent.title"))
		do(chromedp.Navigate(u+"/me/AAAAAAAAAAAAAAAAAAAAAA?lang="+string(l)), chromedp.WaitReady(chromedp.CSS("h1")))
		check("me.unknown", tr("error.link.title"))
	}
}

// scriptFonts are words of the font families that draw each script (the
// Noto families Debian installs, as the messages' test asks).
var scriptFonts = map[kigen.Language][]string{
	kigen.Japanese: {"CJK", "JP"},
	kigen.Korean:   {"CJK", "KR"},
	kigen.Thai:     {"Thai", "Tlwg", "Loma"},
	kigen.Nepali:   {"Devanagari"},
}

// h1Fonts returns the families of the platform fonts that drew the page's
// heading.
func h1Fonts(ctx context.Context, t *testing.T) string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.QueryNodeIDs(chromedp.CSS("h1")))
	if err != nil || len(ids) == 0 {
		t.Fatalf("no heading: %v", err)
	}
	fonts, err := chromedp.Run(ctx, chromedp.Action[string](func(ctx context.Context, tg *chromedp.Target) (string, error) {
		if _, err := cdp.Call(ctx, tg, dom.Enable, dom.EnableParams{}); err != nil {
			return "", err
		}
		if _, err := cdp.Call(ctx, tg, css.Enable, cdp.Empty{}); err != nil {
			return "", err
		}
		res, err := cdp.Call(ctx, tg, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
		if err != nil {
			return "", err
		}
		var names []string
		for _, f := range res.Fonts {
			names = append(names, f.FamilyName)
		}
		return strings.Join(names, ", "), nil
	}))
	if err != nil {
		t.Fatalf("platform fonts: %v", err)
	}
	return fonts
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
