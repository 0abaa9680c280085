package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"kigen"
	"kigen/desk"
)

// TestProblemOf: every kind of error gets its status, code and detail in
// one place; an internal error's text is never shown.
func TestProblemOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name         string
		err          error
		status       int
		code, detail string
	}{
		{"invalid field", kigen.FieldErrorf("on", "%s is in the future", "2026-12-01"), 400, "invalid", "on: 2026-12-01 is in the future"},
		{"not found", fmt.Errorf("show: %w", kigen.Errorf(kigen.ENOTFOUND, "no resident %q", "X")), 404, "not_found", `no resident "X"`},
		{"conflict", kigen.Errorf(kigen.ECONFLICT, "taken"), 409, "conflict", "taken"},
		{"role", kigen.Errorf(kigen.EUNAUTHORIZED, "the staff role may not audit.view"), 403, "unauthorized", "the staff role may not audit.view"},
		{"several fields", errors.Join(kigen.FieldErrorf("name", "too long"), kigen.FieldErrorf("contact_url", "not https")), 400, "invalid",
			"name: too long; contact_url: not https"},
		{"refused import", &desk.RefusedError{Refused: true, Rows: []desk.RowError{{Row: 2, Field: "consent", Message: "no"}}, Total: 1}, 422, "invalid",
			"1 problem: nothing was imported"},
		{"internal", errors.New("pq: connection refused to 10.0.0.1"), 500, "internal", "internal error"},
		{"internal code", kigen.Errorf(kigen.EINTERNAL, "secret"), 500, "internal", "internal error"},
	} {
		p := problemOf(c.err)
		if p.Status != c.status || p.Code != c.code || p.Detail != c.detail || p.Type != ProblemType+c.code || p.Title != http.StatusText(c.status) {
			t.Errorf("%s: %+v, want %d %s %q", c.name, p, c.status, c.code, c.detail)
		}
	}
}
