package calendar_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	ical "github.com/arran4/golang-ical"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/internal/storetesting"
	"kigen/store"
	"kigen/templates"
	"kigen/web"
	"kigen/web/calendar"
)

// now is 2026-12-01 09:00 in Tokyo.
var now = time.Date(2026, 12, 1, 9, 0, 0, 0, kigen.Tokyo)

// fixture is a municipality (Otaru) with one Vietnamese resident, R-1:
// residence card and My Number card on Sunday 2027-01-31, certificate on
// Thursday 2029-05-03 (Constitution Day), and the feed served over HTTP.
type fixture struct {
	d     *desk.Desk
	srv   *httptest.Server
	staff auth.Actor
}

func setup(t *testing.T, s store.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	d := &desk.Desk{Store: s, Now: func() time.Time { return now }}
	op := desk.LocalOperator("test")
	if _, err := d.CreateMunicipality(ctx, op, desk.MunicipalityParams{Code: "012033", NameLatin: ptr("Otaru")}); err != nil {
		t.Fatal(err)
	}
	admin, _, err := d.LocalAdmin(ctx, "seed", "012033")
	if err != nil {
		t.Fatal(err)
	}
	csv := "resident_ref,name,language,email,residence_card_expires_on,mynumber_card_expires_on,mynumber_cert_expires_on,consent\n" +
		"R-1,Nguyen Van An,vi,an@example.jp,2027-01-31,2027-01-31,2029-05-03,yes\n"
	if _, err := d.Import(ctx, admin, desk.ImportParams{CSV: strings.NewReader(csv)}); err != nil {
		t.Fatal(err)
	}
	r, err := templates.New(templates.DefaultHotlines())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.NewHandler(web.Deps{Surfaces: []web.Surface{
		calendar.New(calendar.Deps{Desk: d, Renderer: r, PublicURL: "https://kigen.example.jp", Now: func() time.Time { return now }})}}))
	t.Cleanup(srv.Close)
	staff := auth.Actor{ID: "staff:1", Role: auth.Staff, MunicipalityID: admin.MunicipalityID, MunicipalityCode: "012033"}
	return &fixture{d: d, srv: srv, staff: staff}
}

func ptr(s string) *string { return &s }

// get fetches path and returns the status, headers and body.
func (f *fixture) get(t *testing.T, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// checkLines fails unless body is RFC 5545 content lines: every line ends
// in CRLF (no bare CR or LF), is at most 75 octets, is valid UTF-8 (a fold
// never splits a character), and a folded line goes on with one space.
func checkLines(t *testing.T, body []byte) {
	t.Helper()
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Error("the feed does not end in CRLF")
	}
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\r\n")), []byte("\r\n"))
	folded := 0
	for i, l := range lines {
		switch {
		case bytes.ContainsAny(l, "\r\n"):
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		case len(l) > 75:
			t.Errorf("line %d is %d octets, more than 75: %q", i+1, len(l), l)
		case !utf8.Valid(l):
			t.Errorf("line %d is not valid UTF-8 (a fold split a character): %q", i+1, l)
		case len(l) == 0:
			t.Errorf("line %d is empty", i+1)
		}
		if len(l) > 0 && l[0] == ' ' {
			folded++
		}
	}
	if folded == 0 {
		t.Error("no folded line: the test's descriptions should be long enough to fold")
	}
}

type event struct {
	start   string
	summary string
	alarms  []string
}

// events parses body back with the library and returns its events by UID.
func events(t *testing.T, body []byte) (*ical.Calendar, map[string]event) {
	t.Helper()
	cal, err := ical.ParseCalendar(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("ParseCalendar: %v\n%s", err, body)
	}
	out := map[string]event{}
	for _, e := range cal.Events() {
		start, err := e.GetAllDayStartAt()
		if err != nil {
			t.Fatalf("event %s: %v", e.Id(), err)
		}
		if p := e.GetProperty(ical.ComponentPropertyDtStart); p.ICalParameters["VALUE"][0] != "DATE" {
			t.Errorf("event %s is not all-day: %v", e.Id(), p)
		}
		end, err := e.GetAllDayEndAt()
		if err != nil || !end.Equal(start.AddDate(0, 0, 1)) {
			t.Errorf("event %s ends %v (%v), want the next day", e.Id(), end, err)
		}
		if lang := e.GetProperty(ical.ComponentPropertySummary).ICalParameters["LANGUAGE"]; len(lang) != 1 || lang[0] != "vi" {
			t.Errorf("event %s: SUMMARY LANGUAGE %v, want vi", e.Id(), lang)
		}
		ev := event{start: start.Format("2006-01-02"), summary: e.GetProperty(ical.ComponentPropertySummary).Value}
		for _, a := range e.Alarms() {
			if act := a.GetProperty(ical.ComponentPropertyAction); act == nil || act.Value != "DISPLAY" {
				t.Errorf("event %s: alarm action %v", e.Id(), act)
			}
			if d := a.GetProperty(ical.ComponentPropertyDescription); d == nil || d.Value == "" {
				t.Errorf("event %s: an alarm without a description", e.Id())
			}
			ev.alarms = append(ev.alarms, a.GetProperty(ical.ComponentPropertyTrigger).Value)
		}
		out[e.Id()] = ev
	}
	return cal, out
}

func TestFeed(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		f := setup(t, s)
		ctx := t.Context()
		link, err := f.d.IssueCalendarToken(ctx, f.staff, desk.ResidentParams{Ref: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		status, h, body := f.get(t, link.Path)
		if status != http.StatusOK {
			t.Fatalf("GET %s = %d\n%s", "/cal/…", status, body)
		}
		for k, want := range map[string]string{"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "no-store",
			"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := h.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		checkLines(t, body)
		for _, personal := range []string{"Nguyen", "an@example.jp", "R-1"} {
			if bytes.Contains(body, []byte(personal)) {
				t.Errorf("the feed holds %q: no personal data beyond card kinds and dates", personal)
			}
		}
		if !bytes.Contains(body, []byte("\r\nREFRESH-INTERVAL;VALUE=DURATION:P1D\r\n")) {
			t.Error("no REFRESH-INTERVAL of a day (RFC 7986)")
		}
		cal, evs := events(t, body)
		for _, p := range cal.CalendarProperties {
			if p.IANAToken == "X-WR-CALNAME" && p.Value != "Thành phố Otaru: thời hạn thẻ (Kigen)" {
				t.Errorf("X-WR-CALNAME = %q", p.Value)
			}
		}
		want := map[string]string{ // UID suffix → date
			"-residence_card-expires": "2027-01-31", "-residence_card-goby": "2027-01-29",
			"-mynumber_card-expires": "2027-01-31", "-mynumber_card-goby": "2027-01-29",
			"-mynumber_cert-expires": "2029-05-03", "-mynumber_cert-goby": "2029-05-02",
		}
		if len(evs) != len(want) {
			t.Errorf("%d events, want %d: %v", len(evs), len(want), evs)
		}
		byWhat := map[string]event{}
		for uid, ev := range evs {
			local, domain, _ := strings.Cut(uid, "@")
			if domain != "kigen.example.jp" || len(local) < 21 {
				t.Errorf("UID %q: want KEY-kind-what@kigen.example.jp", uid)
			}
			byWhat[local[20:]] = ev
			if strings.Join(ev.alarms, " ") != "-P29DT15H -P6DT15H" {
				t.Errorf("%s: alarms %v, want 30 and 7 days before at 09:00", uid, ev.alarms)
			}
		}
		for what, day := range want {
			if byWhat[what].start != day {
				t.Errorf("event %s on %q, want %s", what, byWhat[what].start, day)
			}
		}
		if got := byWhat["-residence_card-expires"].summary; got != "Hết hạn: thẻ lưu trú" {
			t.Errorf("residence card SUMMARY = %q, want Vietnamese", got)
		}
		if got := byWhat["-residence_card-goby"].summary; got != "Ngày cuối cùng để đi: thẻ lưu trú" {
			t.Errorf("go-by SUMMARY = %q, want Vietnamese", got)
		}

		// The residence card is renewed: the same events move (same UIDs),
		// and one whose date to go by is its expiry has no go-by event.
		if _, err := f.d.UpdateResident(ctx, f.staff, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"},
			ResidentFields: desk.ResidentFields{ResidenceCard: ptr("2029-03-30")}}); err != nil { // a Friday
			t.Fatal(err)
		}
		_, _, body2 := f.get(t, link.Path)
		_, evs2 := events(t, body2)
		moved := 0
		for uid, ev := range evs2 {
			old, ok := evs[uid]
			if !ok {
				t.Errorf("new UID %s after a date change: calendar apps would duplicate the event", uid)
			}
			if strings.HasSuffix(uid, "-residence_card-expires@kigen.example.jp") {
				if ev.start != "2029-03-30" || old.start != "2027-01-31" {
					t.Errorf("residence card event %s → %s, want 2027-01-31 → 2029-03-30", old.start, ev.start)
				}
				moved++
			}
			if strings.HasSuffix(uid, "-residence_card-goby@kigen.example.jp") {
				t.Errorf("a go-by event on an open expiry day: %v", ev)
			}
		}
		if moved != 1 || len(evs2) != 5 {
			t.Errorf("after the change: %d moved, %d events; want 1 and 5", moved, len(evs2))
		}

		// Revoked, unknown, malformed: 404, and the same answer for all.
		if _, err := f.d.RevokeCalendarToken(ctx, f.staff, desk.ResidentParams{Ref: "R-1"}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{link.Path, "/cal/" + strings.Repeat("A", 43) + ".ics", "/cal/x.ics", "/cal/" + link.Token} {
			if status, h, _ := f.get(t, p); status != http.StatusNotFound || h.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s = %d (Cache-Control %q), want 404 no-store", p, status, h.Get("Cache-Control"))
			}
		}
	})
}
