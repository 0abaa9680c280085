package resident_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
	"kigen/store/storetest"
	"kigen/web/resident"
)

// sentMessage records a message to the resident signed up last (a d90
// notice of their residence card), with its link token, as a tick does.
func (e *env) sentMessage(t *testing.T, token string) *store.Holding {
	t.Helper()
	ctx := t.Context()
	mu, err := e.s.GetMunicipalityByCode(ctx, "012033")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := e.d.LocalAdmin(ctx, "test", "012033")
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.d.ListResidents(ctx, admin, desk.ListResidentsParams{})
	if err != nil || len(list.Residents) == 0 {
		t.Fatalf("residents: %v %v", list, err)
	}
	r, err := e.s.GetResidentByRef(ctx, mu.ID, list.Residents[0].Ref)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := store.LoadHoldings(ctx, e.s, mu.ID, r.ID)
	if err != nil || len(hs) == 0 {
		t.Fatal(err)
	}
	var card *kigen.Card
	for _, c := range hs[0].Cards {
		if c.Kind == kigen.ResidenceCard {
			card = c
		}
	}
	n := storetest.MustCreateNotice(t, ctx, e.s, mu.ID, card.ID, card.ExpiresOn, kigen.D90)
	m := storetest.MustCreateMessage(t, ctx, e.s, mu.ID, r.ID, kigen.SMS, n.TickDate, n.ID)
	if err := e.s.SetMessageToken(ctx, m.ID, auth.HashToken(token)); err != nil {
		t.Fatal(err)
	}
	return hs[0]
}

// TestMessageLinks: a message's "I applied" and "I have my new card" lead
// to a page that asks (a GET records nothing) and records on a POST.
func TestMessageLinks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		me, _ := e.signUpBySMS(t, kigen.Vietnamese, "090-1234-5678")
		token := "msgLinkToken-0123456789"
		e.sentMessage(t, token)
		applied := "/m/" + token + "/applied"
		for range 2 {
			status, _, body := e.get(t, applied)
			if status != http.StatusOK || !strings.Contains(body, `action="`+applied+`"`) || !strings.Contains(body, `name="applied-year"`) ||
				!strings.Contains(body, resident.T(kigen.Vietnamese, "act.applied.title")) {
				t.Fatalf("GET %s: %d\n%s", applied, status, body)
			}
		}
		if _, _, body := e.get(t, me); strings.Contains(body, "24 tháng 11") {
			t.Fatal("opening the link recorded the application")
		}
		status, _, body := e.post(t, applied, url.Values{"applied-year": {"2026"}, "applied-month": {"11"}, "applied-day": {"31"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#applied-year"`) {
			t.Fatalf("31 November: %d\n%s", status, body)
		}
		status, _, body = e.post(t, applied, url.Values{"applied-year": {"2026"}, "applied-month": {"11"}, "applied-day": {"24"}})
		if status != http.StatusOK || !strings.Contains(body, resident.T(kigen.Vietnamese, "act.applied.done")) {
			t.Fatalf("POST %s: %d\n%s", applied, status, body)
		}
		if _, _, body = e.get(t, me); !strings.Contains(body, resident.T(kigen.Vietnamese, "timeline.applied", "date", resident.FormatDate(kigen.Vietnamese, kigen.Date{Year: 2026, Month: 11, Day: 24}))) {
			t.Errorf("the resident's page does not show the application:\n%s", body)
		}

		card := "/m/" + token + "/card"
		status, _, body = e.get(t, card+"?card=mynumber_card")
		if status != http.StatusOK || !strings.Contains(body, `name="card" value="mynumber_card"`) {
			t.Fatalf("GET %s: %d\n%s", card, status, body)
		}
		status, _, body = e.post(t, card, url.Values{"card": {"mynumber_card"}, "expires-year": {"2031"}, "expires-month": {"3"}, "expires-day": {"31"}})
		if status != http.StatusOK || !strings.Contains(body, resident.T(kigen.Vietnamese, "act.newcard.done")) {
			t.Fatalf("POST %s: %d\n%s", card, status, body)
		}
		if _, _, body = e.get(t, me); !strings.Contains(body, resident.FormatDate(kigen.Vietnamese, kigen.Date{Year: 2031, Month: 3, Day: 31})) {
			t.Error("the new card's date is not on the resident's page")
		}
	})
}
