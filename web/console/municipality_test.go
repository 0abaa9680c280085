package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsole_SettingsMunicipality: staff are refused (403); an admin sees
// the municipality's settings, saves a change (redirected, with a flash)
// and sees it; a bad date is shown next to its field and at the top, the
// input kept, nothing saved.
func TestConsole_SettingsMunicipality(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staffA, adminA := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example")
	if resp, _ := e.get(t, staffA, "/console/settings/municipality"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff GET municipality: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.post(t, staffA, "/console/settings/municipality", url.Values{"name": {"小樽市"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff POST municipality: %d, want 403", resp.StatusCode)
	}
	_, tokens := e.get(t, adminA, "/console/settings/tokens")
	checkContains(t, tokens, `href="/console/settings/municipality"`)

	resp, body := e.get(t, adminA, "/console/settings/municipality")
	if resp.StatusCode != 200 {
		t.Fatalf("admin GET municipality: %d", resp.StatusCode)
	}
	checkContains(t, body, `id="muni-name"`, `value="小樽市"`, `id="muni-closed-days"`)

	form := func(closed string) url.Values {
		return url.Values{"name": {"小樽市"}, "name_kana": {"おたるし"}, "kind": {"市"}, "name_latin": {"Otaru"},
			"name_hangul": {"오타루"}, "name_thai": {""}, "name_devanagari": {""}, "office": {"小樽市役所 本庁舎 2階"},
			"contact_phone": {"0134-32-4111"}, "contact_email": {"info@city.otaru.example"}, "contact_url": {"https://www.city.otaru.example/"},
			"closed_days": {closed}, "open_days": {"2027-03-27"}}
	}
	resp, body = e.post(t, adminA, "/console/settings/municipality", form("2027-01-08\n2027-01-07"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/settings/municipality" {
		t.Fatalf("save: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, body = e.get(t, adminA, "/console/settings/municipality")
	checkContains(t, body, "自治体の設定を保存しました。", `value="小樽市役所 本庁舎 2階"`, `value="0134-32-4111"`,
		`value="2027-01-07, 2027-01-08"`, `value="2027-03-27"`, `value="오타루"`)
	mu, err := e.desk.ShowMunicipality(t.Context(), e.adminA, "")
	if err != nil || mu.OfficeJA != "小樽市役所 本庁舎 2階" || len(mu.ClosedDays) != 2 || mu.ContactEmail != "info@city.otaru.example" {
		t.Errorf("stored: %+v, %v", mu, err)
	}

	// A bad date: next to its field and at the top; nothing saved.
	resp, body = e.post(t, adminA, "/console/settings/municipality", form("2027-01-08, soon"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad date: %d, want 422", resp.StatusCode)
	}
	checkContains(t, body, "error-summary", `href="#muni-closed-days"`, `id="muni-closed-days-error"`, "2番目の日付を読み取れません", `value="2027-01-08, soon"`)
	if mu, _ := e.desk.ShowMunicipality(t.Context(), e.adminA, ""); mu == nil || len(mu.ClosedDays) != 2 || !strings.HasPrefix(mu.ClosedDays[0].String(), "2027-01-07") {
		t.Errorf("a refused form changed the calendar: %+v", mu)
	}
}
