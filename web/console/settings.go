package console

import (
	"net/http"
	"strconv"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// The admin's settings (issue 19) under /console/settings/: the
// municipality's API tokens. A secret the desk shows once (a new token) is
// rendered in the answer to the POST itself, never stored in a cookie or
// behind a redirect, and that answer is not cached.

// tokensPath is the page of the API tokens.
const tokensPath = "/console/settings/tokens"

// tokensView is the page of the municipality's API tokens.
type tokensView struct {
	ui.Page
	Tokens []tokenRow
	Name   ui.Field
	Scope  ui.Choice
	// Secret is the token just created, shown this once; NewName its name.
	Secret, NewName string
}

type tokenRow struct {
	ID, Name, Scope, CreatedBy, CreatedAt, LastUsed, State, RevokeURL string
	Revoked                                                           bool
}

// tokenFields maps desk's field names to the form's inputs.
var tokenFields = map[string]string{"name": "token-name", "scope": "token-scope"}

func (c *Console) tokensView(w http.ResponseWriter, r *http.Request, name, scope string, errs []ui.FieldError) (tokensView, error) {
	ts, err := c.desk.ListTokens(r.Context(), mustActor(r), "")
	if err != nil {
		return tokensView{}, err
	}
	p := c.page(w, r, "settings.tokens.title")
	p.Errors = errs
	v := tokensView{Page: p}
	for _, t := range ts {
		row := tokenRow{ID: strconv.FormatInt(t.ID, 10), Name: t.Name, Scope: p.T("settings.tokens.scope." + t.Scope), CreatedBy: t.CreatedBy,
			CreatedAt: p.Date(kigen.DateOf(t.CreatedAt)), LastUsed: "—", State: p.T("settings.tokens.active"), Revoked: t.RevokedAt != nil,
			RevokeURL: tokensPath + "/" + strconv.FormatInt(t.ID, 10) + "/revoke"}
		if t.LastUsedAt != nil {
			row.LastUsed = p.Date(kigen.DateOf(*t.LastUsedAt))
		}
		if row.Revoked {
			row.State = p.T("settings.tokens.revoked", p.Date(kigen.DateOf(*t.RevokedAt)))
		}
		v.Tokens = append(v.Tokens, row)
	}
	if scope == "" {
		scope = desk.ScopeRead
	}
	v.Name = p.TextField("token-name", "name", "settings.tokens.name", "settings.tokens.name.hint", name, true)
	v.Name.Autocomplete = "off"
	v.Scope = p.ChoiceField("token-scope", "scope", "settings.tokens.scope", "settings.tokens.scope.hint", true, scope, []ui.Option{
		{Value: desk.ScopeRead, Label: p.T("settings.tokens.scope.read")}, {Value: desk.ScopeWrite, Label: p.T("settings.tokens.scope.write")}})
	return v, nil
}

// tokens lists the municipality's API tokens with the form to create one.
func (c *Console) tokens(w http.ResponseWriter, r *http.Request) error {
	v, err := c.tokensView(w, r, "", "", nil)
	if err != nil {
		return err
	}
	c.show(w, r, http.StatusOK, "tokens", v)
	return nil
}

// createToken creates an API token and shows its secret this once.
func (c *Console) createToken(w http.ResponseWriter, r *http.Request) error {
	name, scope := r.PostFormValue("name"), r.PostFormValue("scope")
	t, err := c.desk.CreateToken(r.Context(), mustActor(r), desk.TokenParams{Name: name, Scope: scope})
	if kigen.ErrorCode(err) == kigen.EINVALID || kigen.ErrorCode(err) == kigen.ECONFLICT {
		v, verr := c.tokensView(w, r, name, scope, fieldErrors(err, tokenFields, "token-name"))
		if verr != nil {
			return verr
		}
		c.show(w, r, http.StatusUnprocessableEntity, "tokens", v)
		return nil
	} else if err != nil {
		return err
	}
	v, err := c.tokensView(w, r, "", "", nil)
	if err != nil {
		return err
	}
	v.Secret, v.NewName = t.Secret, t.Token.Name
	w.Header().Set("Cache-Control", "no-store")
	c.show(w, r, http.StatusOK, "tokens", v)
	return nil
}

// revokeToken revokes an API token of the admin's municipality; another's
// is not found.
func (c *Console) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return kigen.Errorf(kigen.ENOTFOUND, "no API token %q", r.PathValue("id"))
	}
	t, err := c.desk.RevokeToken(r.Context(), mustActor(r), id)
	if err != nil {
		return err
	}
	c.redirect(w, r, tokensPath, false, "settings.flash.token_revoked", t.Name)
	return nil
}
