package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// followupPageSize is the rows of one page of a follow-up section.
const followupPageSize = 50

// followupView is one page of one section of the follow-up list.
type followupView struct {
	ui.Page
	Sections []sectionLink
	Section  string
	Rows     []followupRow
	Next     string // the next page's URL, "" after the last
	First    string // the first page's URL, "" on it
}

type sectionLink struct {
	Name, URL string
	Current   bool
}

type followupRow struct {
	Ref, RefURL, What, When, Channel string
}

// followup shows a page of a section of the municipality's follow-up list
// (desk.FollowupPage), by reference only.
func (c *Console) followup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	section := q.Get("section")
	if !slices.Contains(desk.FollowupSections, section) {
		section = desk.SectionUnreachable
	}
	pg, err := c.desk.FollowupPage(r.Context(), mustActor(r), desk.FollowupPageParams{Section: section, Cursor: q.Get("cursor"), Limit: followupPageSize})
	if err != nil {
		return err
	}
	p := c.page(w, r, "followup.title")
	v := followupView{Page: p, Section: p.T("followup.section." + section)}
	for _, s := range desk.FollowupSections {
		v.Sections = append(v.Sections, sectionLink{Name: p.T("followup.section." + s), URL: "/console/followup?section=" + s, Current: s == section})
	}
	link := func(ref string) string {
		if ref == desk.ErasedRef {
			return ""
		}
		return residentPath(ref)
	}
	refText := func(ref string) string {
		if ref == desk.ErasedRef {
			return p.T("followup.erased")
		}
		return ref
	}
	for _, it := range pg.Unreachable {
		v.Rows = append(v.Rows, followupRow{Ref: refText(it.Ref), RefURL: link(it.Ref), What: p.T("reason." + reasonKey(it.Reason))})
	}
	for _, it := range pg.Stale {
		v.Rows = append(v.Rows, followupRow{Ref: refText(it.Ref), RefURL: link(it.Ref), What: p.T("card." + string(it.Card)), When: p.Date(it.ExpiresOn)})
	}
	for _, it := range pg.Unknown {
		v.Rows = append(v.Rows, followupRow{Ref: refText(it.Ref), RefURL: link(it.Ref), What: p.T("followup.delivery", strconv.FormatInt(it.DeliveryID, 10)),
			When: p.Date(kigen.DateOf(it.Since)), Channel: p.T("channel." + string(it.Channel))})
	}
	for _, it := range pg.GivenUp {
		v.Rows = append(v.Rows, followupRow{Ref: refText(it.Ref), RefURL: link(it.Ref), What: p.T("followup.message", strconv.FormatInt(it.MessageID, 10)),
			When: p.Date(it.TickDate), Channel: p.T("channel." + string(it.Channel))})
	}
	if pg.Next != "" {
		v.Next = "/console/followup?" + url.Values{"section": {section}, "cursor": {pg.Next}}.Encode()
	}
	if pg.Cursor != "" {
		v.First = "/console/followup?section=" + section
	}
	c.show(w, r, http.StatusOK, "followup", v)
	return nil
}

// reasonKey is the catalog key of a desk.Reason constant ("no contact" →
// "no_contact").
func reasonKey(reason string) string {
	switch reason {
	case desk.ReasonNoContact:
		return "no_contact"
	case desk.ReasonNoConsent:
		return "no_consent"
	case desk.ReasonOptedOut:
		return "opted_out"
	case desk.ReasonAddressFailed:
		return "address_failed"
	case desk.ReasonMessageFailed:
		return "message_failed"
	}
	return "other"
}
