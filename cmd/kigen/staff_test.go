package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/desk"
	"kigen/store/sqlite"
)

// withDesk runs f on a desk over the test's SQLite store, between two
// runs of kigen.
func withDesk(t *testing.T, env map[string]string, f func(d *desk.Desk)) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), strings.TrimPrefix(env["DATABASE_URL"], "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f(&desk.Desk{Store: s, Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo) }}) // KIGEN_NOW
}

var setupLinkRE = regexp.MustCompile(`https://kigen\.city\.example/console/setup/([A-Za-z0-9_-]{43})\n`)

// TestStaff: kigen staff add prints a one-time setup link under
// KIGEN_PUBLIC_URL (the link works); list, disable, reset (a new link;
// the old one stops working) and unlock; operators without a
// municipality; mistakes are refused with what to do.
func TestStaff(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	env["KIGEN_PUBLIC_URL"] = "https://kigen.city.example"
	mustRun(t, env, "municipality", "add", "012033", "--contact-phone", "0134-32-4111")

	out := mustRun(t, env, "staff", "add", "--role", "admin", "--municipality", "012033", "Kenji@City.Otaru.example.jp")
	if !strings.HasPrefix(out, "added kenji@city.otaru.example.jp (admin of 012033). Send this one-time setup link to them; it is valid until 2026-11-28 09:00 JST:\n") {
		t.Errorf("staff add: %q", out)
	}
	m := setupLinkRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("staff add printed no setup link: %q", out)
	}
	first := m[1]
	withDesk(t, env, func(d *desk.Desk) {
		s, err := d.SetupInfo(context.Background(), first)
		if err != nil || s.Email != "kenji@city.otaru.example.jp" || s.Role != "admin" {
			t.Errorf("the printed link: %+v, %v", s, err)
		}
	})
	out = mustRun(t, env, "staff", "add", "ops@kigen.example", "--role", "operator")
	if !strings.HasPrefix(out, "added ops@kigen.example (operator). ") || !setupLinkRE.MatchString(out) {
		t.Errorf("staff add --role operator: %q", out)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"staff", "add", "--role", "admin", "--municipality", "012033", "kenji@city.otaru.example.jp"}, exitInvalid,
			"kigen: there is already an account for kenji@city.otaru.example.jp\n"},
		{[]string{"staff", "add", "--role", "operator", "--municipality", "012033", "ops2@kigen.example"}, exitInvalid,
			"kigen: --municipality: an operator belongs to no municipality: give none\n"},
		{[]string{"staff", "add", "--role", "staff", "yui@city.otaru.example.jp"}, exitInvalid,
			"kigen: --municipality: give the code of the municipality\n"},
		{[]string{"staff", "add", "--role", "root", "--municipality", "012033", "yui@city.otaru.example.jp"}, exitInvalid,
			"kigen: --role: \"root\" is not a role of an account: staff, admin or operator\n"},
		{[]string{"staff", "add", "--role", "staff", "--municipality", "131016", "yui@city.otaru.example.jp"}, exitInvalid,
			"kigen: no municipality \"131016\"\n"},
		{[]string{"staff", "add", "yui@city.otaru.example.jp"}, exitUsage, "kigen: staff add: give --role staff|admin|operator\n"},
		{[]string{"staff", "disable", "nobody@example.jp"}, exitInvalid, "kigen: no account \"nobody@example.jp\"\n"},
		{[]string{"staff", "fire", "x"}, exitUsage, "kigen: staff: unknown subcommand \"fire\" (add, list, disable, reset or unlock)\n"},
	} {
		code, _, errOut := runKigen(t, env, tt.args...)
		if code != tt.code || errOut != tt.want {
			t.Errorf("kigen %s: code %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
		}
	}

	out = mustRun(t, env, "staff", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "kenji@city.otaru.example.jp admin 012033 invited "+created ||
		strings.Join(strings.Fields(lines[2]), " ") != "ops@kigen.example operator - invited "+created {
		t.Errorf("staff list:\n%s", out)
	}
	if out := mustRun(t, env, "staff", "list", "--municipality", "012033", "--json"); !strings.Contains(out, `"email": "kenji@city.otaru.example.jp"`) ||
		strings.Contains(out, "ops@kigen.example") {
		t.Errorf("staff list --municipality 012033 --json:\n%s", out)
	}

	out = mustRun(t, env, "staff", "disable", "kenji@city.otaru.example.jp")
	if out != "disabled kenji@city.otaru.example.jp: its sessions have ended; kigen staff reset kenji@city.otaru.example.jp enables it again with a new setup link\n" {
		t.Errorf("staff disable: %q", out)
	}
	if out := mustRun(t, env, "staff", "list", "--municipality", "012033"); !strings.Contains(out, " disabled ") {
		t.Errorf("after disable:\n%s", out)
	}
	out = mustRun(t, env, "staff", "reset", "kenji@city.otaru.example.jp")
	m = setupLinkRE.FindStringSubmatch(out)
	if !strings.HasPrefix(out, "reset kenji@city.otaru.example.jp (admin of 012033). ") || m == nil || m[1] == first {
		t.Fatalf("staff reset: %q", out)
	}
	withDesk(t, env, func(d *desk.Desk) {
		if _, err := d.SetupInfo(context.Background(), first); kigen.ErrorCode(err) != kigen.ENOTFOUND {
			t.Errorf("the first link after the reset: %v, want not found", err)
		}
		if _, err := d.SetupInfo(context.Background(), m[1]); err != nil {
			t.Errorf("the new link: %v", err)
		}
	})
	if out := mustRun(t, env, "staff", "unlock", "kenji@city.otaru.example.jp"); out != "unlocked kenji@city.otaru.example.jp (invited)\n" {
		t.Errorf("staff unlock: %q", out)
	}
}

// created is the date of KIGEN_NOW, as staff list prints an account's
// creation.
const created = "2026-11-25"

// TestToken: kigen token create prints the token once (it works, as
// read-only staff of the municipality); list shows no secret; revoke
// ends it.
func TestToken(t *testing.T) {
	t.Parallel()
	env := newEnv(t)
	mustRun(t, env, "municipality", "add", "012033", "--contact-phone", "0134-32-4111")
	out := mustRun(t, env, "token", "create", "--municipality", "012033", "--name", "resident-system")
	m := regexp.MustCompile(`^created API token 1 "resident-system" \(read\) of 012033\. It is shown this once; send it as Authorization: Bearer TOKEN:\n([A-Za-z0-9_-]{43})\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("token create: %q", out)
	}
	secret := m[1]
	mustRun(t, env, "token", "create", "--municipality", "012033", "--name", "sync", "--scope", "write")
	withDesk(t, env, func(d *desk.Desk) {
		a, err := d.AuthenticateToken(context.Background(), secret)
		if err != nil || a.ID != "token:1:resident-system" || !a.ReadOnly || a.MunicipalityCode != "012033" {
			t.Errorf("the printed token: %+v, %v", a, err)
		}
	})
	out = mustRun(t, env, "token", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if strings.Contains(out, secret) || len(lines) != 3 || !strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "1 resident-system 012033 read cli:") ||
		!strings.HasPrefix(strings.Join(strings.Fields(lines[2]), " "), "2 sync 012033 write cli:") {
		t.Errorf("token list:\n%s", out)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"token", "create", "--name", "x"}, exitUsage, "kigen: token create: give --municipality CODE and --name NAME\n"},
		{[]string{"token", "create", "--municipality", "012033", "--name", "x", "--scope", "admin"}, exitInvalid,
			"kigen: --scope: \"admin\" is not a scope: read or write\n"},
		{[]string{"token", "create", "--municipality", "131016", "--name", "x"}, exitInvalid, "kigen: no municipality \"131016\"\n"},
		{[]string{"token", "revoke", "abc"}, exitUsage, "kigen: token revoke: \"abc\" is not a token ID (see kigen token list)\n"},
		{[]string{"token", "revoke", "99"}, exitInvalid, "kigen: no API token 99\n"},
	} {
		code, _, errOut := runKigen(t, env, tt.args...)
		if code != tt.code || errOut != tt.want {
			t.Errorf("kigen %s: code %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, errOut, tt.code, tt.want)
		}
	}
	if out := mustRun(t, env, "token", "revoke", "1"); out != "revoked API token 1 \"resident-system\" of 012033\n" {
		t.Errorf("token revoke: %q", out)
	}
	withDesk(t, env, func(d *desk.Desk) {
		if _, err := d.AuthenticateToken(context.Background(), secret); kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("the revoked token: %v, want unauthorized", err)
		}
	})
	if out := mustRun(t, env, "token", "list", "--json"); !strings.Contains(out, `"revoked_at"`) {
		t.Errorf("token list --json after revoke:\n%s", out)
	}
}
