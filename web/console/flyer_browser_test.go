package console_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"kigen/internal/storetesting"
)

// pdfPage finds the page objects of a PDF (Chromium writes them
// uncompressed, "/Type /Page" each) and pdfMediaBox a page's size in
// points.
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

var pdfMediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]`)

// TestFlyer_Chromium: staff sign in, open the flyer from the console's
// menu, and print it: the PDF is one A4 page. axe-core runs on the flyer
// and on the calendar link page; any violation fails.
func TestFlyer_Chromium(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetesting.SQLite(t))
	b := newBrowser(t, e)
	u := e.srv.URL

	b.do(chromedp.Navigate(u+"/console/residents/R-1"), chromedp.WaitVisible(chromedp.ID("email")))
	b.do(chromedp.SendKeys(chromedp.ID("email"), "staff@a.example"), chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.SendKeys(chromedp.ID("totp"), e.code(t, "staff@a.example")), chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("cards")))

	// The calendar link, issued from the resident's page.
	b.do(chromedp.Click(chromedp.CSS(`form[action$="/calendar"] button`)), chromedp.WaitVisible(chromedp.CSS(".calendar-url")))
	b.check("console.calendar", "カレンダーのリンク（住民 R-1）", u+"/cal/")

	// The flyer, from the menu.
	b.do(chromedp.Click(chromedp.CSS(`nav a[href="/console/flyer"]`)), chromedp.WaitVisible(chromedp.CSS(".langs")))
	b.check("console.flyer", "小樽市", "Tiếng Việt", "नेपाली", "ภาษาไทย", "한국어", "Scan the code to sign up.", u+"/r/012033/")

	pdf, err := chromedp.Run(b.ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.out, "console.flyer.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if pages := len(pdfPage.FindAll(pdf, -1)); pages != 1 {
		t.Errorf("the flyer prints on %d pages, want 1", pages)
	}
	m := pdfMediaBox.FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no MediaBox in the PDF")
	}
	w, _ := strconv.ParseFloat(string(m[1]), 64)
	h, _ := strconv.ParseFloat(string(m[2]), 64)
	if w < 594 || w > 596.5 || h < 841 || h > 843 { // A4: 595.28 × 841.89 pt
		t.Errorf("PDF page %.1f × %.1f pt, want A4 (595.3 × 841.9)", w, h)
	}
}
