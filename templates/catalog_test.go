package templates

import (
	"slices"
	"strings"
	"testing"

	"kigen"
)

func TestCatalogs_Load(t *testing.T) {
	t.Parallel()
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) != len(kigen.Languages) {
		t.Errorf("%d catalogs, want %d", len(cats), len(kigen.Languages))
	}
}

// TestCatalogs_Parity checks what loadCatalogs refuses: a key missing or
// extra against the reference, a text where the reference has plural forms,
// and plural forms that are not the language's CLDR categories.
func TestCatalogs_Parity(t *testing.T) {
	t.Parallel()
	ref := mustParse(t, kigen.English, `{"a": "A", "days": {"one": "{n} day", "other": "{n} days"}}`)
	tests := []struct {
		name    string
		lang    kigen.Language
		in      string
		wantErr string
	}{
		{name: "same keys", lang: kigen.Spanish, in: `{"a": "A", "days": {"one": "{n} día", "other": "{n} días"}}`},
		{name: "Japanese has one plural form", lang: kigen.Japanese, in: `{"a": "A", "days": {"other": "{n}日"}}`},
		{name: "missing key", lang: kigen.Spanish, in: `{"days": {"one": "x", "other": "y"}}`, wantErr: "missing a"},
		{name: "extra key", lang: kigen.Spanish, in: `{"a": "A", "b": "B", "days": {"one": "x", "other": "y"}}`, wantErr: "extra b"},
		{name: "text for plural", lang: kigen.Spanish, in: `{"a": "A", "days": "{n} días"}`, wantErr: "days: text and plural forms"},
		{name: "missing plural form", lang: kigen.Spanish, in: `{"a": "A", "days": {"other": "{n} días"}}`, wantErr: "plural forms [other], want [one other]"},
		{name: "plural form the language lacks", lang: kigen.Korean, in: `{"a": "A", "days": {"one": "x", "other": "y"}}`, wantErr: "plural forms [one other], want [other]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkParity(ref, mustParse(t, tt.lang, tt.in))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("checkParity = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func mustParse(t *testing.T, l kigen.Language, in string) *catalog {
	t.Helper()
	c, err := parseCatalog(l, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseCatalog_Refuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, wantErr string }{
		{name: "duplicate key", in: `{"a": "A", "a": "B"}`, wantErr: `key "a" given twice`},
		{name: "empty text", in: `{"a": ""}`, wantErr: "empty text"},
		{name: "unclosed brace", in: `{"a": "{date"}`, wantErr: "unclosed {"},
		{name: "stray brace", in: `{"a": "date}"}`, wantErr: "unmatched }"},
		{name: "bad placeholder", in: `{"a": "{Date}"}`, wantErr: "bad placeholder {Date}"},
		{name: "number", in: `{"a": 1}`, wantErr: "want a string or an object"},
		{name: "not an object", in: `["a"]`, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseCatalog(kigen.English, []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestCatalogs_Placeholders checks that no translation uses a placeholder
// its English text does not, besides the municipality's names, which any
// text may use: a typo ({dat}) or a value the renderer does not give fails
// here even for a text no other test renders.
func TestCatalogs_Placeholders(t *testing.T) {
	t.Parallel()
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	free := []string{"muni", "office_name", "office_ja", "office_kind"}
	// A date's arrangement may use any form or number of the date.
	dates := []string{"weekday", "wd", "date", "medium", "long", "short", "year", "month", "m", "mm", "day", "dd"}
	ref := cats[referenceLanguage]
	for _, l := range kigen.Languages {
		for key, e := range cats[l].entries {
			allowed := append(slices.Clone(free), texts(ref.entries[key])...)
			if key == "date.weekday" || strings.HasPrefix(key, "sms.date") {
				allowed = append(allowed, dates...)
			}
			for _, s := range texts(e) {
				names, _ := placeholders(s)
				for _, n := range names {
					if !slices.ContainsFunc(allowed, func(a string) bool { return strings.Contains(a, "{"+n+"}") || a == n }) {
						t.Errorf("%s: %s uses {%s}, which the English text does not", l, key, n)
					}
				}
			}
		}
	}
}

func texts(e entry) []string {
	if e.plural == nil {
		return []string{e.text}
	}
	var out []string
	for _, v := range e.plural {
		out = append(out, v)
	}
	return out
}

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		args     args
		want     string
		wantErr  bool
	}{
		{name: "plain", in: "hello", want: "hello"},
		{name: "one", in: "on {date}.", args: args{"date": "31 March"}, want: "on 31 March."},
		{name: "twice", in: "{a}{a}", args: args{"a": "x"}, want: "xx"},
		{name: "value with braces is not expanded", in: "{a}", args: args{"a": "{b}", "b": "no"}, want: "{b}"},
		{name: "missing value", in: "{a}", wantErr: true},
		{name: "unclosed", in: "{a", args: args{"a": "x"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := expand(tt.in, tt.args)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: expand(%q) = %q, %v; want %q, error %v", tt.name, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzExpand checks expand's invariants on any text: it never panics; a
// text placeholders accepts expands with every value given, and then holds
// no placeholder of its own; a text without braces comes back unchanged.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "{date}", "on {date}, in {days}.", "{a}{b}", "{", "}", "{Date}", "{ a }", "【{muni}】{status}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := placeholders(s)
		if err != nil {
			if _, err2 := expand(s, nil); err2 == nil {
				t.Fatalf("expand accepted %q, which placeholders refuses", s)
			}
			return
		}
		a := args{}
		for _, n := range names {
			a[n] = "·"
		}
		out, err := expand(s, a)
		if err != nil {
			t.Fatalf("expand(%q): %v", s, err)
		}
		if strings.ContainsAny(out, "{}") {
			t.Fatalf("expand(%q) = %q still holds braces", s, out)
		}
		if !strings.ContainsAny(s, "{}") && out != s {
			t.Fatalf("expand(%q) = %q, want it unchanged", s, out)
		}
	})
}
