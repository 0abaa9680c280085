package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// auditPageSize is the entries of one page of the audit log.
const auditPageSize = 50

// auditView is a page of the municipality's audit log, with its filters.
type auditView struct {
	ui.Page
	Actor, Ref, Action ui.Field
	From, To           ui.DateField
	Entries            []auditRow
	Older              string // the next page's URL
}

type auditRow struct {
	At, Actor, Role, Action, Ref, RefURL, Detail string
}

// audit shows the municipality's audit log, newest first, filtered by
// staff member, resident, action and dates (From included, To included:
// the day typed is read as a whole day).
func (c *Console) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := c.page(w, r, "audit.title")
	fromV, toV := ui.DateValueOf(q, "from"), ui.DateValueOf(q, "to")
	from, fromErr := fromV.Parse()
	to, toErr := toV.Parse()
	if fromErr != "" {
		p.Errors = append(p.Errors, ui.FieldError{ID: "from-year", Message: p.T(fromErr)})
	}
	if toErr != "" {
		p.Errors = append(p.Errors, ui.FieldError{ID: "to-year", Message: p.T(toErr)})
	}
	params := desk.AuditParams{ActorID: strings.TrimSpace(q.Get("actor")), ResidentRef: strings.TrimSpace(q.Get("ref")),
		Action: strings.TrimSpace(q.Get("action")), Limit: auditPageSize}
	if !from.IsZero() {
		params.From = dayStart(from)
	}
	if !to.IsZero() {
		params.To = dayStart(to.AddDays(1))
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil && b > 0 {
		params.BeforeID = b
	}
	v := auditView{Page: p}
	if len(p.Errors) == 0 {
		es, err := c.desk.ListAudit(r.Context(), mustActor(r), params)
		if err != nil {
			return err
		}
		for _, e := range es {
			row := auditRow{At: e.At.In(kigen.Tokyo).Format("2006-01-02 15:04:05"), Actor: e.ActorID, Role: p.T("role." + e.ActorRole),
				Action: e.Action, Ref: e.ResidentRef, Detail: e.Detail}
			if e.ResidentRef != "" {
				row.RefURL = residentPath(e.ResidentRef)
			}
			v.Entries = append(v.Entries, row)
		}
		if len(es) == auditPageSize {
			next := url.Values{}
			for k, vs := range q {
				next[k] = vs
			}
			next.Set("before", strconv.FormatInt(es[len(es)-1].ID, 10))
			v.Older = "/console/audit?" + next.Encode()
		}
	}
	v.Actor = p.TextField("actor", "actor", "audit.actor", "audit.actor.hint", params.ActorID, false)
	v.Ref = p.TextField("ref", "ref", "audit.ref", "", params.ResidentRef, false)
	v.Action = p.TextField("action", "action", "audit.action", "audit.action.hint", params.Action, false)
	v.From = p.DateInput("from", "audit.from", "", fromV, false)
	v.To = p.DateInput("to", "audit.to", "", toV, false)
	c.show(w, r, http.StatusOK, "audit", v)
	return nil
}

// dayStart is the first instant of d in Tokyo.
func dayStart(d kigen.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, kigen.Tokyo)
}
