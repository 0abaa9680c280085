package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"kigen"
)

// PasswordParams are the argon2id parameters a password is hashed with.
// They are written into every hash (PHC string format), so that they can
// change without invalidating the hashes made before: VerifyPassword reads
// them from the hash, and NeedsRehash tells a hash made with others.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams are the parameters of new hashes: 64 MiB, one
// pass, two lanes (RFC 9106's second recommended option, with the memory
// this 2-core machine can spare per login), a 16-byte salt, a 32-byte key.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// MinPasswordLen and MaxPasswordLen bound a password: in characters at
// least, in bytes at most (longer would only make hashing a weapon).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// HashPassword returns the argon2id hash of password with the parameters
// p, as a PHC string: $argon2id$v=19$m=65536,t=1,p=2$<salt>$<key> (salt
// and key in unpadded standard base64).
func HashPassword(p PasswordParams, password string) string {
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // never fails (crypto/rand, Go 1.24)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// VerifyPassword reports whether password is the one hashed in encoded (a
// HashPassword string), comparing in constant time. The error is for a
// malformed hash only.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// p (or cannot be read): the password should be hashed again at the next
// successful login.
func NeedsRehash(encoded string, p PasswordParams) bool {
	q, _, _, err := decodeHash(encoded)
	return err != nil || q != p
}

func decodeHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("auth: the password hash is not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("auth: the password hash has argon2 version %q, want %d", parts[2], argon2.Version)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("auth: the password hash's parameters %q: %w", parts[3], err)
	}
	b64 := base64.RawStdEncoding
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, fmt.Errorf("auth: the password hash's salt: %w", err)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil {
		return p, nil, nil, fmt.Errorf("auth: the password hash's key: %w", err)
	}
	if p.Time == 0 || p.Threads == 0 || len(key) == 0 {
		return p, nil, nil, fmt.Errorf("auth: the password hash's parameters %q are out of range", parts[3])
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// CheckPassword applies the password policy to a new password of the
// account email: at least MinPasswordLen characters, at most
// MaxPasswordLen bytes, not the email address (nor containing it), not
// one of the common passwords (data/common-passwords.txt.gz, compared
// without regard to case). It returns an EINVALID *kigen.Error of field
// "password" that says which rule failed, and never echoes the password.
func CheckPassword(password, email string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	email = strings.ToLower(strings.TrimSpace(email))
	switch {
	case n < MinPasswordLen:
		return kigen.FieldKeyf("password", "password.short", "a password needs at least %d characters; this one has %d", MinPasswordLen, n)
	case len(password) > MaxPasswordLen:
		return kigen.FieldKeyf("password", "password.long", "a password may have at most %d bytes; this one has %d", MaxPasswordLen, len(password))
	case email != "" && strings.Contains(lower, email):
		return kigen.FieldKeyf("password", "password.email", "the password may not be (or contain) the account's email address")
	case commonPassword(lower):
		return kigen.FieldKeyf("password", "password.common", "this password is one of the %d most common long passwords known to attackers: choose another",
			len(commonPasswords()))
	}
	return nil
}

//go:embed data/common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords returns the sorted list of common passwords, read once.
var commonPasswords = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: data/common-passwords.txt.gz: " + err.Error())
	}
	var list []string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			list = append(list, line)
		}
	}
	if err := sc.Err(); err != nil {
		panic("auth: data/common-passwords.txt.gz: " + err.Error())
	}
	slices.Sort(list)
	return list
})

// commonPassword reports whether the lower-cased password is a common one.
func commonPassword(lower string) bool {
	_, found := slices.BinarySearch(commonPasswords(), lower)
	return found
}
