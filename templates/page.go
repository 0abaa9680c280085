package templates

import (
	"fmt"
	htmltemplate "html/template"

	"kigen"
)

// PageText is what the resident's pages (/m/{token}, /u/{token}) say in one
// language: the catalog's page.* texts, filled in for one municipality and
// one channel.
type PageText struct {
	// Lang is the page's language; HTMLLang its lang attribute (BCP 47:
	// Easy Japanese is "ja", Chinese "zh-Hans").
	Lang     kigen.Language
	HTMLLang string
	// Font is the CSS font stack for the language's script.
	Font htmltemplate.CSS
	// Muni is the municipality's name as the language writes it.
	Muni string

	// Question titles the unsubscribe page ("Stop these reminders?"),
	// What says what stops (reminders from the municipality on the
	// channel) and Button is the label of the button that stops them.
	Question, What, Button string
	// Done titles the page answered once the reminders stopped; Again says
	// how to get them back.
	Done, Again string
	// UnknownTitle and Unknown are the page of a link that is unknown or
	// expired; Error the page of a failure on Kigen's side.
	UnknownTitle, Unknown, Error string
}

// Page returns the page texts of language l for the municipality m and the
// channel ch (what an unsubscribe stops). The texts of an unknown link
// need neither: a zero Municipality and any channel do for them. It fails
// on an unknown language or channel.
func (r *Renderer) Page(l kigen.Language, m kigen.Municipality, ch kigen.Channel) (PageText, error) {
	cat := r.cats[l]
	if cat == nil {
		return PageText{}, fmt.Errorf("templates: unknown language %q", l)
	}
	if ch != kigen.Email && ch != kigen.SMS {
		return PageText{}, fmt.Errorf("templates: unknown channel %q", ch)
	}
	p := &printer{cat: cat}
	a := placeArgs(p, namesOf(p, m), m)
	t := PageText{
		Lang:         l,
		HTMLLang:     htmlLang(l),
		Font:         fonts[l],
		Muni:         a["muni"],
		Question:     p.T("page.stop.question", a),
		What:         p.T("page.stop."+string(ch), a),
		Button:       p.T("page.stop.button", a),
		Done:         p.T("page.done.title", a),
		Again:        p.T("page.done.again", a),
		UnknownTitle: p.T("page.unknown.title", a),
		Unknown:      p.T("page.unknown.text", a),
		Error:        p.T("page.error.text", a),
	}
	if t.Font == "" {
		t.Font = latinFont
	}
	if p.err != nil {
		return PageText{}, p.err
	}
	return t, nil
}
