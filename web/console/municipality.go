package console

import (
	"net/http"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// municipalityPath is the admin's page of the municipality's settings
// (issue 19): its names, office, contact block and calendar.
const municipalityPath = "/console/settings/municipality"

// muniInputs are the form's inputs, in order: each the desk's field name,
// the input's id (and name) and its catalog key under settings.muni.
var muniInputs = []struct{ field, id string }{
	{"name", "muni-name"}, {"name_kana", "muni-name-kana"}, {"kind", "muni-kind"}, {"name_latin", "muni-name-latin"},
	{"name_hangul", "muni-name-hangul"}, {"name_thai", "muni-name-thai"}, {"name_devanagari", "muni-name-devanagari"},
	{"office", "muni-office"}, {"contact_phone", "muni-contact-phone"}, {"contact_email", "muni-contact-email"},
	{"contact_url", "muni-contact-url"}, {"closed_days", "muni-closed-days"}, {"open_days", "muni-open-days"},
}

// muniFields maps desk's field names to the form's inputs.
var muniFields = func() map[string]string {
	m := map[string]string{}
	for _, in := range muniInputs {
		m[in.field] = in.id
	}
	return m
}()

// municipalityView is the form of the municipality's settings.
type municipalityView struct {
	ui.Page
	Code     string
	Fields   []ui.Field
	Kind     ui.Choice
	Warnings []string
}

// muniForm is the form as typed (or as stored), by desk's field name.
type muniForm map[string]string

func muniFormOf(mu *desk.Municipality) muniForm {
	dates := func(ds []kigen.Date) string {
		var s []string
		for _, d := range ds {
			s = append(s, d.String())
		}
		return strings.Join(s, ", ")
	}
	return muniForm{"name": mu.Name, "name_kana": mu.NameKana, "kind": mu.Kind, "name_latin": mu.NameLatin,
		"name_hangul": mu.NameHangul, "name_thai": mu.NameThai, "name_devanagari": mu.NameDevanagari, "office": mu.Office,
		"contact_phone": mu.ContactPhone, "contact_email": mu.ContactEmail, "contact_url": mu.ContactURL,
		"closed_days": dates(mu.ClosedDays), "open_days": dates(mu.OpenDays)}
}

// splitDates splits a list of dates separated by commas or line breaks.
func splitDates(s string) []string {
	out := []string{}
	for _, d := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == '\n' || r == '\r' }) {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// params is the form as desk reads it: every field given.
func (f muniForm) params(code string) desk.MunicipalityParams {
	s := func(k string) *string { v := f[k]; return &v }
	closed, open := splitDates(f["closed_days"]), splitDates(f["open_days"])
	return desk.MunicipalityParams{Code: code, Name: s("name"), NameKana: s("name_kana"), Kind: s("kind"), NameLatin: s("name_latin"),
		NameHangul: s("name_hangul"), NameThai: s("name_thai"), NameDevanagari: s("name_devanagari"), Office: s("office"),
		ContactPhone: s("contact_phone"), ContactEmail: s("contact_email"), ContactURL: s("contact_url"),
		ClosedDays: &closed, OpenDays: &open}
}

func (c *Console) municipalityView(w http.ResponseWriter, r *http.Request, code string, f muniForm, errs []ui.FieldError) municipalityView {
	p := c.page(w, r, "settings.muni.title")
	p.Errors = errs
	v := municipalityView{Page: p, Code: code}
	for _, in := range muniInputs {
		key := "settings.muni." + in.field
		if in.field == "kind" {
			v.Kind = p.ChoiceField(in.id, in.field, key, key+".hint", true, f[in.field], []ui.Option{
				{Value: "市", Label: p.T("settings.muni.kind.city")}, {Value: "区", Label: p.T("settings.muni.kind.ward")},
				{Value: "町", Label: p.T("settings.muni.kind.town")}, {Value: "村", Label: p.T("settings.muni.kind.village")}})
			continue
		}
		fl := p.TextField(in.id, in.field, key, key+".hint", f[in.field], in.field == "name")
		fl.Autocomplete = "off"
		switch in.field {
		case "contact_email":
			fl.Type = "email"
		case "contact_phone":
			fl.Type = "tel"
		case "contact_url":
			fl.Type = "url"
		}
		v.Fields = append(v.Fields, fl)
	}
	return v
}

// municipalitySettings shows the form of the admin's municipality.
func (c *Console) municipalitySettings(w http.ResponseWriter, r *http.Request) error {
	mu, err := c.desk.ShowMunicipality(r.Context(), mustActor(r), "")
	if err != nil {
		return err
	}
	c.show(w, r, http.StatusOK, "municipality", c.municipalityView(w, r, mu.Code, muniFormOf(mu), nil))
	return nil
}

// saveMunicipality saves the form: every problem shown at once, next to
// its field and summarised at the top, the input kept; then back to the
// page with a flash (and what should still be filled in).
func (c *Console) saveMunicipality(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return kigen.Keyf(kigen.EINVALID, "form.unreadable", "the form could not be read")
	}
	f := muniForm{}
	for _, in := range muniInputs {
		f[in.field] = r.PostFormValue(in.field)
	}
	a := mustActor(r)
	mu, err := c.desk.UpdateMunicipality(r.Context(), a, f.params(""))
	if kigen.ErrorCode(err) == kigen.EINVALID {
		v := c.municipalityView(w, r, a.MunicipalityCode, f, fieldErrors(err, muniFields, "muni-name"))
		c.show(w, r, http.StatusUnprocessableEntity, "municipality", v)
		return nil
	} else if err != nil {
		return err
	}
	if len(mu.Warnings) > 0 {
		c.redirect(w, r, municipalityPath, false, "settings.flash.muni_saved_warn", strings.Join(mu.Warnings, "; "))
		return nil
	}
	c.redirect(w, r, municipalityPath, false, "settings.flash.muni_saved")
	return nil
}
