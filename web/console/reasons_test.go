package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kigen/internal/storetesting"
	"kigen/store"
)

// TestConsole_RefusalsInPageLanguage: the service layer's refusals read in
// the page's language — a date that does not exist and an email address
// that is not one, next to their fields and in the summary, Japanese on a
// Japanese page and English on an English one; the import's row reasons
// too, in its refusal and in its dry run's warnings.
func TestConsole_RefusalsInPageLanguage(t *testing.T) {
	t.Parallel()
	storetesting.Each(t, func(t *testing.T, s store.Store) {
		e := newEnv(t, s)
		c := e.signedIn(t, "staff@a.example")
		form := url.Values{"ref": {"R-7"}, "name": {"Pham Thi Lan"}, "language": {"vi"}, "email": {"lan.example.jp"},
			"status": {"fixed_period"}, "consent": {"yes"}, "action": {"save"},
			"residence_card-year": {"2027"}, "residence_card-month": {"2"}, "residence_card-day": {"30"}}

		resp, body := e.post(t, c, "/console/register", form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad date and email: %d, want 422", resp.StatusCode)
		}
		checkContains(t, body,
			`<p class="error" id="email-error">メールアドレスとして正しくありません</p>`,
			`<p class="error" id="residence_card-error">「2027-2-30」は存在しない日付です</p>`,
			`<a href="#email">メールアドレスとして正しくありません</a>`,
			`<a href="#residence_card-year">「2027-2-30」は存在しない日付です</a>`)
		for _, english := range []string{"is not a valid email address", "is not a date"} {
			if strings.Contains(body, english) {
				t.Errorf("the Japanese page holds the English %q", english)
			}
		}
		if resp, _ := e.get(t, c, "/console/residents/R-7"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a refused registration saved R-7: %d", resp.StatusCode)
		}

		// The preview's warning: a certificate outliving its card, under
		// the card's name.
		preview := url.Values{"ref": {"R-7"}, "name": {"Pham Thi Lan"}, "language": {"vi"}, "email": {"lan@example.jp"},
			"status": {"fixed_period"}, "consent": {"yes"}, "action": {"preview"},
			"mynumber_card-year": {"2030"}, "mynumber_card-month": {"5"}, "mynumber_card-day": {"1"},
			"mynumber_cert-year": {"2031"}, "mynumber_cert-month": {"5"}, "mynumber_cert-day": {"1"}}
		resp, body = e.post(t, c, "/console/register", preview)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("preview: %d", resp.StatusCode)
		}
		checkContains(t, body, `<p class="hint">電子証明書: 2031-05-01はカードの有効期限2030-05-01より後です`)

		// A reference already registered, on its field.
		taken := url.Values{"ref": {"R-1"}, "name": {"Nguyen Van An"}, "language": {"vi"}, "status": {"fixed_period"},
			"consent": {"no"}, "action": {"save"}}
		_, body = e.post(t, c, "/console/register", taken)
		checkContains(t, body, `<p class="error" id="ref-error">住民「R-1」は小樽市（012033）に登録済みです。登録済みの住民を変更してください</p>`)

		// The import on a Japanese page: the refused row's reason, and a
		// warning of the dry run.
		resp, body = e.upload(t, c, "list.csv", "resident_ref,name,language,email,phone,residence_card_expires_on,consent\n"+
			"R-5,Ana Lima,pt,ana@example,,2027-03-31,yes\n")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad file: %d", resp.StatusCode)
		}
		checkContains(t, body, "<code>email</code>", "メールアドレスとして正しくありません")
		resp, body = e.upload(t, c, "list.csv", "resident_ref,name,language,email,phone,residence_card_expires_on,consent\n"+
			"R-5,Ana Lima,pt,ana@example.jp,03-1234-5678,2027-03-31,yes\n")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("dry run: %d", resp.StatusCode)
		}
		checkContains(t, body, "まだ取り込んでいません", "<code>phone</code>", "携帯電話の番号ではないため、SMSは届きません")
		if strings.Contains(body, "SMS cannot reach it") {
			t.Error("the Japanese dry run holds the English warning")
		}

		// The same on an English page: the English words.
		if resp, _ := e.post(t, c, "/console/lang", url.Values{"lang": {"en"}, "back": {"/console/register"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("switch to English: %d", resp.StatusCode)
		}
		_, body = e.post(t, c, "/console/register", form)
		checkContains(t, body, `<html lang="en">`,
			`<p class="error" id="email-error">is not a valid email address</p>`,
			`<p class="error" id="residence_card-error">&#34;2027-2-30&#34; is not a date</p>`)
		_, body = e.upload(t, c, "list.csv", "resident_ref,name,language,email,phone,residence_card_expires_on,consent\n"+
			"R-5,Ana Lima,pt,ana@example.jp,03-1234-5678,2027-03-31,yes\n")
		checkContains(t, body, "is not a mobile number: SMS cannot reach it")
	})
}
