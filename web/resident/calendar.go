package resident

import (
	"net/http"

	"kigen/web/route"
)

// registerCalendar adds the resident page's calendar feed link (the feed
// itself, /cal/{token}.ics, is package web/calendar's).
func (p *Pages) registerCalendar(open *route.Group) {
	p.handle(open, "POST /me/{token}/calendar", route.Link, p.meCalendar)
	p.handle(open, "POST /me/{token}/calendar/revoke", route.Link, p.meCalendarRevoke)
}

// meCalendar issues a calendar feed link (the earlier ones end) and shows
// it this once, on the resident's page.
func (p *Pages) meCalendar(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	link, err := p.svc.SelfCalendarLink(r.Context(), a)
	if err != nil {
		return err
	}
	return p.renderMe(w, r, a, http.StatusOK, nil, func(v *view) { v.Me.CalendarURL = p.public + link.Path })
}

// meCalendarRevoke ends every calendar feed link of the resident.
func (p *Pages) meCalendarRevoke(w http.ResponseWriter, r *http.Request) error {
	a, ok, err := p.meForm(w, r)
	if !ok {
		return err
	}
	if _, err := p.svc.SelfRevokeCalendar(r.Context(), a); err != nil {
		return err
	}
	return p.renderMe(w, r, a, http.StatusOK, nil, func(v *view) { v.Me.CalendarRevoked = true })
}
