// Package route registers Kigen's HTTP routes together with the rule that
// says who may use each. Every surface (the resident pages, the staff
// console, the JSON API, the operators' pages, the webhooks) registers its
// routes on one Mux through a Group whose Guard enforces the rules; Routes
// lists them all, so that one test can ask every route as every role, and
// a route registered without a rule cannot exist (Handle panics).
package route

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Rule says who may use a route.
type Rule string

// The rules.
const (
	// Public: anyone, signed in or not (health checks, the login and
	// setup pages, static files).
	Public Rule = "public"
	// Signed: a provider's webhook, accepted only with a valid signature.
	Signed Rule = "signed"
	// Link: a resident, through an unguessable token in the path.
	Link Rule = "link"
	// Staff: a signed-in staff member or admin, within their municipality.
	Staff Rule = "staff"
	// Admin: a signed-in admin, within their municipality.
	Admin Rule = "admin"
	// Operator: a signed-in operator.
	Operator Rule = "operator"
	// TokenRead: an API token of a municipality, read or write scope.
	TokenRead Rule = "token:read"
	// TokenWrite: an API token of a municipality with the write scope.
	TokenWrite Rule = "token:write"
)

// Rules lists every rule.
var Rules = []Rule{Public, Signed, Link, Staff, Admin, Operator, TokenRead, TokenWrite}

// Valid reports whether r is one of Rules.
func (r Rule) Valid() bool { return slices.Contains(Rules, r) }

// Route is one registered route.
type Route struct {
	// Pattern is the http.ServeMux pattern, method included
	// ("GET /console/residents/{ref}").
	Pattern string
	Rule    Rule
}

// Method returns the pattern's method ("GET"), or "" if it has none.
func (r Route) Method() string {
	m, _, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return ""
	}
	return m
}

// Path returns the pattern's path.
func (r Route) Path() string {
	_, p, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return r.Pattern
	}
	return p
}

// Guard wraps h so that it runs only for a request that rule admits, and
// answers the others itself (401, 403, 404 or a redirect to the login).
type Guard func(rule Rule, h http.Handler) http.Handler

// Mux is an http.ServeMux that remembers the rule of every route.
type Mux struct {
	mux    *http.ServeMux
	routes []Route
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{mux: http.NewServeMux()} }

// Group returns a registrar whose routes are wrapped by guard. A nil guard
// admits every request: use it only for the rules a handler enforces
// itself (Public, Signed, Link).
func (m *Mux) Group(guard Guard) *Group { return &Group{m: m, guard: guard} }

// Routes returns every registered route, in the order of registration.
func (m *Mux) Routes() []Route { return slices.Clone(m.routes) }

// ServeHTTP dispatches to the route's handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// Group registers routes with one Guard.
type Group struct {
	m     *Mux
	guard Guard
}

// Handle registers h for pattern under rule. It panics if the rule is not
// one of Rules, if a guard-less group is given a rule that needs a guard,
// or if http.ServeMux refuses the pattern (a wiring bug).
func (g *Group) Handle(pattern string, rule Rule, h http.Handler) {
	if !rule.Valid() {
		panic(fmt.Sprintf("route: %q has no access rule (got %q)", pattern, rule))
	}
	if g.guard == nil && rule != Public && rule != Signed && rule != Link {
		panic(fmt.Sprintf("route: %q needs a guard for rule %q", pattern, rule))
	}
	if g.guard != nil {
		h = g.guard(rule, h)
	}
	g.m.mux.Handle(pattern, h)
	g.m.routes = append(g.m.routes, Route{Pattern: pattern, Rule: rule})
}

// HandleFunc is Handle for a function.
func (g *Group) HandleFunc(pattern string, rule Rule, f func(http.ResponseWriter, *http.Request)) {
	g.Handle(pattern, rule, http.HandlerFunc(f))
}
