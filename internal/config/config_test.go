package config

import (
	"strings"
	"testing"
	"time"

	"kigen"
)

func TestParseNow(t *testing.T) {
	t.Parallel()
	got, err := ParseNow("2027-03-31")
	if err != nil || !got.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseNow(date) = %v, %v; want 09:00 Tokyo = 00:00 UTC", got, err)
	}
	got, err = ParseNow("2027-03-30T23:30:00Z")
	if err != nil || kigen.DateOf(got) != kigen.MustParseISODate("2027-03-31") {
		t.Errorf("ParseNow(RFC 3339) = %v, %v; want the Tokyo date 2027-03-31", got, err)
	}
	// The forms --on takes (kigen.ParseDate), each 09:00 Tokyo that day.
	nine := time.Date(2026, 12, 10, 9, 0, 0, 0, kigen.Tokyo)
	for _, in := range []string{"2026/12/10", "令和8年12月10日", "R8.12.10", "20261210", "２０２６－１２－１０", " 2026.12.10 "} {
		if got, err := ParseNow(in); err != nil || !got.Equal(nine) {
			t.Errorf("ParseNow(%q) = %v, %v; want %v", in, got, err, nine)
		}
	}
	for _, in := range []string{"tomorrow", "2026-02-30", "令和8年13月1日", "123456789012"} {
		if _, err := ParseNow(in); err == nil {
			t.Errorf("ParseNow(%q): no error", in)
		} else if strings.Contains(err.Error(), "123456789012") {
			t.Errorf("ParseNow(%q): the error echoes a run of 12 digits: %v", in, err)
		}
	}
}

func TestDeploymentID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, deployment, publicURL, want string
	}{
		{"set", "otaru-prod", "https://kigen.otaru.example", "otaru-prod"},
		{"the public URL's host", "", "https://kigen.otaru.example/", "kigen.otaru.example"},
		{"with port and prefix", "", "https://city.example:8443/otaru/", "city.example:8443/otaru"},
	} {
		cfg := Default()
		cfg.Deployment, cfg.PublicURL = tt.deployment, tt.publicURL
		if got := cfg.DeploymentID(); got != tt.want {
			t.Errorf("%s: DeploymentID() = %q, want %q", tt.name, got, tt.want)
		}
	}
	env := map[string]string{"KIGEN_DEPLOYMENT": "two words"}
	if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "KIGEN_DEPLOYMENT") {
		t.Errorf("Load(KIGEN_DEPLOYMENT=two words) = %v, want an error naming it", err)
	}
}

func TestLinkSecret(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIGEN_LINK_SECRET": "s3cr3t-0123456789abcdef0123456789abcdef"}
	cfg, err := Load(func(k string) string { return env[k] })
	if err != nil || cfg.LinkSecret != env["KIGEN_LINK_SECRET"] {
		t.Fatalf("Load = %q, %v", cfg.LinkSecret, err)
	}
	var b strings.Builder
	cfg.Print(&b)
	if strings.Contains(b.String(), "s3cr3t") || !strings.Contains(b.String(), "KIGEN_LINK_SECRET=REDACTED") {
		t.Errorf("Print shows the link secret, or not that it is set:\n%s", b.String())
	}
	env["KIGEN_LINK_SECRET"] = "short"
	if _, err := Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "KIGEN_LINK_SECRET") {
		t.Errorf("Load(a short KIGEN_LINK_SECRET) = %v, want an error naming it", err)
	}
}
