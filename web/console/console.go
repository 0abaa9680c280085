// Package console is the staff console under /console/ (docs/architecture.md,
// "Contracts"): sign-in with password and TOTP, first-time setup, a
// resident's page and its actions, the look-up by reference, the
// follow-up lists, the import with its dry run, and the audit log for
// admins. Japanese by default, English available; it works without
// JavaScript and runs none (the CSP forbids it).
//
// Every page parses its request, calls one method of package desk with the
// signed-in actor, and renders through package ui: no rule lives here. Every
// route is registered on a route.Mux with its rule; the Guard sends a
// visitor who is not signed in to the login, answers 403 to a signed-in
// role the rule does not admit, and desk answers "not found" for another
// municipality's resident. Every POST is behind http.CrossOriginProtection
// and ends in a redirect to a GET (the flash message says what happened).
package console

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/templates"
	"kigen/web/route"
	"kigen/web/ui"
)

//go:embed pages/*.html
var pageFiles embed.FS

// Accounts are the staff accounts the console signs people in with
// (package desk's account methods: DeskAccounts).
//
// Login checks the email, password and TOTP code, with clientKey (an
// opaque key of the client) for the throttle, and starts a session: its
// token, for the cookie, and when it ends at the latest. A wrong email,
// password or code is EUNAUTHORIZED (a disabled account too); a locked
// account or client is kigen.ELOCKED, its message saying until when.
//
// Session returns the actor of a session token; an unknown, expired or
// ended session (or a disabled account) is EUNAUTHORIZED or ENOTFOUND.
// Logout ends the session (an unknown token is not an error).
//
// SetupInfo returns, for an unused and unexpired setup token, the
// account's email and its new TOTP secret (as an otpauth:// URI and as
// text); CompleteSetup sets the password and enrols the authenticator once
// totp proves it. Their errors are *kigen.Error: ENOTFOUND for an unknown,
// used or expired token, EINVALID with Field "password" or "totp".
type Accounts interface {
	Login(ctx context.Context, email, password, totp, clientKey string) (token string, expires time.Time, err error)
	Session(ctx context.Context, token string) (auth.Actor, error)
	Logout(ctx context.Context, token string) error
	SetupInfo(ctx context.Context, setupToken string) (email, otpauthURI, secret string, err error)
	CompleteSetup(ctx context.Context, setupToken, password, totp string) error
}

// Deps are what the console is built on.
type Deps struct {
	Desk     *desk.Desk
	Accounts Accounts
	// PublicURL is KIGEN_PUBLIC_URL: the session cookie is Secure unless
	// it is plain http on a loopback host.
	PublicURL string
	// Logger receives internal errors, with the route pattern only; nil
	// discards them.
	Logger *slog.Logger
	// Texts gives the flyer its twelve languages; nil: one with the
	// built-in help lines (the flyer uses none).
	Texts *templates.Renderer
}

// Console serves the staff console. It is a web.Surface.
type Console struct {
	desk     *desk.Desk
	accounts Accounts
	secure   bool
	public   string
	logger   *slog.Logger
	pages    *ui.Renderer
	cop      *http.CrossOriginProtection
	texts    *templates.Renderer
}

// New returns the console. It panics without a Desk or Accounts (a wiring
// bug).
func New(d Deps) *Console {
	if d.Desk == nil || d.Accounts == nil {
		panic("console: New without a Desk or Accounts")
	}
	c := &Console{desk: d.Desk, accounts: d.Accounts, secure: SecureCookies(d.PublicURL), public: d.PublicURL, logger: d.Logger,
		pages: ui.NewRenderer(pageFiles, "pages/*.html"), cop: http.NewCrossOriginProtection()}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.texts = d.Texts; c.texts == nil {
		r, err := templates.New(templates.DefaultHotlines())
		if err != nil {
			panic(err) // embedded catalogs: a bug any test catches
		}
		c.texts = r
	}
	c.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusForbidden, "error.cross_origin")
	}))
	return c
}

// SecureCookies reports whether cookies must be Secure for the public URL:
// always, except for plain http on a loopback host (a workstation); an
// empty URL is treated as https.
func SecureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	if publicURL == "" || err != nil || u.Scheme != "http" {
		return true
	}
	host := u.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// Register adds the console's routes to m, each with its rule.
func (c *Console) Register(m *route.Mux) {
	open := m.Group(nil)
	open.Handle("GET "+ui.StylePath, route.Public, ui.StyleHandler())
	open.Handle("GET "+flyerStylePath, route.Public, flyerStyle())
	c.handle(open, "GET /console/login", route.Public, c.loginForm)
	c.handle(open, "POST /console/login", route.Public, c.login)
	c.handle(open, "POST /console/logout", route.Public, c.logout)
	c.handle(open, "POST /console/lang", route.Public, c.setLang)
	c.handle(open, "GET /console/setup/{token}", route.Public, c.setupForm)
	c.handle(open, "POST /console/setup/{token}", route.Public, c.setup)
	// Any other path under /console/: the console's own 404 page.
	c.handle(open, "GET /console/", route.Public, func(w http.ResponseWriter, r *http.Request) error {
		c.fail(w, r, http.StatusNotFound, "error.not_found")
		return nil
	})

	in := m.Group(c.guard)
	c.handle(in, "GET /console/{$}", route.Staff, c.home)
	c.handle(in, "GET /console/find", route.Staff, c.find)
	c.handle(in, "GET /console/residents", route.Staff, c.residents)
	c.handle(in, "GET /console/register", route.Staff, c.registerForm)
	c.handle(in, "POST /console/register", route.Staff, c.register)
	c.handle(in, "GET /console/residents/{ref}", route.Staff, c.resident)
	c.handle(in, "GET /console/residents/{ref}/edit", route.Staff, c.editForm)
	c.handle(in, "POST /console/residents/{ref}/edit", route.Staff, c.edit)
	c.handle(in, "POST /console/residents/{ref}/applied", route.Staff, c.applied)
	c.handle(in, "POST /console/residents/{ref}/resubscribe", route.Staff, c.resubscribe)
	c.handle(in, "POST /console/residents/{ref}/calendar", route.Staff, c.issueCalendar)
	c.handle(in, "POST /console/residents/{ref}/calendar/revoke", route.Staff, c.revokeCalendar)
	c.handle(in, "GET /console/residents/{ref}/erase", route.Staff, c.eraseForm)
	c.handle(in, "POST /console/residents/{ref}/erase", route.Staff, c.erase)
	c.handle(in, "GET /console/followup", route.Staff, c.followup)
	c.handle(in, "GET "+signupsPath, route.Staff, c.signups)
	c.handle(in, "POST "+signupsPath+"/{id}/dismiss", route.Staff, c.dismissSignup)
	c.handle(in, "GET /console/followup.csv", route.Staff, c.followupCSV)
	c.handle(in, "GET /console/residents.csv", route.Staff, c.residentsCSV)
	c.handle(in, "GET /console/import", route.Staff, c.importForm)
	c.handle(in, "POST /console/import", route.Staff, c.importFile)
	c.registerImports(in)
	c.handle(in, "GET /console/flyer", route.Staff, c.flyer)
	c.handle(in, "GET /console/audit", route.Admin, c.audit)
	c.handle(in, "GET "+staffPath, route.Admin, c.staff)
	c.handle(in, "POST "+staffPath, route.Admin, c.inviteStaff)
	c.handle(in, "POST "+staffPath+"/disable", route.Admin, c.disableStaff)
	c.handle(in, "POST "+staffPath+"/reset", route.Admin, c.resetStaff)
	c.handle(in, "POST "+staffPath+"/unlock", route.Admin, c.unlockStaff)
	c.handle(in, "GET "+tokensPath, route.Admin, c.tokens)
	c.handle(in, "POST "+tokensPath, route.Admin, c.createToken)
	c.handle(in, "POST "+tokensPath+"/{id}/revoke", route.Admin, c.revokeToken)
	c.handle(in, "GET "+municipalityPath, route.Admin, c.municipalitySettings)
	c.handle(in, "POST "+municipalityPath, route.Admin, c.saveMunicipality)
}

// handlerFunc is a page: it returns its error for handle to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers f on g: a POST behind the cross-origin protection, an
// error answered with the error page of its code (an internal one logged
// once, with the route pattern, and never shown).
func (c *Console) handle(g *route.Group, pattern string, rule route.Rule, f handlerFunc) {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			c.answer(w, r, err)
		}
	})
	if strings.HasPrefix(pattern, "POST ") {
		h = c.cop.Handler(h)
	}
	g.Handle(pattern, rule, h)
}

// answer renders the error page of err's code.
func (c *Console) answer(w http.ResponseWriter, r *http.Request, err error) {
	switch kigen.ErrorCode(err) {
	case kigen.ENOTFOUND:
		c.fail(w, r, http.StatusNotFound, "error.not_found")
	case kigen.EUNAUTHORIZED:
		c.fail(w, r, http.StatusForbidden, "error.forbidden")
	case kigen.EINVALID, kigen.ECONFLICT:
		c.failText(w, r, http.StatusBadRequest, refusal(ui.LangOf(r), err))
	default:
		c.logger.ErrorContext(r.Context(), "console page failed", slog.String("route", r.Pattern), slog.Any("error", err))
		c.fail(w, r, http.StatusInternalServerError, "error.internal")
	}
}

// errorPage is the page of an error.
type errorPage struct {
	ui.Page
	Text string
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	p := c.page(w, r, key+".title")
	c.show(w, r, status, "error", errorPage{Page: p, Text: p.T(key)})
}

func (c *Console) failText(w http.ResponseWriter, r *http.Request, status int, text string) {
	p := c.page(w, r, "error.invalid.title")
	c.show(w, r, status, "error", errorPage{Page: p, Text: text})
}

// show renders a page; an error can only be a template bug or a client
// gone, and is logged.
func (c *Console) show(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	if err := c.pages.Render(w, status, name, data); err != nil {
		c.logger.ErrorContext(r.Context(), "console render failed", slog.String("route", r.Pattern), slog.Any("error", err))
	}
}

// page returns the layout's data for the request: its language, user,
// flash (read once, then cleared) and title.
func (c *Console) page(w http.ResponseWriter, r *http.Request, titleKey string) ui.Page {
	p := ui.Page{Lang: ui.LangOf(r), Path: r.URL.RequestURI()}
	p.Title = p.T(titleKey)
	if a, ok := actorOf(r.Context()); ok {
		p.User = &ui.User{ID: a.ID, Role: string(a.Role), Municipality: a.MunicipalityCode,
			Admin: a.Role == auth.Admin, Operator: a.Role == auth.Operator}
	}
	p.Flash = c.takeFlash(w, r, p.Lang)
	return p
}

// actorKey is the context key of the signed-in actor.
type actorKey struct{}

func actorOf(ctx context.Context) (auth.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(auth.Actor)
	return a, ok
}

// mustActor is the actor of a guarded page.
func mustActor(r *http.Request) auth.Actor {
	a, _ := actorOf(r.Context())
	return a
}

// guard admits a request whose session's actor rule admits: staff and
// admins to Staff routes, admins to Admin routes, operators to Operator
// routes. No session: a redirect to the login (which returns here). Any
// other signed-in role: 403.
func (c *Console) guard(rule route.Rule, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := c.session(r)
		if err != nil && !signedOut(err) {
			c.answer(w, r, err)
			return
		}
		if err != nil {
			c.clearSession(w)
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = r.URL.Path
			}
			http.Redirect(w, r, "/console/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		ok := false
		switch rule {
		case route.Staff:
			ok = a.Role == auth.Staff || a.Role == auth.Admin
		case route.Admin:
			ok = a.Role == auth.Admin
		case route.Operator:
			ok = a.Role == auth.Operator
		}
		r = r.WithContext(context.WithValue(r.Context(), actorKey{}, a))
		if !ok {
			c.fail(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// signedOut reports whether err means "no valid session".
func signedOut(err error) bool {
	code := kigen.ErrorCode(err)
	return errors.Is(err, errNoCookie) || code == kigen.EUNAUTHORIZED || code == kigen.ENOTFOUND
}

// session returns the actor of the request's session cookie.
func (c *Console) session(r *http.Request) (auth.Actor, error) {
	ck, err := r.Cookie(c.sessionCookie())
	if err != nil || ck.Value == "" {
		return auth.Actor{}, errNoCookie
	}
	return c.accounts.Session(r.Context(), ck.Value)
}

var errNoCookie = errors.New("no session cookie")

// sessionCookie is the cookie's name: __Host- prefixed when Secure, so
// that no subdomain or plain-http page can set it.
func (c *Console) sessionCookie() string {
	if c.secure {
		return "__Host-kigen_session"
	}
	return "kigen_session"
}

// setSession sets the session cookie. It is a browser-session cookie,
// without Expires: the server ends the session (idle and absolute
// timeouts), and an Expires taken from the desk's clock would be wrong in
// a time-travelling demo (KIGEN_NOW).
func (c *Console) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: c.sessionCookie(), Value: token, Path: "/",
		Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: c.sessionCookie(), Value: "", Path: "/", MaxAge: -1,
		Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// refusal is the text of a refusal in l, after its field's name if it has
// one ("field: reason").
func refusal(l ui.Lang, err error) string {
	var ke *kigen.Error
	if asKigen(err, &ke) && ke.Field != "" {
		return ke.Field + ": " + errorText(l, err)
	}
	return errorText(l, err)
}

// errorText is the text of a refusal in l, without the field's name: the
// catalog's words for a keyed *kigen.Error, else its English message.
func errorText(l ui.Lang, err error) string { return ui.ErrorText(l, err) }

// asKigen is errors.As for a *kigen.Error.
func asKigen(err error, ke **kigen.Error) bool { return errors.As(err, ke) }
