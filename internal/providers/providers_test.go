package providers

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"kigen"
	"kigen/internal/config"
)

func TestNewSenders(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	ss, err := NewSenders(cfg, nil, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if ss.Providers[kigen.Email] != "outbox" || ss.Providers[kigen.SMS] != "outbox" || ss.Senders[kigen.Email] != ss.Senders[kigen.SMS] {
		t.Errorf("without keys: %v, want one outbox for both channels", ss.Providers)
	}
	if err := ss.Close(); err != nil {
		t.Error(err)
	}

	cfg.SendGridAPIKey, cfg.EmailFrom = "SG.x", "Kigen <noreply@example.jp>"
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioFrom = "AC1", "token", "+815012345678"
	if ss, err = NewSenders(cfg, nil, time.Now); err != nil || ss.Providers[kigen.Email] != "sendgrid" || ss.Providers[kigen.SMS] != "twilio" {
		t.Errorf("with keys: %v, %v", ss, err)
	}

	cfg = config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "no", "such", "dir", "outbox.jsonl")
	var se *SettingsError
	if _, err := NewSenders(cfg, nil, time.Now); err == nil || errors.As(err, &se) {
		t.Errorf("an outbox that cannot open: %v, want an error of the environment", err)
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	if hooks, err := Webhooks(cfg, nil, nil, nil); err != nil || len(hooks) != 0 {
		t.Errorf("without keys: %v, %v", hooks, err)
	}
	cfg.SendGridWebhookKey = "not a key"
	var se *SettingsError
	if _, err := Webhooks(cfg, nil, nil, nil); !errors.As(err, &se) {
		t.Errorf("a bad verification key: %v, want a *SettingsError", err)
	}
}
