package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// TokenSize is the number of random bytes in a token.
const TokenSize = 32

// NewToken returns a new secret token — a setup link's, a session's, an
// API token's: TokenSize random bytes in unpadded base64url (43
// characters, safe in a URL and a cookie) — and its hash, the only form
// in which it is stored.
func NewToken() (token string, hash []byte) {
	b := make([]byte, TokenSize)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of token, as stored. A token is random
// and long, so a plain hash suffices: there is nothing to guess.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
