package resident_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/web/resident"
)

func TestHome_LanguageThenMunicipality(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		status, _, body := e.get(t, "/")
		if status != http.StatusOK || !strings.Contains(body, `href="/?lang=vi"`) || !strings.Contains(body, "Tiếng Việt") {
			t.Fatalf("/: %d, want the twelve languages\n%s", status, body)
		}
		if strings.Contains(body, "/r/012033/") {
			t.Error("/ lists municipalities before a language is chosen")
		}
		_, _, body = e.get(t, "/?lang=vi")
		if !strings.Contains(body, `<html lang="vi">`) || !strings.Contains(body, `href="/r/012033/?lang=vi"`) || !strings.Contains(body, "Hokkaido") {
			t.Errorf("/?lang=vi does not list Otaru under Hokkaido in Vietnamese:\n%s", body)
		}
		_, _, body = e.get(t, "/?lang=ja&q="+url.QueryEscape("小樽"))
		if !strings.Contains(body, "/r/012033/") {
			t.Error("the search for 小樽 does not find Otaru")
		}
		_, _, body = e.get(t, "/?lang=ja&q=sapporo")
		if strings.Contains(body, "/r/012033/") || !strings.Contains(body, resident.T(kigen.Japanese, "home.search.none")) {
			t.Error("the search for sapporo finds Otaru, or does not say nothing matched")
		}
	})
}

func TestEntry(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		_, _, body := e.get(t, "/r/012033/")
		if !strings.Contains(body, `href="/r/012033/?lang=ne"`) {
			t.Errorf("/r/012033/ does not offer the languages first:\n%s", body)
		}
		_, _, body = e.get(t, "/r/012033/?lang=ko")
		if !strings.Contains(body, "小樽市") || !strings.Contains(body, `href="/r/012033/signup?lang=ko"`) {
			t.Errorf("the Korean entry does not name Otaru or lead to the sign-up:\n%s", body)
		}
		if status, path, _ := e.get(t, "/r/012033?lang=vi"); status != http.StatusOK || path != "/r/012033/?lang=vi" {
			t.Errorf("/r/012033 without its slash: %d %s, want the entry", status, path)
		}
		if status, _, _ := e.get(t, "/r/131016/?lang=en"); status != http.StatusNotFound {
			t.Errorf("a municipality Kigen does not serve: %d, want 404", status)
		}
		if status, _, _ := e.get(t, "/r/012034/?lang=en"); status != http.StatusNotFound {
			t.Errorf("a code with a wrong check digit: %d, want 404", status)
		}
	})
}

// TestSignup_Steps walks the steps one by one: each checks its answers,
// carries the earlier ones, and "back" keeps them.
func TestSignup_Steps(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		status, _, body := e.get(t, "/r/012033/signup?lang=en")
		if status != http.StatusOK || !strings.Contains(body, `name="cards"`) || !strings.Contains(body, "Step 1 of 5") {
			t.Fatalf("step 1: %d\n%s", status, body)
		}
		f := url.Values{"lang": {"en"}, "step": {"cards"}, "go": {"next"}}
		status, _, body = e.post(t, "/r/012033/signup", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#cards-two"`) || !strings.Contains(body, "Choose the cards you have.") {
			t.Fatalf("no card chosen: %d, want 422 with the error linked from the summary\n%s", status, body)
		}
		f.Set("cards", "special")
		_, _, body = e.post(t, "/r/012033/signup", f)
		if !strings.Contains(body, "Step 2 of 4") || strings.Contains(body, `name="residence_card-year"`) || !strings.Contains(body, `name="mynumber_card-year"`) {
			t.Fatalf("a special permanent resident is asked for a residence card, or the steps are not 4:\n%s", body)
		}
		if !strings.Contains(body, "<svg") || !strings.Contains(body, `role="img"`) {
			t.Error("the date step has no drawing of the card")
		}
		f = url.Values{"lang": {"en"}, "step": {"dates"}, "go": {"next"}, "cards": {"special"},
			"mynumber_card-year": {"2027"}, "mynumber_card-month": {"2"}, "mynumber_card-day": {"30"}}
		status, _, body = e.post(t, "/r/012033/signup", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "this date does not exist") || !strings.Contains(body, `value="30"`) {
			t.Fatalf("30 February: %d, want the error with the input kept\n%s", status, body)
		}
		f.Set("mynumber_card-year", "R9")
		f.Set("mynumber_card-day", "28")
		_, _, body = e.post(t, "/r/012033/signup", f)
		if !strings.Contains(body, `name="channel"`) || !strings.Contains(body, `name="mynumber_card-year" value="R9"`) {
			t.Fatalf("after the dates a special permanent resident goes to the contact step, carrying the date:\n%s", body)
		}
		f.Set("go", "back")
		f.Set("step", "contact")
		_, _, body = e.post(t, "/r/012033/signup", f)
		if !strings.Contains(body, `id="mynumber_card-year" name="mynumber_card-year" type="text" value="R9"`) {
			t.Fatalf("back: the dates step does not show the date typed:\n%s", body)
		}
		f = signupForm(kigen.English, kigen.SMS, "03-1234-5678")
		f.Set("step", "contact")
		status, _, body = e.post(t, "/r/012033/signup", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Japanese mobile number") {
			t.Errorf("a landline for SMS: %d, want refused\n%s", status, body)
		}
		f = signupForm(kigen.English, kigen.SMS, "090-1234-5678")
		f.Del("consent")
		status, _, body = e.post(t, "/r/012033/signup", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#consent"`) {
			t.Errorf("no consent: %d, want refused\n%s", status, body)
		}
		if len(e.q.ids) != 0 {
			t.Errorf("%d confirmations queued before the last step", len(e.q.ids))
		}
	})
}

// TestSignup_MyNumberRefused: the individual number is refused in every
// field of every step, and never shown again.
func TestSignup_MyNumberRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		mn := myNumber("12345678901")
		spaced := mn[:4] + " " + mn[4:8] + " " + mn[8:]
		for _, c := range []struct{ field, value, wantID string }{
			{"name", "Nguyen " + mn, "name"},
			{"address", spaced, "address"},
			{"residence_card-year", mn, "residence_card-year"},
		} {
			f := signupForm(kigen.Vietnamese, kigen.SMS, "090-1234-5678")
			f.Set(c.field, c.value)
			status, _, body := e.post(t, "/r/012033/signup", f)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#`+c.wantID+`"`) ||
				!strings.Contains(body, "My Number") {
				t.Errorf("%s holding a My Number: %d, want refused at #%s\n%s", c.field, status, c.wantID, body)
			}
			for _, s := range []string{mn, spaced, mn[:4] + " " + mn[4:8]} {
				if strings.Contains(body, s) {
					t.Errorf("%s: the page shows the number typed", c.field)
				}
			}
		}
		if len(e.q.ids) != 0 {
			t.Error("a sign-up holding a My Number was sent a confirmation")
		}
	})
}

// TestSignup_SMS: the last step sends a code; a wrong code is refused
// next to the field; the right one creates the resident and opens their
// page with the reminders to come.
func TestSignup_SMS(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		status, _, body := e.post(t, "/r/012033/signup", signupForm(kigen.Vietnamese, kigen.SMS, "090-1234-5678"))
		if status != http.StatusOK || !strings.Contains(body, resident.T(kigen.Vietnamese, "check.sms.title")) || !strings.Contains(body, `autocomplete="one-time-code"`) {
			t.Fatalf("sign-up by SMS: %d, want the code form\n%s", status, body)
		}
		handle := hiddenHandle.FindStringSubmatch(body)[1]
		status, _, body = e.post(t, "/r/012033/code", url.Values{"lang": {"vi"}, "handle": {handle}, "code": {"000000"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#code"`) {
			t.Fatalf("a wrong code: %d, want 422 with the error\n%s", status, body)
		}
		code := e.code(t, e.last(t))
		status, path, body := e.post(t, "/r/012033/code", url.Values{"lang": {"vi"}, "handle": {handle}, "code": {code}})
		if status != http.StatusOK || !strings.HasPrefix(path, "/me/") || !strings.Contains(path, "welcome=1") {
			t.Fatalf("the right code: %d %s, want the resident's page\n%s", status, path, body)
		}
		for _, want := range []string{resident.T(kigen.Vietnamese, "done.title"), `<html lang="vi">`,
			resident.FormatDate(kigen.Vietnamese, kigen.Date{Year: 2027, Month: 1, Day: 31}), `class="timeline"`,
			"090"} {
			if !strings.Contains(body, want) {
				t.Errorf("the new resident's page lacks %q", want)
			}
		}
		// The handle works once.
		if status, _, _ := e.post(t, "/r/012033/code", url.Values{"lang": {"vi"}, "handle": {handle}, "code": {code}}); status != http.StatusGone {
			t.Errorf("the code again: %d, want 410", status)
		}
	})
}

// TestSignup_Email: the email's link leads to a button (a GET confirms
// nothing); pressing it confirms.
func TestSignup_Email(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		status, _, body := e.post(t, "/r/012033/signup", signupForm(kigen.Thai, kigen.Email, "somchai@example.com"))
		if status != http.StatusOK || !strings.Contains(body, resident.T(kigen.Thai, "check.email.title")) {
			t.Fatalf("sign-up by email: %d\n%s", status, body)
		}
		path := "/r/012033/confirm/" + e.token(t, e.last(t), "confirm")
		for range 2 {
			if status, _, body = e.get(t, path+"?lang=th"); status != http.StatusOK || !strings.Contains(body, `method="post"`) {
				t.Fatalf("the email's link: %d, want a confirmation button\n%s", status, body)
			}
		}
		if n := residents(t, e); n != 0 {
			t.Fatalf("opening the link created %d residents", n)
		}
		status, where, body := e.post(t, path, url.Values{"lang": {"th"}})
		if status != http.StatusOK || !strings.HasPrefix(where, "/me/") || !strings.Contains(body, `<html lang="th">`) {
			t.Fatalf("confirm: %d %s\n%s", status, where, body)
		}
		if n := residents(t, e); n != 1 {
			t.Errorf("%d residents after the confirmation, want 1", n)
		}
	})
}

func residents(t *testing.T, e *env) int {
	t.Helper()
	admin, _, err := e.d.LocalAdmin(t.Context(), "test", "012033")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := e.d.ListResidents(t.Context(), admin, desk.ListResidentsParams{})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs.Residents)
}

// TestMe_Actions: the resident's page and its forms, each through the
// desk: "I applied" (the timeline changes), a new card's date, language,
// a channel stopped and started, the data downloaded, the erasure asked
// for (a GET erases nothing) and done.
func TestMe_Actions(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		me, body := e.signUpBySMS(t, kigen.English, "090-1234-5678")
		if !strings.Contains(body, "Go by January 29, 2027") {
			t.Errorf("the timeline does not give the date to go by (Friday 29 January for Sunday the 31st):\n%s", body)
		}
		before := strings.Count(body, "Residence card: valid until")

		status, _, body := e.post(t, me+"/applied", url.Values{"applied-year": {"2026"}, "applied-month": {"13"}, "applied-day": {"1"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#applied-year"`) {
			t.Fatalf("month 13: %d, want 422\n%s", status, body)
		}
		status, path, body := e.post(t, me+"/applied", url.Values{"applied-year": {"2026"}, "applied-month": {"11"}, "applied-day": {"24"}})
		if status != http.StatusOK || !strings.Contains(path, "saved=1") || !strings.Contains(body, "You said you applied on November 24, 2026.") {
			t.Fatalf("I applied: %d %s\n%s", status, path, body)
		}
		if after := strings.Count(body, "Residence card: valid until"); after >= before {
			t.Errorf("the timeline lists the residence card %d times after the application, %d before: its reminders must stop", after, before)
		}

		status, _, body = e.post(t, me+"/card", url.Values{"card": {"mynumber_card"}, "expires-year": {"2031"}, "expires-month": {"1"}, "expires-day": {"31"}})
		if status != http.StatusOK || !strings.Contains(body, "My Number card: valid until January 31, 2031") {
			t.Fatalf("new My Number card date: %d\n%s", status, body)
		}
		mn := myNumber("98765432109")
		status, _, body = e.post(t, me+"/card", url.Values{"card": {"mynumber_card"}, "expires-year": {mn}, "expires-month": {"1"}, "expires-day": {"31"}})
		if status != http.StatusUnprocessableEntity || strings.Contains(body, mn) {
			t.Errorf("a My Number as a date: %d, want refused and not shown", status)
		}

		_, _, body = e.post(t, me+"/language", url.Values{"language": {"ne"}})
		if !strings.Contains(body, `<html lang="ne">`) {
			t.Errorf("after choosing Nepali the page is not in Nepali")
		}
		_, _, body = e.post(t, me+"/channel", url.Values{"channel": {"sms"}, "action": {"stop"}})
		if !strings.Contains(body, resident.T(kigen.Nepali, "me.channel.off")) || !strings.Contains(body, `name="action" value="start"`) {
			t.Errorf("after stopping SMS the page does not say it is stopped")
		}
		_, _, body = e.post(t, me+"/channel", url.Values{"channel": {"sms"}, "action": {"start"}})
		if !strings.Contains(body, `name="action" value="stop"`) {
			t.Errorf("after starting SMS again the page does not offer to stop it")
		}

		resp, err := e.c.Get(e.srv.URL + me + "/data.json")
		if err != nil {
			t.Fatal(err)
		}
		var data desk.SelfData
		if err := json.NewDecoder(resp.Body).Decode(&data); err != nil || resp.Header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || data.Resident == nil || data.Source != "self" {
			t.Errorf("download: %v %v %+v", err, resp.Header, data)
		}
		resp.Body.Close()

		for range 2 {
			if status, _, body = e.get(t, me+"/erase"); status != http.StatusOK || !strings.Contains(body, `method="post"`) {
				t.Fatalf("erase form: %d\n%s", status, body)
			}
		}
		if n := residents(t, e); n != 1 {
			t.Fatalf("the erase form erased: %d residents", n)
		}
		status, _, body = e.post(t, me+"/erase", url.Values{})
		if status != http.StatusOK || !strings.Contains(body, resident.T(kigen.Nepali, "me.erased.title")) {
			t.Fatalf("erase: %d\n%s", status, body)
		}
		if n := residents(t, e); n != 0 {
			t.Errorf("%d residents after the erasure", n)
		}
		if status, _, _ = e.get(t, me); status != http.StatusNotFound {
			t.Errorf("the page after the erasure: %d, want 404", status)
		}
	})
}

// TestRequestLink: the answer is the same for a known and an unknown
// address; only the known one gets a link.
func TestRequestLink(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.signUpBySMS(t, kigen.English, "090-1234-5678")
		queued := len(e.q.ids)
		_, _, known := e.post(t, "/r/012033/link", url.Values{"lang": {"en"}, "address": {"090-1234-5678"}})
		_, _, unknown := e.post(t, "/r/012033/link", url.Values{"lang": {"en"}, "address": {"090-8765-4321"}})
		if known != unknown || !strings.Contains(known, "If this address is signed up") {
			t.Errorf("the answers differ, or do not say what they should:\n%s\n---\n%s", known, unknown)
		}
		if len(e.q.ids) != queued+1 {
			t.Errorf("%d sends queued, want 1 (the known address only)", len(e.q.ids)-queued)
		}
		status, _, body := e.post(t, "/r/012033/link", url.Values{"lang": {"en"}, "address": {"hello"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#address"`) {
			t.Errorf("a bad address: %d\n%s", status, body)
		}
	})
}

// TestMe_UnknownLink: an unknown token is a friendly 404, the same for a
// token of the right shape and any other.
func TestMe_UnknownLink(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		for _, p := range []string{"/me/AAAAAAAAAAAAAAAAAAAAAA", "/me/x", "/m/AAAAAAAAAAAAAAAAAAAAAA/applied"} {
			status, _, body := e.get(t, p)
			if status != http.StatusNotFound || !strings.Contains(body, "The link is unknown or has expired") {
				t.Errorf("GET %s: %d\n%s", p, status, body)
			}
		}
		if status, _, _ := e.post(t, "/me/AAAAAAAAAAAAAAAAAAAAAA/erase", url.Values{}); status != http.StatusNotFound {
			t.Errorf("POST erase of an unknown link: %d", status)
		}
	})
}

// TestSignup_Limit: over the daily limit the page says to try later (429)
// and nothing is sent.
func TestSignup_Limit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.d.Self.Limits.PerAddress = 1
		if status, _, body := e.post(t, "/r/012033/signup", signupForm(kigen.English, kigen.SMS, "090-1234-5678")); status != http.StatusOK {
			t.Fatalf("first: %d\n%s", status, body)
		}
		status, _, body := e.post(t, "/r/012033/signup", signupForm(kigen.English, kigen.SMS, "090-1234-5678"))
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Please try again later") {
			t.Errorf("second: %d, want 429\n%s", status, body)
		}
		if len(e.q.ids) != 1 {
			t.Errorf("%d sends queued, want 1", len(e.q.ids))
		}
	})
}

// TestMe_SecondChannel: a second address is confirmed like a sign-up's
// (an email link, or a code by SMS), then listed on the page.
func TestMe_SecondChannel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		me, _ := e.signUpBySMS(t, kigen.English, "090-1234-5678")
		status, _, body := e.post(t, me+"/add", url.Values{"address": {"an@example.com"}})
		if status != http.StatusOK || !strings.Contains(body, "Check your email") {
			t.Fatalf("add an email: %d\n%s", status, body)
		}
		path := "/r/012033/confirm/" + e.token(t, e.last(t), "confirm")
		status, _, body = e.post(t, path, url.Values{"lang": {"en"}})
		if status != http.StatusOK || !strings.Contains(body, "Your new address is confirmed") {
			t.Fatalf("confirm the email: %d\n%s", status, body)
		}
		if _, _, body = e.get(t, me); !strings.Contains(body, "an@example.com") {
			t.Error("the page does not list the new address")
		}
		status, _, body = e.post(t, me+"/add", url.Values{"address": {"hello"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#address"`) {
			t.Errorf("a bad address: %d\n%s", status, body)
		}
	})
}

// TestMe_Calendar: the resident's page issues a calendar feed link, shows
// it once, and stopping the links says so.
func TestMe_Calendar(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		me, body := e.signUpBySMS(t, kigen.English, "090-1234-5678")
		if !strings.Contains(body, `href="#calendar"`) {
			t.Error("the welcome does not lead to the calendar link")
		}
		status, _, body := e.post(t, me+"/calendar", url.Values{})
		link := calLink.FindString(body)
		if status != http.StatusOK || link == "" {
			t.Fatalf("calendar: %d, want a /cal/…ics link\n%s", status, body)
		}
		if _, _, again := e.get(t, me); strings.Contains(again, link) {
			t.Error("the calendar link is shown again")
		}
		status, _, body = e.post(t, me+"/calendar/revoke", url.Values{})
		if status != http.StatusOK || !strings.Contains(body, "Your calendar links are stopped.") {
			t.Errorf("revoke: %d\n%s", status, body)
		}
	})
}

var calLink = regexp.MustCompile(`/cal/[A-Za-z0-9_-]+\.ics`)

// TestSignup_OneQuestionOneHeading: a step that asks one question (the
// cards, the status) asks it once, as the page's only heading, in the
// legend of its choices: a screen reader reads it once, and hears it with
// the choices.
func TestSignup_OneQuestionOneHeading(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		_, _, cards := e.get(t, "/r/012033/signup?lang=en")
		f := url.Values{"lang": {"en"}, "step": {"dates"}, "go": {"next"}, "cards": {"two"},
			"residence_card-year": {"2027"}, "residence_card-month": {"1"}, "residence_card-day": {"31"},
			"mynumber_card-year": {"2027"}, "mynumber_card-month": {"1"}, "mynumber_card-day": {"31"}}
		_, _, status := e.post(t, "/r/012033/signup", f)
		for _, p := range []struct{ name, body, key string }{{"cards", cards, "cards.title"}, {"status", status, "status.title"}} {
			q := html.EscapeString(resident.T(kigen.English, p.key))
			_, body, _ := strings.Cut(p.body, "<body") // the title names the page too
			if n := strings.Count(body, q); n != 1 {
				t.Errorf("%s step: the question %q is on the page %d times, want once", p.name, q, n)
			}
			if n := strings.Count(p.body, "<h1"); n != 1 || !strings.Contains(p.body, "<legend><h1>"+q+"</h1>") {
				t.Errorf("%s step: %d headings, want one, the question, in the legend\n%s", p.name, n, p.body)
			}
		}
	})
}
