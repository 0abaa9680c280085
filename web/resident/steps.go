package resident

import (
	"fmt"
	htmltemplate "html/template"
	"net/http"

	"kigen"
	"kigen/web/ui"
)

// signupStart is the sign-up's first step (a GET: nothing is stored until
// the last step).
func (p *Pages) signupStart(w http.ResponseWriter, r *http.Request) error {
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	l := langOr(r, kigen.English)
	return p.renderStep(w, r, l, m, stepCards, draft{Dates: map[kigen.CardKind]ui.DateValue{}}, nil)
}

// signupStep takes one step's answers: "back" returns to the step before
// (keeping every answer), "next" checks this step and every one before it
// and shows the next, or the first with an error; the consent step's
// "next" asks the service to send the confirmation.
func (p *Pages) signupStep(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, langOr(r, kigen.English), "error.title", "error.text")
		return nil
	}
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	l := langOr(r, kigen.English)
	d, mnErrs := readDraft(r.PostForm)
	step := r.PostFormValue("step")
	if !contains(d.steps(), step) {
		step = stepCards // an unknown step: start again
	}
	if r.PostFormValue("go") == "back" {
		prev := d.prev(step)
		if prev == "" {
			prev = stepCards
		}
		return p.renderStep(w, r, l, m, prev, d, nil)
	}
	today := kigen.DateOf(p.now())
	if len(mnErrs) > 0 {
		// The individual number was typed somewhere: back to the step
		// that asks for that field, with the error there.
		return p.renderStep(w, r, l, m, stepOfField(mnErrs[0].ID), d, mnErrs)
	}
	if bad, errs := d.firstInvalid(step, today); bad != "" {
		return p.renderStep(w, r, l, m, bad, d, errs)
	}
	if next := d.next(step); next != "" {
		return p.renderStep(w, r, l, m, next, d, nil)
	}
	return p.startSignup(w, r, l, m, d)
}

// stepOfField returns the step that asks for the input id.
func stepOfField(id string) string {
	switch id {
	case "name", "address", "channel-email":
		return stepContact
	case "consent":
		return stepConsent
	}
	for _, k := range kigen.CardKinds {
		if id == string(k)+"-year" {
			return stepDates
		}
	}
	return stepCards
}

// municipality returns the municipality of the path's code; ok is false
// when the page is answered already (not found) or err is set.
func (p *Pages) municipality(w http.ResponseWriter, r *http.Request) (*kigen.Municipality, bool, error) {
	code := r.PathValue("code")
	if kigen.CheckMunicipalityCode(code) != nil {
		p.fail(w, r, http.StatusNotFound, langOr(r, kigen.English), "entry.unknown.title", "entry.unknown.text")
		return nil, false, nil
	}
	m, err := p.svc.SignupMunicipality(r.Context(), code)
	if isNotFound(err) {
		p.fail(w, r, http.StatusNotFound, langOr(r, kigen.English), "entry.unknown.title", "entry.unknown.text")
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// renderStep shows step s of the sign-up with the draft's answers and
// errs (a 422 when there are errors, so that a test or a tool sees them).
func (p *Pages) renderStep(w http.ResponseWriter, r *http.Request, l kigen.Language, m *kigen.Municipality, s string, d draft, errs []fieldError) error {
	v := p.view(r, l, "")
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	v.Step, v.StepN, v.StepTotal = s, d.number(s), len(d.steps())
	v.Hidden = d.hidden(s)
	v.shown(errs)
	req, opt := v.T("form.required"), v.T("form.optional")
	switch s {
	case stepCards:
		v.Title = v.T("cards.title")
		c := &choiceView{Name: "cards", Label: v.T("cards.title"), Need: req, Error: v.Err("cards-" + cardsTwo), Heading: true}
		for _, o := range cardChoices {
			c.Options = append(c.Options, optionView{Value: o, Label: v.T("cards." + o), Selected: d.Cards == o})
		}
		v.Choice = c
		v.Check = &checkView{Label: v.T("cards.cert"), Checked: d.Cert || d.Cards == ""}
	case stepDates:
		v.Title = v.T("dates.title")
		for _, k := range d.kinds() {
			dv := d.Dates[k]
			f := dateFieldView{Name: string(k), Label: v.T("dates." + string(k)), Hint: v.T("dates."+string(k)+".where") + " " + v.T("form.date.hint"),
				Error: v.Err(string(k) + "-year"), Need: req, Required: k != kigen.MyNumberCert,
				Year: dv.Year, Month: dv.Month, Day: dv.Day,
				YearLabel: v.T("form.date.year"), MonthLabel: v.T("form.date.month"), DayLabel: v.T("form.date.day"),
				Drawing: drawing(k, v.T("dates.drawing", "card", v.T("card."+string(drawnCard(k)))))}
			if !f.Required {
				f.Need = opt
			}
			v.DateFields = append(v.DateFields, f)
		}
	case stepStatus:
		v.Title = v.T("status.title")
		c := &choiceView{Name: "status", Label: v.T("status.title"), Need: req, Error: v.Err("status-" + string(kigen.FixedPeriod)), Heading: true}
		for _, o := range []struct {
			s   kigen.Status
			key string
		}{{kigen.FixedPeriod, "status.fixed"}, {kigen.Permanent, "status.permanent"}} {
			c.Options = append(c.Options, optionView{Value: string(o.s), Label: v.T(o.key), Selected: d.Status == o.s})
		}
		v.Choice = c
	case stepContact:
		v.Title = v.T("contact.title")
		c := &choiceView{Name: "channel", Label: v.T("contact.channel"), Need: req, Error: v.Err("channel-email")}
		for _, ch := range kigen.Channels {
			c.Options = append(c.Options, optionView{Value: string(ch), Label: v.T("contact." + string(ch)), Selected: d.Channel == ch})
		}
		v.Choice = c
		v.TextFields = []textFieldView{
			{ID: "address", Name: "address", Label: v.T("contact.address.label"), Hint: v.T("contact.address.hint"), Error: v.Err("address"),
				Need: req, Required: true, Type: "text", Value: d.Address, Autocomplete: "email"},
			{ID: "name", Name: "name", Label: v.T("contact.name"), Hint: v.T("contact.name.hint"), Error: v.Err("name"),
				Need: opt, Type: "text", Value: d.Name, Autocomplete: "name"},
		}
	case stepConsent:
		v.Title = v.T("consent.title")
		v.Paras = []string{v.T("consent.stores"), v.T("consent.sends"), v.T("consent.who", "muni", v.Muni), v.T("consent.stop")}
		v.Check = &checkView{Label: v.T("consent.agree"), Checked: d.Consent, Error: v.Err("consent")}
	default:
		return fmt.Errorf("resident: no step %q", s)
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return p.render(w, status, "step", v)
}

// drawing is a simple picture of the front of a card of kind k with the
// place of its date marked: a labelled image (role img), no text inside
// to translate. The residence and integrated cards print it across the
// bottom; the My Number card below the address, on the left; the
// certificate's date goes in the box at the bottom right.
func drawing(k kigen.CardKind, label string) htmltemplate.HTML {
	// x, y, w, h of the marked box on a 320×200 card.
	box := map[kigen.CardKind][4]int{
		kigen.ResidenceCard:  {16, 164, 288, 24},
		kigen.IntegratedCard: {16, 164, 288, 24},
		kigen.MyNumberCard:   {16, 112, 180, 22},
		kigen.MyNumberCert:   {200, 164, 104, 24},
	}[k]
	photo := 226 // the photo is on the right
	svg := fmt.Sprintf(`<svg class="drawing" viewBox="0 0 320 200" width="320" height="200" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`+
		`<rect x="1" y="1" width="318" height="198" rx="14" fill="#f9fafb" stroke="#374151" stroke-width="2"/>`+
		`<rect x="%d" y="30" width="78" height="96" rx="4" fill="#e5e7eb" stroke="#6b7280"/>`+
		`<circle cx="%d" cy="64" r="16" fill="#9ca3af"/><rect x="%d" y="86" width="46" height="32" rx="10" fill="#9ca3af"/>`+
		`<rect x="16" y="20" width="120" height="10" fill="#9ca3af"/>`+
		`<rect x="16" y="44" width="190" height="8" fill="#d1d5db"/><rect x="16" y="62" width="170" height="8" fill="#d1d5db"/>`+
		`<rect x="16" y="80" width="190" height="8" fill="#d1d5db"/><rect x="16" y="98" width="150" height="8" fill="#d1d5db"/>`+
		`<rect x="16" y="140" width="120" height="8" fill="#d1d5db"/>`+
		`<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#fef3c7" stroke="#b45309" stroke-width="4"/>`+
		`<rect x="%d" y="%d" width="%d" height="6" fill="#b45309"/></svg>`,
		htmltemplate.HTMLEscapeString(label), photo, photo+39, photo+16,
		box[0], box[1], box[2], box[3], box[0]+10, box[1]+box[3]/2-3, box[2]-20)
	return htmltemplate.HTML(svg) // #nosec: built from numbers and an escaped label
}

// drawnCard is the card a date is printed on: the certificate's on the
// My Number card.
func drawnCard(k kigen.CardKind) kigen.CardKind {
	if k == kigen.MyNumberCert {
		return kigen.MyNumberCard
	}
	return k
}
