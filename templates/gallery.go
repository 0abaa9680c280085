package templates

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"

	"kigen"
)

// Gallery renders every message Kigen can send, in every language, with the
// sample data, for staff and translators to review: "index.html" (a table of
// the SMS sizes) and one page per language ("en.html", …) with each case's
// subject, SMS, HTML email (at phone width) and plain text. The keys of the
// result are file names.
func (r *Renderer) Gallery(today kigen.Date) (map[string][]byte, error) {
	type sample struct {
		Name     string
		Subject  string
		SMS      string
		Segments int
		Encoding string
		HTML     string // shown in an iframe's srcdoc, escaped by the template
		Text     string
	}
	type page struct {
		Lang, Name string
		Samples    []sample
	}
	cases := galleryCases()
	files := map[string][]byte{}
	var pages []page
	for _, l := range kigen.Languages {
		pg := page{Lang: string(l), Name: r.cats[l].entries["lang.name"].text}
		for _, gc := range cases {
			var ds []kigen.Due
			for _, c := range gc.cases {
				d, err := SampleDue(c, today)
				if err != nil {
					return nil, err
				}
				ds = append(ds, d)
			}
			p := SampleParams(l, today, ds...)
			e, err := r.Email(p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", l, gc.name, err)
			}
			s, err := r.SMS(p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", l, gc.name, err)
			}
			n, enc := Segments(s)
			pg.Samples = append(pg.Samples, sample{gc.name, e.Subject, s, n, enc, e.HTML, e.Text})
		}
		var b bytes.Buffer
		if err := galleryPage.Execute(&b, pg); err != nil {
			return nil, err
		}
		files[string(l)+".html"] = b.Bytes()
		pages = append(pages, pg)
	}
	var b bytes.Buffer
	if err := galleryIndex.Execute(&b, map[string]any{"Pages": pages, "Today": today.String(), "Cases": cases}); err != nil {
		return nil, err
	}
	files["index.html"] = b.Bytes()
	return files, nil
}

type galleryCase struct {
	name  string
	cases []Case
}

// Name is the case's name in the gallery.
func (g galleryCase) Name() string { return g.name }

// galleryCases are every case of Cases, then messages listing several
// notices.
func galleryCases() []galleryCase {
	var gs []galleryCase
	for _, c := range Cases() {
		gs = append(gs, galleryCase{c.String(), []Case{c}})
	}
	return append(gs,
		galleryCase{"residence_card/d30 + mynumber_card/d30", []Case{{kigen.ResidenceCard, kigen.D30, ContextNone}, {kigen.MyNumberCard, kigen.D30, ContextNone}}},
		galleryCase{"residence_card/d7 + mynumber_card/d7 + mynumber_cert/d7", []Case{{kigen.ResidenceCard, kigen.D7, ContextNone}, {kigen.MyNumberCard, kigen.D7, ContextNone}, {kigen.MyNumberCert, kigen.D7, ContextNone}}},
	)
}

const galleryStyle = `<style>
body{font-family:system-ui,"Noto Sans",sans-serif;margin:0 auto;max-width:1100px;padding:16px;color:#1f2937}
section{border-top:2px solid #e5e7eb;padding:12px 0 20px}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
iframe{width:390px;height:760px;border:1px solid #9ca3af;border-radius:8px;background:#fff}
.sms{max-width:360px;background:#e5f6e8;border-radius:12px;padding:10px 12px;white-space:pre-wrap;overflow-wrap:anywhere}
.meta{color:#4b5563;font-size:14px}
pre{white-space:pre-wrap;max-width:600px;font-size:13px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d1d5db;padding:2px 6px;text-align:center}
.over{background:#fecaca}
</style>`

var galleryPage = htmltemplate.Must(htmltemplate.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kigen messages: {{.Name}}</title>` + galleryStyle + `</head><body>
<p><a href="index.html">← all languages</a></p>
<h1>{{.Name}} ({{.Lang}})</h1>
<p class="meta">Sample data: 小樽市 / Otaru City with example contact details. The words live in templates/catalogs/{{.Lang}}.json.</p>
{{range .Samples}}<section id="{{.Name}}">
<h2>{{.Name}}</h2>
<p><b>Subject:</b> {{.Subject}}</p>
<div class="row">
<iframe srcdoc="{{.HTML}}" title="HTML email"></iframe>
<div><p class="meta">SMS: {{.Segments}} segment(s), {{.Encoding}}</p><div class="sms">{{.SMS}}</div>
<details><summary>Plain-text email</summary><pre>{{.Text}}</pre></details></div>
</div></section>
{{end}}</body></html>
`))

var galleryIndex = htmltemplate.Must(htmltemplate.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kigen messages</title>` + galleryStyle + `</head><body>
<h1>Kigen messages</h1>
<p class="meta">Every message in every language, rendered on {{.Today}} with sample data. Translators edit templates/catalogs/&lt;lang&gt;.json; run <code>kigen preview --all --out DIR</code> again to see the change.</p>
<ul>{{range .Pages}}<li><a href="{{.Lang}}.html">{{.Name}}</a> ({{.Lang}})</li>{{end}}</ul>
<h2>SMS segments</h2>
<table><tr><th>case</th>{{range .Pages}}<th>{{.Lang}}</th>{{end}}</tr>
{{range $i, $c := .Cases}}<tr><td style="text-align:left">{{$c.Name}}</td>{{range $.Pages}}{{$lang := .Lang}}{{with index .Samples $i}}<td{{if gt .Segments 2}} class="over"{{end}}><a href="{{$lang}}.html#{{.Name}}">{{.Segments}}</a></td>{{end}}{{end}}</tr>
{{end}}</table>
</body></html>
`))
