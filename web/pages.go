package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"kigen"
	"kigen/scheduler"
	"kigen/store"
	"kigen/templates"
	"kigen/web/route"
)

// Pages are the resident's pages every message links to (docs/architecture.md, pages
// in wave 1): no login, the link's token is the capability.
//
//	GET  /m/{token}  the message in full, in the resident's language, with
//	                 its "I applied" and "I have my new card" links (to
//	                 /m/{token}/applied and /m/{token}/card, web/resident)
//	GET  /u/{token}  asks whether to stop the reminders on the message's channel
//	POST /u/{token}  stops them: one click (RFC 8058), idempotent
//
// An unknown, erased or expired link gets a friendly page in all twelve
// languages (404, or 410 once expired), never an error trace. The store
// keeps only the hash of a token (scheduler.TokenHash); logs name the
// route pattern and ids, never a token.
type Pages struct {
	Store    store.Store
	Renderer *templates.Renderer
	// PublicURL is KIGEN_PUBLIC_URL, the base of the links the message
	// page carries; empty gives links relative to the site.
	PublicURL string
	// Now returns the current time (KIGEN_NOW in demos and tests); "today"
	// is its date in Asia/Tokyo. Default time.Now.
	Now func() time.Time
}

// TokenTTL is how long a message's links work, counted from the message's
// creation: a little more than a year, so that the yearly reminders of one
// card always have a working link.
const TokenTTL = 400 * 24 * time.Hour

// maxUnsubscribeBody bounds the body of POST /u/{token}: a mail client
// sends "List-Unsubscribe=One-Click", the form one field.
const maxUnsubscribeBody = 4 << 10

// pageCSP lets a page use its inline styles and post its own form, nothing
// else: no script, no remote resource, no framing.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pages serves Pages with the handler's logger.
type pages struct {
	*Pages
	logger *slog.Logger
}

// mountPages adds the routes of p to h's mux.
func (h *handler) mountPages(p *Pages) {
	if p.Store == nil || p.Renderer == nil {
		panic("web: Pages without a Store or a Renderer")
	}
	ps := &pages{Pages: p, logger: h.logger}
	link := h.mux.Group(nil)
	link.Handle("GET /m/{token}", route.Link, ps.handle(ps.message))
	link.Handle("GET /u/{token}", route.Link, ps.handle(ps.confirm))
	link.Handle("POST /u/{token}", route.Link, ps.handle(ps.unsubscribe))
}

func (p *pages) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// linkError is a link that leads nowhere: unknown, erased or expired. It
// is answered with the friendly page, the resident's language first when
// it is known.
type linkError struct {
	status int
	lang   kigen.Language
}

func (e *linkError) Error() string {
	if e.status == http.StatusGone {
		return "link expired"
	}
	return "link unknown"
}

var errUnknownLink = &linkError{status: http.StatusNotFound}

// handle adapts a page to an http.Handler: a linkError is answered with
// the friendly page; any other error is logged once (route and error,
// never the token) and answered with a friendly error page.
func (p *pages) handle(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		err := f(tw, r)
		if err == nil {
			return
		}
		var le *linkError
		if errors.As(err, &le) {
			if !tw.wrote {
				p.writeGone(w, r, le)
			}
			return
		}
		p.logger.ErrorContext(r.Context(), "page failed", slog.String("route", r.Pattern), slog.Any("error", err))
		if !tw.wrote {
			p.writeFailure(w, r)
		}
	})
}

// lookup returns the message of a link's token, or a linkError if there is
// none, it expired or its resident was erased.
func (p *pages) lookup(ctx context.Context, q store.Queries, token string) (*kigen.Message, error) {
	if !validToken(token) {
		return nil, errUnknownLink
	}
	m, err := q.GetMessageByToken(ctx, scheduler.TokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnknownLink
	} else if err != nil {
		return nil, fmt.Errorf("find message by token: %w", err)
	}
	if m.ResidentID == 0 {
		return nil, errUnknownLink // erased
	}
	if p.now().Sub(m.CreatedAt) > TokenTTL {
		le := &linkError{status: http.StatusGone}
		if r, err := q.GetResident(ctx, m.MunicipalityID, m.ResidentID); err == nil {
			le.lang = r.Language
		}
		return nil, le
	}
	return m, nil
}

// validToken reports whether s can be a link token: base64url, of a sane
// length (scheduler makes 22 characters). Anything else is not looked up.
func validToken(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// link returns the public URL of a page of the token ("m" or "u").
func (p *pages) link(page, token string) string {
	return strings.TrimRight(p.PublicURL, "/") + "/" + page + "/" + token
}

// message shows the message of the link as it was sent: the email's HTML
// in the resident's language, its notices described on the day of the
// message's latest delivery.
func (p *pages) message(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := r.PathValue("token")
	m, err := p.lookup(ctx, p.Store, token)
	if err != nil {
		return err
	}
	hs, err := store.LoadHoldings(ctx, p.Store, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	if len(hs) == 0 {
		return errUnknownLink // erased meanwhile
	}
	h := hs[0]
	muni, err := p.Store.GetMunicipality(ctx, m.MunicipalityID)
	if err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	ds, err := p.Store.ListDeliveries(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	sent := m.CreatedAt
	if len(ds) > 0 {
		sent = ds[len(ds)-1].CreatedAt
	}
	today := kigen.DateOf(sent)
	notices := kigen.NoticesAsSent(h.Holder(), h.Notices, m.NoticeIDs, today)
	if len(notices) == 0 {
		// Its cards are gone: nothing of it can be shown any more.
		return &linkError{status: http.StatusGone, lang: h.Resident.Language}
	}
	e, err := p.Renderer.Email(templates.Params{
		Lang:         h.Resident.Language,
		Municipality: *muni,
		Status:       h.Resident.Status,
		Today:        today,
		Notices:      notices,
		// No "read in your browser" link: this is the browser. Its "I
		// applied" and "I have my new card" links lead to the resident
		// pages (package web/resident), which ask before they record.
		UnsubscribeURL: p.link("u", token),
		ActionURL:      p.link("m", token),
		ResidentName:   h.Resident.Name,
	})
	if err != nil {
		return fmt.Errorf("message %d: render: %w", m.ID, err)
	}
	return writeHTML(w, http.StatusOK, []byte(e.HTML))
}

// confirm asks whether to stop the reminders on the link's channel, or
// says they are stopped already.
func (p *pages) confirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, err := p.lookup(ctx, p.Store, r.PathValue("token"))
	if err != nil {
		return err
	}
	res, muni, err := residentOf(ctx, p.Store, m)
	if err != nil {
		return err
	}
	cs, err := p.Store.ListContacts(ctx, m.MunicipalityID, m.ResidentID)
	if err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	stopped := !slices.ContainsFunc(cs, func(c *kigen.Contact) bool { return c.Channel == m.Channel && !c.OptedOut })
	return p.writeResident(w, res.Language, *muni, m.Channel, stopped)
}

// unsubscribe stops the reminders on the link's channel: the resident's
// contact on it is opted out and the resident re-planned, in one
// transaction. A second time changes nothing and answers the same.
func (p *pages) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	token := r.PathValue("token")
	// The body (List-Unsubscribe=One-Click, RFC 8058) says nothing the
	// method does not: it is bounded and drained, not required.
	r.Body = http.MaxBytesReader(w, r.Body, maxUnsubscribeBody)
	_ = r.ParseForm()
	today := kigen.DateOf(p.now())

	var (
		m       *kigen.Message
		res     *kigen.Resident
		muni    *kigen.Municipality
		changed bool
	)
	err := p.Store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if m, err = p.lookup(ctx, tx, token); err != nil {
			return err
		}
		if res, muni, err = residentOf(ctx, tx, m); err != nil {
			return err
		}
		cs, err := tx.ListContacts(ctx, m.MunicipalityID, m.ResidentID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Channel != m.Channel || c.OptedOut {
				continue
			}
			c.OptedOut = true
			if err := tx.UpsertContact(ctx, m.MunicipalityID, c); err != nil {
				return err
			}
			changed = true
		}
		if !changed {
			return nil
		}
		return store.Replan(ctx, tx, m.MunicipalityID, m.ResidentID, today)
	})
	var le *linkError
	if errors.As(err, &le) {
		return le
	} else if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if changed {
		p.logger.InfoContext(ctx, "resident unsubscribed",
			slog.Int64("message_id", m.ID), slog.Int64("municipality_id", m.MunicipalityID),
			slog.Int64("resident_id", m.ResidentID), slog.String("channel", string(m.Channel)))
	}
	return p.writeResident(w, res.Language, *muni, m.Channel, true)
}

// residentOf returns the resident and municipality of a message; a
// resident erased meanwhile is an unknown link.
func residentOf(ctx context.Context, q store.Queries, m *kigen.Message) (*kigen.Resident, *kigen.Municipality, error) {
	res, err := q.GetResident(ctx, m.MunicipalityID, m.ResidentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errUnknownLink
	} else if err != nil {
		return nil, nil, fmt.Errorf("message %d: %w", m.ID, err)
	}
	muni, err := q.GetMunicipality(ctx, m.MunicipalityID)
	if err != nil {
		return nil, nil, fmt.Errorf("message %d: %w", m.ID, err)
	}
	return res, muni, nil
}

// residentView is the page of one resident: the question with its button,
// or (Stopped) the answer.
type residentView struct {
	templates.PageText
	Stopped bool
}

// blockView is one language's part of the multilingual pages.
type blockView struct {
	HTMLLang    string
	Font        htmltemplate.CSS
	Title, Text string
}

// multiView is a page written in every language, one block each.
type multiView struct {
	HTMLLang string
	Font     htmltemplate.CSS
	Title    string
	Blocks   []blockView
}

// writeResident answers the unsubscribe question (stopped false) or its
// answer (stopped true) in the resident's language.
func (p *pages) writeResident(w http.ResponseWriter, l kigen.Language, muni kigen.Municipality, ch kigen.Channel, stopped bool) error {
	t, err := p.Renderer.Page(l, muni, ch)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&b, "resident", residentView{PageText: t, Stopped: stopped}); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	return writeHTML(w, http.StatusOK, b.Bytes())
}

// writeGone answers a linkError with the "unknown or expired" page in all
// twelve languages, the resident's first when known.
func (p *pages) writeGone(w http.ResponseWriter, r *http.Request, le *linkError) {
	p.writeMulti(w, r, le.status, le.lang, func(t templates.PageText) (string, string) { return t.UnknownTitle, t.Unknown })
}

// writeFailure answers an internal error with a friendly page in all
// twelve languages.
func (p *pages) writeFailure(w http.ResponseWriter, r *http.Request) {
	p.writeMulti(w, r, http.StatusInternalServerError, "", func(t templates.PageText) (string, string) { return "", t.Error })
}

// writeMulti answers a page written in every language, first in first
// (when set), then in the order of kigen.Languages.
func (p *pages) writeMulti(w http.ResponseWriter, r *http.Request, status int, first kigen.Language, text func(templates.PageText) (title, text string)) {
	langs := kigen.Languages
	if first.Valid() {
		langs = append([]kigen.Language{first}, slices.DeleteFunc(slices.Clone(langs), func(l kigen.Language) bool { return l == first })...)
	}
	var v multiView
	for _, l := range langs {
		t, err := p.Renderer.Page(l, kigen.Municipality{}, kigen.Email)
		if err != nil {
			p.logger.ErrorContext(r.Context(), "page texts", slog.String("lang", string(l)), slog.Any("error", err))
			continue
		}
		title, body := text(t)
		v.Blocks = append(v.Blocks, blockView{HTMLLang: t.HTMLLang, Font: t.Font, Title: title, Text: body})
	}
	if len(v.Blocks) == 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	v.HTMLLang, v.Font, v.Title = v.Blocks[0].HTMLLang, v.Blocks[0].Font, v.Blocks[0].Title
	if v.Title == "" {
		v.Title = "Kigen"
	}
	var b bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&b, "multi", v); err != nil {
		p.logger.ErrorContext(r.Context(), "page", slog.Any("error", err))
		http.Error(w, http.StatusText(status), status)
		return
	}
	_ = writeHTML(w, status, b.Bytes()) // a write error: the client left
}

// writeHTML answers an HTML page with headers that keep the link's token
// from leaking (no Referer, no cache, no indexing) and the page from
// running anything.
func writeHTML(w http.ResponseWriter, status int, body []byte) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", pageCSP)
	w.WriteHeader(status)
	_, err := w.Write(body)
	return writeErr(err)
}

// pageStyle is the CSS of the pages: mobile first, a column at most 560px
// wide, text and button colours with a contrast of at least 7:1 on white.
const pageStyle = `*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#111827;font-size:17px;line-height:1.7}
main{max-width:560px;margin:0 auto;padding:12px}
.card{background:#fff;border-radius:8px;padding:20px 18px;margin:0 0 12px;overflow-wrap:break-word;word-wrap:break-word}
.muni{margin:0 0 6px;font-size:15px;color:#374151}
h1,h2{margin:0 0 10px;line-height:1.4;color:#111827}
h1{font-size:23px}
h2{font-size:19px}
p{margin:0 0 12px}
p:last-child{margin-bottom:0}
form{margin:16px 0 0}
button{display:block;width:100%;min-height:48px;margin:0;padding:12px 16px;font:inherit;font-weight:bold;line-height:1.4;color:#fff;background:#1e40af;border:0;border-radius:8px;cursor:pointer}
button:hover{background:#1e3a8a}
button:focus-visible{outline:3px solid #b45309;outline-offset:3px}`

// pageTemplates are the resident page and the multilingual page.
var pageTemplates = htmltemplate.Must(htmltemplate.New("resident").Parse(`<!DOCTYPE html>
<html lang="{{.HTMLLang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{if .Stopped}}{{.Done}}{{else}}{{.Question}}{{end}}</title>
<style>` + pageStyle + `
body{font-family:{{.Font}}}</style>
</head>
<body>
<main>
<div class="card">
{{- with .Muni}}
<p class="muni">{{.}}</p>
{{- end}}
{{- if .Stopped}}
<h1>{{.Done}}</h1>
<p>{{.What}}</p>
<p>{{.Again}}</p>
{{- else}}
<h1>{{.Question}}</h1>
<p>{{.What}}</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">{{.Button}}</button>
</form>
{{- end}}
</div>
</main>
</body>
</html>
`))

func init() {
	htmltemplate.Must(pageTemplates.New("multi").Parse(`<!DOCTYPE html>
<html lang="{{.HTMLLang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{.Title}}</title>
<style>` + pageStyle + `
body{font-family:{{.Font}}}</style>
</head>
<body>
<main>
{{- range $i, $b := .Blocks}}
<section class="card" lang="{{$b.HTMLLang}}" style="font-family:{{$b.Font}}">
{{- if $b.Title}}{{if eq $i 0}}
<h1>{{$b.Title}}</h1>{{else}}
<h2>{{$b.Title}}</h2>{{end}}{{end}}
<p>{{$b.Text}}</p>
</section>
{{- end}}
</main>
</body>
</html>
`))
}
