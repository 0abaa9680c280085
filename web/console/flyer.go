package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	htmltemplate "html/template"
	"net/http"

	qrcode "github.com/skip2/go-qrcode"

	"kigen/templates"
	"kigen/web/ui"
)

// The flyer is a page of its own, not in the console's layout: one A4
// sheet (CSS @page) that staff print from the browser, with the
// municipality's name, a QR code to its sign-up page /r/{code}/, and a
// short text in each of the twelve languages (templates.Renderer.Flyer).
// Only what is on the screen around the sheet (a way back, how to print)
// is in the console's language.

//go:embed flyer/flyer.html flyer/flyer.css
var flyerFiles embed.FS

// flyerStylePath is where the flyer's style sheet is served.
const flyerStylePath = "/console/static/flyer.css"

var flyerTemplate = htmltemplate.Must(htmltemplate.ParseFS(flyerFiles, "flyer/flyer.html"))

// flyerPage is the flyer of one municipality.
type flyerPage struct {
	Lang              ui.Lang
	Title, Back, Hint string
	Name, Latin       string // 小樽市; Otaru City
	URL               string // the sign-up page the QR code opens
	QR                htmltemplate.URL
	QRAlt, Languages  string
	Texts             []templates.FlyerText
}

// flyer shows the printable flyer of the staff member's municipality.
func (c *Console) flyer(w http.ResponseWriter, r *http.Request) error {
	mu, err := c.desk.Flyer(r.Context(), mustActor(r), "")
	if err != nil {
		return err
	}
	texts, err := c.texts.Flyer(*mu)
	if err != nil {
		return err
	}
	u := c.publicBase(r) + "/r/" + mu.Code + "/"
	// 512 px for a 52 mm square: sharp on paper; level M survives a
	// smudge.
	png, err := qrcode.Encode(u, qrcode.Medium, 512)
	if err != nil {
		return err
	}
	l := ui.LangOf(r)
	v := flyerPage{Lang: l, Title: ui.T(l, "flyer.title", mu.Name), Back: ui.T(l, "flyer.back"), Hint: ui.T(l, "flyer.hint"),
		Name: mu.Name, Latin: mu.LatinDisplay(), URL: u,
		QR:    htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		QRAlt: ui.T(l, "flyer.qr_alt", u), Languages: ui.T(l, "flyer.languages"), Texts: texts}
	var b bytes.Buffer
	if err := flyerTemplate.Execute(&b, v); err != nil {
		return err
	}
	ui.SetHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes()) // a write error: the client left
	return nil
}

// flyerStyle serves the flyer's style sheet; it holds nothing personal and
// may be cached for an hour.
func flyerStyle() http.Handler {
	css, err := flyerFiles.ReadFile("flyer/flyer.css")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(css) // a write error: the client left
	})
}
