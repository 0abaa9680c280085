package console

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"kigen/web/ui"
)

// flashCookie carries the message a POST leaves for the page it redirects
// to: a catalog key and its arguments (a reference, counts), never a name
// or an address.
const flashCookie = "kigen_flash"

type flash struct {
	Error bool     `json:"e,omitempty"`
	Key   string   `json:"k"`
	Args  []string `json:"a,omitempty"`
}

// redirect answers a POST with a redirect to a GET (303), leaving the
// flash message key with args.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, to string, isError bool, key string, args ...string) {
	b, _ := json.Marshal(flash{Error: isError, Key: key, Args: args}) // strings: cannot fail
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/console/",
		MaxAge: 60, Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeFlash returns the request's flash message in l and clears it.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request, l ui.Lang) *ui.Flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/console/", MaxAge: -1,
		Secure: c.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil || f.Key == "" {
		return nil
	}
	// Only the console's own flash keys: a forged cookie shows nothing.
	if _, ok := ui.Keys(l)[f.Key]; !ok || !(strings.HasPrefix(f.Key, "flash.") || strings.HasPrefix(f.Key, "settings.flash.")) {
		return nil
	}
	args := make([]any, len(f.Args))
	for i, a := range f.Args {
		args[i] = a
	}
	return &ui.Flash{Error: f.Error, Text: ui.T(l, f.Key, args...)}
}
