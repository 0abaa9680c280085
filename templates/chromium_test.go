package templates

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"kigen"
	"kigen/internal/browsertest"
)

// layout is what the page reports about itself once rendered.
type layout struct {
	ViewportWidth float64  `json:"vw"`
	ScrollWidth   float64  `json:"scrollWidth"`
	Text          string   `json:"text"`
	Outside       []string `json:"outside"` // elements reaching beyond the viewport
	Clipped       []string `json:"clipped"` // elements whose content overflows a box that hides it
}

const measure = `(() => {
  const vw = window.innerWidth;
  const out = {vw, scrollWidth: document.documentElement.scrollWidth, text: document.body.innerText, outside: [], clipped: []};
  const name = el => el.tagName.toLowerCase() + ': ' + (el.innerText || '').trim().slice(0, 60);
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) out.outside.push(name(el));
    const s = getComputedStyle(el);
    if (el.scrollWidth > el.clientWidth + 1 && s.overflowX !== 'visible' && s.display !== 'none') out.clipped.push(name(el));
  }
  return out;
})()`

// scriptFonts are words of the font families that can draw each script; a
// status line drawn with none of them would show boxes or a fallback.
var scriptFonts = map[kigen.Language][]string{
	kigen.Japanese:  {"CJK", "JP"},
	kigen.EasyJapan: {"CJK", "JP"},
	kigen.Chinese:   {"CJK", "SC"},
	kigen.Korean:    {"CJK", "KR"},
	kigen.Thai:      {"Thai", "Tlwg", "Loma", "Garuda", "Kinnari", "Norasi", "Sawasdee", "Umpush", "Waree", "Purisa", "Laksaman"},
	kigen.Nepali:    {"Devanagari"},
}

// TestEmail_Chromium renders the HTML email of every language in headless
// Chromium at phone width, saves a screenshot, and checks that the text is
// all there, drawn with a font for its script, and that nothing is wider
// than the screen or clipped.
func TestEmail_Chromium(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	out := browsertest.ArtifactsDir(t)
	ctx := browsertest.Phone(t, 3*time.Minute)
	pages := t.TempDir()
	// The longest message of the fixtures: three cards, the longest
	// municipality, its long contact e-mail and web address.
	notices := []kigen.Due{
		mustDue(t, Case{kigen.ResidenceCard, kigen.D14, ContextNone}, today),
		mustDue(t, Case{kigen.MyNumberCard, kigen.D14, ContextPending}, today),
		mustDue(t, Case{kigen.MyNumberCert, kigen.D14, ContextNone}, today),
	}
	for _, l := range kigen.Languages {
		p := params(l, longest, notices)
		p.ResidentName = "Nguyen Van An"
		e, err := r.Email(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.view(p)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(pages, "email."+string(l)+".html")
		if err := os.WriteFile(file, []byte(e.HTML), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
			t.Fatalf("%s: navigate: %v", l, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](measure))
		if err != nil {
			t.Fatalf("%s: measure: %v", l, err)
		}
		shot := browsertest.Screenshot(ctx, t, out, "email."+string(l))
		if got.ViewportWidth != browsertest.PhoneWidth || got.ScrollWidth > got.ViewportWidth {
			t.Errorf("%s: page %v wide in a %v viewport (%s)", l, got.ScrollWidth, got.ViewportWidth, shot)
		}
		for _, o := range got.Outside {
			t.Errorf("%s: beyond the screen's edge: %s (%s)", l, o, shot)
		}
		for _, c := range got.Clipped {
			t.Errorf("%s: clipped: %s (%s)", l, c, shot)
		}
		visible := strings.Join(strings.Fields(got.Text), " ")
		for _, want := range visibleTexts(v) {
			if !strings.Contains(visible, strings.Join(strings.Fields(want), " ")) {
				t.Errorf("%s: %q is not visible (%s)", l, want, shot)
			}
		}
		if strings.Contains(visible, v.Preheader+" "+v.Title) {
			t.Errorf("%s: the hidden preheader shows", l)
		}
		if words := scriptFonts[l]; words != nil {
			fonts := statusFonts(ctx, t)
			t.Logf("%s: status line drawn with %s", l, fonts)
			if !containsAny(fonts, words) {
				t.Errorf("%s: the status line is drawn with %q, no font for the script (%v)", l, fonts, words)
			}
		}
	}
}

// visibleTexts are the texts of a message a reader must see.
func visibleTexts(v *emailView) []string {
	texts := []string{v.Title, v.Greeting, v.Intro, v.Contact.Heading, v.Contact.Email, v.Contact.URL, v.Hotlines.Heading, v.Why}
	for _, n := range v.Notices {
		texts = append(texts, n.Heading, n.Status, n.GoBy, n.Where)
		texts = append(texts, n.Do...)
		texts = append(texts, n.Bring...)
		texts = append(texts, n.Notes...)
	}
	for _, h := range v.Hotlines.Phones {
		texts = append(texts, h.Number, h.Topic)
		texts = append(texts, h.Hours...)
	}
	return texts
}

// statusFonts returns the families of the platform fonts that drew the
// first status line.
func statusFonts(ctx context.Context, t *testing.T) string {
	t.Helper()
	ids, err := chromedp.Run(ctx, chromedp.QueryNodeIDs(chromedp.CSS(".status")))
	if err != nil || len(ids) == 0 {
		t.Fatalf("no status line: %v", err)
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
