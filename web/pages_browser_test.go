package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kigen"
	"kigen/internal/browsertest"
)

// pageLayout is what a page reports about itself once rendered.
type pageLayout struct {
	ViewportWidth float64 `json:"vw"`
	ScrollWidth   float64 `json:"scrollWidth"`
	Lang          string  `json:"lang"`
	// The button, if any: its box, whether it is the element drawn at its
	// centre (not covered), and the contrast of its text on its background.
	Button *struct {
		Left, Right, Top, Bottom, Width, Height float64
		OnTop                                   bool    `json:"onTop"`
		Contrast                                float64 `json:"contrast"`
		Text                                    string  `json:"text"`
	} `json:"button"`
}

const measurePage = `(() => {
  const out = {vw: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, lang: document.documentElement.lang, button: null};
  const b = document.querySelector('button');
  if (b) {
    const r = b.getBoundingClientRect();
    const s = getComputedStyle(b);
    const rgb = c => c.match(/[\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const [l1, l2] = [lum(s.color), lum(s.backgroundColor)].sort((a, b) => b - a);
    out.button = {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom, Width: r.width, Height: r.height,
      onTop: document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b,
      contrast: (l1 + 0.05) / (l2 + 0.05), text: b.innerText};
  }
  return out;
})()`

// TestPages_Chromium opens the pages in headless Chromium at phone width,
// saves screenshots, checks that nothing scrolls sideways and that the
// unsubscribe button is visible, large and legible, and presses it: the
// form works without JavaScript.
func TestPages_Chromium(t *testing.T) {
	t.Parallel()
	out := browsertest.ArtifactsDir(t)
	e := newPagesEnv(t, time.Time{})
	ja := e.addSent(t, "ja1", kigen.Japanese, kigen.Email)
	en := e.addSent(t, "en1", kigen.English, kigen.SMS)
	th := e.addSent(t, "th1", kigen.Thai, kigen.Email)

	ctx := browsertest.Phone(t, 2*time.Minute)

	shoot := func(t *testing.T, name string) pageLayout {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[pageLayout](measurePage))
		if err != nil {
			t.Fatalf("%s: measure: %v", name, err)
		}
		shot := browsertest.Screenshot(ctx, t, out, name)
		if got.ViewportWidth != browsertest.PhoneWidth || got.ScrollWidth > got.ViewportWidth {
			t.Errorf("%s: page %v wide in a %v viewport: it scrolls sideways (%s)", name, got.ScrollWidth, got.ViewportWidth, shot)
		}
		return got
	}

	tests := []struct {
		name, path, lang string
		button           bool
	}{
		{"page.unsubscribe.ja", "/u/" + ja.token, "ja", true},
		{"page.unsubscribe.en", "/u/" + en.token, "en", true},
		{"page.message.th", "/m/" + th.token, "th", false},
		{"page.unknown", "/u/AAAAAAAAAAAAAAAAAAAAAA", "ja", false},
	}
	for _, tt := range tests {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+tt.path)); err != nil {
			t.Fatalf("%s: navigate: %v", tt.name, err)
		}
		got := shoot(t, tt.name)
		if got.Lang != tt.lang {
			t.Errorf("%s: lang %q, want %q", tt.name, got.Lang, tt.lang)
		}
		b := got.Button
		switch {
		case !tt.button:
			if b != nil {
				t.Errorf("%s: a button %q", tt.name, b.Text)
			}
		case b == nil:
			t.Errorf("%s: no button", tt.name)
		default:
			if b.Width == 0 || b.Left < 0 || b.Right > got.ViewportWidth || b.Bottom > browsertest.PhoneHeight || !b.OnTop {
				t.Errorf("%s: the button is not wholly visible on the first screen: %+v", tt.name, *b)
			}
			if b.Height < 44 || b.Width < 200 {
				t.Errorf("%s: the button is %vx%v, too small to tap", tt.name, b.Width, b.Height)
			}
			if b.Contrast < 4.5 {
				t.Errorf("%s: the button's text has a contrast of %.2f:1, want at least 4.5:1", tt.name, b.Contrast)
			}
			if b.Text == "" {
				t.Errorf("%s: the button has no label", tt.name)
			}
		}
	}

	// Press the English button: the form posts, the answer shows and the
	// SMS contact is opted out.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/u/"+en.token), chromedp.Click(chromedp.CSS("button"))); err != nil {
		t.Fatalf("press the button: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		gone, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && document.querySelector('button') === null`))
		if err == nil && gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the answer never came (%v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	shoot(t, "page.done.en")
	if c := e.mustContacts(t, en.res.ID)[kigen.SMS]; !c.OptedOut {
		t.Error("pressing the button did not opt the SMS contact out")
	}
	if resp, _ := mustDo(t, e.srv, http.MethodGet, "/u/"+ja.token); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /u/ = %d after the browser's visit", resp.StatusCode)
	}
}
