package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/sqlite"
	"kigen/store/storetest"
	"kigen/templates"
	"kigen/web"
)

// sentAt is when the fixtures' messages were planned and delivered: the
// morning of the d90 tick of cardExpiry, Asia/Tokyo.
var (
	cardExpiry = kigen.NewDate(2027, time.June, 30)
	sentAt     = time.Date(2027, time.April, 1, 9, 0, 0, 0, kigen.Tokyo)
)

// pagesEnv is a store served by the pages.
type pagesEnv struct {
	st   store.Store
	r    *templates.Renderer
	srv  *httptest.Server
	logs *logBuffer
	muni *kigen.Municipality
	now  time.Time // what the pages take for now
}

// openSQLite returns a fresh, migrated SQLite store, closed when the test
// ends.
func openSQLite(t *testing.T) *sqlite.Store { return storetesting.SQLite(t) }

// eachBackend runs f, in parallel subtests "sqlite" and "postgres", on a
// fresh migrated store of each backend (storetesting.Each).
func eachBackend(t *testing.T, f func(t *testing.T, st store.Store)) { storetesting.Each(t, f) }

// newPagesEnv serves the pages on a fresh SQLite store (see newPagesEnvOn).
func newPagesEnv(t *testing.T, now time.Time) *pagesEnv {
	t.Helper()
	return newPagesEnvOn(t, openSQLite(t), now)
}

// newPagesEnvOn serves the pages on st, a fresh migrated store whose clock
// it sets to sentAt, an hour after sentAt unless now is given.
func newPagesEnvOn(t *testing.T, st store.Store, now time.Time) *pagesEnv {
	t.Helper()
	ctx := t.Context()
	clock := func() time.Time { return sentAt }
	switch s := st.(type) {
	case *sqlite.Store:
		s.Now = clock
	case *postgres.Store:
		s.Now = clock
	default:
		t.Fatalf("newPagesEnvOn: cannot set the clock of a %T", st)
	}
	r, err := templates.New(templates.DefaultHotlines())
	if err != nil {
		t.Fatal(err)
	}
	if now.IsZero() {
		now = sentAt.Add(time.Hour)
	}
	logger, logs := newLogger(t)
	e := &pagesEnv{st: st, r: r, logs: logs, now: now}
	e.muni = storetest.MustCreateMunicipality(t, ctx, st, "012033")
	e.muni.Name, e.muni.NameLatin = "小樽市", "Otaru City"
	if err := st.UpdateMunicipality(ctx, e.muni); err != nil {
		t.Fatal(err)
	}
	h := web.NewHandler(web.Deps{
		Logger: logger,
		Pages: &web.Pages{
			Store:     st,
			Renderer:  r,
			PublicURL: "https://kigen.example/",
			Now:       func() time.Time { return now },
		},
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// sent is a resident with a message delivered to them, and its link token.
type sent struct {
	res   *kigen.Resident
	card  *kigen.Card
	msg   *kigen.Message
	token string
}

// addSent creates a resident speaking lang with a contact on each channel
// of chs, a residence card whose d90 notice went out at sentAt on the
// first channel, with the link token of that message. A resident with
// two contacts chose both channels.
func (e *pagesEnv) addSent(t *testing.T, ref string, lang kigen.Language, chs ...kigen.Channel) *sent {
	t.Helper()
	ctx := t.Context()
	res := storetest.MustUpsertResident(t, ctx, e.st, e.muni.ID, ref)
	res.Language = lang
	if len(chs) > 1 {
		res.Channel = kigen.PrefBoth
	}
	if _, err := e.st.UpsertResident(ctx, res); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		addr := ref + "@example.com"
		if ch == kigen.SMS {
			addr = "+8190" + strings.Repeat("1", 8)
		}
		storetest.MustUpsertContact(t, ctx, e.st, e.muni.ID, res.ID, ch, addr)
	}
	card := storetest.MustUpsertCard(t, ctx, e.st, e.muni.ID, res.ID, kigen.ResidenceCard, cardExpiry)
	n := storetest.MustCreateNotice(t, ctx, e.st, e.muni.ID, card.ID, cardExpiry, kigen.D90)
	if err := store.Replan(ctx, e.st, e.muni.ID, res.ID, kigen.DateOf(sentAt)); err != nil {
		t.Fatal(err)
	}
	msg := storetest.MustCreateMessage(t, ctx, e.st, e.muni.ID, res.ID, chs[0], n.TickDate, n.ID)
	storetest.MustCreateDelivery(t, ctx, e.st, msg.ID, "outbox")
	token := ref + "-" + strings.Repeat("x", 22-len(ref)-1)
	if err := e.st.SetMessageToken(ctx, msg.ID, scheduler.TokenHash(token)); err != nil {
		t.Fatal(err)
	}
	s := &sent{res: res, msg: msg, token: token}
	s.card = e.mustCard(t, res.ID)
	if s.card.NextNoticeOn.IsZero() {
		t.Fatal("fixture: the card has no next notice date")
	}
	return s
}

func (e *pagesEnv) mustCard(t *testing.T, residentID int64) *kigen.Card {
	t.Helper()
	cs, err := e.st.ListCards(t.Context(), e.muni.ID, residentID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ListCards: %v, %d cards", err, len(cs))
	}
	return cs[0]
}

func (e *pagesEnv) mustContacts(t *testing.T, residentID int64) map[kigen.Channel]kigen.Contact {
	t.Helper()
	cs, err := e.st.ListContacts(t.Context(), e.muni.ID, residentID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[kigen.Channel]kigen.Contact{}
	for _, c := range cs {
		out[c.Channel] = *c
	}
	return out
}

// post sends POST path with a form body.
func (e *pagesEnv) post(t *testing.T, path, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func (e *pagesEnv) page(t *testing.T, l kigen.Language, ch kigen.Channel) templates.PageText {
	t.Helper()
	p, err := e.r.Page(l, *e.muni, ch)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkPageHeaders fails unless a page answer keeps its token to itself.
func checkPageHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"Cache-Control":   "no-store",
		"Referrer-Policy": "no-referrer",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

// checkNoToken fails if a token reached the logs.
func checkNoToken(t *testing.T, logs *logBuffer, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the token %q is in the logs", tok)
		}
	}
}

// TestPages_AllLanguages renders the message page and both unsubscribe
// pages for a resident of every language: the message is the email as it
// was sent, on the day it went out; the pages are in the resident's
// language with its lang attribute.
func TestPages_AllLanguages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		e := newPagesEnvOn(t, st, time.Time{})
		for _, l := range kigen.Languages {
			ch := kigen.Email
			if l == kigen.Thai || l == kigen.Nepali {
				ch = kigen.SMS
			}
			s := e.addSent(t, "r-"+string(l), l, ch)

			// /m/: the email of the message, rendered as on sentAt.
			resp, body := mustDo(t, e.srv, http.MethodGet, "/m/"+s.token)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: GET /m/ = %d", l, resp.StatusCode)
			}
			checkPageHeaders(t, resp)
			want, err := e.r.Email(templates.Params{
				Lang:           l,
				Municipality:   *e.muni,
				Today:          kigen.DateOf(sentAt),
				Notices:        []kigen.Due{{NoticeKey: kigen.NoticeKey{CardID: s.card.ID, ExpiresOn: cardExpiry, Stage: kigen.D90}, Kind: kigen.ResidenceCard, DaysLeft: cardExpiry.Sub(kigen.DateOf(sentAt))}},
				UnsubscribeURL: "https://kigen.example/u/" + s.token,
				ActionURL:      "https://kigen.example/m/" + s.token,
				ResidentName:   s.res.Name,
			})
			if err != nil {
				t.Fatal(err)
			}
			if body != want.HTML {
				t.Errorf("%s: GET /m/ is not the email as sent:\n%.600s", l, body)
			}
			// DOMAIN §14.10: the page leads to "I applied" and "I have my
			// new card", which ask before they record (web/resident).
			for _, link := range []string{`href="https://kigen.example/m/` + s.token + `/applied"`,
				`href="https://kigen.example/m/` + s.token + `/card?card=residence_card"`} {
				if !strings.Contains(body, link) {
					t.Errorf("%s: GET /m/ has no %s", l, link)
				}
			}
			pt := e.page(t, l, ch)
			if !strings.Contains(body, `<html lang="`+pt.HTMLLang+`">`) {
				t.Errorf("%s: GET /m/ has no lang=%q", l, pt.HTMLLang)
			}

			// /u/: the question, in the resident's language.
			resp, body = mustDo(t, e.srv, http.MethodGet, "/u/"+s.token)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: GET /u/ = %d", l, resp.StatusCode)
			}
			checkPageHeaders(t, resp)
			for _, want := range []string{`<html lang="` + pt.HTMLLang + `">`, `name="viewport"`, `<form method="post">`,
				`<button type="submit">` + htmlEscape(pt.Button) + `</button>`, htmlEscape(pt.Question), htmlEscape(pt.What), htmlEscape(pt.Muni)} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: GET /u/ lacks %q", l, want)
				}
			}

			// POST /u/: the answer, in the resident's language.
			resp, body = e.post(t, "/u/"+s.token, "List-Unsubscribe=One-Click")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: POST /u/ = %d", l, resp.StatusCode)
			}
			for _, want := range []string{`<html lang="` + pt.HTMLLang + `">`, htmlEscape(pt.Done), htmlEscape(pt.What), htmlEscape(pt.Again)} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: POST /u/ lacks %q", l, want)
				}
			}
			if strings.Contains(body, "<button") {
				t.Errorf("%s: the answer still has a button", l)
			}
			checkNoToken(t, e.logs, s.token)
		}
	})
}

// TestPages_MessageInKorean checks the message page by its words: Korean
// text, the Korean lang, the link to stop with the same token.
func TestPages_MessageInKorean(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		e := newPagesEnvOn(t, st, time.Time{})
		s := e.addSent(t, "ko1", kigen.Korean, kigen.SMS)
		resp, body := mustDo(t, e.srv, http.MethodGet, "/m/"+s.token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /m/ = %d", resp.StatusCode)
		}
		for _, want := range []string{`<html lang="ko">`, "재류카드", "https://kigen.example/u/" + s.token} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /m/ lacks %q", want)
			}
		}
		if strings.Contains(body, `/m/`+s.token+`"`) {
			t.Error("the message page links to itself")
		}
		if !strings.Contains(body, "/m/"+s.token+"/applied") || !strings.Contains(body, "갱신을 신청했습니다") {
			t.Error(`the message page has no "I applied" link in Korean`)
		}
	})
}

// TestPages_UnknownLink answers every unknown, malformed or erased link
// with the friendly page in all twelve languages, and changes nothing.
func TestPages_UnknownLink(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		e := newPagesEnvOn(t, st, time.Time{})
		s := e.addSent(t, "r1", kigen.English, kigen.Email)
		erased := e.addSent(t, "r2", kigen.Korean, kigen.Email)
		if err := e.st.DeleteResident(t.Context(), e.muni.ID, erased.res.ID); err != nil {
			t.Fatal(err)
		}
		forged := "AAAAAAAAAAAAAAAAAAAAAA"
		tests := []struct {
			name, method, path string
		}{
			{"message, unknown", http.MethodGet, "/m/" + forged},
			{"message, malformed", http.MethodGet, "/m/not%20a%20token"},
			{"message, erased", http.MethodGet, "/m/" + erased.token},
			{"confirm, unknown", http.MethodGet, "/u/" + forged},
			{"confirm, erased", http.MethodGet, "/u/" + erased.token},
			{"unsubscribe, unknown", http.MethodPost, "/u/" + forged},
			{"unsubscribe, off by one", http.MethodPost, "/u/" + s.token[:21] + "y"},
			{"unsubscribe, erased", http.MethodPost, "/u/" + erased.token},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var resp *http.Response
				var body string
				if tt.method == http.MethodPost {
					resp, body = e.post(t, tt.path, "List-Unsubscribe=One-Click")
				} else {
					resp, body = mustDo(t, e.srv, tt.method, tt.path)
				}
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("status %d, want 404", resp.StatusCode)
				}
				checkPageHeaders(t, resp)
				checkAllLanguages(t, e, body, kigen.Japanese)
			})
		}
		if c := e.mustContacts(t, s.res.ID)[kigen.Email]; c.OptedOut {
			t.Error("a forged token opted the resident out")
		}
		if got := e.mustCard(t, s.res.ID).NextNoticeOn; got != s.card.NextNoticeOn {
			t.Errorf("a forged token re-planned the card: %v, want %v", got, s.card.NextNoticeOn)
		}
		checkNoToken(t, e.logs, forged, erased.token, s.token)
	})
}

// checkAllLanguages fails unless body is the "unknown or expired" page in
// all twelve languages, each block with its lang, first in first.
func checkAllLanguages(t *testing.T, e *pagesEnv, body string, first kigen.Language) {
	t.Helper()
	if strings.Contains(body, "goroutine") || strings.Contains(body, "error") {
		t.Errorf("the page shows an error trace:\n%s", body)
	}
	firstAt := -1
	for _, l := range kigen.Languages {
		pt := e.page(t, l, kigen.Email)
		block := `lang="` + pt.HTMLLang + `" style="font-family:`
		text := htmlEscape(pt.Unknown)
		at := strings.Index(body, text)
		if at < 0 || !strings.Contains(body, block) {
			t.Errorf("%s: the page lacks %q in a block %s", l, pt.Unknown, block)
		}
		if l == first {
			firstAt = at
		} else if at >= 0 && at < firstAt {
			t.Errorf("%s comes before %s", l, first)
		}
	}
	if pt := e.page(t, first, kigen.Email); !strings.Contains(body, `<html lang="`+pt.HTMLLang+`">`) {
		t.Errorf("the page's lang is not %s's", first)
	}
}

// TestPages_Expired answers links of messages more than 400 days old with
// 410 and the friendly page, the resident's language first; nothing
// changes.
func TestPages_Expired(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		e := newPagesEnvOn(t, st, sentAt.Add(web.TokenTTL+time.Hour))
		s := e.addSent(t, "r1", kigen.Thai, kigen.Email)
		for _, tt := range []struct{ name, method, path string }{
			{"message", http.MethodGet, "/m/" + s.token},
			{"confirm", http.MethodGet, "/u/" + s.token},
			{"unsubscribe", http.MethodPost, "/u/" + s.token},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var resp *http.Response
				var body string
				if tt.method == http.MethodPost {
					resp, body = e.post(t, tt.path, "")
				} else {
					resp, body = mustDo(t, e.srv, tt.method, tt.path)
				}
				if resp.StatusCode != http.StatusGone {
					t.Errorf("status %d, want 410", resp.StatusCode)
				}
				checkAllLanguages(t, e, body, kigen.Thai)
			})
		}
		if c := e.mustContacts(t, s.res.ID)[kigen.Email]; c.OptedOut {
			t.Error("an expired token opted the resident out")
		}
	})
}

// TestPages_Unsubscribe: GET asks and changes nothing; POST (from the form
// or a mail client's one-click) opts the channel out and re-plans: with no
// channel left the card's next date is cleared; a second POST answers the
// same and changes nothing.
func TestPages_Unsubscribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		chs      []kigen.Channel // the message goes on the first
		body     string
		wantNext bool // the card still has a next date
	}{
		{"only channel, one-click", []kigen.Channel{kigen.Email}, "List-Unsubscribe=One-Click", false},
		{"only channel, no body", []kigen.Channel{kigen.SMS}, "", false},
		{"email of two", []kigen.Channel{kigen.Email, kigen.SMS}, "List-Unsubscribe=One-Click", true},
		{"sms of two", []kigen.Channel{kigen.SMS, kigen.Email}, url.Values{"List-Unsubscribe": {"One-Click"}}.Encode(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, st store.Store) {
				e := newPagesEnvOn(t, st, time.Time{})
				s := e.addSent(t, "r1", kigen.Japanese, tt.chs...)
				ch := tt.chs[0]
				before := e.mustContacts(t, s.res.ID)

				resp, body := mustDo(t, e.srv, http.MethodGet, "/u/"+s.token)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<button") {
					t.Fatalf("GET /u/ = %d, without a button?\n%s", resp.StatusCode, body)
				}
				resp, _ = mustDo(t, e.srv, http.MethodHead, "/u/"+s.token)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("HEAD /u/ = %d", resp.StatusCode)
				}
				if got := e.mustContacts(t, s.res.ID); got[ch] != before[ch] {
					t.Fatalf("GET /u/ changed the contact: %+v", got[ch])
				}
				if got := e.mustCard(t, s.res.ID).NextNoticeOn; got != s.card.NextNoticeOn {
					t.Fatalf("GET /u/ re-planned the card")
				}
				for _, m := range []string{http.MethodPut, http.MethodDelete} {
					if resp, _ := mustDo(t, e.srv, m, "/u/"+s.token); resp.StatusCode != http.StatusMethodNotAllowed {
						t.Errorf("%s /u/ = %d, want 405", m, resp.StatusCode)
					}
				}

				pt := e.page(t, kigen.Japanese, ch)
				resp, first := e.post(t, "/u/"+s.token, tt.body)
				if resp.StatusCode != http.StatusOK || !strings.Contains(first, htmlEscape(pt.Done)) {
					t.Fatalf("POST /u/ = %d, not done:\n%s", resp.StatusCode, first)
				}
				checkPageHeaders(t, resp)
				after := e.mustContacts(t, s.res.ID)
				for _, c := range tt.chs {
					if want := c == ch; after[c].OptedOut != want {
						t.Errorf("%s opted out: %v, want %v", c, after[c].OptedOut, want)
					}
				}
				card := e.mustCard(t, s.res.ID)
				if got := !card.NextNoticeOn.IsZero(); got != tt.wantNext {
					t.Errorf("card next notice on %v, want a date: %v", card.NextNoticeOn, tt.wantNext)
				}

				resp, second := e.post(t, "/u/"+s.token, tt.body)
				if resp.StatusCode != http.StatusOK || second != first {
					t.Errorf("second POST /u/ = %d, answer changed:\n%s", resp.StatusCode, second)
				}
				if again := e.mustContacts(t, s.res.ID); again[ch] != after[ch] {
					t.Errorf("second POST /u/ wrote the contact again: %+v", again[ch])
				}
				// Once stopped, the question is answered.
				if _, body := mustDo(t, e.srv, http.MethodGet, "/u/"+s.token); body != first {
					t.Errorf("GET /u/ after stopping is not the answer:\n%s", body)
				}

				logs := e.logs.String()
				checkNoToken(t, e.logs, s.token)
				if n := strings.Count(logs, `"msg":"resident unsubscribed"`); n != 1 {
					t.Errorf("%d unsubscribe log lines, want 1", n)
				}
				if !strings.Contains(logs, `"route":"POST /u/{token}"`) {
					t.Error("the request log does not name the route pattern")
				}
				for _, pii := range []string{"r1@example.com", "+8190", s.res.Name} {
					if strings.Contains(logs, pii) {
						t.Errorf("the logs hold personal data %q", pii)
					}
				}
			})
		})
	}
}

// TestPages_StoreDown answers a failure on Kigen's side with a friendly
// page in every language, logged without the token.
func TestPages_StoreDown(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, st store.Store) {
		e := newPagesEnvOn(t, st, time.Time{})
		s := e.addSent(t, "r1", kigen.English, kigen.Email)
		if err := e.st.Close(); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ name, method string }{{"confirm", http.MethodGet}, {"unsubscribe", http.MethodPost}} {
			var resp *http.Response
			var body string
			if tt.method == http.MethodPost {
				resp, body = e.post(t, "/u/"+s.token, "")
			} else {
				resp, body = mustDo(t, e.srv, tt.method, "/u/"+s.token)
			}
			if resp.StatusCode != http.StatusInternalServerError {
				t.Errorf("%s: status %d, want 500", tt.name, resp.StatusCode)
			}
			for _, l := range kigen.Languages {
				if pt := e.page(t, l, kigen.Email); !strings.Contains(body, htmlEscape(pt.Error)) {
					t.Errorf("%s: %s: the page lacks %q", tt.name, l, pt.Error)
				}
			}
			if strings.Contains(body, "closed") || strings.Contains(body, "sql") {
				t.Errorf("%s: the page shows the error:\n%s", tt.name, body)
			}
		}
		if !strings.Contains(e.logs.String(), `"msg":"page failed"`) {
			t.Error("the failure is not logged")
		}
		checkNoToken(t, e.logs, s.token)
	})
}

// TestPages_NotMounted: without Pages there are no such routes.
func TestPages_NotMounted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(web.NewHandler(web.Deps{}))
	t.Cleanup(srv.Close)
	if resp, _ := mustDo(t, srv, http.MethodGet, "/u/AAAAAAAAAAAAAAAAAAAAAA"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /u/ = %d, want 404", resp.StatusCode)
	}
}

// htmlEscape is how html/template writes a text.
func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	return r.Replace(s)
}
