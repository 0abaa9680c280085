package templates

import (
	"fmt"
	"strings"

	"kigen"
)

// SMS renders the SMS of p: the essentials only (docs/domain.md §11.16) — the
// most urgent card, its date, the action in a few words, how many more
// notices the full message holds, and the link to it (p.MessageURL).
// Latin-script languages name the municipality by its Latin name and are
// written to stay within GSM-7 (Vietnamese without diacritics, as
// Vietnamese banks and carriers write SMS); the others use its Japanese name.
//
// The text fits MaxSMSSegments for every notice with the municipality names
// and URLs of the package's tests. Should a longer name or URL push it over,
// SMS drops first the count of further notices, then the action, and returns
// the shortest text even if it is still over: a reminder that costs one more
// segment is better than none.
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

// smsCandidates returns the SMS in full, then without the count of further
// notices, then without the action too.
func (r *Renderer) smsCandidates(p Params) ([]string, error) {
	if p.MessageURL == "" {
		return nil, fmt.Errorf("templates: SMS without a message URL")
	}
	ns, err := notices(p)
	if err != nil {
		return nil, err
	}
	pr := &printer{cat: r.cats[p.Lang]}
	n := ns[0]
	a := noticeArgs(pr, args{}, n, pr.MediumDate)
	a["card"] = pr.T("sms.card."+string(n.Kind), nil)
	a["muni"] = smsMuniName(p.Lang, p.Municipality)
	a["office_ja"] = officeJA(p.Municipality.Name)
	a["office_kind"] = pr.T("office."+officeKind(p.Municipality.Name), nil)
	a["url"] = p.MessageURL
	var status string
	switch {
	case n.Stage == kigen.SpecialPeriod:
		status = pr.T("sms.special", a)
	case n.left < 0:
		status = pr.T("sms.expired", a)
	case n.left == 0:
		status = pr.T("sms.today", a)
	default:
		status = pr.T("sms.before", a)
	}
	action := pr.T(smsAction(n), a)
	more := ""
	if len(ns) > 1 {
		more = pr.T("sms.more", args{"n": fmt.Sprint(len(ns) - 1)})
	}
	var cands []string
	for _, c := range [][2]string{{action, more}, {action, ""}, {"", ""}} {
		cands = append(cands, tidy(pr.T("sms.message", args{"muni": a["muni"], "status": status, "action": c[0], "more": c[1], "url": p.MessageURL})))
	}
	if pr.err != nil {
		return nil, pr.err
	}
	return cands, nil
}

// smsAction is the catalog key of what to do, in a few words.
func smsAction(n notice) string {
	expired := n.left < 0
	switch {
	case n.Stage == kigen.SpecialPeriod:
		return "sms.do.special"
	case n.Kind.IsResidence() && expired:
		return "sms.do.residence_expired"
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
	}
	return "sms.do.mynumber"
}

// tidy removes the spaces an empty part leaves behind.
func tidy(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return strings.TrimSpace(s)
}

// smsMuniName is how an SMS names the municipality: by its Latin name in
// Latin-script languages, folded to GSM-7 (Ōtsu → Otsu) so that one macron
// does not turn the message into UCS-2; by its Japanese name otherwise.
func smsMuniName(l kigen.Language, m kigen.Municipality) string {
	if latinScript(l) && m.NameLatin != "" || m.Name == "" {
		return gsmFold(m.NameLatin)
	}
	return m.Name
}

// gsmFolds maps the Latin letters romanised Japanese uses that GSM-7 lacks
// to their plain letters.
var gsmFolds = strings.NewReplacer(
	"Ā", "A", "Ē", "E", "Ī", "I", "Ō", "O", "Ū", "U",
	"ā", "a", "ē", "e", "ī", "i", "ō", "o", "ū", "u",
	"Â", "A", "Ê", "E", "Î", "I", "Ô", "O", "Û", "U",
	"â", "a", "ê", "e", "î", "i", "ô", "o", "û", "u",
	"’", "'", "‘", "'", "–", "-", "—", "-",
)

func gsmFold(s string) string { return gsmFolds.Replace(s) }
