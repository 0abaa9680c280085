package templates

import (
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

// translator returns the CLDR locale of a language. The packages are
// imported directly rather than looked up by name: a lookup by a name the
// library does not know ("zh-Hans", "tl") silently falls back to English.
// Thai long dates keep the Gregorian year with its era mark (ค.ศ.): cards
// and Japanese documents print Gregorian years, and the mark keeps a Thai
// reader from taking 2027 for a Buddhist-era year.
func translator(l kigen.Language) locales.Translator {
	switch l {
	case kigen.Japanese, kigen.EasyJapan:
		return ja.New()
	case kigen.English:
		return en.New()
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
	return nil
}

// pluralNames are the catalog names of the CLDR plural categories.
var pluralNames = map[locales.PluralRule]string{
	locales.PluralRuleZero:  "zero",
	locales.PluralRuleOne:   "one",
	locales.PluralRuleTwo:   "two",
	locales.PluralRuleFew:   "few",
	locales.PluralRuleMany:  "many",
	locales.PluralRuleOther: "other",
}

// pluralForms returns the names of the plural categories a language's
// catalog must give for every plural text.
func pluralForms(tr locales.Translator) []string {
	var forms []string
	for _, r := range tr.PluralsCardinal() {
		forms = append(forms, pluralNames[r])
	}
	return forms
}

// civil turns a Date into the time the locales package formats; only its
// year, month and day are read.
func civil(d kigen.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}
