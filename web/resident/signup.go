package resident

import (
	"net/url"
	"strings"

	"kigen"
	"kigen/roster"
	"kigen/web/ui"
)

// The steps of the sign-up, in order; each is one short page.
const (
	stepCards   = "cards"
	stepDates   = "dates"
	stepStatus  = "status"
	stepContact = "contact"
	stepConsent = "consent"
)

// The answers of the first step: which cards the resident holds.
const (
	cardsTwo        = "two"            // residence card + My Number card
	cardsIntegrated = "integrated"     // the integrated card
	cardsSpecial    = "special"        // a special permanent resident: My Number card only
	cardsResidence  = "residence_only" // a residence card, no My Number card
)

var cardChoices = []string{cardsTwo, cardsIntegrated, cardsSpecial, cardsResidence}

// draft is the sign-up so far. The pages carry it from step to step in
// hidden fields (no server-side state before the resident confirms):
// every step re-reads and re-checks all of it, so a field changed by hand
// is caught like a typed one, and the service checks it all again.
type draft struct {
	Cards   string
	Cert    bool
	Dates   map[kigen.CardKind]ui.DateValue
	Status  kigen.Status // fixed_period or permanent; special_permanent follows from Cards
	Channel kigen.Channel
	Address string
	Name    string
	Consent bool
}

// fieldError is an error of one field: id is the input the summary links
// to, key and args its text in the catalog.
type fieldError struct {
	ID   string
	Key  string
	Args []string
}

// readDraft reads the draft of a form and checks it for the individual
// number: a field that holds one is emptied (so that it is never shown
// again, not even in a hidden field) and reported with its id.
func readDraft(f url.Values) (draft, []fieldError) {
	d := draft{
		Cards:   f.Get("cards"),
		Cert:    f.Get("cert") == "yes",
		Dates:   map[kigen.CardKind]ui.DateValue{},
		Status:  kigen.Status(f.Get("status")),
		Channel: kigen.Channel(f.Get("channel")),
		Address: strings.TrimSpace(f.Get("address")),
		Name:    strings.TrimSpace(f.Get("name")),
		Consent: f.Get("consent") == "yes",
	}
	var errs []fieldError
	for _, k := range kigen.CardKinds {
		v := ui.DateValueOf(f, string(k))
		if kigen.ContainsMyNumber(v.Year+" "+v.Month+" "+v.Day) ||
			kigen.ContainsMyNumber(v.Year) || kigen.ContainsMyNumber(v.Month) || kigen.ContainsMyNumber(v.Day) {
			v = ui.DateValue{}
			errs = append(errs, fieldError{ID: string(k) + "-year", Key: "form.mynumber", Args: []string{"field", "dates." + string(k)}})
		}
		if !v.Empty() {
			d.Dates[k] = v
		}
	}
	if kigen.ContainsMyNumber(d.Name) {
		d.Name = ""
		errs = append(errs, fieldError{ID: "name", Key: "form.mynumber", Args: []string{"field", "contact.name"}})
	}
	// A mobile number in E.164 (+8190…) holds 12 digits: only a number
	// typed without its country code is taken for the individual number.
	if !strings.HasPrefix(d.Address, "+") && kigen.ContainsMyNumber(d.Address) {
		d.Address = ""
		errs = append(errs, fieldError{ID: "address", Key: "form.mynumber", Args: []string{"field", "contact.address.label"}})
	}
	return d, errs
}

// kinds returns the card kinds whose dates the draft asks for, in order.
func (d draft) kinds() []kigen.CardKind {
	var ks []kigen.CardKind
	switch d.Cards {
	case cardsTwo:
		ks = []kigen.CardKind{kigen.ResidenceCard, kigen.MyNumberCard}
	case cardsIntegrated:
		ks = []kigen.CardKind{kigen.IntegratedCard}
	case cardsSpecial:
		ks = []kigen.CardKind{kigen.MyNumberCard}
	case cardsResidence:
		ks = []kigen.CardKind{kigen.ResidenceCard}
	}
	if d.Cert && d.Cards != cardsResidence && d.Cards != "" {
		ks = append(ks, kigen.MyNumberCert)
	}
	return ks
}

// status returns the status of residence the draft says.
func (d draft) status() kigen.Status {
	if d.Cards == cardsSpecial {
		return kigen.SpecialPermanent
	}
	return d.Status
}

// steps returns the steps of this draft: a special permanent resident is
// not asked for a status.
func (d draft) steps() []string {
	if d.Cards == cardsSpecial {
		return []string{stepCards, stepDates, stepContact, stepConsent}
	}
	return []string{stepCards, stepDates, stepStatus, stepContact, stepConsent}
}

// next and prev return the step after and before s ("" past either end).
func (d draft) next(s string) string { return d.offset(s, 1) }
func (d draft) prev(s string) string { return d.offset(s, -1) }

func (d draft) offset(s string, by int) string {
	st := d.steps()
	for i, x := range st {
		if x == s {
			if j := i + by; j >= 0 && j < len(st) {
				return st[j]
			}
			return ""
		}
	}
	if by < 0 {
		return stepCards
	}
	return ""
}

// number returns the place of step s among the draft's steps, from 1.
func (d draft) number(s string) int {
	for i, x := range d.steps() {
		if x == s {
			return i + 1
		}
	}
	return 1
}

// check returns the errors of step s's answers, the catalog keys of
// their texts, with today for the plausibility of the dates.
func (d draft) check(s string, today kigen.Date) []fieldError {
	var errs []fieldError
	switch s {
	case stepCards:
		if !contains(cardChoices, d.Cards) {
			errs = append(errs, fieldError{ID: "cards-" + cardsTwo, Key: "cards.error"})
		}
	case stepDates:
		for _, k := range d.kinds() {
			id, label := string(k)+"-year", "dates."+string(k)
			v, ok := d.Dates[k]
			if !ok {
				if k != kigen.MyNumberCert {
					errs = append(errs, fieldError{ID: id, Key: "dates.error.required", Args: []string{"field", label}})
				}
				continue
			}
			date, key := v.Parse()
			if key != "" {
				errs = append(errs, fieldError{ID: id, Key: key, Args: []string{"field", label}})
				continue
			}
			if _, err := kigen.CheckExpiry(k, date, today); err != nil {
				errs = append(errs, fieldError{ID: id, Key: "form.date.implausible", Args: []string{"field", label}})
			}
		}
	case stepStatus:
		if d.Cards != cardsSpecial && d.Status != kigen.FixedPeriod && d.Status != kigen.Permanent {
			errs = append(errs, fieldError{ID: "status-" + string(kigen.FixedPeriod), Key: "status.error"})
		}
	case stepContact:
		switch d.Channel {
		case kigen.Email:
			if a, err := roster.ParseEmail(d.Address); err != nil || a == "" {
				errs = append(errs, fieldError{ID: "address", Key: "contact.email.invalid", Args: []string{"field", "contact.address.email"}})
			}
		case kigen.SMS:
			if p, err := roster.ParsePhone(d.Address, "JP"); err != nil || !p.Mobile || !strings.HasPrefix(p.E164, "+81") {
				errs = append(errs, fieldError{ID: "address", Key: "contact.phone.invalid", Args: []string{"field", "contact.address.sms"}})
			}
		default:
			errs = append(errs, fieldError{ID: "channel-email", Key: "contact.channel.error"})
		}
	case stepConsent:
		if !d.Consent {
			errs = append(errs, fieldError{ID: "consent", Key: "consent.error"})
		}
	}
	return errs
}

// firstInvalid returns the first step up to and including s whose answers
// fail their check, with its errors; "" when all pass. A draft changed by
// hand (a hidden field) is sent back to the step that asks for it.
func (d draft) firstInvalid(s string, today kigen.Date) (string, []fieldError) {
	for _, x := range d.steps() {
		if errs := d.check(x, today); len(errs) > 0 {
			return x, errs
		}
		if x == s {
			break
		}
	}
	return "", nil
}

// hidden returns the draft's answers as hidden fields, except those the
// step s asks for (its own inputs carry them).
func (d draft) hidden(s string) []hiddenField {
	var h []hiddenField
	add := func(step, name, value string) {
		if step != s && value != "" {
			h = append(h, hiddenField{name, value})
		}
	}
	add(stepCards, "cards", d.Cards)
	if d.Cert {
		add(stepCards, "cert", "yes")
	}
	for _, k := range kigen.CardKinds {
		v := d.Dates[k]
		add(stepDates, string(k)+"-year", v.Year)
		add(stepDates, string(k)+"-month", v.Month)
		add(stepDates, string(k)+"-day", v.Day)
	}
	add(stepStatus, "status", string(d.Status))
	add(stepContact, "channel", string(d.Channel))
	add(stepContact, "address", d.Address)
	add(stepContact, "name", d.Name)
	if d.Consent {
		add(stepConsent, "consent", "yes")
	}
	return h
}

// hiddenField is one answer carried in the form.
type hiddenField struct{ Name, Value string }

// dateTexts returns the draft's dates as kigen.ParseDate reads them, by
// card kind, for the service.
func (d draft) dateTexts() map[kigen.CardKind]string {
	m := map[kigen.CardKind]string{}
	for _, k := range d.kinds() {
		if v, ok := d.Dates[k]; ok {
			m[k] = v.Text()
		}
	}
	return m
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
