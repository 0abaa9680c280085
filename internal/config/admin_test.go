package config

import (
	"strings"
	"testing"
)

// TestAdminAddr checks that KIGEN_ADMIN_ADDR is read, printed, and refused
// when it is not host:port or is KIGEN_ADDR itself.
func TestAdminAddr(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (Config, error) { return Load(func(k string) string { return env[k] }) }
	cfg, err := load(map[string]string{"KIGEN_ADMIN_ADDR": "127.0.0.1:9090"})
	if err != nil || cfg.AdminAddr != "127.0.0.1:9090" {
		t.Fatalf("Load = %q, %v", cfg.AdminAddr, err)
	}
	var b strings.Builder
	cfg.Print(&b)
	if !strings.Contains(b.String(), "\nKIGEN_ADMIN_ADDR=127.0.0.1:9090\n") {
		t.Errorf("Print does not show KIGEN_ADMIN_ADDR:\n%s", b.String())
	}
	if cfg, err := load(nil); err != nil || cfg.AdminAddr != "" {
		t.Errorf("Load without it = %q, %v; want no admin listener", cfg.AdminAddr, err)
	}
	for _, tt := range []struct{ addr, want string }{
		{"9090", "is not host:port"},
		{"localhost:http", `the port "http" is not a number`},
		{"127.0.0.1:70000", `the port "70000" is not a number`},
		{"127.0.0.1:8080", "is KIGEN_ADDR too"},
	} {
		_, err := load(map[string]string{"KIGEN_ADMIN_ADDR": tt.addr})
		if err == nil || !strings.Contains(err.Error(), "KIGEN_ADMIN_ADDR: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(KIGEN_ADMIN_ADDR=%s) = %v, want an error saying %q", tt.addr, err, tt.want)
		}
	}
}
