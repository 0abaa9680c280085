// Package api is Kigen's JSON API under /api/v1/ (docs/api.md): the
// routes other systems use to read and change one municipality's
// residents, import its resident list and read its follow-up list, with an
// API token (Authorization: Bearer). Every route calls one method of the
// service layer (package desk) with the token's actor and renders its
// result as JSON; errors are RFC 9457 problem details
// (application/problem+json). The OpenAPI 3.1 document of every route is
// served at /api/v1/openapi.json.
//
// Logs name the route pattern, never the path, a token or a body: paths
// carry resident references, bodies personal data.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/web/route"
)

// Prefix is the path every route of the API starts with.
const Prefix = "/api/v1/"

// Body caps: a JSON body is small; a resident list is streamed to the
// importer, and may be large (a prefecture's list).
const (
	MaxJSONBody   = 1 << 20
	MaxImportBody = 64 << 20
)

//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document of the API, as served at
// /api/v1/openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// Token is who an API token acts as, and whether it may write.
type Token struct {
	Actor auth.Actor
	// Write is the token's write scope: without it, the token reads only.
	Write bool
}

// AuthenticateFunc returns who the bearer token acts as. An unknown,
// revoked or expired token is an ENOTFOUND or EUNAUTHORIZED *kigen.Error;
// any other error is internal.
type AuthenticateFunc func(ctx context.Context, token string) (Token, error)

// Deps are what the API serves.
type Deps struct {
	// Desk runs every action. It needs a Queue for the follow-up list's
	// given_up section.
	Desk *desk.Desk
	// Authenticate checks API tokens.
	Authenticate AuthenticateFunc
	// Logger receives internal errors (route pattern and error, nothing
	// from the request). Nil: discarded.
	Logger *slog.Logger
	// MaxImportBody caps an import's body; 0: MaxImportBody.
	MaxImportBody int64
}

// API is the JSON API, a web.Surface.
type API struct {
	desk   *desk.Desk
	authn  AuthenticateFunc
	logger *slog.Logger
	maxCSV int64
	// shape holds the API's patterns, each with an empty handler: the
	// catch-all asks it whether a path it got is a route asked with
	// another method (405) or none (404).
	shape *http.ServeMux
}

// New returns the API. It panics without a Desk or an Authenticate: that
// is a wiring bug.
func New(d Deps) *API {
	if d.Desk == nil || d.Authenticate == nil {
		panic("api: New without a Desk or an Authenticate")
	}
	a := &API{desk: d.Desk, authn: d.Authenticate, logger: d.Logger, maxCSV: d.MaxImportBody, shape: http.NewServeMux()}
	if a.maxCSV <= 0 {
		a.maxCSV = MaxImportBody
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	return a
}

// Register adds the API's routes to m (web.Surface), each with its rule:
//
//	GET    /api/v1/openapi.json                 public
//	GET    /api/v1/residents                    token:read
//	POST   /api/v1/residents                    token:write
//	GET    /api/v1/residents/{ref}              token:read
//	PATCH  /api/v1/residents/{ref}              token:write
//	DELETE /api/v1/residents/{ref}              token:write
//	POST   /api/v1/residents/{ref}/applied      token:write
//	GET    /api/v1/residents/{ref}/messages     token:read
//	POST   /api/v1/imports                      token:write
//	GET    /api/v1/followup                     token:read
//	GET    /api/v1/municipality                 token:read
//	*      /api/v1/…                            public: 404 (or 405) as problem+json
func (a *API) Register(m *route.Mux) {
	g := m.Group(a.guard)
	handle := func(pattern string, rule route.Rule, f handlerFunc) {
		g.Handle(pattern, rule, a.handle(f))
		a.shape.Handle(pattern, http.NotFoundHandler())
	}
	handle("GET /api/v1/openapi.json", route.Public, a.openapi)
	handle("GET /api/v1/residents", route.TokenRead, a.listResidents)
	handle("POST /api/v1/residents", route.TokenWrite, a.registerResident)
	handle("GET /api/v1/residents/{ref}", route.TokenRead, a.showResident)
	handle("PATCH /api/v1/residents/{ref}", route.TokenWrite, a.updateResident)
	handle("DELETE /api/v1/residents/{ref}", route.TokenWrite, a.eraseResident)
	handle("POST /api/v1/residents/{ref}/applied", route.TokenWrite, a.recordApplied)
	handle("GET /api/v1/residents/{ref}/messages", route.TokenRead, a.residentMessages)
	handle("POST /api/v1/imports", route.TokenWrite, a.importResidents)
	handle("GET /api/v1/followup", route.TokenRead, a.followup)
	handle("GET /api/v1/municipality", route.TokenRead, a.municipality)
	g.Handle(Prefix, route.Public, a.handle(a.notFound))
}

// handlerFunc is a route: it returns its error for handle to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts f: an error is answered as a problem (problemOf), once; an
// internal one is logged, and its text never reaches the client.
func (a *API) handle(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		err := f(tw, r)
		if err == nil {
			return
		}
		p := problemOf(err)
		if p.Status >= 500 {
			a.logger.ErrorContext(r.Context(), "api request failed", slog.String("route", r.Pattern), slog.Any("error", err))
		}
		if !tw.wrote {
			writeProblem(w, p)
		}
	})
}

// actorKey keys the request's Token in its context.
type actorKey struct{}

// tokenOf returns the Token the guard admitted r with.
func tokenOf(r *http.Request) Token {
	t, _ := r.Context().Value(actorKey{}).(Token)
	return t
}

// guard admits a request to a route of rule: Public for anyone; TokenRead
// for a valid bearer token; TokenWrite for one with the write scope. It
// answers 401 (with WWW-Authenticate: Bearer) without a valid token and
// 403 for a read token on a write route. Any other rule is a wiring bug.
func (a *API) guard(rule route.Rule, h http.Handler) http.Handler {
	switch rule {
	case route.Public:
		return h
	case route.TokenRead, route.TokenWrite:
	default:
		panic(fmt.Sprintf("api: no guard for rule %q", rule))
	}
	return a.handle(func(w http.ResponseWriter, r *http.Request) error {
		bearer, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kigen"`)
			return &problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
				Detail: "give an API token: Authorization: Bearer <token>"}
		}
		t, err := a.authn(r.Context(), bearer)
		if c := kigen.ErrorCode(err); c == kigen.ENOTFOUND || c == kigen.EUNAUTHORIZED || c == kigen.EINVALID {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kigen", error="invalid_token"`)
			return &problem{Status: http.StatusUnauthorized, Code: "unauthenticated",
				Detail: "the API token is unknown, revoked or expired"}
		} else if err != nil {
			return fmt.Errorf("authenticate token: %w", err)
		}
		if rule == route.TokenWrite && !t.Write {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kigen", error="insufficient_scope", scope="write"`)
			return &problem{Status: http.StatusForbidden, Code: "insufficient_scope",
				Detail: "this API token may only read: this route needs a token with the write scope"}
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), actorKey{}, t)))
		return nil
	})
}

// bearerToken reads an Authorization header "Bearer <token>" (the scheme
// in any case, RFC 9110 §11.1).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// openapi serves the OpenAPI document.
func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(openAPIDocument)
	return writeErr(err)
}

// notFound answers a path under /api/v1/ that is no route (404), or a
// route asked with a method it does not take (405, with Allow).
func (a *API) notFound(w http.ResponseWriter, r *http.Request) error {
	h, _ := a.shape.Handler(r)
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		return &problem{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
			Detail: fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, rec.header.Get("Allow"))}
	}
	return &problem{Status: http.StatusNotFound, Code: kigen.ENOTFOUND, Detail: "no such route in the API (see /api/v1/openapi.json)"}
}

// statusRecorder keeps the status and headers a handler answers with.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.status = code }

// writeJSON answers v as JSON with status. Answers about residents are
// personal data: no cache keeps them.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return writeErr(err)
}

// readJSON decodes r's JSON body (at most MaxJSONBody, no unknown field,
// one value, of one of the media types; none given: application/json)
// into v. An empty body leaves v as it is when empty is true.
func readJSON(w http.ResponseWriter, r *http.Request, v any, empty bool, types ...string) error {
	body := http.MaxBytesReader(w, r.Body, MaxJSONBody)
	b, err := io.ReadAll(body)
	if err != nil {
		return bodyError(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		if empty {
			return nil
		}
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Detail: "the request needs a JSON body"}
	}
	if len(types) == 0 {
		types = []string{"application/json"}
	}
	if err := contentType(r, types...); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Detail: "the body holds more than one JSON value"}
	}
	return nil
}

// contentType refuses a body whose media type is none of want (415).
func contentType(r *http.Request, want ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !slices.Contains(want, mt) {
		return &problem{Status: http.StatusUnsupportedMediaType, Code: kigen.EINVALID,
			Detail: fmt.Sprintf("the body must be %s (Content-Type)", strings.Join(want, " or "))}
	}
	return nil
}

// bodyError is the answer for a body that could not be read: too large
// (413), or the client went away (internal, nobody to answer).
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &problem{Status: http.StatusRequestEntityTooLarge, Code: kigen.EINVALID,
			Detail: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
	}
	return fmt.Errorf("read body: %w", err)
}

// jsonError says what is wrong with a JSON body, naming the field.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Field: te.Field,
			Detail: fmt.Sprintf("%s: want a JSON %s, not %s", te.Field, te.Type.Kind(), te.Value)}
	case errors.As(err, &se):
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Detail: fmt.Sprintf("the body is not JSON (at byte %d)", se.Offset)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Field: field, Detail: fmt.Sprintf("%s: no such field", field)}
	}
	// A value its type refuses (a date that is not one): a kigen error
	// says why without echoing a number; any other text is not shown.
	var ke *kigen.Error
	if errors.As(err, &ke) {
		return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Field: ke.Field, Detail: ke.Message}
	}
	return &problem{Status: http.StatusBadRequest, Code: kigen.EINVALID, Detail: "the body is not valid JSON for this route"}
}

// writeErr wraps a response write error: the client is gone.
func writeErr(err error) error {
	if err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// trackingWriter records whether the status line was written, so that an
// error is not answered twice.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *trackingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *trackingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
