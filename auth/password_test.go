package auth

import (
	"strings"
	"testing"

	"kigen"
)

// fast are parameters that keep the tests quick; the format is the same.
var fast = PasswordParams{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h := HashPassword(DefaultPasswordParams, "correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash %q: want the PHC string of argon2id with 64 MiB, 1 pass, 2 lanes", h)
	}
	if ok, err := VerifyPassword(h, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("VerifyPassword(right) = %v, %v", ok, err)
	}
	if ok, err := VerifyPassword(h, "correct horse battery stapler"); ok || err != nil {
		t.Errorf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
	// Two hashes of one password differ (salt); both verify.
	h2 := HashPassword(DefaultPasswordParams, "correct horse battery staple")
	if h2 == h {
		t.Error("two hashes of one password are equal: no salt?")
	}
	// The parameters are read from the hash: one made with others verifies.
	old := HashPassword(fast, "correct horse battery staple")
	if ok, err := VerifyPassword(old, "correct horse battery staple"); !ok || err != nil {
		t.Errorf("VerifyPassword(hash with other params) = %v, %v", ok, err)
	}
	if !NeedsRehash(old, DefaultPasswordParams) || NeedsRehash(h, DefaultPasswordParams) {
		t.Error("NeedsRehash: want true for the hash of other parameters only")
	}
	for _, bad := range []string{"", "$2a$10$abc", "$argon2id$v=19$m=x$a$b", "$argon2id$v=18$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=1,t=0,p=1$AAAA$AAAA"} {
		if _, err := VerifyPassword(bad, "x"); err == nil {
			t.Errorf("VerifyPassword(%q): no error", bad)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password, want string
	}{
		{"good", "otaru canal in winter", ""},
		{"good, Japanese", "小樽運河の冬の夜は静かです", ""},
		{"11 characters", "abcdefghijk", "password: a password needs at least 12 characters; this one has 11"},
		{"11 Japanese characters count as 11", "小樽運河の冬の夜は静か", "password: a password needs at least 12 characters; this one has 11"},
		{"too long", strings.Repeat("a", 1025), "password: a password may have at most 1024 bytes; this one has 1025"},
		{"the email", "Alice@City.Example.jp", "password: the password may not be (or contain) the account's email address"},
		{"containing the email", "alice@city.example.jp2026", "password: the password may not be (or contain) the account's email address"},
		{"common", "qwertyuiopasdfghjkl", ""}, // replaced below by a listed one
	}
	common := commonPasswords()[len(commonPasswords())/2]
	tests[len(tests)-1] = struct{ name, password, want string }{"common, upper case", strings.ToUpper(common),
		"password: this password is one of the 12097 most common long passwords known to attackers: choose another"}
	for _, tt := range tests {
		err := CheckPassword(tt.password, "alice@city.example.jp")
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if kigen.ErrorCode(err) != kigen.EINVALID || err.Error() != tt.want {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && len(tt.password) >= 12 && strings.Contains(err.Error(), tt.password) {
			t.Errorf("%s: the error echoes the password", tt.name)
		}
	}
	if !commonPassword("password1234") {
		t.Error("password1234 is not in the list of common passwords")
	}
	if n := len(commonPasswords()); n < 10000 {
		t.Errorf("%d common passwords, want the list of over 10,000", n)
	}
}
