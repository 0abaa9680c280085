package desk

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"kigen"
	"kigen/auth"
	"kigen/roster"
	"kigen/roster/importer"
	"kigen/store"
)

// ResidentFields are a resident's fields as typed at the counter or sent
// as JSON, each the text of the import's column of the same name (docs/cli.md,
// resident lists) and read by the same rules: dates in any form an import
// takes (2027-03-31, 令和9年3月31日, R9.3.31 …), consent yes/no (はい/いいえ …).
// A nil field is not given: a change leaves the stored value alone. An
// empty one clears the value (a card is removed, a contact dropped).
type ResidentFields struct {
	Name           *string `json:"name,omitempty"`
	Language       *string `json:"language,omitempty"`
	Email          *string `json:"email,omitempty"`
	Phone          *string `json:"phone,omitempty"`
	Status         *string `json:"residence_status,omitempty"`
	ResidenceCard  *string `json:"residence_card_expires_on,omitempty"`
	MyNumberCard   *string `json:"mynumber_card_expires_on,omitempty"`
	MyNumberCert   *string `json:"mynumber_cert_expires_on,omitempty"`
	IntegratedCard *string `json:"integrated_card_expires_on,omitempty"`
	Consent        *string `json:"consent,omitempty"`
	Channel        *string `json:"channel,omitempty"`
}

// columns returns the fields given, by the import's column.
func (f ResidentFields) columns() map[roster.Column]string {
	out := map[roster.Column]string{}
	for _, x := range []struct {
		col roster.Column
		v   *string
	}{
		{roster.ColName, f.Name}, {roster.ColLanguage, f.Language}, {roster.ColEmail, f.Email}, {roster.ColPhone, f.Phone},
		{roster.ColStatus, f.Status}, {roster.ColResidenceCard, f.ResidenceCard}, {roster.ColMyNumberCard, f.MyNumberCard},
		{roster.ColMyNumberCert, f.MyNumberCert}, {roster.ColIntegratedCard, f.IntegratedCard}, {roster.ColConsent, f.Consent},
		{roster.ColChannel, f.Channel},
	} {
		if x.v != nil {
			out[x.col] = *x.v
		}
	}
	return out
}

// FieldProblem is a problem of one field of a resident: Field names it as
// ResidentFields' JSON does (the import's column; "resident_ref" for the
// reference), Reason says why, in the import's words. Key and Args are
// the reason's catalog key and arguments (kigen.Error's), for a surface
// that speaks other languages; Key is empty when there is none.
type FieldProblem struct {
	Field  string   `json:"field"`
	Reason string   `json:"reason"`
	Key    string   `json:"-"`
	Args   []string `json:"-"`
}

// FieldsError refuses a resident registered or changed: every problem of
// its fields at once, for a form to show next to each field (and
// summarise at the top). Nothing was written. Its code (kigen.ErrorCode)
// is invalid.
type FieldsError struct {
	Problems []FieldProblem `json:"errors"`
}

// Error reads "field: reason; field: reason".
func (e *FieldsError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Reason
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes the refusal an invalid *kigen.Error.
func (e *FieldsError) Unwrap() error { return kigen.Errorf(kigen.EINVALID, "%s", e.Error()) }

// problems returns the problems of errs, each named by its field.
func problems(errs []error) []FieldProblem {
	out := make([]FieldProblem, 0, len(errs))
	for _, err := range errs {
		p := FieldProblem{Reason: err.Error()}
		var ke *kigen.Error
		if errors.As(err, &ke) {
			p.Field, p.Reason, p.Key, p.Args = ke.Field, ke.Message, ke.Key, ke.Args
		}
		out = append(out, p)
	}
	return out
}

// RegisterParams register a new resident at the counter: the reference
// and the fields (a nil field is blank).
type RegisterParams struct {
	Municipality string `json:"municipality,omitempty"`
	Ref          string `json:"resident_ref"`
	ResidentFields
}

// UpdateParams change a resident's fields: those given (not nil), an
// empty one clearing the value. IfMatch is the Version of the resident the
// change was made on (the API's If-Match): if the resident changed since,
// the change is refused (conflict). Empty, the change is made whatever the
// version (the command line's).
type UpdateParams struct {
	ResidentParams
	IfMatch string `json:"if_match,omitempty"`
	ResidentFields
}

// EditResult is a resident as a registration or change left them, with
// the new Version, and the warnings of the fields accepted (an expiry
// already past, a certificate later than its card …).
type EditResult struct {
	Resident *ResidentView  `json:"resident"`
	Warnings []FieldProblem `json:"warnings"`
}

// PreviewParams check a resident's fields without saving them: a new
// resident (Ref unknown, or empty), or a change to the resident Ref names.
type PreviewParams struct {
	Municipality string `json:"municipality,omitempty"`
	Ref          string `json:"resident_ref,omitempty"`
	ResidentFields
}

// PreviewResult is what saving the fields would give: nothing is saved.
// Timeline holds every reminder Kigen would send from today and when,
// each with the date it names to go by; none when the resident could not
// be reached (ReachedBy empty). A stale card is numbered by its kind's
// place in kigen.CardKinds, from 1.
type PreviewResult struct {
	Ref       string          `json:"resident_ref"`
	New       bool            `json:"new"`
	ReachedBy []kigen.Channel `json:"reached_by"`
	GapOpen   bool            `json:"gap_open"`
	Timeline  *TimelineView   `json:"timeline"`
	Warnings  []FieldProblem  `json:"warnings"`
}

// Version returns the version of a resident as stored: an opaque text that
// changes with every change of the resident's fields, contacts (opt-outs
// and failed addresses too) or cards, and not with the notices the tick
// sends.
func Version(h *store.Holding) string {
	r := h.Resident
	s := sha256.New()
	fmt.Fprintf(s, "%q %q %q %q %q\n", r.Ref, r.Name, r.Language, r.Status, r.Channel)
	for _, c := range sortedContacts(h.Contacts) {
		fmt.Fprintf(s, "c %s %q %t %t %t\n", c.Channel, c.Address, c.Consent, c.OptedOut, c.Failed)
	}
	for _, c := range sortedCards(h.Cards) {
		fmt.Fprintf(s, "k %s %s %s\n", c.Kind, c.ExpiresOn, c.RenewalAppliedOn)
	}
	return base64.RawURLEncoding.EncodeToString(s.Sum(nil)[:12])
}

func sortedContacts(cs []*kigen.Contact) []*kigen.Contact {
	return slices.SortedFunc(slices.Values(cs), func(a, b *kigen.Contact) int { return strings.Compare(string(a.Channel), string(b.Channel)) })
}

func sortedCards(cs []*kigen.Card) []*kigen.Card {
	return slices.SortedFunc(slices.Values(cs), func(a, b *kigen.Card) int { return strings.Compare(string(a.Kind), string(b.Kind)) })
}

// applyFields parses the fields of the resident ref (new: h nil) and
// applies them in tx, by the import's rules. The problems are a
// *FieldsError; the warnings are returned.
func (d *Desk) applyFields(ctx context.Context, tx store.Tx, mu *kigen.Municipality, ref string, h *store.Holding, f ResidentFields) ([]FieldProblem, error) {
	_, warnings, err := d.applyFieldsID(ctx, tx, mu, ref, h, f)
	return warnings, err
}

// applyFieldsID is applyFields that also returns the resident's ID (0 if
// nothing was written: the fields changed nothing).
func (d *Desk) applyFieldsID(ctx context.Context, tx store.Tx, mu *kigen.Municipality, ref string, h *store.Holding, f ResidentFields) (int64, []FieldProblem, error) {
	rec, today, err := d.parseFields(ref, h, f)
	if err != nil {
		return 0, nil, err
	}
	var id int64
	sum, err := importer.ApplyTx(ctx, tx, []*roster.Record{rec}, importer.Options{MunicipalityID: mu.ID, Today: today,
		Written: func(r *kigen.Resident) { id = r.ID }})
	warnings, err := fieldOutcome(sum, err)
	return id, warnings, err
}

// checkNewFields checks the fields of a new resident of mu as applyFields
// would register them, reading and writing nothing (importer.CheckNew):
// the problems are a *FieldsError; the warnings are returned. Whether a
// reference is taken is applyFields's to find.
func (d *Desk) checkNewFields(mu *kigen.Municipality, ref string, f ResidentFields) ([]FieldProblem, error) {
	rec, today, err := d.parseFields(ref, nil, f)
	if err != nil {
		return nil, err
	}
	return fieldOutcome(importer.CheckNew([]*roster.Record{rec}, importer.Options{MunicipalityID: mu.ID, Today: today}))
}

// parseFields reads the fields of the resident ref (new: h nil) as a row
// of an import read on today, which it returns.
func (d *Desk) parseFields(ref string, h *store.Holding, f ResidentFields) (*roster.Record, kigen.Date, error) {
	cols := f.columns()
	cols[roster.ColRef] = ref
	if _, ok := cols[roster.ColLanguage]; !ok {
		// The import reads the language of every row (a language is
		// required): a change that does not give it keeps the stored one.
		cols[roster.ColLanguage] = ""
		if h != nil {
			cols[roster.ColLanguage] = string(h.Resident.Language)
		}
	}
	today := d.today()
	rec, err := roster.ParseFields(cols, roster.Options{Today: today})
	return rec, today, err
}

// fieldOutcome turns what the importer said of one record into the
// warnings, or the problems as a *FieldsError.
func fieldOutcome(sum importer.Summary, err error) ([]FieldProblem, error) {
	var refused *importer.RefusedError
	if errors.As(err, &refused) {
		errs := make([]error, len(refused.Rows))
		for i, r := range refused.Rows {
			errs[i] = r.Err
		}
		return nil, &FieldsError{Problems: problems(errs)}
	} else if err != nil {
		return nil, err
	}
	ws := make([]error, len(sum.Warnings))
	for i, w := range sum.Warnings {
		ws[i] = w.Err
	}
	return problems(ws), nil
}

// reload reads the resident ref of mu afresh.
func reload(ctx context.Context, q store.Queries, mu *kigen.Municipality, ref string) (*store.Holding, error) {
	return holding(ctx, q, mu, ref)
}

// alreadyRegistered is the answer for registering a ref taken.
func alreadyRegistered(ref string, mu *kigen.Municipality) error {
	if q, ok := quotableRef(ref); ok {
		return kigen.Keyf(kigen.ECONFLICT, "resident.registered.q", "resident %s is already registered in %s %s: change them instead", q, mu.Code, mu.Name)
	}
	return kigen.Keyf(kigen.ECONFLICT, "resident.registered", "a resident with that reference (not shown: it has 12 or more digits) is already registered in %s %s", mu.Code, mu.Name)
}

// quotableRef quotes ref unless it has 12 or more digits (noResident's
// rule).
func quotableRef(ref string) (string, bool) {
	if !refShown(ref) {
		return "", false
	}
	return fmt.Sprintf("%q", ref), true
}

// RegisterResident registers a new resident at the counter: the reference
// and the fields, validated by the import's rules and with its words
// (roster, kigen.CheckResident), every problem at once in a *FieldsError
// naming each field; saved with the next date of each card's reminders,
// in one transaction with the audit entry (resident.register). A
// reference already registered is a conflict.
func (d *Desk) RegisterResident(ctx context.Context, a auth.Actor, p RegisterParams) (*EditResult, error) {
	ref, err := residentRef(p.Ref)
	if err != nil {
		return nil, kigen.WithField(err, string(roster.ColRef))
	}
	var res *EditResult
	err = d.do(ctx, a, auth.ResidentRegister, func(tx store.Tx, e *store.AuditEntry) error {
		mu, err := scope(ctx, tx, a, auth.ResidentRegister, p.Municipality, ref)
		if err != nil {
			return err
		}
		if _, err := tx.GetResidentByRef(ctx, mu.ID, ref); err == nil {
			return alreadyRegistered(ref, mu)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		warnings, err := d.applyFields(ctx, tx, mu, ref, nil, p.ResidentFields)
		if err != nil {
			return err
		}
		h, err := reload(ctx, tx, mu, ref)
		if err != nil {
			return err
		}
		e.MunicipalityID, e.ResidentRef = mu.ID, ref
		e.Detail = fmt.Sprintf("registered: %d contacts, %d cards", len(h.Contacts), len(h.Cards))
		res = &EditResult{Resident: view(mu, h, d.today(), false), Warnings: warnings}
		return nil
	})
	return res, err
}

// UpdateResident changes the fields given of the resident p names, by the
// import's rules (an absent field kept, an empty one cleared), every
// problem at once in a *FieldsError; reminders are re-planned. With
// IfMatch, a resident whose Version is no longer IfMatch is a conflict
// (kigen.ECONFLICT): someone else changed them since. Audited as
// resident.update with the fields given (names only).
func (d *Desk) UpdateResident(ctx context.Context, a auth.Actor, p UpdateParams) (*EditResult, error) {
	var res *EditResult
	err := d.residentAction(ctx, a, auth.ResidentUpdate, p.ResidentParams, func(tx store.Tx, mu *kigen.Municipality, h *store.Holding, e *store.AuditEntry) error {
		if p.IfMatch != "" && p.IfMatch != Version(h) {
			return kigen.Keyf(kigen.ECONFLICT, "resident.changed", "resident %s was changed by someone else since it was read: read it again and redo the change",
				cmpRef(h.Resident.Ref))
		}
		warnings, err := d.applyFields(ctx, tx, mu, h.Resident.Ref, h, p.ResidentFields)
		if err != nil {
			return err
		}
		nh, err := reload(ctx, tx, mu, h.Resident.Ref)
		if err != nil {
			return err
		}
		cols := p.ResidentFields.columns()
		names := make([]string, 0, len(cols))
		for _, c := range roster.Columns {
			if _, ok := cols[c]; ok {
				names = append(names, string(c))
			}
		}
		e.Detail = "fields: " + strings.Join(names, ", ")
		res = &EditResult{Resident: view(mu, nh, d.today(), false), Warnings: warnings}
		return nil
	})
	return res, err
}

// cmpRef is ref quoted, or "(reference not shown)" when it must not be
// echoed.
func cmpRef(ref string) string {
	if q, ok := quotableRef(ref); ok {
		return q
	}
	return "(reference not shown)"
}

// errPreview rolls a preview back.
var errPreview = errors.New("preview")

// PreviewResident checks fields as RegisterResident (a new ref) or
// UpdateResident (a ref registered) would, with the same problems, and
// returns what Kigen would send and when, without saving anything: the
// console shows it before the clerk saves. Authorized as the registration
// or change it previews; not audited (nothing is shown of what is stored
// but what the timeline implies).
func (d *Desk) PreviewResident(ctx context.Context, a auth.Actor, p PreviewParams) (*PreviewResult, error) {
	ref := p.Ref
	if ref == "" {
		ref = "(preview)" // a reference only for the rules, which need one
	}
	ref, err := residentRef(ref)
	if err != nil {
		return nil, kigen.WithField(err, string(roster.ColRef))
	}
	var res *PreviewResult
	err = d.Store.InTx(ctx, func(tx store.Tx) error {
		mu, err := scope(ctx, tx, a, auth.ResidentRegister, p.Municipality, ref)
		if err != nil {
			return err
		}
		old, err := holding(ctx, tx, mu, ref)
		if kigen.ErrorCode(err) == kigen.ENOTFOUND {
			old = nil
		} else if err != nil {
			return err
		} else if err := auth.AuthorizeResident(a, auth.ResidentUpdate, mu.ID, ref); err != nil {
			return err
		}
		warnings, err := d.applyFields(ctx, tx, mu, ref, old, p.ResidentFields)
		if err != nil {
			return err
		}
		h, err := reload(ctx, tx, mu, ref)
		if err != nil {
			return err
		}
		today := d.today()
		v := view(mu, h, today, false)
		res = &PreviewResult{Ref: p.Ref, New: old == nil, ReachedBy: v.ReachedBy, GapOpen: v.GapOpen, Warnings: warnings,
			Timeline: timelineOf(h.Holder(), today, mu.Calendar, cardNumber)}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		err = nil
	}
	return res, err
}

// cardNumber numbers a card by its kind's place in kigen.CardKinds, from 1.
func cardNumber(c kigen.Card) int64 { return int64(slices.Index(kigen.CardKinds, c.Kind) + 1) }

// refShown reports whether a reference may be echoed: it has fewer than
// 12 digits (noResident's rule).
func refShown(ref string) bool {
	digits := 0
	for _, r := range ref {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	return digits < 12
}
