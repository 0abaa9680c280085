package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/localgov"
	"kigen/store"
)

// Municipality is a municipality as the desk shows it: its code, names and
// the contact block messages show residents.
type Municipality struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	NameKana     string `json:"name_kana"`
	NameLatin    string `json:"name_latin"`
	ContactPhone string `json:"contact_phone"`
	ContactEmail string `json:"contact_email"`
	ContactURL   string `json:"contact_url"`
	// Kind is 市, 区, 町 or 村; the names in Hangul, Thai and Devanagari
	// are without it, as NameLatin is (docs/domain.md §13).
	Kind           string `json:"kind"`
	LatinDisplay   string `json:"latin_display"` // Otaru City: the Latin name and the kind in English`
	NameHangul     string `json:"name_hangul,omitempty"`
	NameThai       string `json:"name_thai,omitempty"`
	NameDevanagari string `json:"name_devanagari,omitempty"`
	// Office is the office staff set (empty: the municipality's own);
	// OfficeJA the Japanese name messages give either way (小樽市役所).
	Office   string `json:"office,omitempty"`
	OfficeJA string `json:"office_ja"`
	// ClosedDays and OpenDays are the office's own calendar (§12): extra
	// closed days, and weekend or holiday opening days (休日開庁), which
	// never count for a My Number card's validity change.
	ClosedDays []kigen.Date `json:"closed_days,omitempty"`
	OpenDays   []kigen.Date `json:"open_days,omitempty"`
	// Warnings, after an addition or a change, are what was accepted but
	// should be fixed: no contact block, no reading.
	Warnings []string `json:"warnings,omitempty"`
}

func municipalityOf(mu *kigen.Municipality) *Municipality {
	return &Municipality{Code: mu.Code, Name: mu.Name, NameKana: mu.NameKana, NameLatin: mu.NameLatin,
		ContactPhone: mu.ContactPhone, ContactEmail: mu.ContactEmail, ContactURL: mu.ContactURL,
		Kind: string(mu.KindOrGuess()), LatinDisplay: mu.LatinDisplay(), NameHangul: mu.NameHangul, NameThai: mu.NameThai, NameDevanagari: mu.NameDevanagari,
		Office: mu.Office, OfficeJA: mu.OfficeJA(), ClosedDays: mu.Calendar.Closed, OpenDays: mu.Calendar.WeekendOpen}
}

// withWarnings returns mu as the desk shows it, with what an addition or a
// change should have filled in: a contact block (or messages tell
// residents to contact the municipality and give no way to), a reading.
func (d *Desk) withWarnings(mu *kigen.Municipality) *Municipality {
	out := municipalityOf(mu)
	if mu.ContactPhone == "" && mu.ContactEmail == "" && mu.ContactURL == "" {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the contact block is empty: messages will tell residents to contact %s "+
			"and give no phone number, email address or web page; add at least one", mu.Name))
	}
	if mu.NameKana == "" {
		w := "the name has no reading (name_kana)"
		if e, ok := d.localGov().Get(mu.Code); ok {
			w += fmt.Sprintf("; the list of local governments reads %s as %s", e.Name, e.Kana)
		}
		out.Warnings = append(out.Warnings, w)
	}
	if mu.NameLatin == "" {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the name has no Latin form (name_latin): messages in English, Spanish, "+
			"Portuguese, Indonesian, Vietnamese and Tagalog will name %s in Japanese", mu.Name))
	}
	return out
}

// localGov returns the list of local governments municipality codes are
// checked against.
func (d *Desk) localGov() *localgov.List {
	if d.LocalGov == nil {
		return localgov.Default()
	}
	return d.LocalGov
}

// MunicipalityParams are the fields of a municipality to create, or to
// change: a nil field is left as it is. On creation the name, its reading,
// its kind and the Latin name default to the list of local governments'
// (Desk.LocalGov); an empty NameLatin has messages use the Japanese name.
type MunicipalityParams struct {
	// Code is the 6-digit local government code, check digit included
	// (012033 = 小樽市). On an update it names the municipality (an admin's
	// own: may be empty).
	Code         string  `json:"code"`
	Name         *string `json:"name,omitempty"`      // the Japanese name, e.g. 小樽市; required
	NameKana     *string `json:"name_kana,omitempty"` // its reading in hiragana, e.g. おたるし
	NameLatin    *string `json:"name_latin,omitempty"`
	ContactPhone *string `json:"contact_phone,omitempty"`
	ContactEmail *string `json:"contact_email,omitempty"`
	ContactURL   *string `json:"contact_url,omitempty"` // http(s)
	// Kind is 市, 区, 町 or 村 (or city, ward, town, village); empty: the
	// one the Japanese name ends in.
	Kind *string `json:"kind,omitempty"`
	// The name WITHOUT its kind in Hangul (오타루), Thai (โอตารุ) and
	// Devanagari (ओतारु), for Korean, Thai and Nepali messages; empty:
	// Korean uses the Japanese name, Thai and Nepali the Latin one.
	NameHangul     *string `json:"name_hangul,omitempty"`
	NameThai       *string `json:"name_thai,omitempty"`
	NameDevanagari *string `json:"name_devanagari,omitempty"`
	// Office is the Japanese name of the office residents go to, when it
	// is not the municipality's own (小樽市役所 本庁舎 2階); empty: its own.
	Office *string `json:"office,omitempty"`
	// ClosedDays replace the office's extra closed days, OpenDays its
	// weekend or holiday opening days (休日開庁); each a date in any form
	// Kigen reads (kigen.ParseDate). An empty list clears them.
	ClosedDays *[]string `json:"closed_days,omitempty"`
	OpenDays   *[]string `json:"open_days,omitempty"`
}

// apply copies the fields p gives onto mu and validates the result,
// reporting every bad field. Every field goes into messages: none may hold
// a My Number, a line break or an invisible formatting character
// (kigen.CheckText), and one that does is not echoed.
func (p MunicipalityParams) apply(mu *kigen.Municipality) (notes []string, err error) {
	var errs []error
	bad := map[string]bool{}
	for _, f := range []struct {
		field string
		from  *string
		to    *string
	}{{"name", p.Name, &mu.Name}, {"name_kana", p.NameKana, &mu.NameKana}, {"name_latin", p.NameLatin, &mu.NameLatin}, {"contact_phone", p.ContactPhone, &mu.ContactPhone},
		{"contact_email", p.ContactEmail, &mu.ContactEmail}, {"contact_url", p.ContactURL, &mu.ContactURL},
		{"name_hangul", p.NameHangul, &mu.NameHangul}, {"name_thai", p.NameThai, &mu.NameThai},
		{"name_devanagari", p.NameDevanagari, &mu.NameDevanagari}, {"office", p.Office, &mu.Office}} {
		if f.from == nil {
			continue
		}
		*f.to = strings.TrimSpace(*f.from)
		// A phone number in international form may have 12 digits, as a
		// mobile in E.164 has (docs/domain.md §11.11).
		intl := f.field == "contact_phone" && strings.HasPrefix(*f.to, "+") && validPhoneText(*f.to)
		if err := kigen.CheckText(*f.to); err != nil && !intl {
			errs, bad[f.field] = append(errs, kigen.WithField(err, f.field)), true
		}
	}
	errs = append(errs, p.applyNames(mu, bad, &notes)...)
	errs = append(errs, p.applyCalendar(mu)...)
	if mu.Name == "" {
		errs = append(errs, kigen.FieldKeyf("name", "municipality.name_missing", "the Japanese name is required (e.g. 小樽市)"))
	}
	if k := mu.NameKana; !bad["name_kana"] && strings.TrimFunc(k, isKana) != "" {
		errs = append(errs, kigen.FieldKeyf("name_kana", "municipality.kana", "%s is not a reading in hiragana (e.g. おたるし)", strconv.Quote(k)))
	}
	if ph := mu.ContactPhone; ph != "" && !bad["contact_phone"] && !validPhoneText(ph) {
		errs = append(errs, kigen.FieldKeyf("contact_phone", "municipality.phone", "%s is not a phone number (digits, hyphens, parentheses)", strconv.Quote(ph)))
	}
	if e := mu.ContactEmail; e != "" && !bad["contact_email"] {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, kigen.FieldKeyf("contact_email", "municipality.email", "%s is not an email address", strconv.Quote(e)))
		}
	}
	if u := mu.ContactURL; u != "" && !bad["contact_url"] {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
			errs = append(errs, kigen.FieldKeyf("contact_url", "municipality.url", "%s is not an http(s) address", strconv.Quote(u)))
		}
	}
	return notes, errors.Join(errs...)
}

// isKana reports whether r may be part of a reading: hiragana, the long
// vowel mark, a space (between a designated city and its ward).
func isKana(r rune) bool {
	return (r >= 'ぁ' && r <= 'ゖ') || r == 'ー' || r == ' '
}

// validPhoneText reports whether p reads as a phone number written for
// people: 6 to 15 digits, with +, hyphens, parentheses and spaces.
func validPhoneText(p string) bool {
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-() ", r):
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15
}

// CreateMunicipality adds a municipality (operators). Its code must be a
// city's, town's, village's or ward's in the list of local governments
// (Desk.LocalGov), whose name, reading and Latin name are the defaults.
// Invalid: a code that is not (field "code", alone: localgov.List.Lookup
// says why, and which code may be meant) or bad fields; conflict: the code
// is taken. An empty contact block is accepted with a warning.
func (d *Desk) CreateMunicipality(ctx context.Context, a auth.Actor, p MunicipalityParams) (*Municipality, error) {
	if err := auth.Authorize(a, auth.MunicipalityCreate, 0); err != nil {
		return nil, err
	}
	lg, err := d.localGov().Lookup(p.Code)
	if err != nil {
		return nil, err
	}
	mu := &kigen.Municipality{Code: lg.Code, Name: lg.Name, NameKana: lg.Kana, Kind: kigen.MunicipalityKind(lg.Kind), NameLatin: lg.LatinBase}
	notes, err := p.apply(mu)
	if err != nil {
		return nil, err
	}
	err = d.do(ctx, a, auth.MunicipalityCreate, func(tx store.Tx, e *store.AuditEntry) error {
		if err := tx.CreateMunicipality(ctx, mu); errors.Is(err, store.ErrConflict) {
			return kigen.Errorf(kigen.ECONFLICT, "municipality %s already exists", mu.Code)
		} else if err != nil {
			return err
		}
		e.MunicipalityID, e.Detail = mu.ID, mu.Code
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := d.withWarnings(mu)
	out.Warnings = append(notes, out.Warnings...)
	return out, nil
}

// UpdateMunicipality changes the fields p gives of a municipality (its
// admin). Not found: no such municipality, or another one than the
// admin's. An empty contact block is accepted with a warning.
func (d *Desk) UpdateMunicipality(ctx context.Context, a auth.Actor, p MunicipalityParams) (*Municipality, error) {
	var (
		mu    *kigen.Municipality
		notes []string
	)
	err := d.do(ctx, a, auth.MunicipalityUpdate, func(tx store.Tx, e *store.AuditEntry) error {
		var err error
		if mu, err = scope(ctx, tx, a, auth.MunicipalityUpdate, p.Code, ""); err != nil {
			return err
		}
		if notes, err = p.apply(mu); err != nil {
			return err
		}
		e.MunicipalityID = mu.ID
		return tx.UpdateMunicipality(ctx, mu)
	})
	if err != nil {
		return nil, err
	}
	d.self().Municipalities.Forget(mu.ID)
	out := d.withWarnings(mu)
	out.Warnings = append(notes, out.Warnings...)
	return out, nil
}

// ListMunicipalities returns every municipality, ordered by code
// (operators).
func (d *Desk) ListMunicipalities(ctx context.Context, a auth.Actor) ([]*Municipality, error) {
	if err := auth.Authorize(a, auth.MunicipalityList, 0); err != nil {
		return nil, err
	}
	var out []*Municipality
	err := d.do(ctx, a, auth.MunicipalityList, func(tx store.Tx, e *store.AuditEntry) error {
		ms, err := tx.ListMunicipalities(ctx)
		for _, mu := range ms {
			out = append(out, municipalityOf(mu))
		}
		return err
	})
	return out, err
}

// ShowMunicipality returns a municipality's settings: its names, office,
// contact block and calendar (its staff and admin, with code empty or
// theirs; an operator, with any code). Not found: no such municipality, or
// another one than the actor's. The look is audited (municipality.view).
func (d *Desk) ShowMunicipality(ctx context.Context, a auth.Actor, code string) (*Municipality, error) {
	var out *Municipality
	err := d.do(ctx, a, auth.MunicipalityView, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.MunicipalityView, code, "")
		if err != nil {
			return err
		}
		e.MunicipalityID, e.Detail = mu.ID, mu.Code
		out = municipalityOf(mu)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
