package auth

import (
	"net/url"
	"testing"
	"time"

	"kigen"
)

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	at := time.Date(2026, 12, 4, 3, 0, 10, 0, time.UTC)
	now := TOTPStep(at)
	code := func(step int64) string {
		c, err := TOTPCode(secret, step)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		lastStep int64
		want     int64
		err      string
	}{
		{"current step", code(now), 0, now, ""},
		{"with spaces", code(now)[:3] + " " + code(now)[3:], 0, now, ""},
		{"step before (clock behind)", code(now - 1), 0, now - 1, ""},
		{"step after (clock ahead)", code(now + 1), 0, now + 1, ""},
		{"two steps before", code(now - 2), 0, 0, "totp: the code is not right: check the clock of the phone, and that the app shows Kigen's code"},
		{"replay of the current step", code(now), now, 0, "totp: this code was already used: wait for the next one in the authenticator app"},
		{"an older step after a newer one was used", code(now - 1), now, 0, "totp: this code was already used: wait for the next one in the authenticator app"},
		{"the next step after the current one was used", code(now + 1), now, now + 1, ""},
		{"five digits", "12345", 0, 0, "totp: the code from the authenticator app has 6 digits"},
		{"letters", "12a456", 0, 0, "totp: the code from the authenticator app has 6 digits"},
	}
	for _, tt := range tests {
		got, err := VerifyTOTP(secret, tt.code, at, tt.lastStep)
		if tt.err != "" {
			if kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != tt.err {
				t.Errorf("%s: %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: step %d, %v; want step %d", tt.name, got, err, tt.want)
		}
	}
}

func TestTOTPURI(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	if len(secret) != 32 {
		t.Errorf("secret %q: want 32 base32 characters (20 bytes)", secret)
	}
	uri, err := TOTPURI(secret, "alice@city.example.jp")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Kigen:alice@city.example.jp" || q.Get("secret") != secret ||
		q.Get("issuer") != "Kigen" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI %s: want otpauth://totp/Kigen:alice@… with the secret, 6 digits, 30 s, SHA1", uri)
	}
	if _, err := TOTPURI("not base32!", "a@b.jp"); err == nil {
		t.Error("TOTPURI(bad secret): no error")
	}
}

func TestNewToken(t *testing.T) {
	t.Parallel()
	tok, hash := NewToken()
	tok2, _ := NewToken()
	if len(tok) != 43 || tok == tok2 {
		t.Errorf("tokens %q, %q: want two different 43-character tokens", tok, tok2)
	}
	if string(HashToken(tok)) != string(hash) || len(hash) != 32 {
		t.Errorf("HashToken(token) differs from the hash NewToken gave, or is not SHA-256")
	}
	for _, r := range tok {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			t.Errorf("token %q: %q is not base64url", tok, r)
		}
	}
}
