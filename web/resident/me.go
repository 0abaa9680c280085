package resident

import (
	"net/http"
	"net/url"
	"strconv"
	"unicode"
	"unicode/utf8"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/ui"
)

// meView is the resident's own page.
type meView struct {
	Token          string
	Welcome, Saved bool
	Cards          []meCard
	Timeline       []timelineItem
	Channels       []meChannel
	Applied        *dateFieldView // nil: no card to apply for
	AppliedOn      string         // a renewal applied for, as the page says it
	NewCard        *choiceView
	NewCardDate    dateFieldView
	Language       *choiceView
	Add            textFieldView
	// CalendarURL is a calendar feed link just issued, shown this once;
	// CalendarRevoked says the links were stopped.
	CalendarURL     string
	CalendarRevoked bool
}

type meCard struct{ Label, Until, Days string }

type meChannel struct {
	Channel, Label, Address, State, Action, Button string
}

// timelineItem is one reminder to come.
type timelineItem struct {
	When, Title string
	Lines       []string // each card: its date, and the date to go by
}

// stageKeys are the timeline's words for each stage.
var stageKeys = map[kigen.Stage]string{
	kigen.D90: "timeline.stage.window", kigen.D60: "timeline.stage.reminder", kigen.D30: "timeline.stage.urgent",
	kigen.D14: "timeline.stage.urgent", kigen.D7: "timeline.stage.urgent", kigen.D3: "timeline.stage.urgent",
	kigen.D1: "timeline.stage.last", kigen.Expired: "timeline.stage.expired", kigen.RenewalGap: "timeline.stage.gap",
	kigen.SpecialPeriod: "timeline.stage.special",
}

// maxTimeline bounds the reminders the page lists: the next ones matter.
const maxTimeline = 12

// resident returns the actor of the page's token; ok false when the page
// is answered already (the link does not work).
func (p *Pages) resident(w http.ResponseWriter, r *http.Request) (auth.Actor, bool, error) {
	a, err := p.svc.ResidentActor(r.Context(), r.PathValue("token"))
	if isNotFound(err) {
		p.gone(w, r)
		return a, false, nil
	} else if err != nil {
		return a, false, err
	}
	return a, true, nil
}

// gone answers a link that does not work, with the way to a fresh one.
func (p *Pages) gone(w http.ResponseWriter, r *http.Request) {
	l := langOr(r, kigen.English)
	v := p.view(r, l, T(l, "error.link.title"))
	v.Paras = []string{v.T("error.link.text")}
	// The link named no language that still holds: every language says it.
	for _, o := range kigen.Languages {
		if o != l && o != kigen.EasyJapan {
			v.Others = append(v.Others, langText{HTMLLang: htmlLang(o), Text: T(o, "error.link.title"), Sub: T(o, "error.link.text")})
		}
	}
	if err := p.render(w, http.StatusNotFound, "message", v); err != nil {
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// me is the resident's page: their cards, the reminders to come, and the
// forms that change them.
func (p *Pages) me(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.resident(w, r)
	if !ok {
		return err
	}
	q := r.URL.Query()
	return p.renderMe(w, r, a, http.StatusOK, nil, func(v *view) {
		v.Me.Welcome, v.Me.Saved = q.Get("welcome") == "1", q.Get("saved") == "1"
	})
}

// renderMe shows the resident's page with errs (of one of its forms) and
// fill's changes.
func (p *Pages) renderMe(w http.ResponseWriter, r *http.Request, a auth.Actor, status int, errs []fieldError, fill func(*view)) error {
	page, err := p.svc.SelfView(r.Context(), a)
	if isNotFound(err) {
		p.gone(w, r)
		return nil
	} else if err != nil {
		return err
	}
	res := page.Resident
	l := res.Language
	v := p.view(r, l, T(l, "me.title"))
	v.Code = res.Municipality
	if m, err := p.svc.SignupMunicipality(r.Context(), res.Municipality); err == nil {
		v.Muni = p.muniName(l, *m)
	}
	v.shown(errs)
	token := r.PathValue("token")
	me := &meView{Token: token}
	v.Me = me
	for _, c := range res.Cards {
		mc := meCard{Label: v.T("card." + string(c.Kind)), Until: capitalize(v.T("timeline.expires", "card", v.T("card."+string(c.Kind)), "date", v.Date(c.ExpiresOn)))}
		if c.DaysLeft >= 0 {
			mc.Days = v.T("timeline.days", "days", strconv.Itoa(c.DaysLeft))
		}
		v.Me.Cards = append(me.Cards, mc)
		if !c.RenewalAppliedOn.IsZero() {
			me.AppliedOn = v.T("timeline.applied", "date", v.Date(c.RenewalAppliedOn))
		}
	}
	// One item a day: the cards due that day go in one message.
	for _, n := range page.Timeline.Notices {
		when := v.Date(n.On)
		line := capitalize(v.T("timeline.expires", "card", v.T("card."+string(n.Card)), "date", v.Date(n.ExpiresOn)))
		if !n.GoBy.IsZero() {
			line += " — " + v.T("timeline.goby", "date", v.Date(n.GoBy))
		}
		if k := len(me.Timeline); k > 0 && me.Timeline[k-1].When == when {
			me.Timeline[k-1].Lines = append(me.Timeline[k-1].Lines, line)
			continue
		}
		if len(me.Timeline) == maxTimeline {
			break
		}
		me.Timeline = append(me.Timeline, timelineItem{When: when, Title: v.T(stageKeys[n.Stage]), Lines: []string{line}})
	}
	for _, c := range res.Contacts {
		if c.Address == "" {
			continue
		}
		mc := meChannel{Channel: string(c.Channel), Label: v.T("contact." + string(c.Channel)), Address: c.Address}
		if c.OptedOut || !c.Consent {
			mc.State, mc.Action, mc.Button = v.T("me.channel.off"), "start", v.T("me.channel.start")
		} else {
			mc.State, mc.Action, mc.Button = v.T("me.channel.on"), "stop", v.T("me.channel.stop")
		}
		me.Channels = append(me.Channels, mc)
	}
	req := v.T("form.required")
	form := r.PostForm
	for _, c := range res.Cards {
		if c.Kind.IsResidence() && res.Status == kigen.FixedPeriod {
			dv := safeDate(form, "applied")
			me.Applied = &dateFieldView{Name: "applied", Label: v.T("me.applied.date"), Hint: v.T("form.date.hint"), Need: req, Required: true,
				Year: dv.Year, Month: dv.Month, Day: dv.Day, Error: v.Err("applied-year"),
				YearLabel: v.T("form.date.year"), MonthLabel: v.T("form.date.month"), DayLabel: v.T("form.date.day")}
			break
		}
	}
	nc := &choiceView{Name: "card", Label: v.T("me.newcard.card"), Need: req, Error: v.Err("card-" + string(kigen.ResidenceCard))}
	cur := form.Get("card")
	for _, c := range res.Cards {
		if cur == "" {
			cur = string(c.Kind)
		}
		nc.Options = append(nc.Options, optionView{Value: string(c.Kind), Label: v.T("card." + string(c.Kind)), Selected: cur == string(c.Kind)})
	}
	me.NewCard = nc
	dv := safeDate(form, "expires")
	me.NewCardDate = dateFieldView{Name: "expires", Label: v.T("me.newcard.date"), Hint: v.T("form.date.hint"), Need: req, Required: true,
		Year: dv.Year, Month: dv.Month, Day: dv.Day, Error: v.Err("expires-year"),
		YearLabel: v.T("form.date.year"), MonthLabel: v.T("form.date.month"), DayLabel: v.T("form.date.day")}
	lc := &choiceView{Name: "language", Label: v.T("me.language.title"), Need: req}
	for _, ol := range kigen.Languages {
		lc.Options = append(lc.Options, optionView{Value: string(ol), Label: T(ol, "lang.name"), Selected: ol == l})
	}
	me.Language = lc
	me.Add = textFieldView{ID: "address", Name: "address", Label: v.T("contact.address.label"), Hint: v.T("contact.address.hint"),
		Error: v.Err("address"), Need: req, Required: true, Type: "text", Autocomplete: "email"}
	if fill != nil {
		fill(v)
	}
	return p.render(w, status, "me", v)
}

// meForm reads a POST of the resident's page: the actor of its token and
// the form; ok false when the page is answered already.
func (p *Pages) meForm(w http.ResponseWriter, r *http.Request) (auth.Actor, bool, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, langOr(r, kigen.English), "error.title", "error.text")
		return auth.Actor{}, false, nil
	}
	return p.resident(w, r)
}

// saved answers a change made: back to the page, which says so.
func saved(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/me/"+url.PathEscape(r.PathValue("token"))+"?saved=1", http.StatusSeeOther)
}

// meApplied records "I applied" with its date.
func (p *Pages) meApplied(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	if errs := p.applied(r, a, ui.DateValueOf(r.PostForm, "applied"), "applied"); errs != nil {
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity, errs, nil)
	}
	saved(w, r)
	return nil
}

// applied records the application of the date typed in field name;
// errs for the page when it is refused.
func (p *Pages) applied(r *http.Request, a auth.Actor, dv ui.DateValue, name string) []fieldError {
	id, label := name+"-year", "me.applied.date"
	if kigen.ContainsMyNumber(dv.Year + dv.Month + dv.Day) {
		return []fieldError{{ID: id, Key: "form.mynumber", Args: []string{"field", label}}}
	}
	on, key := dv.Parse()
	if key == "" && on.IsZero() {
		key = "form.date.incomplete"
	}
	if key != "" {
		return []fieldError{{ID: id, Key: key, Args: []string{"field", label}}}
	}
	_, err := p.svc.RecordApplied(r.Context(), a, desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}, On: on})
	if kigen.ErrorCode(err) == kigen.EINVALID {
		return []fieldError{{ID: id, Key: "form.date.implausible", Args: []string{"field", label}}}
	} else if err != nil {
		return []fieldError{{ID: id, Key: "error.text"}}
	}
	return nil
}

// meCard records a new card's date.
func (p *Pages) meCard(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	if errs := p.newCard(r, a, kigen.CardKind(r.PostFormValue("card")), ui.DateValueOf(r.PostForm, "expires"), "expires"); errs != nil {
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity, errs, nil)
	}
	saved(w, r)
	return nil
}

// newCard saves the date typed in field name as kind's new expiry.
func (p *Pages) newCard(r *http.Request, a auth.Actor, kind kigen.CardKind, dv ui.DateValue, name string) []fieldError {
	id, label := name+"-year", "me.newcard.date"
	if !kind.Valid() {
		return []fieldError{{ID: "card-" + string(kigen.ResidenceCard), Key: "cards.error"}}
	}
	if kigen.ContainsMyNumber(dv.Year + dv.Month + dv.Day) {
		return []fieldError{{ID: id, Key: "form.mynumber", Args: []string{"field", label}}}
	}
	date, key := dv.Parse()
	if key == "" && date.IsZero() {
		key = "form.date.incomplete"
	}
	if key != "" {
		return []fieldError{{ID: id, Key: key, Args: []string{"field", label}}}
	}
	_, err := p.svc.SelfSetCard(r.Context(), a, desk.SelfCardParams{Card: kind, ExpiresOn: date.String()})
	if kigen.ErrorCode(err) == kigen.EINVALID {
		return []fieldError{{ID: id, Key: "form.date.implausible", Args: []string{"field", label}}}
	} else if err != nil {
		return []fieldError{{ID: id, Key: "error.text"}}
	}
	return nil
}

// meLanguage changes the language of the page and of the reminders.
func (p *Pages) meLanguage(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	l := kigen.Language(r.PostFormValue("language"))
	if !l.Valid() {
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity, []fieldError{{ID: "language", Key: "error.text"}}, nil)
	}
	if _, err := p.svc.SelfSetLanguage(r.Context(), a, desk.SelfLanguageParams{Language: string(l)}); err != nil {
		return err
	}
	saved(w, r)
	return nil
}

// meChannel stops or restarts the reminders on a channel.
func (p *Pages) meChannel(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	sw := desk.SelfChannelSwitch{Channel: kigen.Channel(r.PostFormValue("channel"))}
	switch r.PostFormValue("action") {
	case "stop":
		_, err = p.svc.SelfUnsubscribe(r.Context(), a, sw)
	case "start":
		_, err = p.svc.SelfResubscribe(r.Context(), a, sw)
	default:
		err = kigen.FieldErrorf("action", "stop or start")
	}
	if kigen.ErrorCode(err) == kigen.EINVALID {
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity, []fieldError{{ID: "channels", Key: "error.text"}}, nil)
	} else if err != nil {
		return err
	}
	saved(w, r)
	return nil
}

// meAdd adds a second address, confirmed like a sign-up's.
func (p *Pages) meAdd(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	addr := r.PostFormValue("address")
	if (len(addr) == 0 || addr[0] != '+') && kigen.ContainsMyNumber(addr) {
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity,
			[]fieldError{{ID: "address", Key: "form.mynumber", Args: []string{"field", "contact.address.label"}}}, nil)
	}
	cp := desk.SelfChannelParams{Client: clientKey(r)}
	email := false
	for _, c := range addr {
		if c == '@' || c == '＠' {
			email = true
		}
	}
	if email {
		cp.Email = addr
	} else {
		cp.Phone = addr
	}
	started, err := p.svc.SelfAddChannel(r.Context(), a, cp)
	if kigen.ErrorCode(err) == kigen.ELOCKED {
		p.fail(w, r, http.StatusTooManyRequests, langOr(r, kigen.English), "limit.title", "limit.text")
		return nil
	}
	if errs := deskFieldErrors(err); errs != nil {
		e := errs[0]
		e.ID = "address"
		return p.renderMe(w, r, a, http.StatusUnprocessableEntity, []fieldError{e}, nil)
	} else if err != nil {
		return err
	}
	page, err := p.svc.SelfView(r.Context(), a)
	if err != nil {
		return err
	}
	l := page.Resident.Language
	v := p.view(r, l, "")
	v.Code = a.MunicipalityCode
	if started.Channel == kigen.Email {
		v.Title = v.T("check.email.title")
		v.Paras = []string{v.T("check.email.text")}
		v.Link = &linkView{URL: "/me/" + url.PathEscape(r.PathValue("token")), Text: v.T("done.me")}
		return p.render(w, http.StatusOK, "message", v)
	}
	return p.renderCode(w, http.StatusOK, v, started.Handle)
}

// meData downloads the resident's data.
func (p *Pages) meData(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.resident(w, r)
	if !ok {
		return err
	}
	data, err := p.svc.SelfExport(r.Context(), a)
	if err != nil {
		return err
	}
	return writeJSON(w, "kigen-"+a.MunicipalityCode+".json", data)
}

// meEraseForm asks whether to erase everything (a GET never changes
// anything).
func (p *Pages) meEraseForm(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.resident(w, r)
	if !ok {
		return err
	}
	page, err := p.svc.SelfView(r.Context(), a)
	if err != nil {
		return err
	}
	l := page.Resident.Language
	v := p.view(r, l, T(l, "me.erase.confirm.title"))
	v.Paras = []string{v.T("me.erase.confirm.text")}
	v.Act = &actView{Action: r.URL.Path, Button: v.T("me.erase.confirm.button"), Danger: true,
		Cancel: &linkView{URL: "/me/" + url.PathEscape(r.PathValue("token")), Text: v.T("me.erase.cancel")}}
	return p.render(w, http.StatusOK, "act", v)
}

// meErase erases the resident at once and for good.
func (p *Pages) meErase(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	page, err := p.svc.SelfView(r.Context(), a)
	if err != nil {
		return err
	}
	l := page.Resident.Language
	if _, err := p.svc.EraseResident(r.Context(), a, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: a.ResidentRef}}); err != nil {
		return err
	}
	v := p.view(r, l, T(l, "me.erased.title"))
	v.Paras = []string{v.T("me.erased.text")}
	v.Link = &linkView{URL: "/r/" + url.PathEscape(a.MunicipalityCode) + "/?lang=" + string(l), Text: v.T("entry.start")}
	return p.render(w, http.StatusOK, "message", v)
}

// capitalize writes the first letter of s in upper case (a card's name
// starts a line: "Residence card: …"); scripts without case are left alone.
func capitalize(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}

// safeDate reads a date typed in a form to show it again: empty if any
// part holds the individual number, which is never shown.
func safeDate(form url.Values, name string) ui.DateValue {
	dv := ui.DateValueOf(form, name)
	if kigen.ContainsMyNumber(dv.Year) || kigen.ContainsMyNumber(dv.Month) || kigen.ContainsMyNumber(dv.Day) ||
		kigen.ContainsMyNumber(dv.Year+dv.Month+dv.Day) {
		return ui.DateValue{}
	}
	return dv
}
