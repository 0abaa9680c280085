package auth

import "testing"

// TestResidentToken: 128 bits in 22 characters, with its hash; codes
// compare exactly.
func TestResidentToken(t *testing.T) {
	t.Parallel()
	tok, hash := NewResidentToken()
	if len(tok) != 22 || string(hash) != string(HashToken(tok)) {
		t.Errorf("NewResidentToken = %q: want 22 characters and its hash", tok)
	}
	if other, _ := NewResidentToken(); other == tok {
		t.Error("two tokens alike")
	}
	if len(NewNonce()) != 16 {
		t.Error("a nonce is not 16 bytes")
	}
	if !CodeEqual("012345", "012345") || CodeEqual("012345", "012346") || CodeEqual("01234", "012345") {
		t.Error("CodeEqual is wrong")
	}
}
