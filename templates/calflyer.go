package templates

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"sync"

	"kigen"
)

// The texts of a resident's calendar feed (/cal/{token}.ics) and of a
// municipality's printed flyer live in their own catalogs, calflyer/<lang>.json
// (cal.* and flyer.* keys), held to the same rules as the message
// catalogs: every language has exactly the keys of English. Card names,
// the office's name and the dates come from the message catalogs, so that
// a calendar names things as the reminders do.

//go:embed calflyer/*.json
var calflyerFS embed.FS

// calflyerCatalogs parses the twelve calendar and flyer catalogs once and
// checks each against English.
var calflyerCatalogs = sync.OnceValues(func() (map[kigen.Language]*catalog, error) {
	cats := make(map[kigen.Language]*catalog, len(kigen.Languages))
	for _, l := range kigen.Languages {
		b, err := calflyerFS.ReadFile("calflyer/" + string(l) + ".json")
		if err != nil {
			return nil, fmt.Errorf("calendar and flyer catalog %s: %w", l, err)
		}
		if cats[l], err = parseCatalog(l, b); err != nil {
			return nil, fmt.Errorf("calendar and flyer %w", err)
		}
	}
	for _, l := range kigen.Languages {
		if err := checkParity(cats[referenceLanguage], cats[l]); err != nil {
			return nil, fmt.Errorf("calendar and flyer %w", err)
		}
	}
	return cats, nil
})

// CalendarEvent is the text of one event of a calendar feed.
type CalendarEvent struct {
	Summary     string
	Description string
	// Alarm is what a reminder before the event says.
	Alarm string
	// Where is the office the event asks the resident to go to.
	Where string
}

// CalendarTexts are the texts of one resident's calendar feed in their
// language, with their municipality's names. Its methods record the first
// error (a missing text), which Err returns.
type CalendarTexts struct {
	// Lang is the language; HTMLLang its BCP 47 tag (the feed's LANGUAGE).
	Lang     kigen.Language
	HTMLLang string
	// Name and Description name the calendar (X-WR-CALNAME, X-WR-CALDESC).
	Name, Description string

	msg, own *printer
	office   string // the municipal office, as the language names it
}

// Calendar returns the calendar texts of language l for a resident of m.
// It fails on an unknown language.
func (r *Renderer) Calendar(l kigen.Language, m kigen.Municipality) (*CalendarTexts, error) {
	own, err := calflyerCatalogs()
	if err != nil {
		return nil, err
	}
	if r.cats[l] == nil || own[l] == nil {
		return nil, fmt.Errorf("templates: unknown language %q", l)
	}
	t := &CalendarTexts{Lang: l, HTMLLang: htmlLang(l), msg: &printer{cat: r.cats[l]}, own: &printer{cat: own[l]}}
	names := namesOf(t.msg, m)
	t.office = names.office
	if names.ja != "" && names.ja != names.office {
		t.office += " (" + names.ja + ")" // to show at the counter (docs/domain.md §13)
	}
	a := placeArgs(t.msg, names, m)
	t.Name = t.own.T("cal.name", a)
	t.Description = t.own.T("cal.description", a)
	return t, t.Err()
}

// Err returns the first error of any text made so far.
func (t *CalendarTexts) Err() error {
	if t.msg.err != nil {
		return t.msg.err
	}
	return t.own.err
}

func (t *CalendarTexts) card(kind kigen.CardKind) string {
	return t.msg.T("card."+string(kind)+".name", nil)
}

// where is the office a visit goes to.
func (t *CalendarTexts) where(v kigen.Visit) string {
	if v == kigen.AtImmigration {
		return t.msg.T("term.immigration", nil)
	}
	return t.office
}

func (t *CalendarTexts) event(summary, text string, v kigen.Visit, on kigen.Date) CalendarEvent {
	summary, where := upperFirst(summary), t.where(v)
	return CalendarEvent{Summary: summary, Description: upperFirst(text) + "\n" + t.own.T("cal.where", args{"where": where}),
		Alarm: t.own.T("cal.alarm", args{"summary": summary, "date": t.msg.FullDate(on)}), Where: where}
}

// Expires is the event on the day a card of this kind expires (e, the
// last day it is valid), renewed through visit v.
func (t *CalendarTexts) Expires(kind kigen.CardKind, e kigen.Date, v kigen.Visit) CalendarEvent {
	a := args{"card": t.card(kind), "date": t.msg.LongDate(e)}
	return t.event(t.own.T("cal.expires.summary", a), t.own.T("cal.expires."+string(v), a), v, e)
}

// GoBy is the event on goBy, the last day the office is open before the
// card's expiry e, when e itself is a closed day (docs/domain.md §12).
func (t *CalendarTexts) GoBy(kind kigen.CardKind, goBy, e kigen.Date, v kigen.Visit) CalendarEvent {
	a := args{"card": t.card(kind), "date": t.msg.FullDate(e), "goby": t.msg.FullDate(goBy)}
	return t.event(t.own.T("cal.goby.summary", a), t.own.T("cal.goby.description", a), v, goBy)
}

// SpecialPeriod is the event on the last day of the special period, ends,
// of a residence or integrated card that expired on e with a renewal
// applied for (docs/domain.md §6, §14.3).
func (t *CalendarTexts) SpecialPeriod(kind kigen.CardKind, e, ends kigen.Date) CalendarEvent {
	a := args{"card": t.card(kind), "date": t.msg.LongDate(e), "ends": t.msg.LongDate(ends)}
	return t.event(t.own.T("cal.special.summary", a), t.own.T("cal.special.description", a), kigen.AtImmigration, ends)
}

// FlyerText is what a municipality's flyer says in one language.
type FlyerText struct {
	Lang     kigen.Language
	HTMLLang string
	Font     htmltemplate.CSS
	// Language is the language's own name (English, 日本語, नेपाली).
	Language string
	// Title, What and Scan are the heading, what Kigen does, and the
	// call to scan the code to sign up (naming the municipality).
	Title, What, Scan string
}

// Flyer returns the flyer's texts in every language, in the order of
// kigen.Languages, for the municipality m.
func (r *Renderer) Flyer(m kigen.Municipality) ([]FlyerText, error) {
	own, err := calflyerCatalogs()
	if err != nil {
		return nil, err
	}
	out := make([]FlyerText, 0, len(kigen.Languages))
	for _, l := range kigen.Languages {
		msg, p := &printer{cat: r.cats[l]}, &printer{cat: own[l]}
		a := placeArgs(msg, namesOf(msg, m), m)
		f := FlyerText{Lang: l, HTMLLang: htmlLang(l), Font: fonts[l], Language: msg.T("lang.name", nil),
			Title: p.T("flyer.title", a), What: p.T("flyer.what", a), Scan: p.T("flyer.scan", a)}
		if f.Font == "" {
			f.Font = latinFont
		}
		for _, err := range []error{msg.err, p.err} {
			if err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
	return out, nil
}
