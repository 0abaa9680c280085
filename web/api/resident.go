package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

	"kigen"
	"kigen/desk"
)

// showResident answers GET /api/v1/residents/{ref}: the resident as staff
// see them at the counter (desk.ShowResident, audited as a view), with
// its version as the ETag (the If-Match of a PATCH).
func (a *API) showResident(w http.ResponseWriter, r *http.Request) error {
	v, err := a.desk.ShowResident(r.Context(), tokenOf(r).Actor, desk.ResidentParams{Ref: r.PathValue("ref")})
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(v.Version))
	return writeJSON(w, http.StatusOK, v)
}

// eraseResident answers DELETE /api/v1/residents/{ref}: the resident
// erased for good (desk.EraseResident), or with ?dry_run=true what would
// be.
func (a *API) eraseResident(w http.ResponseWriter, r *http.Request) error {
	dry, err := boolQuery(r, "dry_run")
	if err != nil {
		return err
	}
	res, err := a.desk.EraseResident(r.Context(), tokenOf(r).Actor,
		desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: r.PathValue("ref")}, DryRun: dry})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// appliedRequest is the body of POST /api/v1/residents/{ref}/applied: the
// day the resident applied (absent: today).
type appliedRequest struct {
	On kigen.Date `json:"on,omitzero"`
}

// recordApplied answers POST /api/v1/residents/{ref}/applied: the
// resident applied to renew their period of stay (desk.RecordApplied).
func (a *API) recordApplied(w http.ResponseWriter, r *http.Request) error {
	var body appliedRequest
	if err := readJSON(w, r, &body, true); err != nil {
		return err
	}
	res, err := a.desk.RecordApplied(r.Context(), tokenOf(r).Actor,
		desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: r.PathValue("ref")}, On: body.On})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// messagesAnswer is the answer of GET /api/v1/residents/{ref}/messages.
type messagesAnswer struct {
	Ref      string         `json:"ref"`
	Date     kigen.Date     `json:"date"`
	Messages []messageEntry `json:"messages"`
}

// messageEntry is a message sent (or to be sent) to the resident, where
// it stands, and the notices it carries.
type messageEntry struct {
	desk.MessageStatus
	Notices []messageNotice `json:"notices"`
}

// messageNotice is a notice a message carries.
type messageNotice struct {
	TickDate  kigen.Date     `json:"tick_date"`
	Card      kigen.CardKind `json:"card"`
	ExpiresOn kigen.Date     `json:"expires_on"`
	Stage     kigen.Stage    `json:"stage"`
}

// residentMessages answers GET /api/v1/residents/{ref}/messages: the
// resident's messages, oldest first, from the resident's view
// (desk.ShowResident lists each notice with the messages that carry it;
// this turns it around).
func (a *API) residentMessages(w http.ResponseWriter, r *http.Request) error {
	v, err := a.desk.ShowResident(r.Context(), tokenOf(r).Actor, desk.ResidentParams{Ref: r.PathValue("ref")})
	if err != nil {
		return err
	}
	byID := map[int64]*messageEntry{}
	for _, n := range v.Notices {
		for _, m := range n.Messages {
			e := byID[m.ID]
			if e == nil {
				e = &messageEntry{MessageStatus: m, Notices: []messageNotice{}}
				byID[m.ID] = e
			}
			e.Notices = append(e.Notices, messageNotice{TickDate: n.TickDate, Card: n.Card, ExpiresOn: n.ExpiresOn, Stage: n.Stage})
		}
	}
	out := messagesAnswer{Ref: v.Ref, Date: v.Date, Messages: make([]messageEntry, 0, len(byID))}
	for _, e := range byID {
		out.Messages = append(out.Messages, *e)
	}
	slices.SortFunc(out.Messages, func(x, y messageEntry) int { return cmp.Compare(x.ID, y.ID) })
	return writeJSON(w, http.StatusOK, out)
}

// boolQuery reads the query parameter name as a boolean (absent: false).
func boolQuery(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Field: name,
			Detail: name + ": want true or false, not " + kigen.Quote(s)}
	}
	return v, nil
}

// intQuery reads the query parameter name as a positive integer (absent:
// 0).
func intQuery(r *http.Request, name string) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v <= 0 {
		return 0, &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Field: name,
			Detail: name + ": want a positive whole number, not " + kigen.Quote(s)}
	}
	return v, nil
}
