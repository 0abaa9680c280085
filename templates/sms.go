package templates

import (
	"cmp"
	"fmt"
	"strings"

	"kigen"
)

// SMS renders the SMS of p: the essentials only (docs/domain.md §11.16,
// §14.1) — every card it concerns with its date ("tomorrow", "today is the
// last day" on the last days), what to do for the most urgent in a few
// words with the day to go by, that a My Number card expiring with the
// residence card needs its own visit after the renewal, and the link to
// the full message (p.MessageURL). Latin-script languages name the
// municipality by its Latin name and are written in GSM-7 (Vietnamese
// without diacritics, as Vietnamese banks and carriers write SMS); the
// others use its Japanese name.
//
// The text fits MaxSMSSegments with a message URL of SMSURLBudget
// characters. When it cannot hold everything, SMS leaves out, in this
// order, what to bring, the day to go by where it is the card's date, the
// day to go by, the action; the cards and their dates always stay
// (docs/messages.md says what each language keeps). Should a longer URL
// push even that over, it returns the shortest text: a reminder that costs
// one more segment is better than none.
func (r *Renderer) SMS(p Params) (string, error) {
	text, _, err := r.sms(p)
	return text, err
}

// sms renders the SMS and says how many parts it had to drop (0: none).
func (r *Renderer) sms(p Params) (text string, dropped int, err error) {
	cands, err := r.smsCandidates(p)
	if err != nil {
		return "", 0, err
	}
	for i, c := range cands {
		text, dropped = c, i
		if n, _ := Segments(c); n <= MaxSMSSegments {
			break
		}
	}
	return text, dropped, nil
}

// smsCandidates returns the SMS in full, then without what to bring, then
// without the day to go by where it is the card's date, then without it at
// all, then without the action: every card is always named.
func (r *Renderer) smsCandidates(p Params) ([]string, error) {
	if p.MessageURL == "" {
		return nil, fmt.Errorf("templates: SMS without a message URL")
	}
	p = r.withHolidays(p)
	ns, err := notices(p)
	if err != nil {
		return nil, err
	}
	pr := &printer{cat: r.cats[p.Lang]}
	base := r.smsTerms(pr, p.Municipality)
	status := smsStatuses(pr, base, ns)
	action, bring := smsAction(pr, base, p, ns, dayAlways)
	same, _ := smsAction(pr, base, p, ns, dayIfEarlier)
	bare, _ := smsAction(pr, base, p, ns, dayNever)
	var cands []string
	for _, parts := range [][]string{{status, action, bring}, {status, action}, {status, same}, {status, bare}, {status}} {
		body := tidy(strings.Join(parts, " "))
		c := tidy(pr.T("sms.message", args{"muni": base["muni"], "body": body, "url": p.MessageURL}))
		switch {
		case p.Lang == kigen.Vietnamese:
			// Vietnamese SMS go without diacritics, as Vietnamese banks
			// and carriers write them (docs/domain.md §8).
			c = asciiFold(c)
		case gsmLanguage(p.Lang):
			// Catalogs write their language with its accents; the SMS
			// goes without those GSM-7 lacks (docs/domain.md §8).
			c = gsmFold(c)
		}
		cands = append(cands, c)
	}
	if pr.err != nil {
		return nil, pr.err
	}
	return cands, nil
}

// smsTerms returns the words an SMS names places and cards with: the
// glossary's terms, by name (docs/domain.md §14.8), the short forms the
// catalog gives for SMS (sms.card.*, sms.immigration, sms.office), and the
// municipality. A test holds each SMS form to appear in the email too.
func (r *Renderer) smsTerms(pr *printer, m kigen.Municipality) args {
	a := placeArgs(pr, namesOf(pr, m), m)
	if l := pr.cat.lang; l == kigen.Thai || l == kigen.Nepali {
		// Thai and Nepali SMS are UCS-2, 134 characters in two segments:
		// 【小樽市】 costs 5 of them, 【เมืองโอตารุ】 13, which the date to go
		// by needs. The SMS names its office by a word (sms.office).
		a["muni"] = cmp.Or(m.Name, a["muni"])
	}
	if gsmLanguage(pr.cat.lang) {
		// One macron (Ōtsu) would turn the message into UCS-2.
		a["muni"], a["office_name"] = gsmFold(a["muni"]), gsmFold(a["office_name"])
	}
	for _, t := range terms {
		a[t] = smsTerm(pr.T("term."+t, a))
	}
	for _, k := range kigen.CardKinds {
		a[cardTerm(k)] = smsTerm(pr.T("sms.card."+string(k), nil))
	}
	a["immigration"] = smsTerm(pr.T("sms.immigration", nil))
	a["office"] = smsTerm(pr.T("sms.office", a))
	return a
}

// smsStatus is what an SMS says of a card: before, tomorrow, today,
// expired or the special period.
func smsStatus(n notice) string {
	switch {
	case n.Stage == kigen.SpecialPeriod:
		return "special"
	case n.left < 0:
		return "expired"
	case n.left == 0:
		return "today"
	case n.left == 1:
		return "tomorrow"
	}
	return "before"
}

// smsStatuses names every card of the message with its date, cards in the
// same state on the same date in one sentence ("your residence card and My
// Number card expire on …").
func smsStatuses(pr *printer, base args, ns []notice) string {
	var out []string
	for i := 0; i < len(ns); {
		n, st := ns[i], smsStatus(ns[i])
		j := i + 1
		for st != "special" && j < len(ns) && smsStatus(ns[j]) == st && ns[j].ExpiresOn == n.ExpiresOn {
			j++
		}
		var cards []string
		for _, m := range ns[i:j] {
			cards = append(cards, base[cardTerm(m.Kind)])
		}
		a := base.with(args{"cards": pr.List(cards), "card": cards[0], "date": pr.SMSDate(n.ExpiresOn)})
		var s string
		switch {
		case st == "special":
			a["ends"] = pr.SMSDate(n.SpecialPeriodEnds)
			s = pr.T("sms.status.special", a)
		case st == "before" && i > 0:
			// A later card's date, in fewer words.
			s = pr.N("sms.status.also", len(cards), a)
		default:
			s = pr.N("sms.status."+st, len(cards), a)
		}
		if i > 0 {
			s = upperFirst(s)
		}
		out = append(out, s)
		i = j
	}
	return strings.Join(out, " ")
}

// dayIn says when an SMS's action names the day to go by.
type dayIn int

const (
	dayAlways    dayIn = iota // as the catalog says
	dayIfEarlier              // not where it is the card's date, which the SMS states
	dayNever
)

// smsAction is what to do for the most urgent card, in a few words, with
// the day to go by (as day says); and, for a gap, what to bring.
func smsAction(pr *printer, base args, p Params, ns []notice, day dayIn) (action, bring string) {
	n := ns[0]
	a := base.with(args{"date": pr.SMSDate(n.ExpiresOn), "card": base[cardTerm(n.Kind)]})
	if n.Kind == kigen.MyNumberCert {
		a["grace"] = pr.SMSDate(kigen.InsuranceGraceEnds(n.ExpiresOn))
	}
	if n.Kind.IsResidence() {
		a["ends"] = pr.SMSDate(kigen.SpecialPeriodEnds(n.ExpiresOn))
	}
	if !n.SpecialPeriodEnds.IsZero() {
		a["ends"] = pr.SMSDate(n.SpecialPeriodEnds)
	}
	a["when"] = ""
	switch n.goByCase(p.Today) {
	case goByNone:
		// No open day is left before the deadline: say when the office
		// opens again, not a day already past.
		a["next"] = pr.SMSDay(n.next)
		a["place"] = base["office"]
		if n.Kind.Visit() == kigen.AtImmigration {
			a["place"] = base["immigration"]
		}
		return pr.T("sms.closed", a), ""
	case goByToday:
		a["when"] = pr.T("sms.when.today", nil)
	case goByEarly:
		if day != dayNever {
			a["when"] = pr.T("sms.when.by", args{"goby": pr.SMSDay(n.goBy)})
		}
	case goByDay:
		// The day to go by is the card's date (or the end of the
		// certificate's insurance use): a catalog may leave it to that.
		if s := pr.T("sms.when.deadline", args{"goby": pr.SMSDay(n.goBy)}); s != noText && day == dayAlways {
			a["when"] = s
		}
	}
	key := smsActionKey(n, p.permanent(), withMyNumber(n, ns))
	if key == "sms.do.gap" {
		bring = pr.T("sms.bring.gap", a)
	}
	return pr.T(key, a), bring
}

// smsActionKey is the catalog key of what to do, in a few words.
func smsActionKey(n notice, permanent, withMyNumber bool) string {
	expired := n.left < 0
	switch {
	case n.Stage == kigen.SpecialPeriod:
		return "sms.do.special"
	case n.Kind.IsResidence() && expired && permanent:
		return "sms.do.residence_expired_permanent"
	case n.Kind.IsResidence() && expired:
		return "sms.do.residence_expired"
	case n.Kind.IsResidence() && permanent:
		return "sms.do.residence_permanent"
	case withMyNumber:
		return "sms.do.residence_then_mynumber"
	case n.Kind.IsResidence():
		return "sms.do.residence"
	case n.Kind == kigen.MyNumberCert && expired:
		return "sms.do.cert_expired"
	case n.Kind == kigen.MyNumberCert:
		return "sms.do.cert"
	case expired:
		return "sms.do.mynumber_expired"
	case n.ctx == gap:
		return "sms.do.gap"
	case n.ctx == pending:
		return "sms.do.pending"
	case permanent:
		return "sms.do.mynumber_permanent"
	}
	return "sms.do.mynumber"
}

// tidy removes the spaces an empty part leaves behind, and the space after
// a full stop in languages that write none (。, 。 → 。).
func tidy(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	for _, p := range []string{".", ",", ":", ";", "。"} {
		s = strings.ReplaceAll(s, " "+p, p)
	}
	// An abbreviation ending a sentence (mar., 2027. 3. 8.) keeps one
	// full stop.
	s = strings.ReplaceAll(s, "..", ".")
	for _, p := range []string{"。", "、", "：", "）", "】"} {
		s = strings.ReplaceAll(s, p+" ", p)
	}
	return strings.TrimSpace(s)
}
