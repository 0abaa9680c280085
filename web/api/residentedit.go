package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"kigen"
	"kigen/desk"
)

// listResidents answers GET /api/v1/residents: a page of the
// municipality's residents the query selects (desk.ListResidents), by
// reference; next (and a Link header, rel="next") is the cursor of the
// page after.
func (a *API) listResidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := desk.ListResidentsParams{Search: q.Get("q"), Ref: q.Get("ref"), Name: q.Get("name"), Email: q.Get("email"),
		Phone: q.Get("phone"), Language: q.Get("language"), Status: q.Get("status"), Cursor: q.Get("cursor")}
	var err error
	if p.ExpiringWithin, err = intQuery(r, "expiring_within"); err != nil {
		return err
	}
	if p.Limit, err = intQuery(r, "limit"); err != nil {
		return err
	}
	if p.GapOpen, err = boolQuery(r, "gap_open"); err != nil {
		return err
	}
	if p.Unreachable, err = boolQuery(r, "unreachable"); err != nil {
		return err
	}
	list, err := a.desk.ListResidents(r.Context(), tokenOf(r).Actor, p)
	if err != nil {
		return err
	}
	if list.Next != "" {
		next := url.Values{}
		for k, v := range q {
			if k != "cursor" {
				next[k] = v
			}
		}
		next.Set("cursor", list.Next)
		w.Header().Set("Link", "</api/v1/residents?"+next.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, http.StatusOK, list)
}

// registerRequest is the body of POST /api/v1/residents.
type registerRequest struct {
	Ref string `json:"resident_ref"`
	desk.ResidentFields
}

// registerResident answers POST /api/v1/residents: a new resident
// (desk.RegisterResident), 201 with its Location and ETag; every problem
// of its fields at once (422), a reference taken 409.
func (a *API) registerResident(w http.ResponseWriter, r *http.Request) error {
	var body registerRequest
	if err := readJSON(w, r, &body, false, "application/json"); err != nil {
		return err
	}
	res, err := a.desk.RegisterResident(r.Context(), tokenOf(r).Actor, desk.RegisterParams{Ref: body.Ref, ResidentFields: body.ResidentFields})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/residents/"+url.PathEscape(res.Resident.Ref))
	w.Header().Set("ETag", etag(res.Resident.Version))
	return writeJSON(w, http.StatusCreated, res)
}

// updateResident answers PATCH /api/v1/residents/{ref}: the fields the
// body gives changed (desk.UpdateResident), a field null or "" cleared, if
// the resident is still as the client read them: If-Match with the ETag
// of a GET is required (428 without), and 412 when someone changed the
// resident since. A JSON merge patch (RFC 7396) or plain JSON.
func (a *API) updateResident(w http.ResponseWriter, r *http.Request) error {
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := readJSON(w, r, &raw, false, "application/merge-patch+json", "application/json"); err != nil {
		return err
	}
	// null clears a field, as "" does (RFC 7396); the desk reads "".
	for k, v := range raw {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			raw[k] = json.RawMessage(`""`)
		}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	var fields desk.ResidentFields
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fields); err != nil {
		return jsonError(err)
	}
	res, err := a.desk.UpdateResident(r.Context(), tokenOf(r).Actor, desk.UpdateParams{
		ResidentParams: desk.ResidentParams{Ref: r.PathValue("ref")}, IfMatch: version, ResidentFields: fields})
	if kigen.ErrorCode(err) == kigen.ECONFLICT {
		return &problem{Status: http.StatusPreconditionFailed, Code: "precondition_failed", Detail: kigen.ErrorMessage(err)}
	} else if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(res.Resident.Version))
	return writeJSON(w, http.StatusOK, res)
}

// etag is the strong entity tag of a resident's version.
func etag(version string) string { return `"` + version + `"` }

// ifMatch reads the version an If-Match header names: one strong entity
// tag, as GET gave it. Without one the change is refused (428): a change
// made blind could overwrite another clerk's.
func ifMatch(r *http.Request) (string, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return "", &problem{Status: http.StatusPreconditionRequired, Code: "precondition_required",
			Detail: "give If-Match with the ETag of the resident as you read it (GET /api/v1/residents/{ref})"}
	}
	if strings.HasPrefix(h, `W/"`) {
		// A weak tag never matches strongly (RFC 9110 §13.1.1).
		return "", &problem{Status: http.StatusPreconditionFailed, Code: "precondition_failed",
			Detail: "If-Match holds a weak ETag: give the ETag GET /api/v1/residents/{ref} gave"}
	}
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' || strings.ContainsAny(h[1:len(h)-1], `",`) {
		return "", &problem{Status: http.StatusPreconditionRequired, Code: "precondition_required",
			Detail: "If-Match must be the one ETag GET /api/v1/residents/{ref} gave (a quoted version; not * nor a list)"}
	}
	return h[1 : len(h)-1], nil
}

// municipality answers GET /api/v1/municipality: the token's municipality
// today (desk.Today): its code and name, the reminders sent and failing,
// the residents who cannot be reached, the renewal gaps open, the cards
// expiring within 30 and 90 days.
func (a *API) municipality(w http.ResponseWriter, r *http.Request) error {
	v, err := a.desk.Today(r.Context(), tokenOf(r).Actor, desk.TodayParams{})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
