package resident

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/route"
)

// Service is what the pages need of the service layer: *desk.Desk.
type Service interface {
	Directory
	StartSignup(ctx context.Context, p desk.SignupParams) (*desk.SignupStarted, error)
	ConfirmSignup(ctx context.Context, p desk.ConfirmParams) (*desk.Confirmed, error)
	RequestLink(ctx context.Context, p desk.LinkParams) (*desk.LinkRequested, error)
	ResidentActor(ctx context.Context, token string) (auth.Actor, error)
	MessageActor(ctx context.Context, token string) (auth.Actor, *desk.MessageLink, error)
	SelfView(ctx context.Context, a auth.Actor) (*desk.SelfPage, error)
	SelfSetCard(ctx context.Context, a auth.Actor, p desk.SelfCardParams) (*desk.EditResult, error)
	SelfSetLanguage(ctx context.Context, a auth.Actor, p desk.SelfLanguageParams) (*desk.EditResult, error)
	SelfAddChannel(ctx context.Context, a auth.Actor, p desk.SelfChannelParams) (*desk.SignupStarted, error)
	SelfUnsubscribe(ctx context.Context, a auth.Actor, p desk.SelfChannelSwitch) (*desk.SelfChannelResult, error)
	SelfResubscribe(ctx context.Context, a auth.Actor, p desk.SelfChannelSwitch) (*desk.SelfChannelResult, error)
	SelfExport(ctx context.Context, a auth.Actor) (*desk.SelfData, error)
	RecordApplied(ctx context.Context, a auth.Actor, p desk.AppliedParams) (*desk.AppliedResult, error)
	EraseResident(ctx context.Context, a auth.Actor, p desk.EraseParams) (*desk.EraseResult, error)
	SelfCalendarLink(ctx context.Context, a auth.Actor) (*desk.CalendarLink, error)
	SelfRevokeCalendar(ctx context.Context, a auth.Actor) (int, error)
}

var _ Service = (*desk.Desk)(nil)

// registerSelf adds the routes of the confirmation, the fresh link, the
// resident's page and the message links. A path that carries a token is
// a link route: the token is the capability, checked by the desk.
func (p *Pages) registerSelf(open *route.Group) {
	p.handle(open, "POST /r/{code}/code", route.Public, p.confirmCode)
	p.handle(open, "GET /r/{code}/confirm/{token}", route.Link, p.confirmLinkForm)
	p.handle(open, "POST /r/{code}/confirm/{token}", route.Link, p.confirmLink)
	p.handle(open, "GET /r/{code}/link", route.Public, p.linkForm)
	p.handle(open, "POST /r/{code}/link", route.Public, p.requestLink)

	p.handle(open, "GET /me/{token}", route.Link, p.me)
	p.handle(open, "POST /me/{token}/applied", route.Link, p.meApplied)
	p.handle(open, "POST /me/{token}/card", route.Link, p.meCard)
	p.handle(open, "POST /me/{token}/language", route.Link, p.meLanguage)
	p.handle(open, "POST /me/{token}/channel", route.Link, p.meChannel)
	p.handle(open, "POST /me/{token}/add", route.Link, p.meAdd)
	p.handle(open, "GET /me/{token}/data.json", route.Link, p.meData)
	p.handle(open, "GET /me/{token}/erase", route.Link, p.meEraseForm)
	p.handle(open, "POST /me/{token}/erase", route.Link, p.meErase)
	p.registerCalendar(open)

	p.handle(open, "GET /m/{token}/applied", route.Link, p.actForm(actApplied))
	p.handle(open, "POST /m/{token}/applied", route.Link, p.act(actApplied))
	p.handle(open, "GET /m/{token}/card", route.Link, p.actForm(actNewCard))
	p.handle(open, "POST /m/{token}/card", route.Link, p.act(actNewCard))
}

// startSignup asks the desk to store the sign-up and send its
// confirmation, and shows what to do next: look for the email, or type
// the SMS's code. The desk's refusals go back to the step that asks for
// the field.
func (p *Pages) startSignup(w http.ResponseWriter, r *http.Request, l kigen.Language, m *kigen.Municipality, d draft) error {
	dates := d.dateTexts()
	sp := desk.SignupParams{Municipality: m.Code, Language: string(l), Name: d.Name, Status: string(d.status()),
		ResidenceCard: dates[kigen.ResidenceCard], MyNumberCard: dates[kigen.MyNumberCard],
		MyNumberCert: dates[kigen.MyNumberCert], IntegratedCard: dates[kigen.IntegratedCard],
		Consent: d.Consent, Client: clientKey(r)}
	if d.Channel == kigen.Email {
		sp.Email = d.Address
	} else {
		sp.Phone = d.Address
	}
	started, err := p.svc.StartSignup(r.Context(), sp)
	if kigen.ErrorCode(err) == kigen.ELOCKED {
		p.fail(w, r, http.StatusTooManyRequests, l, "limit.title", "limit.text")
		return nil
	}
	if errs := deskFieldErrors(err); errs != nil {
		return p.renderStep(w, r, l, m, stepOfField(errs[0].ID), d, errs)
	} else if err != nil {
		return err
	}
	v := p.view(r, l, "")
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	if started.Channel == kigen.Email {
		v.Title = v.T("check.email.title")
		v.Paras = []string{v.T("check.email.text")}
		return p.render(w, http.StatusOK, "message", v)
	}
	return p.renderCode(w, http.StatusOK, v, started.Handle)
}

// renderCode shows the form that takes the SMS's code.
func (p *Pages) renderCode(w http.ResponseWriter, status int, v *view, handle string) error {
	v.Title = v.T("check.sms.title")
	v.Paras = []string{v.T("check.sms.text")}
	v.Hidden = []hiddenField{{"handle", handle}}
	v.TextFields = []textFieldView{{ID: "code", Name: "code", Label: v.T("check.code"), Error: v.Err("code"), Need: v.T("form.required"),
		Required: true, Type: "text", InputMode: "numeric", Autocomplete: "one-time-code"}}
	return p.render(w, status, "code", v)
}

// deskFieldErrors turns the desk's refusal of fields into the pages'
// errors (nil if err is not one): its field names are the import's
// columns, its reasons English; the pages say it in the resident's words.
func deskFieldErrors(err error) []fieldError {
	if err == nil || kigen.ErrorCode(err) != kigen.EINVALID {
		return nil
	}
	var probs []desk.FieldProblem
	var fe *desk.FieldsError
	var ke *kigen.Error
	switch {
	case errors.As(err, &fe):
		probs = fe.Problems
	case errors.As(err, &ke):
		probs = []desk.FieldProblem{{Field: ke.Field, Reason: ke.Message}}
	}
	var out []fieldError
	for _, pr := range probs {
		out = append(out, fieldErrorOf(pr))
	}
	if len(out) == 0 {
		out = []fieldError{{ID: "cards-" + cardsTwo, Key: "cards.error"}}
	}
	return out
}

// fieldErrorOf maps one of the desk's problems to the input it concerns.
func fieldErrorOf(pr desk.FieldProblem) fieldError {
	mn := pr.Reason == kigen.MyNumberReason
	for _, k := range kigen.CardKinds {
		if pr.Field == k.Field() || pr.Field == string(k) {
			e := fieldError{ID: string(k) + "-year", Key: "form.date.implausible", Args: []string{"field", "dates." + string(k)}}
			if mn {
				e.Key = "form.mynumber"
			}
			return e
		}
	}
	switch pr.Field {
	case "email", "phone", "address":
		label, key := "contact.address.email", "contact.email.invalid"
		if pr.Field == "phone" {
			label, key = "contact.address.sms", "contact.phone.invalid"
		}
		if mn {
			key = "form.mynumber"
		}
		return fieldError{ID: "address", Key: key, Args: []string{"field", label}}
	case "name":
		return fieldError{ID: "name", Key: "form.mynumber", Args: []string{"field", "contact.name"}}
	case "consent":
		return fieldError{ID: "consent", Key: "consent.error"}
	case "code":
		return fieldError{ID: "code", Key: "check.code.invalid", Args: []string{"field", "check.code"}}
	case "residence_status", "status":
		return fieldError{ID: "status-" + string(kigen.FixedPeriod), Key: "status.error"}
	}
	return fieldError{ID: "cards-" + cardsTwo, Key: "cards.error"}
}

// confirmCode takes the SMS's code: right, the resident exists and their
// page opens; wrong, the form again with the error; too many tries or
// expired, the page says to sign up again.
func (p *Pages) confirmCode(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm()
	l := langOr(r, kigen.English)
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	handle, code := r.PostFormValue("handle"), strings.TrimSpace(r.PostFormValue("code"))
	v := p.view(r, l, "")
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	if code == "" {
		v.shown([]fieldError{{ID: "code", Key: "check.code.invalid", Args: []string{"field", "check.code"}}})
		return p.renderCode(w, http.StatusUnprocessableEntity, v, handle)
	}
	res, err := p.svc.ConfirmSignup(r.Context(), desk.ConfirmParams{Token: handle, Code: code})
	if errs := deskFieldErrors(err); errs != nil {
		v.shown(errs[:1])
		return p.renderCode(w, http.StatusUnprocessableEntity, v, handle)
	}
	return p.confirmed(w, r, l, m, res, err)
}

// confirmed answers a confirmation: the resident's page (a new
// resident's first visit), a second channel's page, or why not.
func (p *Pages) confirmed(w http.ResponseWriter, r *http.Request, l kigen.Language, m *kigen.Municipality, res *desk.Confirmed, err error) error {
	if isNotFound(err) {
		p.fail(w, r, http.StatusGone, l, "error.link.title", "check.code.expired")
		return nil
	} else if err != nil {
		return err
	}
	if res.NewChannel {
		v := p.view(r, l, T(l, "me.channel.confirmed"))
		v.Code, v.Muni = m.Code, p.muniName(l, *m)
		v.Paras = []string{v.T("me.channel.confirmed.text")}
		return p.render(w, http.StatusOK, "message", v)
	}
	if res.Duplicate || res.Token == "" {
		v := p.view(r, l, T(l, "done.title"))
		v.Code, v.Muni = m.Code, p.muniName(l, *m)
		v.Paras = []string{v.T("done.duplicate", "muni", v.Muni)}
		return p.render(w, http.StatusOK, "message", v)
	}
	http.Redirect(w, r, "/me/"+url.PathEscape(res.Token)+"?welcome=1", http.StatusSeeOther)
	return nil
}

// confirmLinkForm is where the email's link leads: a button, because mail
// scanners open links and a GET never changes anything.
func (p *Pages) confirmLinkForm(w http.ResponseWriter, r *http.Request) error {
	l := langOr(r, kigen.English)
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	v := p.view(r, l, T(l, "check.email.title"))
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	v.Act = &actView{Action: r.URL.Path, Button: v.T("check.submit")}
	v.Paras = []string{v.T("confirm.email.text")}
	return p.render(w, http.StatusOK, "act", v)
}

// confirmLink confirms the sign-up (or second channel) of the email's
// link.
func (p *Pages) confirmLink(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm()
	l := langOr(r, kigen.English)
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	res, err := p.svc.ConfirmSignup(r.Context(), desk.ConfirmParams{Token: r.PathValue("token")})
	return p.confirmed(w, r, l, m, res, err)
}

// linkForm asks for the address a fresh link goes to.
func (p *Pages) linkForm(w http.ResponseWriter, r *http.Request) error {
	l := langOr(r, kigen.English)
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	return p.renderLink(w, r, http.StatusOK, l, m, "", nil)
}

func (p *Pages) renderLink(w http.ResponseWriter, r *http.Request, status int, l kigen.Language, m *kigen.Municipality, addr string, errs []fieldError) error {
	v := p.view(r, l, T(l, "link.title"))
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	v.shown(errs)
	v.Paras = []string{v.T("link.text")}
	v.TextFields = []textFieldView{{ID: "address", Name: "address", Label: v.T("contact.address.label"), Hint: v.T("contact.address.hint"),
		Error: v.Err("address"), Need: v.T("form.required"), Required: true, Type: "text", Value: addr, Autocomplete: "email"}}
	return p.render(w, status, "link", v)
}

// requestLink sends a fresh link; the answer is the same whether the
// address is known or not (the desk's RequestLink).
func (p *Pages) requestLink(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	_ = r.ParseForm()
	l := langOr(r, kigen.English)
	m, ok, err := p.municipality(w, r)
	if !ok {
		return err
	}
	addr := strings.TrimSpace(r.PostFormValue("address"))
	if !strings.HasPrefix(addr, "+") && kigen.ContainsMyNumber(addr) {
		return p.renderLink(w, r, http.StatusUnprocessableEntity, l, m, "",
			[]fieldError{{ID: "address", Key: "form.mynumber", Args: []string{"field", "contact.address.label"}}})
	}
	_, err = p.svc.RequestLink(r.Context(), desk.LinkParams{Municipality: m.Code, Address: addr, Client: clientKey(r)})
	if kigen.ErrorCode(err) == kigen.ELOCKED {
		p.fail(w, r, http.StatusTooManyRequests, l, "limit.title", "limit.text")
		return nil
	}
	if errs := deskFieldErrors(err); errs != nil {
		e := fieldError{ID: "address", Key: "contact.email.invalid", Args: []string{"field", "contact.address.label"}}
		if !strings.Contains(addr, "@") {
			e.Key = "contact.phone.invalid"
		}
		if errs[0].Key == "form.mynumber" {
			e.Key, addr = "form.mynumber", ""
		}
		return p.renderLink(w, r, http.StatusUnprocessableEntity, l, m, addr, []fieldError{e})
	} else if err != nil {
		return err
	}
	v := p.view(r, l, T(l, "link.sent.title"))
	v.Code, v.Muni = m.Code, p.muniName(l, *m)
	v.Paras = []string{v.T("link.sent.text")}
	return p.render(w, http.StatusOK, "message", v)
}

// writeJSON answers v as a download.
func writeJSON(w http.ResponseWriter, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	_, _ = w.Write(append(b, '\n'))
	return nil
}
