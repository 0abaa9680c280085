package resident

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/locales"
	"github.com/go-playground/locales/en"
	"github.com/go-playground/locales/es"
	"github.com/go-playground/locales/fil"
	"github.com/go-playground/locales/id"
	"github.com/go-playground/locales/ja"
	"github.com/go-playground/locales/ko"
	"github.com/go-playground/locales/ne"
	"github.com/go-playground/locales/pt_BR"
	"github.com/go-playground/locales/th"
	"github.com/go-playground/locales/vi"
	"github.com/go-playground/locales/zh_Hans"

	"kigen"
)

//go:embed catalog/*.json
var catalogFiles embed.FS

// catalogs are the pages' texts by language and dotted key: one file per
// language (catalog/<code>.json, the codes of kigen.Languages), English
// the reference. A text names its arguments in braces: "{muni}".
var catalogs = loadCatalogs()

func loadCatalogs() map[kigen.Language]map[string]string {
	out := map[kigen.Language]map[string]string{}
	for _, l := range kigen.Languages {
		b, err := catalogFiles.ReadFile("catalog/" + string(l) + ".json")
		if err != nil {
			panic(fmt.Sprintf("resident: catalog %s: %v", l, err))
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("resident: catalog %s: %v", l, err))
		}
		out[l] = m
	}
	return out
}

// Keys returns the texts of l's catalog by key (for the parity test).
func Keys(l kigen.Language) map[string]string { return catalogs[l] }

// Placeholders matches the arguments a text takes ("{muni}").
var Placeholders = regexp.MustCompile(`\{[a-z_]+\}`)

// T returns the text of key in l with its arguments filled in (pairs of
// name and value: "muni", "Otaru City"). A key missing in l reads in
// English, and a key missing there as the key itself: the parity test
// forbids both.
func T(l kigen.Language, key string, args ...string) string {
	s, ok := catalogs[l][key]
	if !ok {
		s, ok = catalogs[kigen.English][key]
	}
	if !ok {
		return key
	}
	if len(args) > 1 {
		pairs := make([]string, 0, len(args))
		for i := 0; i+1 < len(args); i += 2 {
			pairs = append(pairs, "{"+args[i]+"}", args[i+1])
		}
		s = strings.NewReplacer(pairs...).Replace(s)
	}
	return s
}

// htmlLang is the lang attribute of a language (BCP 47): Easy Japanese is
// Japanese to a browser, Chinese is Simplified.
func htmlLang(l kigen.Language) string {
	switch l {
	case kigen.EasyJapan:
		return "ja"
	case kigen.Chinese:
		return "zh-Hans"
	case kigen.Portuguese:
		return "pt-BR"
	}
	return string(l)
}

// translator returns the CLDR locale of a language for long dates (as the
// messages write them: package templates imports the same locales, for
// the same reason: a look-up by name falls back to English silently).
func translator(l kigen.Language) locales.Translator {
	switch l {
	case kigen.Japanese, kigen.EasyJapan:
		return ja.New()
	case kigen.Chinese:
		return zh_Hans.New()
	case kigen.Korean:
		return ko.New()
	case kigen.Spanish:
		return es.New()
	case kigen.Portuguese:
		return pt_BR.New()
	case kigen.Thai:
		return th.New()
	case kigen.Nepali:
		return ne.New()
	case kigen.Indonesian:
		return id.New()
	case kigen.Vietnamese:
		return vi.New()
	case kigen.Tagalog:
		return fil.New()
	}
	return en.New()
}

var translators = func() map[kigen.Language]locales.Translator {
	m := map[kigen.Language]locales.Translator{}
	for _, l := range kigen.Languages {
		m[l] = translator(l)
	}
	return m
}()

// FormatDate writes d as a long date in l (2027年3月31日, 31 March 2027);
// "" for the zero date.
func FormatDate(l kigen.Language, d kigen.Date) string {
	if d.IsZero() {
		return ""
	}
	tr := translators[l]
	if tr == nil {
		tr = translators[kigen.English]
	}
	return tr.FmtDateLong(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC))
}
