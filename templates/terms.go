package templates

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"kigen"
)

// terms are each language's glossary (docs/domain.md §14.8): the words a
// resident shows or hears at a counter, from the catalog's term.* keys.
// A term may carry a gloss in brackets — a short form the SMS uses, an
// alias residents know ("zairyu card"), a reading in Easy Japanese — as in
// "cartão de residência (zairyu card)". An email writes a term in full at
// its first use (with the gloss and the Japanese term in brackets), by its
// name after that, and in full on every "Where" line.
var terms = []string{"residence_card", "integrated_card", "mynumber_card", "cert", "immigration",
	"office", "pin", "pending_stamp", "qualification_cert", "validity_change", "extension", "insurance"}

// cardTerm is the term that names a card kind.
func cardTerm(k kigen.CardKind) string {
	if k == kigen.MyNumberCert {
		return "cert"
	}
	return string(k)
}

// splitTerm splits a term into its name and its gloss in brackets ("" if
// none): "Name (Gloss)", "Name(Gloss)" or "Name（Gloss）".
func splitTerm(s string) (name, gloss string) {
	for _, br := range [][2]string{{" (", ")"}, {"（", "）"}, {"(", ")"}} {
		if !strings.HasSuffix(s, br[1]) {
			continue
		}
		if i := strings.LastIndex(s, br[0]); i > 0 {
			return s[:i], s[i+len(br[0]) : len(s)-len(br[1])]
		}
	}
	return s, ""
}

// firstUse writes a term at its first use: its name, then in brackets its
// gloss and the Japanese term, each unless the name already holds it
// (Japanese needs no Japanese; Chinese 地方出入国在留管理局 holds it).
func (p *printer) firstUse(name, gloss, ja string) string {
	hasGloss := gloss != "" && !strings.Contains(name, gloss)
	hasJa := ja != "" && !strings.Contains(name, ja)
	switch {
	case hasGloss && hasJa:
		return p.T("term.pair_short", args{"term": name, "short": gloss, "ja": ja})
	case hasGloss:
		return p.T("term.pair", args{"term": name, "ja": gloss})
	case hasJa:
		return p.T("term.pair", args{"term": name, "ja": ja})
	}
	return name
}

// glossary is how one email writes each term: in full (first) or by its
// name.
type glossary map[string]struct{ name, first string }

// The marks texts leave where a term goes; resolve replaces them once the
// whole email is built, so that "first use" follows the reading order.
const (
	markOpen  = "\uE000"
	markClose = "\uE001"
)

func mark(term string) string { return markOpen + term + markClose }

// glossary returns the terms of p's language with m's office, and the
// marks texts are given in their place.
func (r *Renderer) glossary(p *printer, base args) (glossary, args) {
	jp := &printer{cat: r.cats[kigen.Japanese]}
	g := glossary{}
	marks := args{}
	for _, t := range terms {
		name, gloss := splitTerm(p.T("term."+t, base))
		ja, _ := splitTerm(jp.T("term."+t, base))
		g[t] = struct{ name, first string }{name, p.firstUse(name, gloss, ja)}
		marks[t] = mark(t)
	}
	if jp.err != nil {
		p.fail(jp.err)
	}
	return g, marks
}

// resolve writes the marks of s: in full where always is set or the term
// is not yet in seen, else by its name.
func (g glossary) resolve(s string, seen map[string]bool, always bool) string {
	if !strings.Contains(s, markOpen) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, markOpen)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], markClose) + i
		t := s[i+len(markOpen) : j]
		b.WriteString(s[:i])
		if always || !seen[t] {
			b.WriteString(g[t].first)
		} else {
			b.WriteString(g[t].name)
		}
		seen[t] = true
		s = s[j+len(markClose):]
	}
}

// smsTerm is how an SMS writes a term: its name, without the gloss.
func smsTerm(s string) string {
	name, _ := splitTerm(s)
	return name
}

// gsmLanguage reports whether l's SMS are written in the GSM-7 alphabet
// (docs/domain.md §8): the Latin-script languages, Vietnamese without its
// diacritics.
func gsmLanguage(l kigen.Language) bool { return latinScript(l) }

// asciiFold writes s without any diacritic (Thẻ lưu trú → The luu tru).
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range gsmFold(s) {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		for _, d := range norm.NFD.String(string(r)) {
			if !unicode.Is(unicode.Mn, d) {
				b.WriteRune(d)
			}
		}
	}
	return b.String()
}

// gsmFold writes s in the GSM-7 alphabet: a letter GSM-7 lacks loses its
// accents (Ō → O, ç → c, ã → a, ệ → e), curly quotes and dashes become
// straight ones. GSM-7 letters (é, ñ, ü, à …) stay.
func gsmFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case strings.ContainsRune(gsmBasic, r) || strings.ContainsRune(gsmExtension, r):
			b.WriteRune(r)
		case r == '’' || r == '‘':
			b.WriteByte('\'')
		case r == '“' || r == '”' || r == '«' || r == '»':
			b.WriteByte('"')
		case r == '–' || r == '—':
			b.WriteByte('-')
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		default:
			for _, d := range norm.NFD.String(string(r)) {
				if !unicode.Is(unicode.Mn, d) {
					b.WriteRune(d)
				}
			}
		}
	}
	return b.String()
}
