package console

import (
	"encoding/base64"
	htmltemplate "html/template"
	"net/http"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"kigen/desk"
	"kigen/web/ui"
)

// calendarPage shows a resident's new calendar feed link, once: its URL,
// a webcal: link that phones open as a subscription, and its QR code for
// the resident to scan at the counter.
type calendarPage struct {
	ui.Page
	URL    string
	Webcal htmltemplate.URL // webcal://…, which html/template would refuse as text
	QR     htmltemplate.URL // a data: URL of a PNG, made here
	Back   string
}

// issueCalendar issues a new calendar link for the resident (revoking the
// earlier ones) and shows it this once.
func (c *Console) issueCalendar(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	link, err := c.desk.IssueCalendarToken(r.Context(), mustActor(r), desk.ResidentParams{Ref: ref})
	if err != nil {
		return err
	}
	u := c.publicBase(r) + link.Path
	png, err := qrcode.Encode(u, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	p := c.page(w, r, "calendar.title")
	p.Title = p.T("calendar.title", ref)
	v := calendarPage{Page: p, URL: u, QR: htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		Webcal: htmltemplate.URL("webcal://" + strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")), Back: residentPath(ref)}
	w.Header().Set("Cache-Control", "no-store")
	c.show(w, r, http.StatusOK, "calendar", v)
	return nil
}

// revokeCalendar revokes every calendar link of the resident.
func (c *Console) revokeCalendar(w http.ResponseWriter, r *http.Request) error {
	ref := r.PathValue("ref")
	n, err := c.desk.RevokeCalendarToken(r.Context(), mustActor(r), desk.ResidentParams{Ref: ref})
	if err != nil {
		return err
	}
	c.redirect(w, r, residentPath(ref), false, "flash.calendar_revoked", strconv.Itoa(n))
	return nil
}

// publicBase is KIGEN_PUBLIC_URL without a trailing slash; unset, the
// request's own scheme and host.
func (c *Console) publicBase(r *http.Request) string {
	if c.public != "" {
		return strings.TrimRight(c.public, "/")
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}
