package api

import (
	"net/http"
	"net/url"

	"kigen/desk"
)

// followup answers GET /api/v1/followup?section=S[&cursor=C][&limit=N]:
// one page of one section of the municipality's follow-up list
// (desk.FollowupPage), by resident reference only. The page's next is the
// cursor of the following page, also given as a Link header (rel="next");
// none after the section's last page.
func (a *API) followup(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intQuery(r, "limit")
	if err != nil {
		return err
	}
	pg, err := a.desk.FollowupPage(r.Context(), tokenOf(r).Actor, desk.FollowupPageParams{
		Section: q.Get("section"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	if pg.Next != "" {
		next := url.Values{"section": {pg.Section}, "cursor": {pg.Next}}
		if limit > 0 {
			next.Set("limit", q.Get("limit"))
		}
		w.Header().Set("Link", "</api/v1/followup?"+next.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, http.StatusOK, pg)
}
