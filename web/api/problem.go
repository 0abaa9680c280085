package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"kigen"
	"kigen/desk"
)

// ProblemType is the prefix of every problem's type: the type names the
// kigen error code ("urn:kigen:problem:not_found"), so that a client can
// switch on it.
const ProblemType = "urn:kigen:problem:"

// problem is an RFC 9457 problem details object, with Kigen's members: the
// error code, the field at fault and, for a refused import, the rows.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Code is the kigen error code (kigen.EINVALID …) or the API's own
	// (unauthenticated, insufficient_scope, …).
	Code  string `json:"code"`
	Field string `json:"field,omitempty"`
	// Errors, Total, Encoding: a refused import's rows ([]RowProblem),
	// the first importer.MaxListed of Total; or a refused resident's
	// fields ([]desk.FieldProblem).
	Errors   any    `json:"errors,omitempty"`
	Total    int    `json:"total,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

func (p *problem) Error() string { return p.Detail }

// RowProblem is one problem of a row of an imported file.
type RowProblem struct {
	// Row is the row as a spreadsheet numbers it (the header is 1); 0
	// when the problem is the file's or its header's.
	Row    int    `json:"row"`
	Column string `json:"column"` // "" when the problem is the row's as a whole
	Reason string `json:"reason"`
}

func rowProblems(rs []desk.RowError) []RowProblem {
	out := make([]RowProblem, len(rs))
	for i, r := range rs {
		out[i] = RowProblem{Row: r.Row, Column: r.Field, Reason: r.Message}
	}
	return out
}

// statusOf maps a kigen error code to its HTTP status: the one place that
// does. An unauthorized error is the role's (the token's actor may not
// take the action at all): 403; a missing or bad token is answered 401 by
// the guard before.
func statusOf(code string) int {
	switch code {
	case kigen.EINVALID:
		return http.StatusBadRequest
	case kigen.ENOTFOUND:
		return http.StatusNotFound
	case kigen.ECONFLICT:
		return http.StatusConflict
	case kigen.EUNAUTHORIZED:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// problemOf returns the problem that answers err: the API's own, a refused
// import (422, with its rows), a *kigen.Error (its code's status, its
// message), a refused resident (422, with its fields), anything else "internal error" (500), its text never shown.
func problemOf(err error) *problem {
	var p *problem
	var refused *desk.RefusedError
	var fields *desk.FieldsError
	var ke *kigen.Error
	switch {
	case errors.As(err, &p):
	case errors.As(err, &fields):
		p = &problem{Status: http.StatusUnprocessableEntity, Code: kigen.EINVALID, Detail: fields.Error(), Errors: fields.Problems}
	case errors.As(err, &refused):
		p = &problem{Status: http.StatusUnprocessableEntity, Code: kigen.EINVALID, Detail: refused.Error(),
			Errors: rowProblems(refused.Rows), Total: refused.Total, Encoding: refused.Encoding}
	case errors.As(err, &ke) && ke.Code != kigen.EINTERNAL:
		p = &problem{Status: statusOf(ke.Code), Code: ke.Code, Field: ke.Field, Detail: ke.Error()}
		if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
			// Several problems (errors.Join, one per field): all of them.
			var parts []string
			for _, e := range j.Unwrap() {
				parts = append(parts, kigen.ErrorMessage(e))
			}
			p.Field, p.Detail = "", strings.Join(parts, "; ")
		}
	default:
		p = &problem{Status: http.StatusInternalServerError, Code: kigen.EINTERNAL, Detail: "internal error"}
	}
	if p.Type == "" {
		p.Type = ProblemType + p.Code
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	return p
}

// writeProblem answers p as application/problem+json.
func writeProblem(w http.ResponseWriter, p *problem) {
	b, err := json.Marshal(p)
	if err != nil { // a bug in problem's type
		b = []byte(`{"type":"urn:kigen:problem:internal","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal"}`)
		p.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}
