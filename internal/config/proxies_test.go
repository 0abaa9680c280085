package config

import (
	"strings"
	"testing"
)

// TestTrustedProxies checks that KIGEN_TRUSTED_PROXIES is read (addresses
// and ranges), printed, and refused with the entry that is wrong.
func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (Config, error) { return Load(func(k string) string { return env[k] }) }
	cfg, err := load(map[string]string{"KIGEN_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.7 ,::1,10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.TrustedProxies {
		got = append(got, p.String())
	}
	if want := "10.0.0.0/8 192.0.2.7/32 ::1/128 10.1.0.0/16"; strings.Join(got, " ") != want {
		t.Errorf("TrustedProxies = %v, want %s", got, want)
	}
	var b strings.Builder
	cfg.Print(&b)
	if !strings.Contains(b.String(), "\nKIGEN_TRUSTED_PROXIES=10.0.0.0/8,192.0.2.7/32,::1/128,10.1.0.0/16\n") {
		t.Errorf("Print does not show KIGEN_TRUSTED_PROXIES:\n%s", b.String())
	}
	if cfg, err := load(nil); err != nil || len(cfg.TrustedProxies) != 0 {
		t.Errorf("Load without it = %v, %v; want none", cfg.TrustedProxies, err)
	}
	_, err = load(map[string]string{"KIGEN_TRUSTED_PROXIES": "10.0.0.1, lb.city.example"})
	if err == nil || !strings.Contains(err.Error(), `KIGEN_TRUSTED_PROXIES: "lb.city.example" is not an address or a CIDR range`) {
		t.Errorf("Load(a host name) = %v, want an error naming it", err)
	}
}
