package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// homePage is the console's first page: the look-up by reference.
type homePage struct {
	ui.Page
	Ref ui.Field
}

func (c *Console) homeView(w http.ResponseWriter, r *http.Request, ref string, errs []ui.FieldError) homePage {
	p := c.page(w, r, "home.title")
	p.Errors = errs
	v := homePage{Page: p}
	v.Ref = p.TextField("ref", "ref", "home.ref", "home.ref.hint", ref, true)
	v.Ref.Type, v.Ref.Autocomplete = "search", "off"
	return v
}

// find looks a resident up by reference: their page, or the look-up again
// with the reason.
func (c *Console) find(w http.ResponseWriter, r *http.Request) error {
	ref := strings.TrimSpace(r.URL.Query().Get("ref"))
	if ref == "" {
		v := c.homeView(w, r, "", []ui.FieldError{{ID: "ref", Message: ui.T(ui.LangOf(r), "home.ref.missing")}})
		c.show(w, r, http.StatusUnprocessableEntity, "home", v)
		return nil
	}
	http.Redirect(w, r, residentPath(ref), http.StatusSeeOther)
	return nil
}

func residentPath(ref string) string { return "/console/residents/" + url.PathEscape(ref) }

// residentPage is a resident at the counter.
type residentPage struct {
	ui.Page
	V        *desk.ResidentView
	Path     string
	Cards    []cardRow
	Contacts []contactRow
	Notices  []noticeRow
	Reached  string
	Applied  ui.DateField
	// AppliedOn is the renewal application recorded, which can be taken
	// back ("" for none).
	AppliedOn string
	// Resubscribe are the channels the resident opted out of, which staff
	// can switch back on at their request.
	Resubscribe []string
}

type cardRow struct {
	Kind, Expires, GoBy, Next, Applied string
	DaysLeft, DaysPast                 int
	Expired                            bool
}

type contactRow struct {
	Channel, Address, State string
	Bad                     bool
}

type noticeRow struct {
	TickDate, Card, Expires, Stage string
	Messages                       []messageRow
}

type messageRow struct {
	Channel, State string
	Bad            bool
}

// resident shows a resident: cards with days left, the date to go by and
// the next reminder; contacts and their state; every notice with its
// messages' delivery state; the actions.
func (c *Console) resident(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	v, err := c.desk.ShowResident(r.Context(), mustActor(r), desk.ResidentParams{Ref: ref})
	if kigen.ErrorCode(err) == kigen.ENOTFOUND || kigen.ErrorCode(err) == kigen.EINVALID {
		lang := ui.LangOf(r)
		hv := c.homeView(w, r, ref, []ui.FieldError{{ID: "ref", Message: ui.T(lang, "home.ref.unknown")}})
		c.show(w, r, http.StatusNotFound, "home", hv)
		return nil
	} else if err != nil {
		return err
	}
	p := c.page(w, r, "resident.title")
	p.Title = p.T("resident.title", v.Ref)
	p.Errors = appliedErrors(r, p.Lang)
	page := residentPage{Page: p, V: v, Path: residentPath(v.Ref)}
	goBy := goByDates(v)
	for _, cv := range v.Cards {
		row := cardRow{Kind: p.T("card." + string(cv.Kind)), Expires: p.Date(cv.ExpiresOn), DaysLeft: cv.DaysLeft,
			Expired: cv.DaysLeft < 0, DaysPast: -cv.DaysLeft, Applied: p.Date(cv.RenewalAppliedOn), GoBy: p.Date(goBy[cv.Kind])}
		switch {
		case cv.Next.None != "":
			row.Next = p.T("next.none." + cv.Next.None)
		case cv.Next.Stage != "":
			row.Next = p.T("next.on", p.Date(cv.Next.On), p.T("stage."+string(cv.Next.Stage)))
		default:
			row.Next = p.Date(cv.Next.On)
		}
		page.Cards = append(page.Cards, row)
		if cv.Kind.IsResidence() && !cv.RenewalAppliedOn.IsZero() {
			page.AppliedOn = row.Applied
		}
	}
	for _, ct := range v.Contacts {
		row := contactRow{Channel: p.T("channel." + string(ct.Channel)), Address: ct.Address}
		switch {
		case ct.OptedOut:
			row.State, row.Bad = p.T("contact.opted_out"), true
			page.Resubscribe = append(page.Resubscribe, string(ct.Channel))
		case ct.Failed:
			row.State, row.Bad = p.T("contact.failed"), true
		case !ct.Consent:
			row.State, row.Bad = p.T("contact.no_consent"), true
		default:
			row.State = p.T("contact.ok")
		}
		page.Contacts = append(page.Contacts, row)
	}
	var reached []string
	for _, ch := range v.ReachedBy {
		reached = append(reached, p.T("channel."+string(ch)))
	}
	page.Reached = strings.Join(reached, p.T("list.sep"))
	for i := len(v.Notices) - 1; i >= 0; i-- { // newest first
		n := v.Notices[i]
		row := noticeRow{TickDate: p.Date(n.TickDate), Card: p.T("card." + string(n.Card)), Expires: p.Date(n.ExpiresOn),
			Stage: p.T("stage." + string(n.Stage))}
		for _, m := range n.Messages {
			row.Messages = append(row.Messages, messageRow{Channel: p.T("channel." + string(m.Channel)),
				State: p.T("message." + m.State), Bad: m.State == desk.MessageFailed || m.State == desk.MessageUnknown})
		}
		page.Notices = append(page.Notices, row)
	}
	page.Applied = p.DateInput("applied", "resident.applied.on", "resident.applied.hint", ui.DateValueOf(r.URL.Query(), "applied"), false)
	c.show(w, r, http.StatusOK, "resident", page)
	return nil
}

// appliedErrors are the errors of the applied form, carried back in the
// redirect's query (a date typed wrong: the key of its message).
func appliedErrors(r *http.Request, l ui.Lang) []ui.FieldError {
	q := r.URL.Query()
	switch key := q.Get("applied-error"); key {
	case "form.date.incomplete", "form.date.invalid":
		return []ui.FieldError{{ID: "applied-year", Message: ui.T(l, key)}}
	}
	return nil
}

// goByDates are, for each card, the date its next reminder names to go by
// (desk.Timeline, the national calendar): none for a card whose next
// reminder asks for no visit by a date, or that has none.
func goByDates(v *desk.ResidentView) map[kigen.CardKind]kigen.Date {
	out := map[kigen.CardKind]kigen.Date{}
	p := desk.TimelineParams{Cards: map[kigen.CardKind]string{}, Status: v.Status, From: v.Date.String()}
	for _, cv := range v.Cards {
		p.Cards[cv.Kind] = cv.ExpiresOn.String()
		if cv.Kind.IsResidence() && !cv.RenewalAppliedOn.IsZero() {
			p.Applied = cv.RenewalAppliedOn.String()
		}
	}
	if len(p.Cards) == 0 {
		return out
	}
	tl, err := desk.Timeline(p, v.Date)
	if err != nil {
		return out
	}
	for _, cv := range v.Cards {
		if cv.Next.On.IsZero() {
			continue
		}
		for _, n := range tl.Notices {
			if n.Card == cv.Kind && !n.On.Before(cv.Next.On) {
				out[cv.Kind] = n.GoBy
				break
			}
		}
	}
	return out
}

// applied records that the resident applied to renew their period of stay
// (on the date given, else today).
func (c *Console) applied(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	if err := r.ParseForm(); err != nil {
		return kigen.Keyf(kigen.EINVALID, "form.unreadable", "the form could not be read")
	}
	l := ui.LangOf(r)
	if r.PostFormValue("undo") == "1" {
		res, err := c.desk.RecordApplied(r.Context(), mustActor(r), desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: ref}, Undo: true})
		if kigen.ErrorCode(err) == kigen.EINVALID {
			c.redirect(w, r, residentPath(ref), true, "flash.action_refused", errorText(ui.LangOf(r), err))
			return nil
		} else if err != nil {
			return err
		}
		c.redirect(w, r, residentPath(ref), false, "flash.applied_undone", ui.FormatDate(l, res.On))
		return nil
	}
	dv := ui.DateValueOf(r.PostForm, "applied")
	on, key := dv.Parse()
	if key != "" {
		q := url.Values{"applied-error": {key}, "applied-year": {dv.Year}, "applied-month": {dv.Month}, "applied-day": {dv.Day}}
		http.Redirect(w, r, residentPath(ref)+"?"+q.Encode()+"#applied-year", http.StatusSeeOther)
		return nil
	}
	res, err := c.desk.RecordApplied(r.Context(), mustActor(r), desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: ref}, On: on})
	if kigen.ErrorCode(err) == kigen.EINVALID {
		c.redirect(w, r, residentPath(ref), true, "flash.action_refused", errorText(ui.LangOf(r), err))
		return nil
	} else if err != nil {
		return err
	}
	c.redirect(w, r, residentPath(ref), false, "flash.applied", ui.FormatDate(l, res.On), ui.FormatDate(l, res.StayUntil))
	return nil
}

// resubscribe switches a channel back on: the resident asked in person.
func (c *Console) resubscribe(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	ch := kigen.Channel(r.PostFormValue("channel"))
	res, err := c.desk.Resubscribe(r.Context(), mustActor(r), desk.ResubscribeParams{ResidentParams: desk.ResidentParams{Ref: ref}, Channel: ch})
	if kigen.ErrorCode(err) == kigen.EINVALID {
		c.redirect(w, r, residentPath(ref), true, "flash.action_refused", errorText(ui.LangOf(r), err))
		return nil
	} else if err != nil {
		return err
	}
	l := ui.LangOf(r)
	key := "flash.resubscribed"
	if res.AddressFailed {
		key = "flash.resubscribed_failed_address"
	}
	c.redirect(w, r, residentPath(ref), false, key, ui.T(l, "channel."+string(res.Channel)))
	return nil
}

// erasePage asks to confirm erasing a resident, naming them.
type erasePage struct {
	ui.Page
	Ref, Name, Action string
	Contacts, Cards   int
}

func (c *Console) eraseForm(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	a := mustActor(r)
	v, err := c.desk.ShowResident(r.Context(), a, desk.ResidentParams{Ref: ref})
	if err != nil {
		return err
	}
	res, err := c.desk.EraseResident(r.Context(), a, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: ref}, DryRun: true})
	if err != nil {
		return err
	}
	p := c.page(w, r, "erase.title")
	p.Title = p.T("erase.title", v.Ref)
	c.show(w, r, http.StatusOK, "erase", erasePage{Page: p, Ref: v.Ref, Name: v.Name, Action: residentPath(v.Ref) + "/erase",
		Contacts: res.Contacts, Cards: res.Cards})
	return nil
}

// erase erases the resident for good, once the reference typed matches.
func (c *Console) erase(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	if strings.TrimSpace(r.PostFormValue("confirm")) != ref {
		c.redirect(w, r, residentPath(ref)+"/erase", true, "flash.erase_mismatch")
		return nil
	}
	res, err := c.desk.EraseResident(r.Context(), mustActor(r), desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: ref}})
	if err != nil {
		return err
	}
	c.redirect(w, r, "/console/", false, "flash.erased", res.Ref, strconv.Itoa(res.Contacts), strconv.Itoa(res.Cards))
	return nil
}
