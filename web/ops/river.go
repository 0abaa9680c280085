package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/console"
	"kigen/web/route"
)

// RiverPrefix is where River UI (riverqueue.com/riverui) is mounted: its
// page and assets under RiverPrefix+"/", the JSON API its page calls under
// RiverPrefix+"/api/".
const RiverPrefix = "/ops/river"

// riverCSP is River UI's Content-Security-Policy, on its subtree only: its
// page runs its own scripts (ES modules from its embed; no inline script,
// no eval: the one eval it tries is zod's probe, which falls back), uses
// its own style sheet and images and calls its own API; nothing else, and
// no page may frame it. Its configuration is an inline JSON block: data,
// not a script the policy governs. Styles may be inline: its toasts
// (goober) and theme switch add <style> elements at run time, without a
// nonce (the browser test, TestRiver_Chromium, finds every violation).
const riverCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// RiverUI is River UI's handler for the requests under RiverPrefix
// (store.RiverUI, from the store's store.RiverUIOpener).
type RiverUI interface {
	http.Handler
	// Start starts its background counts until ctx ends.
	Start(ctx context.Context) error
}

// RiverDeps are what River UI's mount is built on.
type RiverDeps struct {
	// UI is River UI's handler, made for RiverPrefix.
	UI RiverUI
	// Guard admits a request whose signed-in actor the rule admits
	// (console.Console.Guard); the actor is then console.ActorOf's.
	Guard func(rule route.Rule, h http.Handler) http.Handler
	// Desk audits each state-changing call before River UI makes it
	// (desk.QueueAction).
	Desk *desk.Desk
	// Logger receives internal errors, with the route pattern only; nil
	// discards them.
	Logger *slog.Logger
}

// River mounts River UI under RiverPrefix for operators only, behind the
// console's login: staff and admins get 403; someone signed out is sent
// to the login from a page, and gets 401 from the JSON API (a script's
// call, which a redirect to an HTML form would only confuse). The API's
// state-changing calls (cancel, retry or delete jobs; pause, resume or
// update a queue) pass http.CrossOriginProtection, then are audited
// through desk (queue.manage, with the call and job IDs) before River UI
// makes them. It is a web.Surface.
type River struct {
	ui     RiverUI
	guard  func(route.Rule, http.Handler) http.Handler
	desk   *desk.Desk
	logger *slog.Logger
}

// NewRiver returns River UI's mount. It panics without a UI, Guard or Desk
// (a wiring bug).
func NewRiver(d RiverDeps) *River {
	if d.UI == nil || d.Guard == nil || d.Desk == nil {
		panic("ops: NewRiver without a UI, Guard or Desk")
	}
	rv := &River{ui: d.UI, guard: d.Guard, desk: d.Desk, logger: d.Logger}
	if rv.logger == nil {
		rv.logger = slog.New(slog.DiscardHandler)
	}
	return rv
}

// Start starts River UI's background work until ctx ends (kigen serve
// calls it); River UI serves before it too.
func (rv *River) Start(ctx context.Context) error { return rv.ui.Start(ctx) }

// Register adds River UI's routes to m, each for operators only. HEAD is
// answered with GET; any other method on a path that is not the API's is
// 405 from the mux.
func (rv *River) Register(m *route.Mux) {
	page := m.Group(rv.guard)
	ui := riverHeaders(rv.ui)
	page.Handle("GET "+RiverPrefix, route.Operator, ui) // River UI redirects to RiverPrefix+"/"
	page.Handle("GET "+RiverPrefix+"/", route.Operator, ui)
	api := m.Group(apiGuard(rv.guard))
	cop := http.NewCrossOriginProtection()
	noStore := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		ui.ServeHTTP(w, r)
	})
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		api.Handle(method+" "+RiverPrefix+"/api/", route.Operator, cop.Handler(rv.audited(noStore)))
	}
}

// maxRiverCall is the largest body of a River UI call read for its audit:
// a thousand job IDs (River UI's own limit) fit many times.
const maxRiverCall = 1 << 20

// audited records a state-changing call (any method but GET and HEAD)
// through desk.QueueAction, with the job IDs its JSON body names, before h
// makes it; a call the audit refuses or cannot record is not made.
func (rv *River) audited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRiverCall))
		if err != nil {
			riverError(w, http.StatusRequestEntityTooLarge, "The call's body is too large or could not be read.")
			return
		}
		var call struct {
			IDs []json.Number `json:"ids"` // River UI sends them as strings; numbers are accepted too
		}
		_ = json.Unmarshal(body, &call) // River UI answers a malformed body itself
		var ids []int64
		for _, n := range call.IDs {
			if id, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		a, _ := console.ActorOf(r.Context())
		p := desk.QueueActionParams{Call: r.Method + " " + strings.TrimPrefix(r.URL.Path, RiverPrefix+"/api/"), JobIDs: ids}
		if err := rv.desk.QueueAction(r.Context(), a, p); err != nil {
			switch kigen.ErrorCode(err) {
			case kigen.EUNAUTHORIZED:
				riverError(w, http.StatusForbidden, kigen.ErrorMessage(err))
			case kigen.EINVALID:
				riverError(w, http.StatusBadRequest, kigen.ErrorMessage(err))
			default:
				rv.logger.ErrorContext(r.Context(), "River UI call not audited", slog.String("route", r.Pattern), slog.Any("error", err))
				riverError(w, http.StatusInternalServerError, "The call could not be recorded in the audit log, so it was not made.")
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

// riverError answers as River UI's API does: {"message": text}.
func riverError(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": text})
}

// riverHeaders sets River UI's headers before h answers: its CSP, no
// sniffing, no referrer.
func riverHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", riverCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// apiGuard is guard for River UI's JSON API: where guard would send a
// visitor who is not signed in to the login (a 303 to /console/login), the
// API answers 401 with River UI's JSON error instead. Every other answer
// of guard (403 to a role it does not admit) is its own.
func apiGuard(guard func(route.Rule, http.Handler) http.Handler) route.Guard {
	return func(rule route.Rule, h http.Handler) http.Handler {
		admitted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if sw, ok := w.(*signInWriter); ok {
				sw.admitted = true
				w = sw.ResponseWriter
			}
			h.ServeHTTP(w, r)
		})
		g := guard(rule, admitted)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g.ServeHTTP(&signInWriter{ResponseWriter: w}, r)
		})
	}
}

// signInWriter turns the guard's redirect to the login into a 401, until
// the guard admits the request.
type signInWriter struct {
	http.ResponseWriter
	admitted, refused bool
}

func (w *signInWriter) WriteHeader(status int) {
	hd := w.Header()
	if !w.admitted && status == http.StatusSeeOther && strings.HasPrefix(hd.Get("Location"), "/console/login") {
		w.refused = true
		hd.Del("Location")
		riverError(w.ResponseWriter, http.StatusUnauthorized, "Not signed in: sign in at /console/login as an operator.")
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *signInWriter) Write(b []byte) (int, error) {
	if w.refused { // the redirect's own body
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
