package ops

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kigen/desk"
	"kigen/web/console"
	"kigen/web/ui"
)

// followupView is a page of a municipality's unknown sends or sends given
// up, with the actions that settle them; residents by reference only.
type followupView struct {
	ui.Page
	Municipality, Section, Name string
	Unknown                     bool
	Asked                       bool // a municipality was given
	Rows                        []followupRow
	Next                        string
	Back                        string
}

type followupRow struct {
	ID, Ref, Channel, When string
}

// followup shows a page of the unknown sends or the sends given up of the
// municipality the query names (desk.FollowupPage).
func (o *Ops) followup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	section := q.Get("section")
	if section != desk.SectionGivenUp {
		section = desk.SectionUnknown
	}
	a, _ := console.ActorOf(r.Context())
	code := strings.TrimSpace(q.Get("municipality"))
	if code == "" { // the form alone
		p := o.page(r, "ops.followup.title")
		o.show(w, r, http.StatusOK, "followup", followupView{Page: p, Unknown: section == desk.SectionUnknown})
		return
	}
	pg, err := o.desk.FollowupPage(r.Context(), a, desk.FollowupPageParams{Municipality: code, Section: section, Cursor: q.Get("cursor"), Limit: 50})
	if err != nil {
		o.answer(w, r, err)
		return
	}
	p := o.page(r, "ops.followup.title")
	v := followupView{Page: p, Municipality: pg.Municipality, Name: pg.MunicipalityName, Section: p.T("followup.section." + section),
		Unknown: section == desk.SectionUnknown, Asked: true, Back: r.URL.RequestURI()}
	for _, it := range pg.Unknown {
		v.Rows = append(v.Rows, followupRow{ID: strconv.FormatInt(it.DeliveryID, 10), Ref: it.Ref,
			Channel: p.T("channel." + string(it.Channel)), When: stamp(it.Since)})
	}
	for _, it := range pg.GivenUp {
		v.Rows = append(v.Rows, followupRow{ID: strconv.FormatInt(it.MessageID, 10), Ref: it.Ref,
			Channel: p.T("channel." + string(it.Channel)), When: p.Date(it.TickDate)})
	}
	if pg.Next != "" {
		v.Next = "/ops/followup?" + url.Values{"municipality": {pg.Municipality}, "section": {section}, "cursor": {pg.Next}}.Encode()
	}
	o.show(w, r, http.StatusOK, "followup", v)
}

// settle runs an action on the {id} of the path (ResendDelivery,
// ResolveDelivery, RetryMessage: audited by desk), then returns to the
// list it was asked from.
func (o *Ops) settle(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		o.fail(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	a, _ := console.ActorOf(r.Context())
	ctx := r.Context()
	switch {
	case strings.HasSuffix(r.URL.Path, "/resend"):
		_, err = o.desk.ResendDelivery(ctx, a, desk.DeliveryParams{ID: id})
	case strings.HasSuffix(r.URL.Path, "/resolve"):
		_, err = o.desk.ResolveDelivery(ctx, a, desk.ResolveParams{ID: id, Sent: r.PostFormValue("sent") == "yes"})
	default:
		_, err = o.desk.RetryMessage(ctx, a, desk.RetryParams{MessageID: id})
	}
	if err != nil {
		o.answer(w, r, err)
		return
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/ops/") || strings.ContainsAny(back, "\\\r\n") {
		back = "/ops/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
