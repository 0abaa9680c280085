package ui_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"kigen"
	"kigen/web/ui"
)

// verbs matches the fmt verbs of a catalog text.
var verbs = regexp.MustCompile(`%[sdv]`)

// TestCatalog_Parity: every key of the Japanese catalog (the reference) is
// in the English one and the reverse, no text is empty, and each text
// takes the same arguments in both (a refusal's, err.*, may reorder them:
// TestCatalog_Reasons checks those).
func TestCatalog_Parity(t *testing.T) {
	t.Parallel()
	ja, en := ui.Keys(ui.Japanese), ui.Keys(ui.English)
	if len(ja) < 100 {
		t.Fatalf("the Japanese catalog has only %d keys", len(ja))
	}
	for k, v := range ja {
		w, ok := en[k]
		switch {
		case !ok:
			t.Errorf("en lacks %q", k)
		case strings.TrimSpace(v) == "" || strings.TrimSpace(w) == "":
			t.Errorf("%q is empty in ja or en", k)
		case !strings.HasPrefix(k, ui.ReasonPrefix) && !slices.Equal(verbs.FindAllString(v, -1), verbs.FindAllString(w, -1)):
			t.Errorf("%q: ja takes %v, en %v", k, verbs.FindAllString(v, -1), verbs.FindAllString(w, -1))
		}
	}
	for k := range en {
		if _, ok := ja[k]; !ok {
			t.Errorf("en has %q, ja does not", k)
		}
	}
}

// TestT: a key reads as its text; a missing key reads as itself (which
// the console's TestCatalog_Complete forbids).
func TestT(t *testing.T) {
	t.Parallel()
	if got := ui.T(ui.Japanese, "form.required"); got != "※必須" {
		t.Errorf("form.required = %q", got)
	}
	if got := ui.T(ui.English, "no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key reads %q, want the key", got)
	}
}

func TestDateValue_Parse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		year, month, day string
		want             string // ISO, or the error key
	}{
		{"western", "2027", "3", "31", "2027-03-31"},
		{"padded", "2027", "03", "01", "2027-03-01"},
		{"era letter", "R9", "3", "31", "2027-03-31"},
		{"era lower", "r9", "3", "31", "2027-03-31"},
		{"era kanji", "令和9", "3", "31", "2027-03-31"},
		{"era kanji with 年", "令和9年", "3月", "31日", "2027-03-31"},
		{"first year", "令和元", "5", "1", "2019-05-01"},
		{"heisei", "H31", "4", "30", "2019-04-30"},
		{"full width", "２０２７", "３", "３１", "2027-03-31"},
		{"empty", "", "", "", ""},
		{"no day", "2027", "3", "", "form.date.incomplete"},
		{"no year", "", "3", "31", "form.date.incomplete"},
		{"30 February", "2027", "2", "30", "form.date.invalid"},
		{"outside the era", "H32", "1", "1", "form.date.invalid"},
		{"words", "next", "year", "x", "form.date.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, key := ui.DateValue{Year: tt.year, Month: tt.month, Day: tt.day}.Parse()
			got := key
			if key == "" && !d.IsZero() {
				got = d.String()
			}
			if got != tt.want {
				t.Errorf("Parse(%q, %q, %q) = %q, want %q", tt.year, tt.month, tt.day, got, tt.want)
			}
			if strings.HasPrefix(tt.want, "form.") && ui.T(ui.Japanese, tt.want) == tt.want {
				t.Errorf("%s is not in the catalog", tt.want)
			}
		})
	}
}

func TestDateValueOf(t *testing.T) {
	t.Parallel()
	v := ui.DateValueOf(map[string][]string{"on-year": {" R9 "}, "on-month": {"3"}, "on-day": {"31"}}, "on")
	if v != (ui.DateValue{Year: "R9", Month: "3", Day: "31"}) {
		t.Errorf("DateValueOf = %+v", v)
	}
	if got := ui.DateValueFrom(kigen.MustParseISODate("2027-03-01")); got != (ui.DateValue{Year: "2027", Month: "3", Day: "1"}) {
		t.Errorf("DateValueFrom = %+v", got)
	}
}

func TestFormatDate(t *testing.T) {
	t.Parallel()
	d := kigen.MustParseISODate("2027-01-31")
	if got := ui.FormatDate(ui.Japanese, d); got != "2027年1月31日" {
		t.Errorf("ja: %q", got)
	}
	if got := ui.FormatDate(ui.English, d); got != "31 January 2027" {
		t.Errorf("en: %q", got)
	}
	if got := ui.FormatDate(ui.English, kigen.Date{}); got != "" {
		t.Errorf("zero: %q", got)
	}
}

// page is a page's data for the test template.
type page struct {
	ui.Page
	Name ui.Field
	On   ui.DateField
}

// TestRenderer renders a page in the layout with a field and a date
// field in error: the summary links to each, each input is labelled and
// described by its hint and error, and the headers are the strict ones.
func TestRenderer(t *testing.T) {
	t.Parallel()
	fs := fstest.MapFS{"p/test.html": {Data: []byte(`{{define "content"}}{{template "field" .Name}}{{template "datefield" .On}}{{end}}`)}}
	r := ui.NewRenderer(fs, "p/*.html")
	p := ui.Page{Lang: ui.Japanese, Title: "テスト", Path: "/console/x",
		Errors: []ui.FieldError{{ID: "name", Message: "名前を入力してください"}, {ID: "on-year", Message: "日付として正しくありません"}}}
	v := page{Page: p, Name: p.TextField("name", "name", "login.email", "login.totp.hint", "", true),
		On: p.DateInput("on", "audit.from", "", ui.DateValue{Year: "R9", Month: "2", Day: "30"}, true)}
	w := httptest.NewRecorder()
	if err := r.Render(w, http.StatusUnprocessableEntity, "test", v); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<html lang="ja">`,
		`<title>エラー：テスト | Kigen 職員コンソール</title>`,
		`<a href="#name">名前を入力してください</a>`,
		`<a href="#on-year">日付として正しくありません</a>`,
		`<label for="name">メールアドレス <span class="need need-required">※必須</span></label>`,
		`aria-describedby="name-hint name-error"`,
		`aria-invalid="true"`,
		`<legend>開始日 <span class="need need-required">※必須</span></legend>`,
		`<input id="on-year" name="on-year" type="text" value="R9"`,
		`<input id="on-day" name="on-day" type="text" inputmode="numeric" value="30"`,
		`<link rel="stylesheet" href="/console/static/console.css">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") || strings.Contains(body, "placeholder") {
		t.Errorf("the page has a script, an inline style or a placeholder:\n%s", body)
	}
	h := w.Result().Header
	for k, want := range map[string]string{
		"Content-Security-Policy": ui.CSP, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Content-Type": "text/html; charset=utf-8",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if strings.Contains(ui.CSP, "script-src") || !strings.Contains(ui.CSP, "default-src 'none'") {
		t.Errorf("the CSP allows scripts: %s", ui.CSP)
	}
}

func TestStyleHandler(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	ui.StyleHandler().ServeHTTP(w, httptest.NewRequest("GET", ui.StylePath, nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(w.Body.String(), "focus-visible") {
		t.Errorf("style: %d %q %.80s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}

func TestLangOf(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/console/", nil)
	if got := ui.LangOf(r); got != ui.Japanese {
		t.Errorf("default %q", got)
	}
	r.AddCookie(&http.Cookie{Name: ui.LangCookie, Value: "en"})
	if got := ui.LangOf(r); got != ui.English {
		t.Errorf("with the cookie %q", got)
	}
}

// TestChoice draws a select and radio buttons: the value chosen is
// selected, the error links to the first input, labels are tied to inputs.
func TestChoice(t *testing.T) {
	t.Parallel()
	fs := fstest.MapFS{"p/c.html": {Data: []byte(`{{define "content"}}{{template "select" .Sel}}{{template "radios" .Rad}}{{end}}`)}}
	r := ui.NewRenderer(fs, "p/*.html")
	p := ui.Page{Lang: ui.English, Title: "T", Errors: []ui.FieldError{{ID: "consent", Message: "Choose yes or no"}}}
	opts := []ui.Option{{Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}}
	v := struct {
		ui.Page
		Sel, Rad ui.Choice
	}{p, p.ChoiceField("lang", "language", "login.email", "", true, "no", opts), p.ChoiceField("consent", "consent", "login.password", "login.totp.hint", true, "", opts)}
	w := httptest.NewRecorder()
	if err := r.Render(w, 200, "c", v); err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	for _, want := range []string{
		`<option value="no" selected>No</option>`, `<option value="yes">Yes</option>`,
		`<a href="#consent">Choose yes or no</a>`,
		`<input type="radio" id="consent" name="consent" value="yes"><label for="consent">Yes</label>`,
		`<input type="radio" id="consent-no" name="consent" value="no"><label for="consent-no">No</label>`,
		`aria-describedby="consent-hint consent-error"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("lacks %s\n%s", want, body)
		}
	}
}

func TestDateValue_Text(t *testing.T) {
	t.Parallel()
	for in, want := range map[ui.DateValue]string{
		{"2027", "3", "31"}: "2027-3-31", {"令和9年", "3", "31"}: "R9.3.31", {"r9", "03", "01"}: "r9.03.01", {}: "",
	} {
		if got := in.Text(); got != want {
			t.Errorf("%+v.Text() = %q, want %q", in, got, want)
		}
	}
}
