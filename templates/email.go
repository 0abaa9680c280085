package templates

import (
	htmltemplate "html/template"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"kigen"
)

// emailView is what the HTML and text layouts show. Every string in it is
// final text: the layouts only arrange and escape.
type emailView struct {
	Lang            string
	Font            htmltemplate.CSS
	Subject, Title  string
	From, Preheader string
	Greeting, Intro string
	Notices         []noticeView
	Labels          map[string]string
	Contact         contactView
	Hotlines        hotlinesView
	MessageURL      string
	// AppliedURL and NewCardURL are the "I applied" and "I have my new
	// card" links ("" for none).
	AppliedURL, NewCardURL string
	UnsubscribeURL         string
	Why                    string
}

// noticeView is one card's part of the message.
type noticeView struct {
	Heading, Status string
	GoBy            string // the date to go by (docs/domain.md §12), or that none is left
	Tone            string // info, soon, urgent or expired
	Color, Tint     string // the tone, as a border and a background colour
	Lead, Situation string
	Do              []string
	Where           string
	Bring, Notes    []string
	term            string // the glossary term of the card: its heading introduces it
}

type contactView struct {
	Heading           string
	Phone, Email, URL string
	Tel               htmltemplate.URL
}

type hotlinesView struct {
	Heading string
	None    string // set when no line answers in the resident's language
	Phones  []phoneView
	Web     []webView
	Insurer string
}

type phoneView struct {
	Number, Free, Topic string
	Tel                 htmltemplate.URL
	Hours, Notes        []string
}

type webView struct{ URL, Topic string }

// fonts are the font stacks per script: the lang attribute picks the right
// Han glyphs, the stack a font that has them.
var fonts = map[kigen.Language]htmltemplate.CSS{
	kigen.Japanese:  `"Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic","Meiryo","Noto Sans CJK JP","Noto Sans JP",sans-serif`,
	kigen.EasyJapan: `"Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic","Meiryo","Noto Sans CJK JP","Noto Sans JP",sans-serif`,
	kigen.Chinese:   `"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif`,
	kigen.Korean:    `"Apple SD Gothic Neo","Malgun Gothic","Noto Sans CJK KR","Noto Sans KR",sans-serif`,
	kigen.Thai:      `"Thonburi","Leelawadee UI","Noto Sans Thai","Noto Sans Thai UI","Loma",sans-serif`,
	kigen.Nepali:    `"Kohinoor Devanagari","Nirmala UI","Noto Sans Devanagari","Noto Sans Devanagari UI",sans-serif`,
}

const latinFont htmltemplate.CSS = `-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,"Noto Sans CJK JP",sans-serif`

// htmlLang is the value of the lang attribute: BCP 47, so Easy Japanese is
// Japanese and Tagalog is Filipino's tl.
func htmlLang(l kigen.Language) string {
	switch l {
	case kigen.EasyJapan:
		return "ja"
	case kigen.Chinese:
		return "zh-Hans"
	case kigen.Portuguese:
		return "pt-BR"
	}
	return string(l)
}

// view builds the email of p.
func (r *Renderer) view(p Params) (*emailView, error) {
	p = r.withHolidays(p)
	ns, err := notices(p)
	if err != nil {
		return nil, err
	}
	pr := &printer{cat: r.cats[p.Lang]}
	m := p.Municipality
	names := namesOf(pr, m)
	base := placeArgs(pr, names, m)
	g, marks := r.glossary(pr, base)
	base = base.with(marks)
	muniFull := base["muni"]
	if m.Name != "" && names.muni != m.Name {
		muniFull = pr.firstUse(names.muni, "", m.Name)
	}
	v := &emailView{
		Lang:           htmlLang(p.Lang),
		Font:           fonts[p.Lang],
		MessageURL:     p.MessageURL,
		UnsubscribeURL: p.UnsubscribeURL,
		Labels:         map[string]string{},
	}
	if v.Font == "" {
		v.Font = latinFont
	}
	v.AppliedURL, v.NewCardURL = actionLinks(p)
	for _, k := range []string{"label.do", "label.where", "label.bring", "contact.phone", "contact.email",
		"contact.web", "footer.online", "footer.unsubscribe", "footer.applied", "footer.newcard"} {
		v.Labels[strings.ReplaceAll(k, ".", "_")] = pr.T(k, nil)
	}
	for _, n := range ns {
		v.Notices = append(v.Notices, r.noticeView(pr, base, p, n, ns))
	}
	// A title names cards, not terms: any term in it is written by name.
	named := map[string]bool{}
	for _, t := range terms {
		named[t] = true
	}
	v.Title = upperFirst(g.resolve(r.title(pr, base, ns), named, false))
	// A header holds one line, whatever a municipality's name holds.
	v.Subject = oneLine.Replace(pr.T("subject.prefix", args{"muni": base["muni"], "text": v.Title}))
	v.From = pr.T("email.from", args{"muni": muniFull})
	if p.ResidentName != "" {
		v.Greeting = pr.T("email.greeting", args{"name": p.ResidentName})
	} else if s := pr.T("email.greeting_anon", nil); s != noText {
		v.Greeting = s
	}
	v.Intro = pr.T("email.intro", base)
	v.Contact = contactView{
		Heading: pr.T("contact.heading", args{"muni": muniFull, "office_name": pr.firstUse(names.office, "", names.ja)}),
		Phone:   m.ContactPhone,
		Tel:     telURL(m.ContactPhone),
		Email:   m.ContactEmail,
		URL:     m.ContactURL,
	}
	v.Hotlines = r.hotlinesView(pr, base, p.Lang, ns)
	v.Why = pr.T("footer.why", base)
	if pr.err != nil {
		return nil, pr.err
	}
	v.resolve(g)
	if p.Lang == kigen.EasyJapan {
		v.readingsOnce()
	}
	v.Preheader = v.Notices[0].Status
	return v, nil
}

// noText is a catalog's way to say nothing where a text is optional (a
// greeting without the resident's name): a catalog holds no empty text.
const noText = "-"

// resolve writes the terms of the email in reading order: in full at
// their first use and on every "Where" line, by name after (docs/domain.md
// §14.8). A card's heading introduces its term.
func (v *emailView) resolve(g glossary) {
	seen := map[string]bool{}
	fix := func(ss ...*string) {
		for _, s := range ss {
			*s = g.resolve(*s, seen, false)
		}
	}
	fixAll := func(ss []string) {
		for i := range ss {
			fix(&ss[i])
		}
	}
	fix(&v.Intro)
	for i := range v.Notices {
		n := &v.Notices[i]
		seen[n.term] = true
		fix(&n.Status, &n.Lead, &n.Situation, &n.GoBy)
		fixAll(n.Do)
		n.Where = upperFirst(g.resolve(n.Where, seen, true))
		fixAll(n.Bring)
		fixAll(n.Notes)
	}
	fix(&v.Contact.Heading, &v.Hotlines.None, &v.Hotlines.Insurer, &v.Why)
}

// reading is a word in kanji or katakana with its reading in brackets, as
// Easy Japanese writes harder words: 期限（きげん）.
var reading = regexp.MustCompile(`[\p{Han}\p{Katakana}ー々・]+（[\p{Hiragana}\p{Katakana}ー ]+）`)

// readingsOnce keeps each reading of an Easy Japanese email at its first
// use only (docs/domain.md §14.9): 期限（きげん） once, then 期限.
func (v *emailView) readingsOnce() {
	seen := map[string]bool{}
	fix := func(s *string) {
		*s = reading.ReplaceAllStringFunc(*s, func(w string) string {
			if seen[w] {
				return w[:strings.Index(w, "（")]
			}
			seen[w] = true
			return w
		})
	}
	fix(&v.Intro)
	for i := range v.Notices {
		n := &v.Notices[i]
		for _, s := range []*string{&n.Heading, &n.Status, &n.Lead, &n.Situation, &n.GoBy} {
			fix(s)
		}
		for _, ss := range [][]string{n.Do, n.Bring, n.Notes} {
			for j := range ss {
				fix(&ss[j])
			}
		}
		// The "Where" line keeps its reading: it is what to look for.
	}
	for _, s := range []*string{&v.Contact.Heading, &v.Hotlines.None, &v.Hotlines.Insurer, &v.Why} {
		fix(s)
	}
}

// noticeArgs adds a notice's dates to the common arguments. Dates a notice
// does not have are left out, so a text that needs one fails to render.
func noticeArgs(p *printer, base args, n notice, date func(kigen.Date) string) args {
	a := base.with(args{
		"card": p.T("card."+string(n.Kind)+".name", nil),
		"date": date(n.ExpiresOn),
	})
	if n.left < 0 {
		a["days"] = p.N("days", -n.left, nil)
	} else {
		a["days"] = p.N("days", n.left, nil)
	}
	opt := map[string]kigen.Date{
		"residence": n.ResidenceExpiresOn, "cert_date": n.CertExpiresOn,
		"applied": n.RenewalAppliedOn, "ends": n.SpecialPeriodEnds,
	}
	for k, d := range opt {
		if !d.IsZero() {
			a[k] = date(d)
		}
	}
	if n.Kind == kigen.MyNumberCert {
		a["grace"] = date(kigen.InsuranceGraceEnds(n.ExpiresOn))
	}
	if n.Kind.IsResidence() && n.SpecialPeriodEnds.IsZero() {
		// An expired card states the limit of a stay on an application
		// made in time (docs/domain.md §14.3).
		a["ends"] = date(kigen.SpecialPeriodEnds(n.ExpiresOn))
	}
	return a
}

// with returns a copy of a with more arguments.
func (a args) with(more args) args {
	b := make(args, len(a)+len(more))
	for k, v := range a {
		b[k] = v
	}
	for k, v := range more {
		b[k] = v
	}
	return b
}

// title is the subject without the municipality: what the message is about.
// A card is named once (docs/domain.md §14.2): notices are one per card.
func (r *Renderer) title(pr *printer, base args, ns []notice) string {
	if len(ns) > 1 {
		var names []string
		for _, n := range ns {
			names = append(names, pr.T("card."+string(n.Kind)+".name", nil))
		}
		return pr.T("subject.multi", base.with(args{"cards": pr.List(names)}))
	}
	n := ns[0]
	a := noticeArgs(pr, base, n, pr.LongDate)
	switch {
	case n.Stage == kigen.SpecialPeriod:
		return pr.T("subject.special", a)
	case n.left < 0:
		return pr.T("subject.expired", a)
	case n.ctx == gap:
		return pr.T("subject.gap", a)
	case n.left == 0:
		return pr.T("subject.today", a)
	case n.left == 1:
		return pr.T("subject.tomorrow", a)
	}
	return pr.T("subject.before", a)
}

// The colours of the urgency bar (border, background): calm blue, amber,
// red; all pass WCAG AA against the dark text.
var tones = map[string][2]string{
	"info":    {"#2563eb", "#eff6ff"},
	"soon":    {"#d97706", "#fffbeb"},
	"urgent":  {"#dc2626", "#fef2f2"},
	"expired": {"#991b1b", "#fef2f2"},
}

// noticeView writes one card's part: its state, the date to go by, what to
// do, where and with what, and what follows if nothing is done.
func (r *Renderer) noticeView(pr *printer, base args, p Params, n notice, ns []notice) noticeView {
	a := noticeArgs(pr, base, n, pr.LongDate)
	kind := string(n.Kind)
	// The heading is the card's title with its term's gloss and the
	// Japanese title: "Cartão de residência (zairyu card, 在留カード)".
	_, gloss := splitTerm(pr.T("term."+cardTerm(n.Kind), base))
	ja := (&printer{cat: r.cats[kigen.Japanese]}).T("card."+kind+".title", nil)
	nv := noticeView{
		Heading: pr.firstUse(pr.T("card."+kind+".title", nil), gloss, ja),
		term:    cardTerm(n.Kind),
	}
	switch {
	case n.Stage == kigen.SpecialPeriod:
		nv.Status = pr.T("status.special", a)
	case n.left > 1:
		nv.Status = pr.T("status.left", a)
	case n.left == 1:
		nv.Status = pr.T("status.tomorrow", a)
	case n.left == 0:
		nv.Status = pr.T("status.today", a)
	default:
		nv.Status = pr.T("status.expired", a)
	}
	nv.GoBy = goByText(pr, n, p.Today)
	tone := "info"
	switch {
	case n.left < 0 && n.Stage != kigen.SpecialPeriod:
		tone = "expired"
	case n.left <= 7 || n.Stage == kigen.SpecialPeriod && n.Kind == kigen.ResidenceCard:
		tone = "urgent"
	case n.left <= 30 || n.ctx == gap:
		tone = "soon"
	}
	nv.Color, nv.Tint = tones[tone][0], tones[tone][1]
	nv.Tone = tone
	switch _, before := n.Stage.LeadDays(); {
	case n.Stage == kigen.D30 && !n.Kind.IsResidence():
		// Only immigration takes weeks (docs/domain.md §14.4).
		nv.Lead = pr.T("stage.d30.lead_office", a)
	case n.Stage == kigen.D90 && (!n.Kind.IsResidence() || p.permanent()):
		// A renewal of the period of stay can be applied for now; a card
		// of its own from two or three months before it expires.
		nv.Lead = pr.T("stage.d90.lead_office", a)
	case before && n.left >= 0:
		nv.Lead = pr.T("stage."+string(n.Stage)+".lead", a)
	case n.Stage == kigen.RenewalGap && n.left <= 3 && n.left >= 0:
		nv.Lead = pr.T("stage.d3.lead", a)
	}
	switch {
	case n.ctx == gap:
		nv.Situation = pr.T("situation.gap", a)
	case n.ctx == pending && !n.RenewalAppliedOn.IsZero():
		nv.Situation = pr.T("situation.pending", a)
	}
	s := shapeOf(n, p.permanent(), withMyNumber(n, ns))
	for _, k := range s.do {
		nv.Do = append(nv.Do, pr.T(k, a))
	}
	switch s.where {
	case "immigration":
		nv.Where = a["immigration"]
	case "office":
		nv.Where = a["office"]
	}
	for _, k := range s.bring {
		nv.Bring = append(nv.Bring, pr.T("item."+k, a))
	}
	for _, k := range s.notes {
		nv.Notes = append(nv.Notes, pr.T(k, a))
	}
	return nv
}

// goByText names the date to go by (docs/domain.md §12, §14.6), or says
// that no open day is left before the deadline and when the office opens
// again.
func goByText(pr *printer, n notice, today kigen.Date) string {
	a := args{"goby": pr.FullDate(n.goBy), "deadline": pr.LongDate(n.deadline)}
	switch n.goByCase(today) {
	case goByDay:
		return pr.T("goby.by", a)
	case goByEarly:
		return pr.T("goby.early", a)
	case goByToday:
		return pr.T("goby.today", a)
	case goByNone:
		a["next"] = pr.FullDate(n.next)
		return pr.T("goby.none", a)
	}
	return ""
}

// shape is which texts a notice is made of.
type shape struct {
	do    []string // catalog keys
	where string   // "immigration", "office" or none
	bring []string // item keys
	notes []string // catalog keys
}

// shapeOf decides what a notice says: docs/domain.md §2 (who renews what
// where), §5 (the gap), §6 (a pending renewal), §9b (the certificate),
// §14.5 (a text for one residence category is shown to it alone). A
// residence card that expires with a My Number card of the same message
// leaves that card to its own part.
func shapeOf(n notice, permanent, withMyNumber bool) shape {
	expired := n.left < 0 && n.Stage != kigen.SpecialPeriod
	switch {
	case n.Kind == kigen.IntegratedCard && n.Stage == kigen.SpecialPeriod:
		return shape{do: []string{"do.integrated.special"}}
	case n.Kind.IsResidence() && n.Stage == kigen.SpecialPeriod:
		return shape{do: []string{"do.residence.special", "do.residence.special_mynumber"}, where: "office",
			bring: []string{"mynumber_card", "pending_card", "pin"}, notes: []string{"note.weekday"}}
	case n.Kind.IsResidence() && expired && permanent:
		return shape{do: []string{"do.residence.expired_permanent"}, where: "immigration",
			bring: []string{"passport", string(n.Kind), "photo"}}
	case n.Kind.IsResidence() && expired:
		return shape{do: []string{"do.residence.expired"}, where: "immigration",
			bring: []string{"passport", string(n.Kind)}}
	case n.Kind == kigen.IntegratedCard && permanent:
		return shape{do: []string{"do.integrated.before_permanent"}, where: "immigration",
			bring: []string{"passport", "integrated_card", "photo"}}
	case n.Kind == kigen.IntegratedCard:
		return shape{do: []string{"do.integrated.before"}, where: "immigration",
			bring: []string{"passport", "integrated_card", "photo", "documents"}}
	case n.Kind == kigen.ResidenceCard && permanent:
		return shape{do: []string{"do.residence.before_permanent"}, where: "immigration",
			bring: []string{"passport", "residence_card", "photo"}}
	case n.Kind == kigen.ResidenceCard:
		s := shape{do: []string{"do.residence.before"}, where: "immigration",
			bring: []string{"passport", "residence_card", "photo", "documents"}}
		if !withMyNumber {
			s.do = append(s.do, "do.residence.then_mynumber")
		}
		return s
	case n.Kind == kigen.MyNumberCert && expired:
		return shape{do: []string{"do.cert.expired"}, where: "office",
			bring: []string{"mynumber_card", "pins"}, notes: []string{"note.qualification"}}
	case n.Kind == kigen.MyNumberCert:
		return shape{do: []string{"do.cert.before"}, where: "office",
			bring: []string{"mynumber_card", "pins"}, notes: []string{"note.cert_insurance"}}
	}
	// The My Number card.
	var s shape
	s.where = "office"
	switch {
	case expired && n.ctx == pending:
		s.do = []string{"do.mynumber.expired_pending"}
		s.bring = []string{"new_residence_card", "mynumber_card"}
		s.notes = []string{"note.insurance_lapsed"}
	case expired:
		s.do = []string{"do.mynumber.expired"}
		s.bring = []string{"residence_card", "mynumber_card"}
		if n.ctx == gap {
			s.bring[0] = "new_residence_card"
		}
		s.notes = []string{"note.insurance_lapsed"}
	case n.ctx == gap:
		s.do = []string{"do.mynumber.gap"}
		s.bring = []string{"new_residence_card", "mynumber_card", "pin"}
		s.notes = []string{"note.weekday"}
		if !n.CertExpiresOn.IsZero() {
			s.notes = append(s.notes, "note.cert_same_visit")
		}
		s.notes = append(s.notes, "note.insurance")
	case n.ctx == pending:
		s.do = []string{"do.mynumber.pending", "do.mynumber.pending_after"}
		s.bring = []string{"mynumber_card", "pending_card", "pin"}
		s.notes = []string{"note.weekday", "note.insurance"}
	case permanent:
		s.do = []string{"do.mynumber.before_permanent"}
		s.bring = []string{"mynumber_card", "residence_card"}
		s.notes = []string{"note.insurance"}
	default:
		s.do = []string{"do.mynumber.before"}
		s.bring = []string{"new_residence_card", "mynumber_card", "pin"}
		s.notes = []string{"note.weekday", "note.insurance"}
	}
	return s
}

// hotlinesView lists the lines that answer in l, with their hours for l.
func (r *Renderer) hotlinesView(pr *printer, base args, l kigen.Language, ns []notice) hotlinesView {
	phones, web := r.hotlines.forLanguage(l)
	hv := hotlinesView{Heading: pr.T("hotline.heading", nil)}
	if len(phones) == 0 {
		hv.None = pr.T("hotline.none", base)
	}
	for _, ph := range phones {
		pv := phoneView{Number: ph.line.Number, Tel: telURL(ph.line.Number), Topic: pr.T("hotline.topic."+ph.line.Topic, nil)}
		if ph.line.Free {
			pv.Free = pr.T("hotline.free", nil)
		}
		for _, h := range ph.hours {
			pv.Hours = append(pv.Hours, pr.T("hotline.hours", args{"days": pr.T("hotline.days."+h.Days, nil), "from": h.From, "to": h.To}))
		}
		for _, note := range ph.line.Notes {
			pv.Notes = append(pv.Notes, pr.T("hotline.note."+note, nil))
		}
		hv.Phones = append(hv.Phones, pv)
	}
	for _, w := range web {
		hv.Web = append(hv.Web, webView{URL: w.URL, Topic: pr.T("hotline.topic."+w.Topic, nil)})
	}
	for _, n := range ns {
		if n.Kind == kigen.MyNumberCard || n.Kind == kigen.MyNumberCert {
			hv.Insurer = pr.T("hotline.insurer", base)
			break
		}
	}
	return hv
}

var oneLine = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// upperFirst capitalises the first letter of a title that starts with a
// card's name ("thẻ lưu trú của bạn…" → "Thẻ lưu trú của bạn…").
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return string(unicode.ToUpper(r)) + s[n:]
	}
	return s
}

// telURL is the tel: link of a Japanese phone number as written
// ("0120-0178-26"). It holds only digits and +, so it is safe as a URL.
func telURL(number string) htmltemplate.URL {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' || r == '+' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return htmltemplate.URL("tel:" + b.String())
}

// actionLinks returns the message's "I applied" link (for a residence or
// integrated card of a resident with a period of stay: the renewal is
// applied for at immigration) and its "I have my new card" link (the
// first card the message is about), "" without a base URL.
func actionLinks(p Params) (applied, newCard string) {
	base := p.ActionURL
	if base == "" {
		base = p.MessageURL
	}
	if base == "" || len(p.Notices) == 0 {
		return "", ""
	}
	for _, n := range p.Notices {
		if n.Kind.IsResidence() && !p.permanent() {
			applied = base + "/applied"
			break
		}
	}
	return applied, base + "/card?card=" + string(p.Notices[0].Kind)
}
