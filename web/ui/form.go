package ui

import (
	"errors"
	"net/url"
	"strings"

	"kigen"
)

// FieldError is an error of one form field: ID is the id of the input
// (or of the first input of a date field) the summary links to. Message
// is its text; Key and Args, when Key is set, a refusal of the service
// layer (kigen.Error's), which the page shows in its language
// (Page.Reason), Message being the English fallback.
type FieldError struct {
	ID      string
	Message string
	Key     string
	Args    []string
}

// ErrorField returns the form error of err on the input id: a
// *kigen.Error's message, key and arguments (without its field's name).
func ErrorField(id string, err error) FieldError {
	var e *kigen.Error
	if !errors.As(err, &e) {
		return FieldError{ID: id, Message: kigen.ErrorMessage(err)}
	}
	return FieldError{ID: id, Message: e.Message, Key: e.Key, Args: e.Args}
}

// Reason is the text of a form error in the page's language.
func (p Page) Reason(e FieldError) string { return Reason(p.Lang, e.Key, e.Args, e.Message) }

// Field is a text input with its label, optional hint and error, as the
// "field" component draws it.
type Field struct {
	ID, Name, Label, Hint, Error string
	Type                         string // "text" when empty
	Value                        string
	Required                     bool
	Autocomplete, InputMode      string
	// Need is the required or optional mark, in the page's language.
	Need string
}

// TextField returns a field for the page: its label and hint from the
// catalog keys (hint "" for none), its error taken from p.Errors.
func (p Page) TextField(id, name, labelKey, hintKey, value string, required bool) Field {
	f := Field{ID: id, Name: name, Label: p.T(labelKey), Type: "text", Value: value, Required: required}
	if hintKey != "" {
		f.Hint = p.T(hintKey)
	}
	f.Need = p.need(required)
	f.Error = p.errorOf(id)
	return f
}

func (p Page) need(required bool) string {
	if required {
		return p.T("form.required")
	}
	return p.T("form.optional")
}

func (p Page) errorOf(id string) string {
	for _, e := range p.Errors {
		if e.ID == id {
			return p.Reason(e)
		}
	}
	return ""
}

// DateValue is what was typed in a date's three fields.
type DateValue struct {
	Year, Month, Day string
}

// DateValueOf reads the date field name of a form: name-year, name-month
// and name-day.
func DateValueOf(form url.Values, name string) DateValue {
	return DateValue{Year: strings.TrimSpace(form.Get(name + "-year")), Month: strings.TrimSpace(form.Get(name + "-month")),
		Day: strings.TrimSpace(form.Get(name + "-day"))}
}

// DateValueFrom returns the three fields of a date already known.
func DateValueFrom(d kigen.Date) DateValue {
	if d.IsZero() {
		return DateValue{}
	}
	return DateValue{Year: itoa(d.Year), Month: itoa(int(d.Month)), Day: itoa(d.Day)}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// Empty reports whether nothing was typed.
func (v DateValue) Empty() bool { return v.Year == "" && v.Month == "" && v.Day == "" }

// eraNames are the era names a year field takes, and their letters.
var eraNames = strings.NewReplacer("令和", "R", "平成", "H", "昭和", "S", "令", "R", "平", "H", "昭", "S")

// Parse reads the date: the year in the Western calendar (2027) or an
// era (R9, 令和9, H31, 令和元), month and day as numbers; full-width
// digits are read too (kigen.ParseDate). It returns the zero date and ""
// when nothing was typed, or the catalog key of the error:
// "form.date.incomplete" when a field is missing, "form.date.invalid"
// when the fields make no date.
func (v DateValue) Parse() (kigen.Date, string) {
	if v.Empty() {
		return kigen.Date{}, ""
	}
	// A year typed in full width (２０２７) is read as ASCII by ParseDate;
	// what matters here is whether it starts with an era letter.
	if v.Year == "" || v.Month == "" || v.Day == "" {
		return kigen.Date{}, "form.date.incomplete"
	}
	date, err := kigen.ParseDate(v.Text())
	if err != nil {
		return kigen.Date{}, "form.date.invalid"
	}
	return date, ""
}

// Text joins the three fields into one date as kigen.ParseDate and the
// import read it: 2027-3-31, or R9.3.31 for an era ("" when nothing was
// typed). A form whose service reads dates itself (desk, with the
// import's words for its errors) passes this on.
func (v DateValue) Text() string {
	if v.Empty() {
		return ""
	}
	y := strings.TrimSuffix(strings.TrimSpace(v.Year), "年")
	y = eraNames.Replace(y)
	y = strings.Replace(y, "元", "1", 1)
	m := strings.TrimSuffix(v.Month, "月")
	d := strings.TrimSuffix(v.Day, "日")
	sep := "-"
	if y != "" && !strings.ContainsAny(y[:1], "0123456789") && !isFullWidthDigit(y) {
		sep = "."
	}
	return y + sep + m + sep + d
}

// DateField is a date as three inputs (year, month, day) in a fieldset,
// the Digital Agency design system's date pattern: the label above, the
// required mark after it, a hint saying what the year takes and giving an
// example (no placeholder), the error below the label; no calendar button
// (a card's expiry is a known date) and no automatic move of the focus.
type DateField struct {
	ID, Name, Label, Hint, Error string
	DateValue
	Need                            string
	YearLabel, MonthLabel, DayLabel string
	Required                        bool
}

// DateInput returns the date field name for the page, with label and hint
// from the catalog (hint "" for the default one), the typed value, and
// its error from p.Errors (the error's ID is name-year).
func (p Page) DateInput(name, labelKey, hintKey string, v DateValue, required bool) DateField {
	if hintKey == "" {
		hintKey = "form.date.hint"
	}
	f := DateField{ID: name + "-year", Name: name, Label: p.T(labelKey), Hint: p.T(hintKey), DateValue: v,
		Need: p.need(required), Required: required,
		YearLabel: p.T("form.date.year"), MonthLabel: p.T("form.date.month"), DayLabel: p.T("form.date.day")}
	f.Error = p.errorOf(f.ID)
	return f
}

func isFullWidthDigit(s string) bool {
	for _, r := range s {
		return r >= '０' && r <= '９'
	}
	return false
}

// Option is one choice of a select or of radio buttons.
type Option struct {
	Value, Label string
	Selected     bool
}

// Choice is a select (the "select" component) or a set of radio buttons
// in a fieldset (the "radios" component), with its label, hint and error.
type Choice struct {
	ID, Name, Label, Hint, Error, Need string
	Required                           bool
	Options                            []Option
}

// ChoiceField returns a choice for the page: label and hint from the
// catalog (hint "" for none), value selected among opts, its error from
// p.Errors.
func (p Page) ChoiceField(id, name, labelKey, hintKey string, required bool, value string, opts []Option) Choice {
	c := Choice{ID: id, Name: name, Label: p.T(labelKey), Need: p.need(required), Required: required, Error: p.errorOf(id)}
	if hintKey != "" {
		c.Hint = p.T(hintKey)
	}
	for _, o := range opts {
		o.Selected = o.Value == value
		c.Options = append(c.Options, o)
	}
	return c
}
