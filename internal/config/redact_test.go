package config

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, in, want string }{
		{"user password", "postgres://kigen:hunter2@db.example:5432/kigen", "postgres://kigen:REDACTED@db.example:5432/kigen"},
		{"password parameter", "postgres://kigen@db.example/kigen?sslmode=require&password=hunter2",
			"postgres://kigen@db.example/kigen?sslmode=require&password=REDACTED"},
		{"sslpassword parameter", "postgresql://db.example/kigen?sslpassword=hunter2&sslmode=verify-full",
			"postgresql://db.example/kigen?sslpassword=REDACTED&sslmode=verify-full"},
		{"both places, other spellings", "postgres://kigen:hunter2@db.example/kigen?PASSWORD=hunter2&pass%77ord=hunter2&application_name=kigen",
			"postgres://kigen:REDACTED@db.example/kigen?PASSWORD=REDACTED&pass%77ord=REDACTED&application_name=kigen"},
		{"an @ in the query", "postgres://db.example/kigen?options=a@b&password=hunter2", "postgres://db.example/kigen?options=a@b&password=REDACTED"},
		{"nothing secret", "postgres://db.example/kigen?sslmode=disable", "postgres://db.example/kigen?sslmode=disable"},
		{"sqlite", "sqlite:kigen.db", "sqlite:kigen.db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPrint_RedactsDatabasePasswords checks what kigen config prints.
func TestPrint_RedactsDatabasePasswords(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": "postgres://kigen:s3cret1@db.example/kigen?password=s3cret2&sslpassword=s3cret3"}
	cfg, err := Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	cfg.Print(&b)
	if strings.Contains(b.String(), "s3cret") {
		t.Errorf("config prints a password:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "DATABASE_URL=postgres://kigen:REDACTED@db.example/kigen?password=REDACTED&sslpassword=REDACTED\n") {
		t.Errorf("config does not print the URL redacted:\n%s", b.String())
	}
}
