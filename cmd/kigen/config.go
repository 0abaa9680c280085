package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"kigen"
)

// Config is the effective configuration: environment first (12-factor),
// flags of each subcommand override.
type Config struct {
	DatabaseURL string // postgres://… or sqlite:PATH
	// Now, when set (KIGEN_NOW or --now), is the instant Kigen acts as if it
	// were: a date means 09:00 Asia/Tokyo that day.
	Now time.Time
}

// DefaultConfig returns the embedded default: SQLite in ./kigen.db.
func DefaultConfig() Config {
	return Config{DatabaseURL: "sqlite:kigen.db"}
}

// LoadConfig reads the environment and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	var errs []error
	if v := getenv("DATABASE_URL"); v != "" {
		cfg.DatabaseURL = v
	}
	if _, _, err := parseDatabaseURL(cfg.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	if v := getenv("KIGEN_NOW"); v != "" {
		t, err := ParseNow(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_NOW: %w", err))
		}
		cfg.Now = t
	}
	return cfg, errors.Join(errs...)
}

// Today returns the date in Asia/Tokyo at cfg.Now, or at the clock's now.
func (cfg Config) Today(clock func() time.Time) kigen.Date {
	if !cfg.Now.IsZero() {
		return kigen.DateOf(cfg.Now)
	}
	return kigen.DateOf(clock())
}

// ParseNow reads a --now value: a date (09:00 Asia/Tokyo that day, the
// default tick time) or an RFC 3339 time.
func ParseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := kigen.ParseISODate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	return time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, kigen.Tokyo), nil
}

// parseDatabaseURL splits DATABASE_URL into a backend and what it opens.
func parseDatabaseURL(u string) (backend, target string, err error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "postgres", u, nil
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New(`"sqlite:" needs a file path, e.g. sqlite:kigen.db`)
		}
		return "sqlite", path, nil
	}
	return "", "", errors.New("must start with postgres://, postgresql:// or sqlite:")
}

// redactURL hides the password of a database URL.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return u[:i+3] + rest[:colon] + ":REDACTED" + rest[at:]
			}
		}
	}
	return u
}

// Print writes the configuration with secrets redacted.
func (cfg Config) Print(w io.Writer) {
	fmt.Fprintf(w, "DATABASE_URL=%s\n", redactURL(cfg.DatabaseURL))
	now := ""
	if !cfg.Now.IsZero() {
		now = cfg.Now.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "KIGEN_NOW=%s\n", now)
}
