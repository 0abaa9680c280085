package templates

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"unicode"

	"kigen"
)

//go:embed layout.html layout.txt
var layoutFS embed.FS

// Params is what one message is about: one resident, one municipality, the
// notices of one tick, rendered on the day it is sent.
type Params struct {
	Lang kigen.Language
	// Municipality: Name, NameLatin, the contact fields and Calendar (the
	// days its office is open, for the date to go by) are read.
	Municipality kigen.Municipality
	// Status is the resident's residence category: some texts are for one
	// category only (docs/domain.md §14.5). The zero value is fixed_period,
	// the default category.
	Status kigen.Status
	// Today is the day the message is rendered, i.e. sent: the days left
	// are counted from it, not from the tick (docs/domain.md §11.6).
	Today kigen.Date
	// Notices are the notices of the message, at least one. A notice's
	// context is read from its fields: a My Number card notice with
	// ResidenceExpiresOn set is about an open renewal gap (docs/domain.md §5);
	// one with RenewalAppliedOn set is about a pending renewal (§6). A
	// renewal_gap notice and a stage of the same card are written as one
	// (§14.2).
	Notices []kigen.Due
	// MessageURL is KIGEN_PUBLIC_URL + "/m/" + token: the full message, the
	// link an SMS carries.
	MessageURL string
	// UnsubscribeURL is KIGEN_PUBLIC_URL + "/u/" + token: one-click
	// unsubscribe (RFC 8058).
	UnsubscribeURL string
	// ActionURL is the base of the message's "I applied" and "I have my
	// new card" links (docs/domain.md §14.10): KIGEN_PUBLIC_URL + "/m/" +
	// token, to which the pages add "/applied" and "/card?card=KIND". Empty:
	// MessageURL (the message page, which shows the email without its
	// "read in your browser" link, sets it).
	ActionURL string
	// ResidentName is the name for the greeting; empty for a neutral one.
	ResidentName string
}

// permanent reports whether the resident's card dates follow no period of
// stay: permanent and special permanent residents.
func (p Params) permanent() bool {
	return p.Status == kigen.Permanent || p.Status == kigen.SpecialPermanent
}

// Email is a rendered email.
type Email struct {
	Subject string
	HTML    string
	Text    string
	// Headers are the extra headers to send: List-Unsubscribe and
	// List-Unsubscribe-Post (one-click, RFC 8058).
	Headers map[string]string
}

// Renderer renders messages. It is built once (New) and safe for
// concurrent use.
type Renderer struct {
	cats     map[kigen.Language]*catalog
	hotlines Hotlines
	holidays kigen.HolidayCorrections // the operator's (SetHolidays)
	html     *htmltemplate.Template
	text     *texttemplate.Template
}

// SetHolidays gives the renderer the operator's corrections to the
// national holidays (KIGEN_HOLIDAYS_FILE): the date to go by reads them,
// for every municipality whose Params carry none of their own. Call it
// before the renderer is shared.
func (r *Renderer) SetHolidays(fix kigen.HolidayCorrections) { r.holidays = fix }

// withHolidays returns p with the renderer's holiday corrections in its
// municipality's calendar, unless it has its own.
func (r *Renderer) withHolidays(p Params) Params {
	if c := &p.Municipality.Calendar; len(c.Holidays.Add) == 0 && len(c.Holidays.Remove) == 0 {
		c.Holidays = r.holidays
	}
	return p
}

// New returns a Renderer with the embedded catalogs and layout and the given
// hotline data (DefaultHotlines, or LoadHotlines of KIGEN_HOTLINES_FILE). It
// fails if a catalog does not match the reference or the hotline data names
// a code the catalogs do not know.
func New(h Hotlines) (*Renderer, error) {
	cats, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("hotlines: %w", err)
	}
	html, err := htmltemplate.ParseFS(layoutFS, "layout.html")
	if err != nil {
		return nil, err
	}
	text, err := texttemplate.ParseFS(layoutFS, "layout.txt")
	if err != nil {
		return nil, err
	}
	return &Renderer{cats: cats, hotlines: h, html: html, text: text}, nil
}

// Email renders the email of p.
func (r *Renderer) Email(p Params) (Email, error) {
	if p.UnsubscribeURL == "" {
		return Email{}, fmt.Errorf("templates: email without an unsubscribe URL")
	}
	v, err := r.view(p)
	if err != nil {
		return Email{}, err
	}
	var html, text bytes.Buffer
	if err := r.html.Execute(&html, v); err != nil {
		return Email{}, fmt.Errorf("templates: html: %w", err)
	}
	if err := r.text.Execute(&text, v); err != nil {
		return Email{}, fmt.Errorf("templates: text: %w", err)
	}
	return Email{
		Subject: v.Subject,
		HTML:    html.String(),
		Text:    text.String(),
		Headers: map[string]string{
			"List-Unsubscribe":      "<" + p.UnsubscribeURL + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}, nil
}

// notice is one notice with what its text depends on.
type notice struct {
	kigen.Due
	left int       // days left on the sending day: ExpiresOn − Today
	ctx  situation // gap, pending or neither
	// deadline is the day by which the notice asks for a visit, goBy the
	// last open day on or before it (docs/domain.md §12); both zero when
	// it asks for no visit by a date, or the deadline has passed.
	deadline, goBy kigen.Date
	// next is the first day the office opens again, set when no open day
	// is left before the deadline (goBy is before the sending day).
	next kigen.Date
}

// situation is what a My Number card notice is written for: an open gap or a pending renewal.
type situation int

const (
	plain   situation = iota
	gap               // the residence was renewed, the My Number card was not (docs/domain.md §5)
	pending           // a renewal of the period of stay is being decided (docs/domain.md §6)
)

func contextOf(d kigen.Due) situation {
	switch {
	case d.Kind == kigen.MyNumberCard && (d.Stage == kigen.RenewalGap || !d.ResidenceExpiresOn.IsZero()):
		// An open gap wins over a pending renewal: the office can set the
		// card to the renewed residence's date now.
		return gap
	case d.Stage == kigen.SpecialPeriod || !d.RenewalAppliedOn.IsZero():
		return pending
	}
	return plain
}

// goByCase is how a notice names its date to go by.
type goByCase int

const (
	noGoBy    goByCase = iota // the notice asks for no visit by a date
	goByDay                   // the deadline itself is an open day
	goByEarly                 // the last open day is before the deadline
	goByToday                 // today is the last open day
	goByNone                  // no open day is left before the deadline
)

func (n notice) goByCase(today kigen.Date) goByCase {
	switch {
	case n.goBy.IsZero():
		return noGoBy
	case n.goBy.Before(today):
		return goByNone
	case n.goBy == today:
		return goByToday
	case n.goBy == n.deadline:
		return goByDay
	}
	return goByEarly
}

// notices checks p's notices and returns them as they are written: a
// renewal_gap folded into a stage of the same card, the most urgent first,
// each with its date to go by.
func notices(p Params) ([]notice, error) {
	if !p.Lang.Valid() {
		return nil, fmt.Errorf("templates: unknown language %q", p.Lang)
	}
	if len(p.Notices) == 0 {
		return nil, fmt.Errorf("templates: a message needs at least one notice")
	}
	if p.Today.IsZero() {
		return nil, fmt.Errorf("templates: no date to render on")
	}
	ds := slices.Clone(p.Notices)
	for i, d := range ds {
		if !d.Kind.Valid() || !d.Stage.Valid() || d.ExpiresOn.IsZero() {
			return nil, fmt.Errorf("templates: notice %d: bad card kind %q, stage %q or date", i, d.Kind, d.Stage)
		}
	}
	// One card, one part (docs/domain.md §14.2): Plan gives the gap and a
	// stage of a card the same date; a preview may not, and then the
	// stage's date is the one written.
	for i := 0; i < len(ds); i++ {
		if ds[i].Stage != kigen.RenewalGap {
			continue
		}
		for j := range ds {
			if j != i && ds[j].Kind == ds[i].Kind {
				ds[j].CertExpiresOn = ds[i].CertExpiresOn
				if ds[j].ResidenceExpiresOn.IsZero() {
					ds[j].ResidenceExpiresOn = ds[i].ResidenceExpiresOn
				}
				ds = slices.Delete(ds, i, i+1)
				i--
				break
			}
		}
	}
	cal := p.Municipality.Calendar
	ns := make([]notice, len(ds))
	for i, d := range ds {
		n := notice{Due: d, left: d.ExpiresOn.Sub(p.Today), ctx: contextOf(d)}
		if deadline, ok := d.Deadline(); ok && !deadline.Before(p.Today) {
			n.deadline, n.goBy = deadline, cal.GoBy(deadline, d.Kind.Visit())
			if n.goBy.Before(p.Today) {
				n.next = cal.NextOpen(p.Today, d.Kind.Visit())
			}
		}
		ns[i] = n
	}
	slices.SortStableFunc(ns, func(a, b notice) int {
		if c := a.ExpiresOn.Compare(b.ExpiresOn); c != 0 {
			return c
		}
		return slices.Index(kigen.CardKinds, a.Kind) - slices.Index(kigen.CardKinds, b.Kind)
	})
	return ns, nil
}

// withMyNumber reports whether ns holds a notice of the My Number card that
// expires with the residence card n and is not about a gap: the card that
// needs its own visit to the office after the renewal (docs/domain.md §14.1).
func withMyNumber(n notice, ns []notice) bool {
	if n.Kind != kigen.ResidenceCard {
		return false
	}
	for _, m := range ns {
		if m.Kind == kigen.MyNumberCard && m.ExpiresOn == n.ExpiresOn && m.ctx != gap {
			return true
		}
	}
	return false
}

// latinScript reports whether a language is written in the Latin script:
// its messages use the municipality's Latin name.
func latinScript(l kigen.Language) bool {
	switch l {
	case kigen.English, kigen.Spanish, kigen.Portuguese, kigen.Indonesian, kigen.Vietnamese, kigen.Tagalog:
		return true
	}
	return false
}

// readsKanji reports whether a reader of l reads the municipality's
// Japanese name as their own words.
func readsKanji(l kigen.Language) bool {
	return l == kigen.Japanese || l == kigen.EasyJapan || l == kigen.Chinese
}

// placeNames is how one language names the municipality and its office
// (docs/domain.md §13): in its own script and word order, composed from
// the catalog's name.* and hall.* texts and the municipality's name
// without its kind, so that no language doubles "City" ("Otaru City Hall",
// "Prefeitura de Otaru", "오타루시청"). Japanese and Chinese, and a
// language without a name in its script, use the Japanese names.
type placeNames struct {
	muni   string // the municipality in running text: Otaru City, 오타루시, 小樽市
	office string // the office residents go to: Otaru City Hall, 오타루시청, 小樽市役所
	ja     string // the office in Japanese (kigen.Municipality.OfficeJA): 小樽市役所
}

func namesOf(pr *printer, m kigen.Municipality) placeNames {
	ja := placeNames{muni: m.Name, office: m.OfficeJA(), ja: m.OfficeJA()}
	var name string
	switch l := pr.cat.lang; {
	case readsKanji(l):
		return ja
	case l == kigen.Korean:
		name = m.NameHangul
	case l == kigen.Thai:
		name = cmp.Or(m.NameThai, latinBase(m.NameLatin))
	case l == kigen.Nepali:
		name = cmp.Or(m.NameDevanagari, latinBase(m.NameLatin))
	default:
		name = latinBase(m.NameLatin)
	}
	if name == "" {
		return ja
	}
	k := kindKey(m)
	return placeNames{
		muni:   spaceScripts(pr.T("name."+k, args{"name": name})),
		office: spaceScripts(pr.T("hall."+k, args{"name": name})),
		ja:     ja.ja,
	}
}

// kindKey is the catalog's word for the municipality's kind: city, ward
// (a special ward of Tokyo, which calls itself a city in English),
// city_ward (a ward of a designated city: its ward office), town, village.
func kindKey(m kigen.Municipality) string {
	switch k := m.KindOrGuess(); {
	case m.CityWard():
		return "city_ward"
	case k == kigen.KindWard:
		return "ward"
	case k == kigen.KindTown:
		return "town"
	case k == kigen.KindVillage:
		return "village"
	}
	return "city"
}

// latinBase returns a Latin name without a kind that it still holds
// (Otaru City → Otaru; Chuo Ward, Sapporo City → Chuo): a name stored
// before the kind was kept apart, or set around the desk, is never
// composed into "Otaru City City Hall".
func latinBase(s string) string {
	s, _, _ = strings.Cut(s, ", ")
	s = strings.TrimPrefix(s, "City of ")
	for _, k := range []string{" City", " Ward", " Town", " Village", "-shi", "-ku", "-cho", "-machi", "-son", "-mura"} {
		if b, ok := strings.CutSuffix(s, k); ok && b != "" {
			return b
		}
	}
	return s
}

// spaceScripts puts a space where a letter of a non-Latin script meets a
// Latin one (เมือง + Otaru → เมือง Otaru): a Thai or Nepali text naming a
// municipality by its Latin name.
func spaceScripts(s string) string {
	var b strings.Builder
	var prev rune
	for _, r := range s {
		if prev != 0 && unicode.IsLetter(prev) && unicode.IsLetter(r) &&
			unicode.Is(unicode.Latin, prev) != unicode.Is(unicode.Latin, r) &&
			!unicode.Is(unicode.Han, prev) && !unicode.Is(unicode.Han, r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// officeKind says whether a municipality's office is a city hall, a ward
// office or a town or village office: the short word some SMS use.
func officeKind(m kigen.Municipality) string {
	switch kindKey(m) {
	case "ward", "city_ward":
		return "ward"
	case "town", "village":
		return "town"
	}
	return "city"
}

// placeArgs are the placeholders naming the municipality and its office:
// {muni}, {office_name}, {office_ja}, {office_kind}.
func placeArgs(pr *printer, n placeNames, m kigen.Municipality) args {
	return args{"muni": n.muni, "office_name": n.office, "office_ja": n.ja, "office_kind": pr.T("office."+officeKind(m), nil)}
}
