package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"kigen"
	"kigen/desk"
	"kigen/web/ui"
)

// todayView is the municipality's day at a glance (desk.Today), each count
// a link to the list behind it, and the look-up box.
type todayView struct {
	ui.Page
	V      *desk.TodayView
	Ref    ui.Field
	Counts []todayCount
}

type todayCount struct {
	Label, URL string
	N          int
	Bad        bool
}

// home is the Today page.
func (c *Console) home(w http.ResponseWriter, r *http.Request) error {
	v, err := c.desk.Today(r.Context(), mustActor(r), desk.TodayParams{})
	if err != nil {
		return err
	}
	hv := c.homeView(w, r, "", nil)
	p := hv.Page
	p.Title = p.T("today.title", v.MunicipalityName)
	t := todayView{Page: p, V: v, Ref: hv.Ref}
	t.Counts = []todayCount{
		{Label: p.T("today.sent"), N: v.SentToday},
		{Label: p.T("today.failed24h"), N: v.Failed24h, URL: "/console/followup?section=unreachable", Bad: v.Failed24h > 0},
		{Label: p.T("today.failed7d"), N: v.Failed7d, URL: "/console/followup?section=unreachable", Bad: v.Failed7d > 0},
		{Label: p.T("today.unreachable"), N: v.Unreachable, URL: "/console/residents?unreachable=1", Bad: v.Unreachable > 0},
		{Label: p.T("today.gaps"), N: v.GapsOpen, URL: "/console/residents?gap=1", Bad: v.GapsOpen > 0},
		{Label: p.T("today.expiring30"), N: v.Expiring30, URL: "/console/residents?within=30"},
		{Label: p.T("today.expiring90"), N: v.Expiring90, URL: "/console/residents?within=90"},
	}
	c.show(w, r, http.StatusOK, "today", t)
	return nil
}

// residentsView is a page of the resident search, with its filters.
type residentsView struct {
	ui.Page
	Q, Within                     ui.Field
	Language, Status              ui.Choice
	Gap, Unreachable, FiltersOpen bool
	Rows                          []residentRow
	Next, First                   string
	Searched                      bool
}

type residentRow struct {
	Ref, URL, Name, Language, Soonest  string
	DaysLeft, DaysPast                 int
	HasCard, Expired, Gap, Unreachable bool
	Self                               bool // signed up themselves
}

// residents searches the municipality's residents (desk.ListResidents):
// one box for a reference prefix, a part of the name (kana or Latin), an
// email or a phone number, and filters; a page at a time.
func (c *Console) residents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := c.page(w, r, "residents.title")
	params := desk.ListResidentsParams{Search: strings.TrimSpace(q.Get("q")), GapOpen: q.Get("gap") == "1",
		Unreachable: q.Get("unreachable") == "1", Language: q.Get("language"), Status: q.Get("status"), Cursor: q.Get("cursor")}
	within := strings.TrimSpace(q.Get("within"))
	if within != "" {
		n, err := strconv.Atoi(within)
		if err != nil || n < 0 {
			p.Errors = append(p.Errors, ui.FieldError{ID: "within", Message: p.T("residents.within.invalid")})
		} else {
			params.ExpiringWithin = n
		}
	}
	v := residentsView{Page: p, Gap: params.GapOpen, Unreachable: params.Unreachable,
		FiltersOpen: params.GapOpen || params.Unreachable || within != "" || params.Language != "" || params.Status != ""}
	if len(p.Errors) == 0 {
		list, err := c.desk.ListResidents(r.Context(), mustActor(r), params)
		if kigen.ErrorCode(err) == kigen.EINVALID {
			v.Errors = fieldErrors(err, map[string]string{"search": "q", "expiring_within": "within", "language": "language",
				"status": "status", "cursor": "q"}, "q")
		} else if err != nil {
			return err
		} else {
			v.Searched = true
			for _, it := range list.Residents {
				row := residentRow{Ref: it.Ref, URL: residentPath(it.Ref), Name: it.Name, Language: p.T("language." + string(it.Language)),
					Soonest: p.Date(it.SoonestExpiry), DaysLeft: it.DaysLeft, DaysPast: -it.DaysLeft, HasCard: !it.SoonestExpiry.IsZero(), Expired: it.DaysLeft < 0,
					Gap: it.GapOpen, Unreachable: it.Unreachable, Self: it.Source == "self"}
				v.Rows = append(v.Rows, row)
			}
			if list.Next != "" {
				next := url.Values{}
				for k, vs := range q {
					next[k] = vs
				}
				next.Set("cursor", list.Next)
				v.Next = "/console/residents?" + next.Encode()
			}
			if params.Cursor != "" {
				first := url.Values{}
				for k, vs := range q {
					first[k] = vs
				}
				first.Del("cursor")
				v.First = "/console/residents?" + first.Encode()
			}
		}
	}
	v.Q = v.TextField("q", "q", "residents.q", "residents.q.hint", params.Search, false)
	v.Q.Type, v.Q.Autocomplete = "search", "off"
	v.Within = v.TextField("within", "within", "residents.within", "residents.within.hint", within, false)
	v.Within.InputMode = "numeric"
	v.Language = v.ChoiceField("language", "language", "residents.language", "", false, params.Language, languageOptions(v.Page, true))
	v.Status = v.ChoiceField("status", "status", "residents.status", "", false, params.Status, statusOptions(v.Page, true))
	c.show(w, r, http.StatusOK, "residents", v)
	return nil
}

// languageOptions are the twelve languages (with any: a first "all").
func languageOptions(p ui.Page, any bool) []ui.Option {
	var out []ui.Option
	if any {
		out = append(out, ui.Option{Value: "", Label: p.T("residents.any")})
	}
	for _, l := range kigen.Languages {
		out = append(out, ui.Option{Value: string(l), Label: p.T("language." + string(l))})
	}
	return out
}

// statusOptions are the residence categories (with any: a first "all").
func statusOptions(p ui.Page, any bool) []ui.Option {
	var out []ui.Option
	if any {
		out = append(out, ui.Option{Value: "", Label: p.T("residents.any")})
	}
	for _, s := range []kigen.Status{kigen.FixedPeriod, kigen.Permanent, kigen.SpecialPermanent} {
		out = append(out, ui.Option{Value: string(s), Label: p.T("status." + string(s))})
	}
	return out
}
