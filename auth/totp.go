package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"kigen"
)

// TOTP as every authenticator app understands it (RFC 6238): HMAC-SHA1,
// a step of TOTPPeriod, TOTPDigits digits, a code of the step before or
// after accepted too (TOTPSkew) for a clock that drifts.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	TOTPSkew   = 1
	// TOTPIssuer names Kigen in the authenticator app.
	TOTPIssuer = "Kigen"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a new TOTP secret: 20 random bytes (the size of
// an HMAC-SHA1 key) in unpadded base32, as authenticator apps take it.
func NewTOTPSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24)
	return b32.EncodeToString(b)
}

// TOTPURI returns the otpauth:// URI of secret for the account (an email
// address), the content of the QR code an authenticator app scans.
func TOTPURI(secret, account string) (string, error) {
	raw, err := b32.DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: the TOTP secret is not base32: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: account, Period: uint(TOTPPeriod / time.Second),
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", fmt.Errorf("auth: TOTP URI: %w", err)
	}
	return k.URL(), nil
}

// TOTPStep returns the TOTP time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode returns the code of secret at step (for tests and enrolment
// checks).
func TOTPCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*int64(TOTPPeriod/time.Second), 0),
		totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// ErrTOTPUsed is VerifyTOTP's answer to a right code of a step used
// already (test with errors.Is).
var ErrTOTPUsed = kigen.FieldKeyf("totp", "totp.used", "this code was already used: wait for the next one in the authenticator app")

// VerifyTOTP checks code against secret at time at: it returns the step
// the code belongs to (the current one or one either side), to be stored
// as the account's last used step. A code of a step not after lastStep
// is refused, even if right: a code is used once (replay). The errors are
// EINVALID *kigen.Error of field "totp": not the right code, or already
// used (ErrTOTPUsed).
func VerifyTOTP(secret, code string, at time.Time, lastStep int64) (int64, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != TOTPDigits || strings.Trim(code, "0123456789") != "" {
		return 0, kigen.FieldKeyf("totp", "totp.digits", "the code from the authenticator app has %d digits", TOTPDigits)
	}
	now := TOTPStep(at)
	for step := now - TOTPSkew; step <= now+TOTPSkew; step++ {
		want, err := TOTPCode(secret, step)
		if err != nil {
			return 0, fmt.Errorf("auth: TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= lastStep {
			return 0, ErrTOTPUsed
		}
		return step, nil
	}
	return 0, kigen.FieldKeyf("totp", "totp.wrong", "the code is not right: check the clock of the phone, and that the app shows Kigen's code")
}
