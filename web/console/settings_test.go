package console_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"kigen/desk"
)

// TestConsole_SettingsTokens: an admin lists, creates (the secret shown
// once, not cached, not on the list) and revokes the municipality's API
// tokens; staff are refused (403); another municipality's token is not
// found (404) and stays valid; a cross-site POST is refused.
func TestConsole_SettingsTokens(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staffA, adminA := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example")
	if resp, _ := e.get(t, staffA, "/console/settings/tokens"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff GET tokens: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.post(t, staffA, "/console/settings/tokens", url.Values{"name": {"x"}, "scope": {"read"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff POST tokens: %d, want 403", resp.StatusCode)
	}
	_, home := e.get(t, staffA, "/console/")
	if strings.Contains(home, "/console/settings/") {
		t.Errorf("staff see the settings in the navigation")
	}
	_, home = e.get(t, adminA, "/console/")
	checkContains(t, home, `href="/console/settings/staff"`)

	resp, body := e.get(t, adminA, "/console/settings/tokens")
	if resp.StatusCode != 200 {
		t.Fatalf("admin GET tokens: %d", resp.StatusCode)
	}
	checkContains(t, body, "APIトークンはありません。", `name="scope"`)

	// A bad name: the form again, the error next to the field and at the top.
	resp, body = e.post(t, adminA, "/console/settings/tokens", url.Values{"name": {"bad name!"}, "scope": {"write"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad name: %d, want 422", resp.StatusCode)
	}
	checkContains(t, body, "error-summary", `href="#token-name"`, `id="token-name-error"`, `value="bad name!"`)

	resp, body = e.post(t, adminA, "/console/settings/tokens", url.Values{"name": {"resident-system"}, "scope": {"write"}})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	ts, err := e.desk.ListTokens(t.Context(), e.adminA, "")
	if err != nil || len(ts) != 1 || ts[0].Scope != desk.ScopeWrite {
		t.Fatalf("tokens of A after create: %v %v", ts, err)
	}
	i := strings.Index(body, "<code>")
	j := strings.Index(body, "</code>")
	if i < 0 || j < i {
		t.Fatalf("the new token is not shown:\n%s", body)
	}
	secret := body[i+len("<code>") : j]
	if a, err := e.desk.AuthenticateToken(t.Context(), secret); err != nil || a.MunicipalityCode != "012033" {
		t.Fatalf("the shown secret does not authenticate: %v %v", a, err)
	}
	_, body = e.get(t, adminA, "/console/settings/tokens")
	checkContains(t, body, "resident-system", "読み書き", "有効")
	if strings.Contains(body, secret) {
		t.Errorf("the secret is shown again")
	}

	// B's token: not found for A's admin, and still valid.
	adminB, _, err := e.desk.LocalAdmin(t.Context(), "seed", "131016")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := e.desk.CreateToken(t.Context(), adminB, desk.TokenParams{Name: "b-system"})
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.post(t, adminA, "/console/settings/tokens/"+strconv.FormatInt(tb.Token.ID, 10)+"/revoke", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("A's admin revokes B's token: %d, want 404", resp.StatusCode)
	}
	if _, err := e.desk.AuthenticateToken(t.Context(), tb.Secret); err != nil {
		t.Errorf("B's token no longer works: %v", err)
	}
	if strings.Contains(body, "b-system") {
		t.Errorf("A's admin sees B's token")
	}

	// A cross-site POST changes nothing.
	path := "/console/settings/tokens/" + strconv.FormatInt(ts[0].ID, 10) + "/revoke"
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, _ := e.do(t, adminA, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site revoke: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.post(t, staffA, path, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff revoke: %d, want 403", resp.StatusCode)
	}
	resp, _ = e.post(t, adminA, path, nil)
	_, body = e.follow(t, adminA, resp)
	checkContains(t, body, "APIトークン resident-system を失効させました。", "失効（")
	if _, err := e.desk.AuthenticateToken(t.Context(), secret); err == nil {
		t.Errorf("the revoked token still works")
	}
}

// TestConsole_SettingsStaff: an admin invites (the setup link shown once),
// disables, resets and unlocks the municipality's accounts; staff are
// refused (403); another municipality's account is not found (404) and
// left as it was.
func TestConsole_SettingsStaff(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	staffA, adminA := e.signedIn(t, "staff@a.example"), e.signedIn(t, "admin@a.example")
	for _, p := range []string{"", "/disable", "/reset", "/unlock"} {
		if resp, _ := e.post(t, staffA, "/console/settings/staff"+p, url.Values{"email": {"admin@a.example"}, "role": {"staff"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("staff POST staff%s: %d, want 403", p, resp.StatusCode)
		}
	}
	if resp, _ := e.get(t, staffA, "/console/settings/staff"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("staff GET staff: %d, want 403", resp.StatusCode)
	}
	resp, body := e.get(t, adminA, "/console/settings/staff")
	if resp.StatusCode != 200 {
		t.Fatalf("admin GET staff: %d", resp.StatusCode)
	}
	checkContains(t, body, "staff@a.example", "admin@a.example")
	if strings.Contains(body, "staff@b.example") {
		t.Errorf("A's admin sees B's accounts")
	}

	resp, body = e.post(t, adminA, "/console/settings/staff", url.Values{"email": {"not-an-address"}, "role": {"staff"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad email: %d, want 422", resp.StatusCode)
	}
	checkContains(t, body, "error-summary", `href="#staff-email"`, `id="staff-email-error"`)

	resp, body = e.post(t, adminA, "/console/settings/staff", url.Values{"email": {"new@a.example"}, "role": {"staff"}})
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("invite: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	i := strings.Index(body, "/console/setup/")
	if i < 0 {
		t.Fatalf("no setup link:\n%s", body)
	}
	token := body[i+len("/console/setup/") : i+strings.Index(body[i:], "</code>")]
	if s, err := e.desk.SetupInfo(t.Context(), token); err != nil || s.Email != "new@a.example" {
		t.Fatalf("the shown link does not set up new@a.example: %v %v", s, err)
	}
	_, body = e.get(t, adminA, "/console/settings/staff")
	checkContains(t, body, "new@a.example", "招待中")
	if strings.Contains(body, token) {
		t.Errorf("the setup link is shown again")
	}

	// B's account: not found for every action, and still signs in.
	for _, p := range []string{"/disable", "/reset", "/unlock"} {
		if resp, _ := e.post(t, adminA, "/console/settings/staff"+p, url.Values{"email": {"staff@b.example"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("A's admin%s B's account: %d, want 404", p, resp.StatusCode)
		}
	}
	e.signedIn(t, "staff@b.example")

	resp, _ = e.post(t, adminA, "/console/settings/staff/unlock", url.Values{"email": {"staff@a.example"}})
	_, body = e.follow(t, adminA, resp)
	checkContains(t, body, "のロックを解除しました。")
	resp, _ = e.post(t, adminA, "/console/settings/staff/disable", url.Values{"email": {"staff@a.example"}})
	_, body = e.follow(t, adminA, resp)
	checkContains(t, body, "を無効にしました。", "無効")
	if strings.Contains(body, "staff@a.example</") && !strings.Contains(body, "無効</td>") {
		t.Errorf("the disabled account is not shown disabled")
	}
	if resp, _ := e.get(t, staffA, "/console/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the disabled account's session still works: %d", resp.StatusCode)
	}
	resp, body = e.post(t, adminA, "/console/settings/staff/reset", url.Values{"email": {"staff@a.example"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "/console/setup/") {
		t.Errorf("reset: %d, no new setup link", resp.StatusCode)
	}
}
