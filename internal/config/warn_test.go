package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWarnings_PublicURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		url  string
		warn bool
	}{
		{"http://kigen.city.example", true},
		{"http://203.0.113.7:8080/kigen", true},
		{"http://192.168.1.10", true}, // another machine: the traffic crosses a network
		{"https://kigen.city.example", false},
		{"http://127.0.0.1:8080", false},
		{"http://localhost:8080", false},
		{"http://[::1]:8080", false},
	} {
		cfg := Default()
		cfg.PublicURL = tt.url
		ws := cfg.Warnings()
		if got := len(ws) == 1 && ws[0].Setting == "KIGEN_PUBLIC_URL"; got != tt.warn || (!tt.warn && len(ws) > 0) {
			t.Errorf("KIGEN_PUBLIC_URL=%s: warnings %+v; want a warning: %v", tt.url, ws, tt.warn)
		}
	}
	cfg := Default()
	cfg.PublicURL = "http://kigen.city.example"
	var b strings.Builder
	cfg.Print(&b)
	if !strings.Contains(b.String(), "# warning: KIGEN_PUBLIC_URL: plain http:// to kigen.city.example") {
		t.Errorf("kigen config does not print the warning:\n%s", b.String())
	}
}

func TestWarnings_SQLiteMode(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kigen.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	cfg.DatabaseURL = "sqlite:" + path
	if ws := cfg.Warnings(); len(ws) != 0 {
		t.Errorf("mode 0600: warnings %+v, want none", ws)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	ws := cfg.Warnings()
	if len(ws) != 1 || ws[0].Setting != "DATABASE_URL" || !strings.Contains(ws[0].Text, "mode 0644") || !strings.Contains(ws[0].Text, "chmod 600") {
		t.Errorf("mode 0644: warnings %+v, want one that says chmod 600", ws)
	}
}
