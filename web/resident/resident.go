// Package resident is the resident's side of Kigen (docs/residents.md):
// sign-up in twelve languages with double opt-in, the resident's own page
// (/me/{token}), a fresh link asked for by email or SMS, and the pages a
// message's "I applied" and "I have my new card" links lead to.
//
//	GET  /                          language first, then the municipality (search, by prefecture)
//	GET  /r/{code}/                 a municipality's entry (its flyer's QR code)
//	GET  /r/{code}/signup           the sign-up's first step
//	POST /r/{code}/signup           each next step; the last one asks the desk to send the confirmation
//	…                               confirmation, /me/{token}, message links: see Register
//
// The pages work without JavaScript and run none (the CSP forbids it);
// they are phone-width first, noindex, no-referrer and no-store. A page
// parses its request, calls one desk method, and renders: no rule lives
// here. Every POST is behind http.CrossOriginProtection; a GET never
// changes anything. The 12-digit individual number is refused in every
// field and never shown again.
package resident

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kigen"
	"kigen/templates"
	"kigen/web/route"
)

//go:embed tmpl/*.html pages/*.html
var templateFiles embed.FS

//go:embed static/resident.css
var styleSheet []byte

// StylePath is where the pages' style sheet is served.
const StylePath = "/resident.css"

// CSP lets a page use its own style sheet and post its own forms: no
// script, no inline style, no remote resource, no framing.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// maxForm bounds a form's body: the longest (the sign-up's last step)
// carries a few hundred bytes.
const maxForm = 16 << 10

// Pages are the resident's pages, a web.Surface.
type Pages struct {
	svc      Service
	renderer *templates.Renderer
	public   string
	now      func() time.Time
	logger   *slog.Logger
	pages    map[string]*htmltemplate.Template
	cop      *http.CrossOriginProtection
}

// Deps are what the pages need.
type Deps struct {
	// Service is the service layer (package desk) the pages call.
	Service Service
	// Renderer writes a municipality's name as each language writes it
	// (templates.Renderer.Page); nil: one with the built-in hotlines
	// (the names do not depend on them).
	Renderer *templates.Renderer
	// PublicURL is KIGEN_PUBLIC_URL (links the pages show).
	PublicURL string
	// Now is the clock (KIGEN_NOW); nil: time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// New returns the pages. It panics without a Service (a wiring bug).
func New(d Deps) *Pages {
	if d.Service == nil {
		panic("resident: New without a Service")
	}
	if d.Renderer == nil {
		rd, err := templates.New(templates.DefaultHotlines())
		if err != nil {
			panic("resident: the built-in templates: " + err.Error()) // embedded: a bug any test catches
		}
		d.Renderer = rd
	}
	p := &Pages{svc: d.Service, renderer: d.Renderer, public: strings.TrimRight(d.PublicURL, "/"), now: d.Now, logger: d.Logger,
		pages: parsePages(), cop: http.NewCrossOriginProtection()}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	p.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fail(w, r, http.StatusForbidden, langOf(r), "error.title", "error.text")
	}))
	return p
}

// parsePages parses each page with the layout and the components.
func parsePages() map[string]*htmltemplate.Template {
	base := htmltemplate.Must(htmltemplate.New("layout").ParseFS(templateFiles, "tmpl/*.html"))
	names, err := templateFiles.ReadDir("pages")
	if err != nil {
		panic(err)
	}
	out := map[string]*htmltemplate.Template{}
	for _, n := range names {
		t := htmltemplate.Must(htmltemplate.Must(base.Clone()).ParseFS(templateFiles, "pages/"+n.Name()))
		out[strings.TrimSuffix(n.Name(), ".html")] = t
	}
	return out
}

// handlerFunc is a page that returns its error for handle to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers f on g for pattern under rule; a POST goes through
// the cross-origin protection first.
func (p *Pages) handle(g *route.Group, pattern string, rule route.Rule, f handlerFunc) {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			p.logger.ErrorContext(r.Context(), "resident page failed", slog.String("route", r.Pattern), slog.Any("error", err))
			p.fail(w, r, http.StatusInternalServerError, langOf(r), "error.title", "error.text")
		}
	})
	if strings.HasPrefix(pattern, "POST ") {
		h = p.cop.Handler(h)
	}
	g.Handle(pattern, rule, h)
}

// Register adds the pages' routes to m: the sign-up's are public, the
// resident's own (their token in the path) are link routes.
func (p *Pages) Register(m *route.Mux) {
	open := m.Group(nil)
	open.Handle("GET "+StylePath, route.Public, http.HandlerFunc(serveStyle))
	p.handle(open, "GET /{$}", route.Public, p.home)
	p.handle(open, "GET /r/{code}/{$}", route.Public, p.entry)
	// A QR code read without its slash, or a code typed by hand.
	open.HandleFunc("GET /r/{code}", route.Public, func(w http.ResponseWriter, r *http.Request) {
		u := "/r/" + url.PathEscape(r.PathValue("code")) + "/"
		if l := langOf(r); l != "" {
			u += "?lang=" + string(l)
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
	})
	p.handle(open, "GET /r/{code}/signup", route.Public, p.signupStart)
	p.handle(open, "POST /r/{code}/signup", route.Public, p.signupStep)
	p.registerSelf(open)
}

func serveStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(styleSheet) // a write error: the client left
}

// SetHeaders sets the headers of every resident page: the CSP, no
// referrer (paths carry tokens), no caching (pages show personal data), no
// sniffing, no framing, no indexing.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", CSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// render answers the page name with v.
func (p *Pages) render(w http.ResponseWriter, status int, name string, v *view) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("resident: no page %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "page", v); err != nil {
		return fmt.Errorf("resident: page %s: %w", name, err)
	}
	SetHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes()) // a write error: the client left
	return nil
}

// fail answers a page that says what went wrong, in l.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, status int, l kigen.Language, titleKey, textKey string) {
	v := p.view(r, l, T(l, titleKey))
	v.Paras = []string{T(l, textKey)}
	if err := p.render(w, status, "message", v); err != nil {
		p.logger.ErrorContext(r.Context(), "resident page failed", slog.String("route", r.Pattern), slog.Any("error", err))
		http.Error(w, http.StatusText(status), status)
	}
}

// langOf returns the language the request asks for (?lang= or the form's
// lang field), or "" when it names none of the twelve.
func langOf(r *http.Request) kigen.Language {
	l := kigen.Language(r.URL.Query().Get("lang"))
	if !l.Valid() && r.Method == http.MethodPost {
		l = kigen.Language(r.PostFormValue("lang"))
	}
	if !l.Valid() {
		return ""
	}
	return l
}

// langOr returns the request's language, else def.
func langOr(r *http.Request, def kigen.Language) kigen.Language {
	if l := langOf(r); l != "" {
		return l
	}
	return def
}

// clientKey is an opaque key of the client for the sign-up limits: a
// hash of its address, never the address.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	sum := sha256.Sum256([]byte("kigen-signup-client:" + host))
	return hex.EncodeToString(sum[:12])
}

// view is what every page shows: the layout reads its first fields, each
// page the ones it needs.
type view struct {
	Lang      kigen.Language
	HTMLLang  string
	Title     string
	StylePath string
	// LangURL is where "change language" leads ("" for no link).
	LangURL string
	// Muni is the municipality's name in the page's language, Code its code.
	Muni, Code string
	Errors     []shownError

	// The language lists: Chosen is false until a language is chosen;
	// Others are the heading in the other languages.
	Chosen bool
	Langs  []langLink
	Others []langText

	// Home.
	Query       string
	Prefectures []prefectureView

	// The sign-up's steps.
	Step             string
	StepN, StepTotal int
	Hidden           []hiddenField
	Choice           *choiceView
	Check            *checkView
	DateFields       []dateFieldView
	TextFields       []textFieldView

	// Message pages: paragraphs and a link.
	Paras []string
	Link  *linkView

	// The resident's own page and the message links.
	Me  *meView
	Act *actView
}

// T returns the text of key in the page's language.
func (v *view) T(key string, args ...string) string { return T(v.Lang, key, args...) }

// Date writes d in the page's language.
func (v *view) Date(d kigen.Date) string { return FormatDate(v.Lang, d) }

// Err returns the error of the field id ("" for none).
func (v *view) Err(id string) string {
	for _, e := range v.Errors {
		if e.ID == id {
			return e.Message
		}
	}
	return ""
}

// shownError is an error as the page shows it.
type shownError struct{ ID, Message string }

type langLink struct {
	URL, Name, HTMLLang string
	Current             bool
}

type langText struct{ HTMLLang, Text, Sub string }

type prefectureView struct {
	Name  string
	Munis []muniLink
}

type muniLink struct{ URL, Name string }

type choiceView struct {
	Name, Label, Need, Error string
	Options                  []optionView
	// Heading: the page's only question, its heading (an h1 in the
	// legend, the page without another).
	Heading bool
}

type optionView struct {
	Value, Label string
	Selected     bool
}

type checkView struct {
	Label, Error string
	Checked      bool
}

type dateFieldView struct {
	Name, Label, Hint, Error, Need  string
	Year, Month, Day                string
	YearLabel, MonthLabel, DayLabel string
	Required                        bool
	Drawing                         htmltemplate.HTML
}

type textFieldView struct {
	ID, Name, Label, Hint, Error, Need string
	Type, Value                        string
	Required                           bool
	Autocomplete, InputMode            string
}

type linkView struct{ URL, Text string }

// view starts the view of a page in l titled title.
func (p *Pages) view(r *http.Request, l kigen.Language, title string) *view {
	if !l.Valid() {
		l = kigen.English
	}
	v := &view{Lang: l, HTMLLang: htmlLang(l), Title: title, StylePath: StylePath, Chosen: true}
	return v
}

// shown turns field errors into the page's texts.
func (v *view) shown(errs []fieldError) {
	for _, e := range errs {
		args := append([]string(nil), e.Args...)
		for i := 1; i < len(args); i += 2 {
			if args[i-1] == "field" {
				args[i] = v.T(args[i])
			}
		}
		v.Errors = append(v.Errors, shownError{ID: e.ID, Message: v.T(e.Key, args...)})
	}
}

// langLinks lists the twelve languages, each linking to url(l).
func langLinks(cur kigen.Language, url func(kigen.Language) string) []langLink {
	var ls []langLink
	for _, l := range kigen.Languages {
		ls = append(ls, langLink{URL: url(l), Name: T(l, "lang.name"), HTMLLang: htmlLang(l), Current: l == cur})
	}
	return ls
}

// otherTexts is key in every language but l, for a heading that must be
// read before a language is chosen.
func otherTexts(l kigen.Language, key string) []langText {
	var ts []langText
	for _, o := range kigen.Languages {
		if o == l || o == kigen.EasyJapan {
			continue
		}
		ts = append(ts, langText{HTMLLang: htmlLang(o), Text: T(o, key)})
	}
	return ts
}

// muniName is the municipality's name as l writes it.
func (p *Pages) muniName(l kigen.Language, m kigen.Municipality) string {
	t, err := p.renderer.Page(l, m, kigen.Email)
	if err != nil || t.Muni == "" {
		return m.Name
	}
	return t.Muni
}

// isNotFound reports whether err is the service's "not found".
func isNotFound(err error) bool { return kigen.ErrorCode(err) == kigen.ENOTFOUND }
