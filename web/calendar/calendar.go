// Package calendar serves a resident's calendar feed, GET /cal/{token}.ics
// (RFC 5545): one all-day event per card deadline and per date to go by,
// with alarms 30 and 7 days before, in the resident's language. The token
// in the path is the credential (desk.CalendarFeed); the feed names no
// person, only card kinds, dates and the office.
package calendar

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	ical "github.com/arran4/golang-ical"

	"kigen"
	"kigen/desk"
	"kigen/templates"
	"kigen/web/route"
)

// Feeds is what the feed needs of the service layer.
type Feeds interface {
	CalendarFeed(ctx context.Context, token string) (*desk.CalendarFeed, error)
}

// Deps are the feed's dependencies.
type Deps struct {
	Desk Feeds
	// Renderer gives the texts; nil: one with the built-in help lines
	// (the feed uses none).
	Renderer *templates.Renderer
	// PublicURL's host is the domain of the events' UIDs ("kigen" when
	// empty).
	PublicURL string
	// Now stamps DTSTAMP; nil: time.Now.
	Now func() time.Time
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// Surface is the calendar feed's route.
type Surface struct{ d Deps }

// New returns the calendar feed surface. It panics without a Desk (a
// wiring bug).
func New(d Deps) *Surface {
	if d.Desk == nil {
		panic("calendar: New without a Desk")
	}
	if d.Renderer == nil {
		r, err := templates.New(templates.DefaultHotlines())
		if err != nil {
			panic(err) // embedded catalogs: a bug any test catches
		}
		d.Renderer = r
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Surface{d: d}
}

// Register implements web.Surface. A ServeMux wildcard is a whole path
// segment, so the route takes {file} and the handler wants ".ics".
func (s *Surface) Register(m *route.Mux) {
	m.Group(nil).HandleFunc("GET /cal/{file}", route.Link, s.serveFeed)
}

// The alarms: at 09:00 (floating: the resident's own time) 30 and 7 days
// before an event's day, which begins at 00:00.
var alarms = []string{"-P29DT15H", "-P6DT15H"}

func (s *Surface) serveFeed(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	token, ok := strings.CutSuffix(r.PathValue("file"), ".ics")
	if !ok {
		http.Error(w, "No calendar here.", http.StatusNotFound)
		return
	}
	f, err := s.d.Desk.CalendarFeed(r.Context(), token)
	if kigen.ErrorCode(err) == kigen.ENOTFOUND {
		http.Error(w, "No calendar here: the link is unknown or was revoked.", http.StatusNotFound)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	cal, err := s.feed(f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := cal.SerializeTo(&b, ical.WithNewLineWindows); err != nil {
		s.fail(w, r, err)
		return
	}
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `inline; filename="kigen.ics"`)
	_, _ = w.Write(b.Bytes()) // a write error: the client left
}

func (s *Surface) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.d.Logger.ErrorContext(r.Context(), "calendar feed", slog.String("path", "/cal/"), slog.Any("error", err))
	http.Error(w, "The calendar could not be made. Try again later.", http.StatusInternalServerError)
}

// feed builds the iCalendar of f.
func (s *Surface) feed(f *desk.CalendarFeed) (*ical.Calendar, error) {
	t, err := s.d.Renderer.Calendar(f.Language, f.Municipality)
	if err != nil {
		return nil, err
	}
	lang := &ical.KeyValues{Key: string(ical.ParameterLanguage), Value: []string{t.HTMLLang}}
	cal := ical.NewCalendar()
	cal.SetProductId("-//Kigen//Calendar feed//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ical.MethodPublish)
	cal.SetName(t.Name, lang)
	cal.SetXWRCalName(t.Name)
	cal.SetDescription(t.Description, lang)
	cal.SetXWRCalDesc(t.Description)
	cal.SetRefreshInterval("P1D") // the library adds VALUE=DURATION
	cal.SetXPublishedTTL("P1D")
	if !f.Updated.IsZero() {
		cal.SetLastModified(f.Updated)
	}
	stamp := s.d.Now()
	domain := "kigen"
	if u, err := url.Parse(s.d.PublicURL); err == nil && u.Hostname() != "" {
		domain = u.Hostname()
	}
	add := func(c desk.CalendarCard, what string, on kigen.Date, ev templates.CalendarEvent) {
		e := cal.AddEvent(f.Key + "-" + string(c.Kind) + "-" + what + "@" + domain)
		e.SetDtStampTime(stamp)
		e.SetModifiedAt(c.UpdatedAt)
		// Minutes since 2024: grows with every change of the card, so that
		// clients that read SEQUENCE take the new version.
		e.SetSequence(max(0, int(c.UpdatedAt.Sub(sequenceEpoch)/time.Minute)))
		day := time.Date(on.Year, on.Month, on.Day, 0, 0, 0, 0, time.UTC)
		e.SetAllDayStartAt(day)
		e.SetAllDayEndAt(day.AddDate(0, 0, 1))
		e.SetSummary(ev.Summary, lang)
		e.SetDescription(ev.Description, lang)
		e.SetLocation(ev.Where, lang)
		e.SetTimeTransparency(ical.TransparencyTransparent)
		e.SetClass(ical.ClassificationPrivate)
		for _, trigger := range alarms {
			a := e.AddAlarm()
			a.SetAction(ical.ActionDisplay)
			a.SetTrigger(trigger)
			a.SetProperty(ical.ComponentPropertyDescription, ev.Alarm, lang)
		}
	}
	for _, c := range f.Cards {
		add(c, "expires", c.ExpiresOn, t.Expires(c.Kind, c.ExpiresOn, c.Visit))
		if c.GoBy.Before(c.ExpiresOn) {
			add(c, "goby", c.GoBy, t.GoBy(c.Kind, c.GoBy, c.ExpiresOn, c.Visit))
		}
		if !c.SpecialPeriodEnds.IsZero() {
			add(c, "special", c.SpecialPeriodEnds, t.SpecialPeriod(c.Kind, c.ExpiresOn, c.SpecialPeriodEnds))
		}
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	return cal, nil
}

var sequenceEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
