package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
)

// ResidentTokenSize is the number of bytes of a resident's token (the
// link to their page, a confirmation link): 128 bits.
const ResidentTokenSize = 16

// NewResidentToken returns a new 128-bit token of a resident's link, in
// unpadded base64url (22 characters), and its hash (HashToken), the only
// form in which it is stored.
func NewResidentToken() (token string, hash []byte) {
	b := make([]byte, ResidentTokenSize)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// NewNonce returns 16 random bytes: the nonce a confirmation's secrets
// are derived from (scheduler.SelfToken, scheduler.SelfCode).
func NewNonce() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}

// CodeEqual compares a code typed with the code expected, in constant
// time.
func CodeEqual(typed, want string) bool {
	return hmac.Equal([]byte(typed), []byte(want))
}
