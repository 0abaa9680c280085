package auth

import (
	"regexp"
	"testing"
)

// TestDerive: a token and a code are stable for one key and nonce, differ
// with either and by purpose, and have their sizes.
func TestDerive(t *testing.T) {
	t.Parallel()
	k1, k2 := []byte("key-one"), []byte("key-two")
	n1, n2 := []byte("nonce-1"), []byte("nonce-2")
	tok := DeriveToken(k1, "confirm", n1)
	if len(tok) != 22 || tok != DeriveToken(k1, "confirm", n1) {
		t.Errorf("DeriveToken = %q: want 22 characters, stable", tok)
	}
	for _, other := range []string{DeriveToken(k2, "confirm", n1), DeriveToken(k1, "confirm", n2), DeriveToken(k1, "me", n1)} {
		if other == tok {
			t.Errorf("DeriveToken gave %q for another key, nonce or purpose", other)
		}
	}
	code := DeriveCode(k1, n1)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) || code != DeriveCode(k1, n1) {
		t.Errorf("DeriveCode = %q: want 6 digits, stable", code)
	}
	if !CodeEqual(code, code) || CodeEqual(code, "x"+code[1:]) {
		t.Errorf("CodeEqual is wrong")
	}
	tok, hash := NewResidentToken()
	if len(tok) != 22 || string(hash) != string(HashToken(tok)) {
		t.Errorf("NewResidentToken = %q: want 22 characters and its hash", tok)
	}
}
