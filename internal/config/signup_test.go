package config

import (
	"bytes"
	"strings"
	"testing"
)

// TestSignupLimits: the self-service limits have defaults, are read from
// their settings, refused when not a positive number, and printed.
func TestSignupLimits(t *testing.T) {
	t.Parallel()
	cfg, err := Load(func(string) string { return "" })
	if err != nil || cfg.Signup != DefaultSignupLimits {
		t.Fatalf("default: %+v, %v", cfg.Signup, err)
	}
	env := map[string]string{"KIGEN_SIGNUP_SMS_DAILY_BUDGET": "250", "KIGEN_SIGNUP_EMAIL_DAILY_BUDGET": "900",
		"KIGEN_SIGNUP_PER_ADDRESS": "2", "KIGEN_SIGNUP_PER_CLIENT": "5", "KIGEN_SIGNUP_PER_MUNICIPALITY": "100"}
	cfg, err = Load(func(k string) string { return env[k] })
	want := SignupLimits{PerAddress: 2, PerClient: 5, PerMunicipality: 100, SMSBudget: 250, EmailBudget: 900}
	if err != nil || cfg.Signup != want {
		t.Fatalf("set: %+v, %v; want %+v", cfg.Signup, err, want)
	}
	var out bytes.Buffer
	cfg.Print(&out)
	if !strings.Contains(out.String(), "KIGEN_SIGNUP_SMS_DAILY_BUDGET=250") {
		t.Errorf("kigen config does not show the SMS budget:\n%s", out.String())
	}
	bad := map[string]string{"KIGEN_SIGNUP_SMS_DAILY_BUDGET": "0", "KIGEN_SIGNUP_PER_CLIENT": "many"}
	_, err = Load(func(k string) string { return bad[k] })
	for _, want := range []string{`KIGEN_SIGNUP_SMS_DAILY_BUDGET: "0" is not a number`, `KIGEN_SIGNUP_PER_CLIENT: "many" is not a number`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad settings: %v, want %q", err, want)
		}
	}
}
