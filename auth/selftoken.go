package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
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
// are derived from (DeriveToken, DeriveCode).
func NewNonce() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return b
}

// DeriveToken returns the 128-bit token of purpose ("confirm", "me" …)
// derived from the secret key and nonce, in unpadded base64url: the
// service that stores the confirmation and the job that sends it compute
// the same token, and neither stores it (only its HashToken is stored).
func DeriveToken(key []byte, purpose string, nonce []byte) string {
	return base64.RawURLEncoding.EncodeToString(derive(key, "token:"+purpose, nonce)[:ResidentTokenSize])
}

// DeriveCode returns the 6-digit code (000000–999999) derived from the
// secret key and nonce: what an SMS confirmation carries.
func DeriveCode(key, nonce []byte) string {
	n := binary.BigEndian.Uint64(derive(key, "code", nonce)[:8])
	return fmt.Sprintf("%06d", n%1_000_000)
}

// CodeEqual compares a code typed with the code expected, in constant
// time.
func CodeEqual(typed, want string) bool {
	return hmac.Equal([]byte(typed), []byte(want))
}

func derive(key []byte, purpose string, nonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(nonce)
	return m.Sum(nil)
}
