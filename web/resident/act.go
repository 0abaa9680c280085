package resident

import (
	"net/http"
	"net/url"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/ui"
)

// actView is a page that asks for a confirmation: its form posts to
// Action; Danger marks a button that cannot be undone; Cancel leads back.
type actView struct {
	Action, Button string
	Danger         bool
	Cancel         *linkView
	DateField      *dateFieldView
	Card           string // the card kind the form is about
}

// The message links' actions (DOMAIN §14.10).
const (
	actApplied = "applied" // "I applied": the residence (or integrated) card's renewal
	actNewCard = "card"    // "I have my new card": its new expiry
)

// messageActor returns the actor of a message link's token and the
// message; ok false when the page is answered already.
func (p *Pages) messageActor(w http.ResponseWriter, r *http.Request) (auth.Actor, *desk.MessageLink, bool, error) {
	a, ml, err := p.svc.MessageActor(r.Context(), r.PathValue("token"))
	if isNotFound(err) {
		p.gone(w, r)
		return a, nil, false, nil
	} else if err != nil {
		return a, nil, false, err
	}
	return a, ml, true, nil
}

// actCard returns the card a message link's action is about: for "I
// applied" the residence or integrated card; for "I have my new card" the
// card ?card= names, else the resident's first. ok false: the resident
// holds none (the page says the link does not work).
func (p *Pages) actCard(r *http.Request, a auth.Actor, which string) (desk.CardView, kigen.Language, bool, error) {
	page, err := p.svc.SelfView(r.Context(), a)
	if err != nil {
		return desk.CardView{}, "", false, err
	}
	want := kigen.CardKind(r.FormValue("card"))
	for _, c := range page.Resident.Cards {
		switch {
		case which == actApplied && c.Kind.IsResidence(),
			which == actNewCard && (want == "" || want == c.Kind):
			return c, page.Resident.Language, true, nil
		}
	}
	return desk.CardView{}, page.Resident.Language, false, nil
}

// actForm asks the resident to confirm "I applied" (with its date) or "I
// have my new card" (with the new date): a GET that changes nothing.
func (p *Pages) actForm(which string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, _, ok, err := p.messageActor(w, r)
		if !ok {
			return err
		}
		return p.renderAct(w, r, a, which, http.StatusOK, nil)
	}
}

func (p *Pages) renderAct(w http.ResponseWriter, r *http.Request, a auth.Actor, which string, status int, errs []fieldError) error {
	card, l, ok, err := p.actCard(r, a, which)
	if err != nil {
		return err
	} else if !ok {
		p.gone(w, r)
		return nil
	}
	v := p.view(r, l, "")
	v.Code = a.MunicipalityCode
	if m, err := p.svc.SignupMunicipality(r.Context(), a.MunicipalityCode); err == nil {
		v.Muni = p.muniName(l, *m)
	}
	v.shown(errs)
	cardName := v.T("card." + string(card.Kind))
	name, labelKey := "applied", "me.applied.date"
	if which == actApplied {
		v.Title = v.T("act.applied.title")
		v.Paras = []string{v.T("act.applied.text", "card", cardName, "date", v.Date(card.ExpiresOn))}
		v.Act = &actView{Action: r.URL.Path, Button: v.T("act.applied.button")}
	} else {
		name, labelKey = "expires", "me.newcard.date"
		v.Title = v.T("act.newcard.title")
		v.Paras = []string{v.T("act.newcard.text", "card", cardName)}
		v.Act = &actView{Action: r.URL.Path, Button: v.T("act.newcard.button"), Card: string(card.Kind)}
	}
	dv := safeDate(r.PostForm, name)
	v.Act.DateField = &dateFieldView{Name: name, Label: v.T(labelKey), Hint: v.T("form.date.hint"), Need: v.T("form.required"), Required: true,
		Year: dv.Year, Month: dv.Month, Day: dv.Day, Error: v.Err(name + "-year"),
		YearLabel: v.T("form.date.year"), MonthLabel: v.T("form.date.month"), DayLabel: v.T("form.date.day")}
	return p.render(w, status, "act", v)
}

// act records what the resident confirmed, through the desk (the next
// tick acts on it), and says so.
func (p *Pages) act(which string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			p.fail(w, r, http.StatusBadRequest, langOr(r, kigen.English), "error.title", "error.text")
			return nil
		}
		a, _, ok, err := p.messageActor(w, r)
		if !ok {
			return err
		}
		card, l, ok, err := p.actCard(r, a, which)
		if err != nil {
			return err
		} else if !ok {
			p.gone(w, r)
			return nil
		}
		var errs []fieldError
		doneKey := "act.applied.done"
		if which == actApplied {
			errs = p.applied(r, a, ui.DateValueOf(r.PostForm, "applied"), "applied")
		} else {
			errs = p.newCard(r, a, card.Kind, ui.DateValueOf(r.PostForm, "expires"), "expires")
			doneKey = "act.newcard.done"
		}
		if errs != nil {
			return p.renderAct(w, r, a, which, http.StatusUnprocessableEntity, errs)
		}
		v := p.view(r, l, T(l, "me.saved"))
		v.Code = a.MunicipalityCode
		v.Paras = []string{v.T(doneKey)}
		v.Link = &linkView{URL: "/m/" + url.PathEscape(r.PathValue("token")), Text: v.T("act.link.message")}
		return p.render(w, http.StatusOK, "message", v)
	}
}
