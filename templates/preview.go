package templates

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"kigen"
)

// Preview is one message rendered with sample data, as `kigen preview`
// shows it.
type Preview struct {
	// Text is the email's subject, headers (sorted) and plain text, or its
	// HTML, or the SMS.
	Text string
	// Note says, for an SMS, how many segments it takes, in which
	// encoding, what it left out to fit, and the days to go by.
	Note string
}

// CaseError is a card and a stage that make no notice.
type CaseError struct {
	Case Case
	Err  error
}

func (e *CaseError) Error() string { return e.Case.String() + ": " + e.Err.Error() }
func (e *CaseError) Unwrap() error { return e.Err }

// ErrContextUnused refuses a situation given for a message without a My
// Number card notice: it would change nothing.
var ErrContextUnused = errors.New("the context applies to mynumber_card notices only")

// RenderPreview renders the message listing the notices of cases, each in
// situation (Case.InContext), with sample data (SampleParams), sent on
// today to a resident reading l, on channel ch; html asks for the email's
// HTML rather than its text. A bad situation or channel is an EINVALID
// *kigen.Error for the field "context" or "channel"; a case that makes no
// notice a *CaseError.
func (r *Renderer) RenderPreview(l kigen.Language, cases []Case, situation string, ch kigen.Channel, html bool, today kigen.Date) (Preview, error) {
	if situation != ContextNone && situation != ContextGap && situation != ContextPending {
		return Preview{}, kigen.FieldErrorf("context", "%q is not gap or pending", situation)
	}
	used := situation == ContextNone
	var ds []kigen.Due
	for _, c := range cases {
		c, inContext := c.InContext(situation)
		used = used || inContext
		d, err := SampleDue(c, today)
		if err != nil {
			return Preview{}, &CaseError{Case: c, Err: err}
		}
		ds = append(ds, d)
	}
	if !used {
		return Preview{}, ErrContextUnused
	}
	p := SampleParams(l, today, ds...)
	switch ch {
	case kigen.Email:
		e, err := r.Email(p)
		if err != nil || html {
			return Preview{Text: e.HTML}, err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Subject: %s\n", e.Subject)
		for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
			fmt.Fprintf(&b, "%s: %s\n", k, e.Headers[k])
		}
		return Preview{Text: b.String() + "\n" + e.Text}, nil
	case kigen.SMS:
		s, dropped, err := r.sms(p)
		n, enc := Segments(s)
		note := fmt.Sprintf("(%d of %d segments, %s, %d characters", n, MaxSMSSegments, enc, smsUnits(s, enc))
		if dropped > 0 {
			note += fmt.Sprintf(", %d part(s) left out to fit", dropped)
		}
		for _, g := range goByList(r.withHolidays(p)) {
			note += "; " + g
		}
		return Preview{Text: s + "\n", Note: note + ")"}, err
	}
	return Preview{}, kigen.FieldErrorf("channel", "%q is not email or sms", ch)
}

// InContext returns c written for the situation a preview asks for
// (ContextGap, ContextPending or ContextNone): a renewal_gap notice is
// always about the gap and a special_period notice about a pending
// renewal; a My Number card notice takes situation (used is true); any
// other notice has none.
func (c Case) InContext(situation string) (_ Case, used bool) {
	switch {
	case c.Stage == kigen.RenewalGap:
		c.Context = ContextGap
	case c.Stage == kigen.SpecialPeriod:
		c.Context = ContextPending
	case c.Card == kigen.MyNumberCard:
		c.Context, used = situation, true
	}
	return c, used
}

// WriteGallery writes the pages of Gallery(today) into dir, creating it if
// missing, and returns their file names in order.
func (r *Renderer) WriteGallery(dir string, today kigen.Date) ([]string, error) {
	files, err := r.Gallery(today)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(files))
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return names, nil
}
