package templates

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"

	"kigen"
)

// Gallery renders every message Kigen can send, in every language, with the
// sample data, for staff and translators to review: "index.html" (a table of
// the SMS sizes and the warnings, if any) and one page per language
// ("en.html", …) with each case's subject, SMS (its segments and the parts
// it had to leave out), the dates to go by, HTML email (at phone width) and
// plain text. The keys of the result are file names.
func (r *Renderer) Gallery(today kigen.Date) (map[string][]byte, error) {
	type sample struct {
		Name     string
		Subject  string
		SMS      string
		Segments int
		Encoding string
		Size     int      // septets or UTF-16 code units
		Dropped  int      // parts the SMS left out to fit (Renderer.SMS)
		GoBy     []string // "mynumber_card: go by Fri 2027-01-08", one per notice that names a day
		HTML     string   // shown in an iframe's srcdoc, escaped by the template
		Text     string
	}
	type page struct {
		Lang, Name string
		Samples    []sample
	}
	cases := galleryCases()
	files := map[string][]byte{}
	var pages []page
	var warnings []string
	for _, l := range kigen.Languages {
		pg := page{Lang: string(l), Name: r.cats[l].entries["lang.name"].text}
		for _, gc := range cases {
			p, err := gc.params(l, today)
			if err != nil {
				return nil, err
			}
			e, err := r.Email(p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", l, gc.name, err)
			}
			s, dropped, err := r.sms(p)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", l, gc.name, err)
			}
			n, enc := Segments(s)
			if n > MaxSMSSegments {
				warnings = append(warnings, fmt.Sprintf("%s %s: the SMS takes %d segments", l, gc.name, n))
			}
			pg.Samples = append(pg.Samples, sample{Name: gc.name, Subject: e.Subject, SMS: s, Segments: n, Encoding: enc,
				Size: smsUnits(s, enc), Dropped: dropped, GoBy: goByList(r.withHolidays(p)), HTML: e.HTML, Text: e.Text})
		}
		var b bytes.Buffer
		if err := galleryPage.Execute(&b, pg); err != nil {
			return nil, err
		}
		files[string(l)+".html"] = b.Bytes()
		pages = append(pages, pg)
	}
	var b bytes.Buffer
	if err := galleryIndex.Execute(&b, map[string]any{"Pages": pages, "Today": today.String(), "Cases": cases, "Warnings": warnings}); err != nil {
		return nil, err
	}
	files["index.html"] = b.Bytes()
	return files, nil
}

// goByList names, for staff, the day to go by of each notice of p that
// names one (docs/domain.md §12), or that no open day is left.
func goByList(p Params) []string {
	ns, err := notices(p)
	if err != nil {
		return nil
	}
	var out []string
	for _, n := range ns {
		switch n.goByCase(p.Today) {
		case noGoBy:
		case goByNone:
			out = append(out, fmt.Sprintf("%s: no open day left before %s; opens %s %s", n.Kind, n.deadline, n.next, n.next.Weekday().String()[:3]))
		default:
			out = append(out, fmt.Sprintf("%s: go by %s %s", n.Kind, n.goBy, n.goBy.Weekday().String()[:3]))
		}
	}
	return out
}

// smsUnits is the length Segments counts: septets or UTF-16 code units.
func smsUnits(s, enc string) int {
	n := 0
	for _, r := range s {
		switch {
		case enc == UCS2 && r > 0xFFFF, enc == GSM7 && strings.ContainsRune(gsmExtension, r):
			n += 2
		default:
			n++
		}
	}
	return n
}

type galleryCase struct {
	name  string
	cases []Case
	// on and expires, if set, are the sending day and the card's date of
	// a one-notice case; status the resident's category.
	on, expires string
	status      kigen.Status
}

// Name is the case's name in the gallery.
func (g galleryCase) Name() string { return g.name }

// params returns the sample Params of the case in language l.
func (g galleryCase) params(l kigen.Language, today kigen.Date) (Params, error) {
	if g.on != "" {
		today = kigen.MustParseISODate(g.on)
	}
	var ds []kigen.Due
	for _, c := range g.cases {
		d, err := SampleDue(c, today)
		if err != nil {
			return Params{}, err
		}
		if g.expires != "" {
			d.ExpiresOn = kigen.MustParseISODate(g.expires)
			d.DaysLeft = d.ExpiresOn.Sub(today)
		}
		ds = append(ds, d)
	}
	p := SampleParams(l, today, ds...)
	p.Status = g.status
	return p, nil
}

// galleryCases are every case of Cases, then messages listing several
// notices, then the days to go by of docs/domain.md §12 on fixed dates and
// a permanent resident's texts.
func galleryCases() []galleryCase {
	var gs []galleryCase
	for _, c := range Cases() {
		gs = append(gs, galleryCase{name: c.String(), cases: []Case{c}})
	}
	mynumber := []Case{{kigen.MyNumberCard, kigen.D3, ContextNone}}
	return append(gs,
		galleryCase{name: "residence_card/d30 + mynumber_card/d30", cases: []Case{{kigen.ResidenceCard, kigen.D30, ContextNone}, {kigen.MyNumberCard, kigen.D30, ContextNone}}},
		galleryCase{name: "mynumber_card/renewal_gap + mynumber_card/d60", cases: []Case{{kigen.MyNumberCard, kigen.RenewalGap, ContextGap}, {kigen.MyNumberCard, kigen.D60, ContextGap}}},
		galleryCase{name: "residence_card/d7 + mynumber_card/d7 + mynumber_cert/d7", cases: []Case{{kigen.ResidenceCard, kigen.D7, ContextNone}, {kigen.MyNumberCard, kigen.D7, ContextNone}, {kigen.MyNumberCert, kigen.D7, ContextNone}}},
		galleryCase{name: "mynumber_card/d3 expiring Saturday 2027-01-09", cases: mynumber, on: "2027-01-06", expires: "2027-01-09"},
		galleryCase{name: "mynumber_card/d7/gap expiring 2027-01-03", cases: []Case{{kigen.MyNumberCard, kigen.D7, ContextGap}}, on: "2026-12-27", expires: "2027-01-03"},
		galleryCase{name: "residence_card/d1 sent on Friday 2027-01-08", cases: []Case{{kigen.ResidenceCard, kigen.D1, ContextNone}}, on: "2027-01-08", expires: "2027-01-09"},
		galleryCase{name: "mynumber_card/d1 on Saturday 2027-01-09, its last day", cases: []Case{{kigen.MyNumberCard, kigen.D1, ContextNone}}, on: "2027-01-09", expires: "2027-01-09"},
		galleryCase{name: "mynumber_card/d60, permanent resident", cases: []Case{{kigen.MyNumberCard, kigen.D60, ContextNone}}, status: kigen.Permanent},
		galleryCase{name: "residence_card/d90, permanent resident", cases: []Case{{kigen.ResidenceCard, kigen.D90, ContextNone}}, status: kigen.Permanent},
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
<div><p class="meta">SMS: {{.Segments}} segment(s), {{.Encoding}}, {{.Size}} characters{{if .Dropped}}, {{.Dropped}} part(s) left out to fit{{end}}</p>
{{- range .GoBy}}<p class="meta goby">{{.}}</p>{{end}}
<div class="sms">{{.SMS}}</div>
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
<h2>Warnings</h2>
{{if .Warnings}}<ul class="warnings">{{range .Warnings}}<li class="over">{{.}}</li>{{end}}</ul>{{else}}<p class="meta">None.</p>{{end}}
<h2>SMS segments (in brackets: parts left out to fit)</h2>
<table><tr><th>case</th>{{range .Pages}}<th>{{.Lang}}</th>{{end}}</tr>
{{range $i, $c := .Cases}}<tr><td style="text-align:left">{{$c.Name}}</td>{{range $.Pages}}{{$lang := .Lang}}{{with index .Samples $i}}<td{{if gt .Segments 2}} class="over"{{end}}><a href="{{$lang}}.html#{{.Name}}">{{.Segments}}</a>{{if .Dropped}} ({{.Dropped}}){{end}}</td>{{end}}{{end}}</tr>
{{end}}</table>
</body></html>
`))
