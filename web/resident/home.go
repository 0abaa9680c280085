package resident

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"kigen"
	"kigen/localgov"
)

// Directory is what the first pages need of the service layer: the
// municipalities a resident can sign up in (every municipality Kigen
// serves), and one of them by its code (ENOTFOUND if Kigen does not serve
// it). Names and codes only: nothing here is personal.
type Directory interface {
	SignupMunicipalities(ctx context.Context) ([]kigen.Municipality, error)
	SignupMunicipality(ctx context.Context, code string) (*kigen.Municipality, error)
}

// home is the first page: the twelve languages; once one is chosen, the
// municipalities by prefecture, with a search.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) error {
	l := langOf(r)
	v := p.view(r, l, T(langOr(r, kigen.English), "home.title"))
	v.Langs = langLinks(l, func(l kigen.Language) string { return "/?lang=" + string(l) })
	if l == "" {
		v.Chosen = false
		v.Others = otherTexts(v.Lang, "home.choose_language")
		return p.render(w, http.StatusOK, "home", v)
	}
	v.LangURL = "/"
	v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if kigen.ContainsMyNumber(v.Query) {
		v.Query = "" // never shown again
	}
	ms, err := p.svc.SignupMunicipalities(r.Context())
	if err != nil {
		return err
	}
	v.Prefectures = p.byPrefecture(l, ms, v.Query)
	return p.render(w, http.StatusOK, "home", v)
}

// byPrefecture groups the municipalities matching q (all for "") by
// prefecture, in the order of their codes.
func (p *Pages) byPrefecture(l kigen.Language, ms []kigen.Municipality, q string) []prefectureView {
	lg := localgov.Default()
	q = fold(q)
	slices.SortFunc(ms, func(a, b kigen.Municipality) int { return cmp.Compare(a.Code, b.Code) })
	var out []prefectureView
	for _, m := range ms {
		name := p.muniName(l, m)
		if q != "" && !strings.Contains(fold(name+" "+m.Name+" "+m.NameKana+" "+m.NameLatin+" "+m.Code), q) {
			continue
		}
		pref := ""
		if e, ok := lg.Get(m.Code); ok && e.Prefecture != nil {
			pref = e.Prefecture.Name
			if latinLang(l) {
				pref = e.Prefecture.Latin + " (" + e.Prefecture.Name + ")"
			}
		}
		if len(out) == 0 || out[len(out)-1].Name != pref {
			out = append(out, prefectureView{Name: pref})
		}
		last := &out[len(out)-1]
		last.Munis = append(last.Munis, muniLink{URL: "/r/" + url.PathEscape(m.Code) + "/?lang=" + string(l), Name: name})
	}
	return out
}

// latinLang reports whether l is written in Latin letters (its readers get
// the prefecture's Latin name first).
func latinLang(l kigen.Language) bool {
	switch l {
	case kigen.English, kigen.Spanish, kigen.Portuguese, kigen.Indonesian, kigen.Vietnamese, kigen.Tagalog, kigen.Thai, kigen.Nepali:
		return true
	}
	return false
}

// fold is what the search compares: NFKC (full width to half width) in
// lower case.
func fold(s string) string { return strings.ToLower(norm.NFKC.String(strings.TrimSpace(s))) }

// entry is a municipality's own page, the target of its flyer's QR code:
// the languages first (the flyer is in twelve), then what Kigen does
// and the way in.
func (p *Pages) entry(w http.ResponseWriter, r *http.Request) error {
	l := langOf(r)
	code := r.PathValue("code")
	if kigen.CheckMunicipalityCode(code) != nil {
		p.fail(w, r, http.StatusNotFound, langOr(r, kigen.English), "entry.unknown.title", "entry.unknown.text")
		return nil
	}
	m, err := p.svc.SignupMunicipality(r.Context(), code)
	if isNotFound(err) {
		p.fail(w, r, http.StatusNotFound, langOr(r, kigen.English), "entry.unknown.title", "entry.unknown.text")
		return nil
	} else if err != nil {
		return err
	}
	v := p.view(r, l, "")
	v.Code, v.Muni = m.Code, p.muniName(v.Lang, *m)
	v.Title = v.T("entry.title", "muni", v.Muni)
	v.Langs = langLinks(l, func(l kigen.Language) string { return "/r/" + m.Code + "/?lang=" + string(l) })
	if l == "" {
		v.Chosen = false
		v.Others = otherTexts(v.Lang, "home.choose_language")
		return p.render(w, http.StatusOK, "entry", v)
	}
	v.LangURL = "/r/" + m.Code + "/"
	return p.render(w, http.StatusOK, "entry", v)
}
