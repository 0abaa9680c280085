package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kigen/internal/engine"
	"kigen/store/postgres/postgrestest"
)

// runKigen runs the command with env as its whole environment and returns
// the exit code and outputs.
func runKigen(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := NewMain(&out, &errOut, func(k string) string { return env[k] })
	code = m.Run(context.Background(), args)
	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	return code, out.String(), errOut.String()
}

func TestMigrate_SQLite(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "kigen.db")}
	checkMigrateTwice(t, env)
}

// checkMigrateTwice runs migrate twice: the first applies, the second has
// nothing left to do.
func checkMigrateTwice(t *testing.T, env map[string]string) {
	t.Helper()
	code, out, errOut := runKigen(t, env, "migrate")
	if code != exitOK || !strings.Contains(out, "applied") {
		t.Fatalf("first migrate: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runKigen(t, env, "migrate")
	if code != exitOK || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: code %d, stdout %q; want up to date", code, out)
	}
}

func TestMigrate_Unreachable(t *testing.T) {
	t.Parallel()
	// Port 1 on loopback refuses at once: nothing leaves the machine.
	env := map[string]string{"DATABASE_URL": "postgres://kigen:secret@127.0.0.1:1/kigen?sslmode=disable&connect_timeout=2"}
	code, _, errOut := runKigen(t, env, "migrate")
	if code != exitEnv {
		t.Fatalf("code %d, want %d (environment failure); stderr %q", code, exitEnv, errOut)
	}
	if strings.Contains(errOut, "secret") {
		t.Errorf("stderr leaks the password: %q", errOut)
	}
}

func TestRun_Usage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no command", args: nil, wantCode: exitUsage},
		{name: "help", args: []string{"help"}, wantCode: exitOK},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: exitUsage, wantErr: `unknown command "frobnicate"`},
		{name: "bad DATABASE_URL", env: map[string]string{"DATABASE_URL": "mysql://x"}, args: []string{"migrate"},
			wantCode: exitUsage, wantErr: "DATABASE_URL: must start with"},
		{name: "bad KIGEN_NOW and DATABASE_URL reported together", env: map[string]string{"DATABASE_URL": "sqlite:", "KIGEN_NOW": "tomorrow"},
			args: []string{"config"}, wantCode: exitUsage, wantErr: "KIGEN_NOW: is not a date"},
		{name: "migrate takes no arguments", args: []string{"migrate", "x"}, wantCode: exitUsage, wantErr: "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runKigen(t, tt.env, tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("code %d, stderr %q; want code %d and %q", code, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestConfig_RedactsSecrets(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://kigen:hunter2@db.example:5432/kigen", "KIGEN_NOW": "2027-03-31"}
	code, out, _ := runKigen(t, env, "config")
	if code != exitOK {
		t.Fatalf("code %d", code)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "kigen:REDACTED@db.example") {
		t.Errorf("config output %q: want the password redacted", out)
	}
	if !strings.Contains(out, "KIGEN_NOW=2027-03-31T09:00:00+09:00") {
		t.Errorf("config output %q: want KIGEN_NOW as 09:00 Tokyo", out)
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIGEN_NOW": "2026-11-25"}
	code, out, errOut := runKigen(t, env, "timeline", "--residence-card", "令和12年3月31日", "--mynumber-card", "R9.3.31")
	if code != exitOK {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wantFirst := []string{"2026-11-25", "mynumber_card", "2027-03-31", "renewal_gap", "126"}
	if got := strings.Fields(lines[1]); len(got) < 5 || strings.Join(got[:5], " ") != strings.Join(wantFirst, " ") {
		t.Errorf("first notice %q, want the renewal gap at once: %v", lines[1], wantFirst)
	}
	for _, want := range []string{
		"2026-12-31  mynumber_card   2027-03-31  d90",
		"2027-04-01  mynumber_card   2027-03-31  expired",
		"2030-03-30  residence_card  2030-03-31  d1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "renewal_gap"); n != 1 {
		t.Errorf("renewal_gap appears %d times, want once", n)
	}

	code, _, errOut = runKigen(t, env, "timeline", "--mynumber-card", "2027-02-30")
	if code != exitUsage || !strings.Contains(errOut, `--mynumber-card: "2027-02-30" is not a date`) {
		t.Errorf("bad date: code %d, stderr %q", code, errOut)
	}
}

func TestMigrate_Postgres(t *testing.T) {
	t.Parallel()
	_, schema := postgrestest.NewSchemaPool(t)
	url := postgrestest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	env := map[string]string{"DATABASE_URL": url + sep + "search_path=" + schema}
	checkMigrateTwice(t, env)
}

func TestConfig_Providers(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(secretFile, []byte("tok3n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SENDGRID_API_KEY": "SG.s3cret", "KIGEN_EMAIL_FROM": "Kigen <noreply@example.jp>",
		"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN_FILE": secretFile, "TWILIO_FROM": "+815012345678",
	}
	code, out, errOut := runKigen(t, env, "config")
	if code != exitOK {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"SENDGRID_API_KEY=REDACTED", "TWILIO_AUTH_TOKEN=REDACTED", "email goes to: sendgrid; SMS goes to: twilio"} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret") || strings.Contains(out, "tok3n") {
		t.Errorf("config leaks a secret:\n%s", out)
	}
	if code, out, _ := runKigen(t, map[string]string{}, "config"); code != exitOK || !strings.Contains(out, "email goes to: outbox; SMS goes to: outbox") {
		t.Errorf("without keys: code %d\n%s", code, out)
	}

	bad := map[string]string{"SENDGRID_API_KEY": "x", "TWILIO_ACCOUNT_SID": "AC1", "KIGEN_PUBLIC_URL": "kigen.example",
		"TWILIO_AUTH_TOKEN": "a", "TWILIO_AUTH_TOKEN_FILE": secretFile}
	code, _, errOut = runKigen(t, bad, "config")
	for _, want := range []string{"TWILIO_AUTH_TOKEN and TWILIO_AUTH_TOKEN_FILE: set one, not both",
		`KIGEN_PUBLIC_URL: "kigen.example" is not an http(s) URL`, "KIGEN_EMAIL_FROM: required with SENDGRID_API_KEY",
		"TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM: one is required"} {
		if code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("bad provider config: code %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}

func TestConfig_Durations(t *testing.T) {
	t.Parallel()
	good := map[string]string{"KIGEN_PROVIDER_TIMEOUT": "2s", "KIGEN_RESCUE_AFTER": "5s", "KIGEN_TICK_STALE_AFTER": "3s",
		"KIGEN_RETRY_DELAYS": "2s, 1m", "KIGEN_INSTANCE_ID": "kigen-a", "KIGEN_WORKERS": "40"}
	cfg, err := LoadConfig(func(k string) string { return good[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ProviderTimeout != 2*time.Second || cfg.RescueAfter != 5*time.Second || cfg.TickStaleAfter != 3*time.Second ||
		!slices.Equal(cfg.RetryDelays, []time.Duration{2 * time.Second, time.Minute}) || cfg.InstanceID != "kigen-a" || cfg.Workers != 40 {
		t.Errorf("config = %+v", cfg)
	}
	// The job timeout stays between the provider's and the rescue's.
	if jt := engine.JobTimeout(cfg.Config); jt <= cfg.ProviderTimeout || jt >= cfg.RescueAfter {
		t.Errorf("job timeout %s, want between %s and %s", jt, cfg.ProviderTimeout, cfg.RescueAfter)
	}
	if jt := engine.JobTimeout(DefaultConfig().Config); jt != 30*time.Second {
		t.Errorf("default job timeout %s, want 30s", jt)
	}

	bad := map[string]string{"KIGEN_PROVIDER_TIMEOUT": "20s", "KIGEN_RESCUE_AFTER": "10s", "KIGEN_TICK_STALE_AFTER": "soon",
		"KIGEN_RETRY_DELAYS": "1m,,5m", "KIGEN_WORKERS": "0"}
	code, _, errOut := runKigen(t, bad, "config")
	for _, want := range []string{
		"KIGEN_RESCUE_AFTER: 10s must be longer than KIGEN_PROVIDER_TIMEOUT (20s)",
		`KIGEN_TICK_STALE_AFTER: "soon" is not a duration of at least 1s`,
		`KIGEN_RETRY_DELAYS: "1m,,5m" is not a list of durations of at least 1s`,
		`KIGEN_WORKERS: "0" is not a number of workers from 1 to 1000`,
	} {
		if code != exitUsage || !strings.Contains(errOut, want) {
			t.Errorf("code %d, stderr lacks %q:\n%s", code, want, errOut)
		}
	}
}
