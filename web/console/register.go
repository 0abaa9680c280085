package console

import (
	"errors"
	"net/http"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// registerView is the form to register a resident at the counter, and
// what Kigen would send them and when (the preview).
type registerView struct {
	ui.Page
	Ref, Name, Email, Phone   ui.Field
	Language, Status, Channel ui.Choice
	Consent                   ui.Choice
	Cards                     []ui.DateField
	Preview                   *previewView
	// Action is where the form posts; Edit, a change of the resident
	// RefText (whose reference stays), made on Version.
	Action, RefText, Version string
	Edit                     bool
}

// previewView is the timeline a registration would give.
type previewView struct {
	Rows        []timelineRow
	Reached     string
	Unreachable bool
	GapOpen     bool
	Warnings    []string
}

type timelineRow struct {
	On, Card, Stage, GoBy string
	DaysLeft, DaysPast    int
}

// registerForm is what the form holds, as typed.
type registerForm struct {
	Ref, Name, Language, Email, Phone, Status, Consent, Channel string
	Cards                                                       map[kigen.CardKind]ui.DateValue
}

func readRegisterForm(r *http.Request) registerForm {
	f := registerForm{Ref: strings.TrimSpace(r.PostFormValue("ref")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Language: r.PostFormValue("language"), Email: strings.TrimSpace(r.PostFormValue("email")),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), Status: r.PostFormValue("status"),
		Consent: r.PostFormValue("consent"), Channel: r.PostFormValue("channel"), Cards: map[kigen.CardKind]ui.DateValue{}}
	for _, k := range kigen.CardKinds {
		f.Cards[k] = ui.DateValueOf(r.PostForm, string(k))
	}
	return f
}

// fields returns the form as desk reads it: each field the import's text.
func (f registerForm) fields() desk.ResidentFields {
	s := func(v string) *string { return &v }
	return desk.ResidentFields{Name: s(f.Name), Language: s(f.Language), Email: s(f.Email), Phone: s(f.Phone), Status: s(f.Status),
		ResidenceCard: s(f.Cards[kigen.ResidenceCard].Text()), MyNumberCard: s(f.Cards[kigen.MyNumberCard].Text()),
		MyNumberCert: s(f.Cards[kigen.MyNumberCert].Text()), IntegratedCard: s(f.Cards[kigen.IntegratedCard].Text()),
		Consent: s(f.Consent), Channel: s(f.Channel)}
}

// registerFields maps desk's field names (the import's columns) to the
// form's inputs.
var registerFields = map[string]string{
	"resident_ref": "ref", "name": "name", "language": "language", "email": "email", "phone": "phone",
	"residence_status": "status", "consent": "consent", "channel": "channel",
	"residence_card_expires_on": "residence_card-year", "mynumber_card_expires_on": "mynumber_card-year",
	"mynumber_cert_expires_on": "mynumber_cert-year", "integrated_card_expires_on": "integrated_card-year",
}

func (c *Console) registerView(w http.ResponseWriter, r *http.Request, f registerForm, errs []ui.FieldError) registerView {
	p := c.page(w, r, "register.title")
	p.Errors = errs
	v := registerView{Page: p, Action: "/console/register"}
	v.Ref = p.TextField("ref", "ref", "register.ref", "register.ref.hint", f.Ref, true)
	v.Ref.Autocomplete = "off"
	v.Name = p.TextField("name", "name", "register.name", "register.name.hint", f.Name, true)
	v.Name.Autocomplete = "off"
	v.Language = p.ChoiceField("language", "language", "register.language", "", true, f.Language,
		append([]ui.Option{{Value: "", Label: p.T("register.choose")}}, languageOptions(p, false)...))
	v.Email = p.TextField("email", "email", "register.email", "", f.Email, false)
	v.Email.Type, v.Email.Autocomplete = "email", "off"
	v.Phone = p.TextField("phone", "phone", "register.phone", "register.phone.hint", f.Phone, false)
	v.Phone.Type, v.Phone.Autocomplete = "tel", "off"
	v.Channel = p.ChoiceField("channel", "channel", "register.channel", "register.channel.hint", false, f.Channel, []ui.Option{
		{Value: "", Label: p.T("register.channel.default")}, {Value: "email", Label: p.T("channel.email")},
		{Value: "sms", Label: p.T("channel.sms")}, {Value: "both", Label: p.T("register.channel.both")}})
	v.Consent = p.ChoiceField("consent", "consent", "register.consent", "register.consent.hint", true, f.Consent, []ui.Option{
		{Value: "yes", Label: p.T("register.consent.yes")}, {Value: "no", Label: p.T("register.consent.no")}})
	v.Status = p.ChoiceField("status", "status", "register.status", "register.status.hint", true, f.Status, statusOptions(p, false))
	for _, k := range kigen.CardKinds {
		v.Cards = append(v.Cards, p.DateInput(string(k), "card."+string(k), "register.card.hint", f.Cards[k], false))
	}
	return v
}

func (c *Console) registerForm(w http.ResponseWriter, r *http.Request) error {
	c.show(w, r, http.StatusOK, "register", c.registerView(w, r, registerForm{Status: string(kigen.FixedPeriod)}, nil))
	return nil
}

// register previews (what Kigen will send and when) or saves a resident
// typed at the counter: every problem shown at once, next to its field and
// summarised at the top, the input kept; nothing saved until all is right.
func (c *Console) register(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return kigen.Keyf(kigen.EINVALID, "form.unreadable", "the form could not be read")
	}
	f := readRegisterForm(r)
	lang := ui.LangOf(r)
	var errs []ui.FieldError
	if f.Ref == "" {
		errs = append(errs, ui.FieldError{ID: "ref", Message: ui.T(lang, "register.ref.missing")})
	}
	if f.Consent == "" {
		errs = append(errs, ui.FieldError{ID: "consent", Message: ui.T(lang, "register.consent.missing")})
	}
	for _, k := range kigen.CardKinds {
		if _, key := f.Cards[k].Parse(); key == "form.date.incomplete" {
			errs = append(errs, ui.FieldError{ID: string(k) + "-year", Message: ui.T(lang, "card."+string(k)) + ": " + ui.T(lang, key)})
		}
	}
	a := mustActor(r)
	save := r.PostFormValue("action") == "save"
	if len(errs) == 0 && save {
		res, err := c.desk.RegisterResident(r.Context(), a, desk.RegisterParams{Ref: f.Ref, ResidentFields: f.fields()})
		if err == nil {
			c.redirect(w, r, residentPath(res.Resident.Ref), false, "flash.registered", res.Resident.Ref)
			return nil
		}
		if errs, err = registerErrors(err, "ref"); err != nil {
			return err
		}
	}
	var preview *previewView
	if len(errs) == 0 {
		res, err := c.desk.PreviewResident(r.Context(), a, desk.PreviewParams{Ref: f.Ref, ResidentFields: f.fields()})
		if err == nil {
			preview = c.preview(lang, res)
		} else if errs, err = registerErrors(err, "ref"); err != nil {
			return err
		}
	}
	v := c.registerView(w, r, f, errs)
	v.Preview = preview
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	c.show(w, r, status, "register", v)
	return nil
}

// registerErrors are the form's errors of desk's refusal: each problem on
// its field; a conflict (a reference taken, a change made meanwhile) on
// the field conflictID. Any other error is returned.
func registerErrors(err error, conflictID string) ([]ui.FieldError, error) {
	var fe *desk.FieldsError
	switch {
	case errors.As(err, &fe):
		var out []ui.FieldError
		for _, pr := range fe.Problems {
			id, ok := registerFields[pr.Field]
			if !ok {
				id = conflictID
			}
			out = append(out, ui.FieldError{ID: id, Message: pr.Reason, Key: pr.Key, Args: pr.Args})
		}
		return out, nil
	case kigen.ErrorCode(err) == kigen.ECONFLICT:
		return []ui.FieldError{ui.ErrorField(conflictID, err)}, nil
	case kigen.ErrorCode(err) == kigen.EINVALID:
		return fieldErrors(err, registerFields, "ref"), nil
	}
	return nil, err
}

// preview is the timeline of a preview, for the page.
func (c *Console) preview(l ui.Lang, res *desk.PreviewResult) *previewView {
	v := &previewView{GapOpen: res.GapOpen, Unreachable: len(res.ReachedBy) == 0}
	var reached []string
	for _, ch := range res.ReachedBy {
		reached = append(reached, ui.T(l, "channel."+string(ch)))
	}
	v.Reached = strings.Join(reached, ui.T(l, "list.sep"))
	if res.Timeline != nil {
		for _, n := range res.Timeline.Notices {
			v.Rows = append(v.Rows, timelineRow{On: ui.FormatDate(l, n.On), Card: ui.T(l, "card."+string(n.Card)),
				Stage: ui.T(l, "stage."+string(n.Stage)), GoBy: ui.FormatDate(l, n.GoBy), DaysLeft: n.DaysLeft, DaysPast: -n.DaysLeft})
		}
	}
	for _, w := range res.Warnings {
		v.Warnings = append(v.Warnings, fieldLabel(l, w.Field)+": "+ui.Reason(l, w.Key, w.Args, w.Reason))
	}
	return v
}

// fieldLabel names one of desk's fields (the import's column) in l: a
// card's date by the card's name, any other by its column.
func fieldLabel(l ui.Lang, field string) string {
	for _, k := range kigen.CardKinds {
		if k.Field() == field {
			return ui.T(l, "card."+string(k))
		}
	}
	return field
}

// editView is the registration form filled in with the resident ref as
// stored, to change them (a new card date after a renewal, a new address).
func (c *Console) editView(w http.ResponseWriter, r *http.Request, v *desk.ResidentView, f registerForm, version string, errs []ui.FieldError) registerView {
	rv := c.registerView(w, r, f, errs)
	rv.Title = rv.T("edit.title", v.Ref)
	rv.Edit, rv.RefText, rv.Version, rv.Action = true, v.Ref, version, residentPath(v.Ref)+"/edit"
	return rv
}

// formOf is the form of a resident as stored.
func formOf(v *desk.ResidentView) registerForm {
	f := registerForm{Ref: v.Ref, Name: v.Name, Language: string(v.Language), Status: string(v.Status), Channel: string(v.Channel),
		Consent: "no", Cards: map[kigen.CardKind]ui.DateValue{}}
	for _, ct := range v.Contacts {
		switch ct.Channel {
		case kigen.Email:
			f.Email = ct.Address
		case kigen.SMS:
			f.Phone = ct.Address
		}
		if ct.Consent {
			f.Consent = "yes"
		}
	}
	for _, cv := range v.Cards {
		f.Cards[cv.Kind] = ui.DateValueFrom(cv.ExpiresOn)
	}
	return f
}

func (c *Console) editForm(w http.ResponseWriter, r *http.Request) error {
	v, err := c.desk.ShowResident(r.Context(), mustActor(r), desk.ResidentParams{Ref: r.PathValue("ref")})
	if err != nil {
		return err
	}
	c.show(w, r, http.StatusOK, "register", c.editView(w, r, v, formOf(v), v.Version, nil))
	return nil
}

// edit previews or saves a change of the resident: every field as the
// form holds it (an empty one clears the value), refused if someone else
// changed the resident since the form was read (the version it carries).
func (c *Console) edit(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return kigen.Keyf(kigen.EINVALID, "form.unreadable", "the form could not be read")
	}
	a := mustActor(r)
	v, err := c.desk.ShowResident(r.Context(), a, desk.ResidentParams{Ref: r.PathValue("ref")})
	if err != nil {
		return err
	}
	f := readRegisterForm(r)
	f.Ref = v.Ref
	version := r.PostFormValue("version")
	lang := ui.LangOf(r)
	var errs []ui.FieldError
	if f.Consent == "" {
		errs = append(errs, ui.FieldError{ID: "consent", Message: ui.T(lang, "register.consent.missing")})
	}
	for _, k := range kigen.CardKinds {
		if _, key := f.Cards[k].Parse(); key == "form.date.incomplete" {
			errs = append(errs, ui.FieldError{ID: string(k) + "-year", Message: ui.T(lang, "card."+string(k)) + ": " + ui.T(lang, key)})
		}
	}
	if len(errs) == 0 && r.PostFormValue("action") == "save" {
		_, err := c.desk.UpdateResident(r.Context(), a, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: v.Ref}, IfMatch: version,
			ResidentFields: f.fields()})
		if err == nil {
			c.redirect(w, r, residentPath(v.Ref), false, "flash.updated", v.Ref)
			return nil
		}
		if errs, err = registerErrors(err, "name"); err != nil {
			return err
		}
	}
	var preview *previewView
	if len(errs) == 0 {
		res, err := c.desk.PreviewResident(r.Context(), a, desk.PreviewParams{Ref: v.Ref, ResidentFields: f.fields()})
		if err == nil {
			preview = c.preview(lang, res)
		} else if errs, err = registerErrors(err, "name"); err != nil {
			return err
		}
	}
	ev := c.editView(w, r, v, f, version, errs)
	ev.Preview = preview
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	c.show(w, r, status, "register", ev)
	return nil
}
