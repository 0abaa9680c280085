// Package ui is what the staff console's pages share: the layout, the
// style sheet (served from an embed, so the strict CSP needs no inline
// style), the headers every page sends, the Japanese and English catalogs,
// and the form components (text fields, date fields as year, month and
// day, the error summary). It holds no rule: pages parse, call package
// desk, and render through a Renderer.
package ui

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed tmpl/*.html static/console.css
var files embed.FS

// StylePath is where the style sheet is served (StyleHandler).
const StylePath = "/console/static/console.css"

// CSP lets a page use its own style sheet and data: images (the QR code of
// the setup page), post its own forms, and nothing else: no script at all,
// no remote resource, no framing.
const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SetHeaders sets the headers of every console page: the CSP, no referrer
// (a path may carry a setup token), no caching (pages show personal data),
// no sniffing, no framing, no indexing.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// StyleHandler serves the style sheet. It holds no personal data, so it
// may be cached for an hour.
func StyleHandler() http.Handler {
	css, err := files.ReadFile("static/console.css")
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

// Renderer renders pages: each page template (one file, defining "title"
// and "content") inside the shared layout and components.
type Renderer struct {
	pages map[string]*htmltemplate.Template
}

// NewRenderer parses the page templates of pages matching glob, each with
// the layout and the components. A page is named by its file name without
// ".html". It panics on a template error: templates are embedded, so that
// is a bug caught by any test.
func NewRenderer(pages fs.FS, glob string) *Renderer {
	base := htmltemplate.Must(htmltemplate.New("layout").Funcs(funcs).ParseFS(files, "tmpl/*.html"))
	names, err := fs.Glob(pages, glob)
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("ui: no page templates match %q", glob))
	}
	r := &Renderer{pages: map[string]*htmltemplate.Template{}}
	for _, n := range names {
		t := htmltemplate.Must(htmltemplate.Must(base.Clone()).ParseFS(pages, n))
		r.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return r
}

// Render answers the page name with data (a value embedding Page) and
// the console's headers.
func (r *Renderer) Render(w http.ResponseWriter, status int, name string, data any) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("ui: no page %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "page", data); err != nil {
		return fmt.Errorf("ui: page %s: %w", name, err)
	}
	SetHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

var funcs = htmltemplate.FuncMap{
	// add is for 1-based numbering in templates.
	"add": func(a, b int) int { return a + b },
	// dict2 passes several values to a template: dict2 "K1" v1 "K2" v2 ….
	"dict2": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict2: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict2: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
}
