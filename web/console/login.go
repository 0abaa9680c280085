package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	htmltemplate "html/template"
	"net"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"kigen"
	"kigen/web/ui"
)

// loginPage is the sign-in form.
type loginPage struct {
	ui.Page
	Next                  string
	Email, Password, TOTP ui.Field
	Locked                string // the locked account's message
}

func (c *Console) loginView(w http.ResponseWriter, r *http.Request, email, next string, errs []ui.FieldError, locked string) loginPage {
	p := c.page(w, r, "login.title")
	p.Errors = errs
	v := loginPage{Page: p, Next: next, Locked: locked}
	v.Email = p.TextField("email", "email", "login.email", "", email, true)
	v.Email.Type, v.Email.Autocomplete = "email", "username"
	v.Password = p.TextField("password", "password", "login.password", "", "", true)
	v.Password.Type, v.Password.Autocomplete = "password", "current-password"
	v.TOTP = p.TextField("totp", "totp", "login.totp", "login.totp.hint", "", true)
	v.TOTP.Autocomplete, v.TOTP.InputMode = "one-time-code", "numeric"
	return v
}

// safeNext returns next if it is a console path (or an operators' page,
// web/ops), else the console's home: the login never redirects off the
// site.
func safeNext(next string) string {
	if !(strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/ops/")) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/console/login") {
		return "/console/"
	}
	return next
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) error {
	c.show(w, r, http.StatusOK, "login", c.loginView(w, r, "", safeNext(r.URL.Query().Get("next")), nil, ""))
	return nil
}

// login signs in: a new session (a new token, so no fixation), then the
// page asked for. A refusal keeps the email, never the password or code.
func (c *Console) login(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	password, code := r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("totp"))
	next := safeNext(r.PostFormValue("next"))
	lang := ui.LangOf(r)
	var errs []ui.FieldError
	if email == "" {
		errs = append(errs, ui.FieldError{ID: "email", Message: ui.T(lang, "login.email.missing")})
	}
	if password == "" {
		errs = append(errs, ui.FieldError{ID: "password", Message: ui.T(lang, "login.password.missing")})
	}
	if code == "" {
		errs = append(errs, ui.FieldError{ID: "totp", Message: ui.T(lang, "login.totp.missing")})
	}
	if len(errs) > 0 {
		c.show(w, r, http.StatusUnprocessableEntity, "login", c.loginView(w, r, email, next, errs, ""))
		return nil
	}
	token, _, err := c.accounts.Login(r.Context(), email, password, code, clientKey(r))
	switch code := kigen.ErrorCode(err); {
	case code == kigen.ELOCKED:
		msg := ui.T(lang, "login.locked", errorText(lang, err))
		c.show(w, r, http.StatusTooManyRequests, "login", c.loginView(w, r, email, next, nil, msg))
		return nil
	case code == kigen.EUNAUTHORIZED || code == kigen.ENOTFOUND || code == kigen.EINVALID:
		errs = []ui.FieldError{{ID: "email", Message: ui.T(lang, "login.refused")}}
		c.show(w, r, http.StatusUnauthorized, "login", c.loginView(w, r, email, next, errs, ""))
		return nil
	case err != nil:
		return err
	}
	c.setSession(w, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// clientKey is an opaque key of the client for the login throttle: a
// hash of its address, so that the address itself is not stored.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	sum := sha256.Sum256([]byte("kigen-login-client:" + host))
	return hex.EncodeToString(sum[:12])
}

// logout ends the session, if any, and returns to the login.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(c.sessionCookie()); err == nil && ck.Value != "" {
		if err := c.accounts.Logout(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	c.clearSession(w)
	c.redirect(w, r, "/console/login", false, "flash.logged_out")
	return nil
}

// setLang remembers the language chosen and returns to the page.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) error {
	l := ui.Japanese
	if ui.Lang(r.PostFormValue("lang")) == ui.English {
		l = ui.English
	}
	http.SetCookie(w, &http.Cookie{Name: ui.LangCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	back := r.PostFormValue("back")
	if back != "/console/login" && !strings.HasPrefix(back, "/console/login?") && !strings.HasPrefix(back, "/console/setup/") {
		back = safeNext(back)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// setupPage is the first-time setup: the authenticator's QR code and
// secret, the new password and a code proving the enrolment.
type setupPage struct {
	ui.Page
	Email, Secret           string
	QR                      htmltemplate.URL // a data: URL of a PNG, made here
	Password, Confirm, TOTP ui.Field
}

func (c *Console) setupView(w http.ResponseWriter, r *http.Request, errs []ui.FieldError) (setupPage, error) {
	email, uri, secret, err := c.accounts.SetupInfo(r.Context(), r.PathValue("token"))
	if err != nil {
		return setupPage{}, err
	}
	png, err := qrcode.Encode(uri, qrcode.Medium, 256)
	if err != nil {
		return setupPage{}, err
	}
	p := c.page(w, r, "setup.title")
	p.Errors = errs
	v := setupPage{Page: p, Email: email, Secret: groups(secret), QR: htmltemplate.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))}
	v.Password = p.TextField("password", "password", "setup.password", "setup.password.hint", "", true)
	v.Password.Type, v.Password.Autocomplete = "password", "new-password"
	v.Confirm = p.TextField("confirm", "confirm", "setup.confirm", "", "", true)
	v.Confirm.Type, v.Confirm.Autocomplete = "password", "new-password"
	v.TOTP = p.TextField("totp", "totp", "setup.totp", "setup.totp.hint", "", true)
	v.TOTP.Autocomplete, v.TOTP.InputMode = "one-time-code", "numeric"
	return v, nil
}

// groups writes a secret in groups of four, easier to type.
func groups(s string) string {
	var b bytes.Buffer
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c *Console) setupForm(w http.ResponseWriter, r *http.Request) error {
	v, err := c.setupView(w, r, nil)
	if kigen.ErrorCode(err) == kigen.ENOTFOUND || kigen.ErrorCode(err) == kigen.EUNAUTHORIZED {
		c.fail(w, r, http.StatusNotFound, "setup.gone")
		return nil
	} else if err != nil {
		return err
	}
	c.show(w, r, http.StatusOK, "setup", v)
	return nil
}

func (c *Console) setup(w http.ResponseWriter, r *http.Request) error {
	lang := ui.LangOf(r)
	password, confirm, code := r.PostFormValue("password"), r.PostFormValue("confirm"), strings.TrimSpace(r.PostFormValue("totp"))
	var errs []ui.FieldError
	if password != confirm {
		errs = append(errs, ui.FieldError{ID: "confirm", Message: ui.T(lang, "setup.confirm.mismatch")})
	}
	if code == "" {
		errs = append(errs, ui.FieldError{ID: "totp", Message: ui.T(lang, "login.totp.missing")})
	}
	if len(errs) == 0 {
		err := c.accounts.CompleteSetup(r.Context(), r.PathValue("token"), password, code)
		switch {
		case err == nil:
			c.redirect(w, r, "/console/login", false, "flash.setup_done")
			return nil
		case kigen.ErrorCode(err) == kigen.ENOTFOUND:
			c.fail(w, r, http.StatusNotFound, "setup.gone")
			return nil
		case kigen.ErrorCode(err) == kigen.EINVALID || kigen.ErrorCode(err) == kigen.EUNAUTHORIZED:
			errs = fieldErrors(err, map[string]string{"password": "password", "totp": "totp"}, "totp")
		default:
			return err
		}
	}
	v, err := c.setupView(w, r, errs)
	if err != nil {
		return err
	}
	c.show(w, r, http.StatusUnprocessableEntity, "setup", v)
	return nil
}

// fieldErrors turns desk's errors (one *kigen.Error per field, joined)
// into the form's, each placed on the input fields maps its Field to (an
// unknown field on def).
func fieldErrors(err error, fields map[string]string, def string) []ui.FieldError {
	var out []ui.FieldError
	var each []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		each = j.Unwrap()
	} else {
		each = []error{err}
	}
	for _, e := range each {
		fe := ui.FieldError{ID: def, Message: kigen.ErrorMessage(e)}
		var ke *kigen.Error
		if errors.As(e, &ke) {
			fe.Key, fe.Args = ke.Key, ke.Args
			if f, ok := fields[ke.Field]; ok {
				fe = ui.ErrorField(f, e)
			}
		}
		out = append(out, fe)
	}
	return out
}
