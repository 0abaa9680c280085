package console_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/store"
)

// decodeQR reads the QR code of a data: URL of a PNG back, with a decoder
// that shares nothing with the encoder.
func decodeQR(t *testing.T, dataURL string) string {
	t.Helper()
	b64, ok := strings.CutPrefix(html.UnescapeString(dataURL), "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s…", dataURL)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return res.GetText()
}

var imgSrc = regexp.MustCompile(`<img src="(data:image/png;base64,[^"]+)"`)

// TestConsole_Flyer: staff print their municipality's flyer: twelve
// languages, and a QR code that reads back as the municipality's sign-up
// page; an operator may not.
func TestConsole_Flyer(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		resp, body := e.get(t, c, "/console/flyer")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /console/flyer = %d\n%s", resp.StatusCode, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
		checkContains(t, body, `<h1 lang="ja">小樽市</h1>`, `lang="vi"`, `lang="ne"`, `lang="zh-Hans"`, "Tiếng Việt", "नेपाली",
			"Scan the code to sign up.", "/console/static/flyer.css", e.srv.URL+"/r/012033/")
		if n := strings.Count(body, `<article class="lang"`); n != 12 {
			t.Errorf("%d languages on the flyer, want 12", n)
		}
		m := imgSrc.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no QR code image")
		}
		if got, want := decodeQR(t, m[1]), e.srv.URL+"/r/012033/"; got != want {
			t.Errorf("the QR code reads %q, want %q", got, want)
		}
		resp, _ = e.get(t, e.client(t), "/console/static/flyer.css")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
			t.Errorf("flyer.css: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		// B's staff get B's flyer; an operator none.
		_, body = e.get(t, e.signedIn(t, "staff@b.example"), "/console/flyer")
		checkContains(t, body, "千代田区", "/r/131016/")
		resp, _ = e.get(t, e.signedIn(t, "ops@example"), "/console/flyer")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator: %d, want 403", resp.StatusCode)
		}
	})
}

var calendarURL = regexp.MustCompile(`<code class="mono calendar-url"[^>]*>([^<]+)</code>`)

// TestConsole_CalendarLink: staff issue a resident's calendar link, shown
// once, whose feed works until they revoke it; another municipality's
// staff find no such resident.
func TestConsole_CalendarLink(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		_, body := e.get(t, c, "/console/residents/R-1")
		checkContains(t, body, `action="/console/residents/R-1/calendar"`, `action="/console/residents/R-1/calendar/revoke"`)
		resp, body := e.post(t, c, "/console/residents/R-1/calendar", url.Values{})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("issue: %d (Cache-Control %q)\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
		m := calendarURL.FindStringSubmatch(body)
		if m == nil || !strings.HasPrefix(m[1], e.srv.URL+"/cal/") || !strings.HasSuffix(m[1], ".ics") {
			t.Fatalf("no calendar URL on the page:\n%s", body)
		}
		feed := html.UnescapeString(m[1])
		checkContains(t, body, `href="webcal://`+strings.TrimPrefix(feed, "http://")+`"`)
		if qr := imgSrc.FindStringSubmatch(body); qr == nil || decodeQR(t, qr[1]) != feed {
			t.Error("the QR code does not read as the calendar URL")
		}
		// The feed itself is web/calendar's (not mounted here): its token works.
		token := strings.TrimSuffix(strings.TrimPrefix(feed, e.srv.URL+"/cal/"), ".ics")
		if f, err := e.desk.CalendarFeed(t.Context(), token); err != nil || len(f.Cards) == 0 {
			t.Fatalf("the link's feed: %v", err)
		}

		resp, _ = e.post(t, e.signedIn(t, "staff@b.example"), "/console/residents/R-1/calendar", url.Values{})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("B's staff issuing A's resident's link: %d, want 404", resp.StatusCode)
		}

		resp, _ = e.post(t, c, "/console/residents/R-1/calendar/revoke", url.Values{})
		_, body = e.follow(t, c, resp)
		checkContains(t, body, "カレンダーのリンクを無効にしました（1 件）。")
		if _, err := e.desk.CalendarFeed(t.Context(), token); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("revoked feed: %v, want not found", err)
		}
	})
}
