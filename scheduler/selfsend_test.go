package scheduler_test

import (
	"regexp"
	"testing"

	"kigen/scheduler"
)

// TestSelfDerive: a token and a code are stable for one key and nonce,
// and differ with either and by purpose.
func TestSelfDerive(t *testing.T) {
	t.Parallel()
	k1, k2 := []byte("key-one"), []byte("key-two")
	n1, n2 := []byte("nonce-1"), []byte("nonce-2")
	tok := scheduler.SelfToken(k1, "confirm", n1)
	if len(tok) != 22 || tok != scheduler.SelfToken(k1, "confirm", n1) {
		t.Errorf("SelfToken = %q: want 22 characters, stable", tok)
	}
	for _, other := range []string{scheduler.SelfToken(k2, "confirm", n1), scheduler.SelfToken(k1, "confirm", n2), scheduler.SelfToken(k1, "me", n1)} {
		if other == tok {
			t.Errorf("SelfToken gave %q for another key, nonce or purpose", other)
		}
	}
	code := scheduler.SelfCode(k1, n1)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) || code != scheduler.SelfCode(k1, n1) || code == scheduler.SelfCode(k1, n2) {
		t.Errorf("SelfCode = %q: want 6 digits, stable, another for another nonce", code)
	}
}
