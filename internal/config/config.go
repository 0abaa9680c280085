// Package config is kigen's configuration: loaded from the environment
// (12-factor; flags of each subcommand override it), validated with every
// problem reported at once, and printed with its secrets redacted. Only
// cmd/kigen uses it.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"kigen"
	"kigen/localgov"
	"kigen/scheduler"
)

// Config is the effective configuration: environment first (12-factor),
// flags of each subcommand override. Provider credentials keep the
// providers' own names; everything else is KIGEN_*.
type Config struct {
	DatabaseURL string // postgres://… or sqlite:PATH
	// Now, when set (KIGEN_NOW or --now), is the instant Kigen acts as if it
	// were: a date means 09:00 Asia/Tokyo that day.
	Now time.Time

	Schedule  string // KIGEN_SCHEDULE: when the daily tick runs (cron, with CRON_TZ)
	PublicURL string // KIGEN_PUBLIC_URL: https base of links in messages and of webhook URLs
	Addr      string // KIGEN_ADDR: where kigen serve listens
	// AdminAddr (KIGEN_ADMIN_ADDR), when set, is a second listener of
	// kigen serve that alone serves /metrics (the public one then does not).
	AdminAddr string
	// TrustedProxies (KIGEN_TRUSTED_PROXIES: addresses or CIDR ranges,
	// comma-separated) are the load balancers and proxies in front of
	// kigen serve, whose X-Forwarded-For names the client (the per-client
	// login throttle and sign-up limits count it). Empty: none.
	TrustedProxies []netip.Prefix
	Outbox         string  // KIGEN_OUTBOX: the JSON-lines file of channels without provider keys
	EmailFrom      string  // KIGEN_EMAIL_FROM
	HotlinesFile   string  // KIGEN_HOTLINES_FILE: override of the built-in hotline data
	LocalGovFile   string  // KIGEN_LOCALGOV_FILE: a newer list of Japan's local governments
	HolidaysFile   string  // KIGEN_HOLIDAYS_FILE: corrections to Japan's national holidays (LoadHolidays)
	RateEmail      float64 // KIGEN_RATE_EMAIL: emails per second to the provider (0: unlimited)
	RateSMS        float64 // KIGEN_RATE_SMS: SMS per second to the provider (0: unlimited)
	// ProviderTimeout (KIGEN_PROVIDER_TIMEOUT) bounds one request to
	// SendGrid or Twilio; a send that times out is recorded unknown.
	ProviderTimeout time.Duration
	// RescueAfter (KIGEN_RESCUE_AFTER) is how long a job may stay running
	// before it is taken for the job of a dead process and run again (its
	// send, if it was in the provider call, is then recorded unknown).
	RescueAfter time.Duration
	// TickStaleAfter (KIGEN_TICK_STALE_AFTER) is how long today's tick may
	// stay unfinished before another instance runs it (scheduler.TickWatch).
	TickStaleAfter time.Duration
	// RetryDelays (KIGEN_RETRY_DELAYS, e.g. "1m,5m,15m,1h") are the waits
	// between the attempts of a failed delivery; empty: the default
	// (scheduler.DefaultDelays).
	RetryDelays []time.Duration
	// Workers (KIGEN_WORKERS) is how many deliveries one process runs at
	// once; with the provider's latency it bounds the process's send rate.
	Workers int
	// InstanceID (KIGEN_INSTANCE_ID) names this process among the instances
	// sharing one database (River's client ID); empty: host and start time.
	InstanceID string
	// Deployment (KIGEN_DEPLOYMENT) names this deployment to the providers
	// (SendGrid's custom_args), so that two deployments sharing one account
	// leave each other's reports alone; empty: DeploymentID's default.
	Deployment string
	// LinkSecret (KIGEN_LINK_SECRET, a secret) is what the tokens of the
	// messages' links are derived from; empty: a secret the database keeps
	// (created on first use).
	LinkSecret string
	// Signup are the daily limits on what the public self-service pages
	// send (desk.SignupLimits): KIGEN_SIGNUP_SMS_DAILY_BUDGET and the
	// others of SignupLimits.
	Signup SignupLimits
	// LocalGov is the list of local governments of KIGEN_LOCALGOV_FILE,
	// loaded and checked by Load; nil without it (LocalGovList).
	LocalGov *localgov.List
	// Holidays are the corrections of KIGEN_HOLIDAYS_FILE, loaded and
	// checked by Load: the date a reminder names to go by reads them
	// (docs/domain.md §12). Zero without it.
	Holidays kigen.HolidayCorrections

	SendGridAPIKey     string // SENDGRID_API_KEY (secret)
	SendGridWebhookKey string // SENDGRID_WEBHOOK_VERIFICATION_KEY (public key, base64)
	SendGridBaseURL    string // KIGEN_SENDGRID_BASE_URL

	TwilioAccountSID          string // TWILIO_ACCOUNT_SID
	TwilioAuthToken           string // TWILIO_AUTH_TOKEN (secret)
	TwilioMessagingServiceSID string // TWILIO_MESSAGING_SERVICE_SID
	TwilioFrom                string // TWILIO_FROM
	TwilioBaseURL             string // KIGEN_TWILIO_BASE_URL
}

// Default returns the embedded default: SQLite in ./kigen.db, every
// message to ./outbox.jsonl.
func Default() Config {
	return Config{
		DatabaseURL:     "sqlite:kigen.db",
		Schedule:        "CRON_TZ=Asia/Tokyo 0 9 * * *",
		Addr:            "127.0.0.1:8080",
		Outbox:          "outbox.jsonl",
		PublicURL:       "http://127.0.0.1:8080",
		SendGridBaseURL: "https://api.sendgrid.com",
		RateEmail:       100,
		RateSMS:         10,
		ProviderTimeout: 10 * time.Second,
		RescueAfter:     time.Minute,
		TickStaleAfter:  scheduler.DefaultTickStaleAfter,
		Workers:         10,
		Signup:          DefaultSignupLimits,
	}
}

// SignupLimits are the daily limits (a day in Asia/Tokyo) on what the
// public self-service pages send: confirmation codes and links, fresh
// links to a resident's page. Over one, the page says to try later and
// nothing is sent.
type SignupLimits struct {
	PerAddress      int // KIGEN_SIGNUP_PER_ADDRESS: to one address
	PerClient       int // KIGEN_SIGNUP_PER_CLIENT: from one client address
	PerMunicipality int // KIGEN_SIGNUP_PER_MUNICIPALITY: in one municipality
	SMSBudget       int // KIGEN_SIGNUP_SMS_DAILY_BUDGET: SMS in all (each costs money)
	EmailBudget     int // KIGEN_SIGNUP_EMAIL_DAILY_BUDGET: emails in all
}

// DefaultSignupLimits are the limits without the settings.
var DefaultSignupLimits = SignupLimits{PerAddress: 3, PerClient: 10, PerMunicipality: 500, SMSBudget: 1000, EmailBudget: 10000}

// signupSettings are the settings of SignupLimits, by name.
func (l *SignupLimits) settings() []struct {
	name string
	dst  *int
} {
	return []struct {
		name string
		dst  *int
	}{{"KIGEN_SIGNUP_SMS_DAILY_BUDGET", &l.SMSBudget}, {"KIGEN_SIGNUP_EMAIL_DAILY_BUDGET", &l.EmailBudget},
		{"KIGEN_SIGNUP_PER_ADDRESS", &l.PerAddress}, {"KIGEN_SIGNUP_PER_CLIENT", &l.PerClient},
		{"KIGEN_SIGNUP_PER_MUNICIPALITY", &l.PerMunicipality}}
}

var deploymentRE = regexp.MustCompile(`^[A-Za-z0-9._:/-]{1,100}$`)

// DeploymentID is KIGEN_DEPLOYMENT, or by default KIGEN_PUBLIC_URL without
// its scheme (host, port and path prefix): what tells the deployment's
// webhooks apart tells the deployment apart.
func (cfg Config) DeploymentID() string {
	if cfg.Deployment != "" {
		return cfg.Deployment
	}
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
		return strings.TrimSuffix(u.Host+u.Path, "/")
	}
	return cfg.PublicURL
}

// EmailProvider names the provider email goes through: "sendgrid" with
// keys, else "outbox".
func (cfg Config) EmailProvider() string {
	if cfg.SendGridAPIKey != "" {
		return "sendgrid"
	}
	return "outbox"
}

// SMSProvider names the provider SMS goes through: "twilio" with keys, else
// "outbox".
func (cfg Config) SMSProvider() string {
	if cfg.TwilioAccountSID != "" && cfg.TwilioAuthToken != "" {
		return "twilio"
	}
	return "outbox"
}

// Load reads the environment and reports every problem at once.
func Load(getenv func(string) string) (Config, error) {
	cfg := Default()
	var errs []error
	str := func(dst *string, name string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	// A secret may come from NAME or from the file NAME_FILE names (a
	// mounted secret), never both.
	secret := func(dst *string, name string) {
		v, file := getenv(name), getenv(name+"_FILE")
		switch {
		case v != "" && file != "":
			errs = append(errs, fmt.Errorf("%s and %s_FILE: set one, not both", name, name))
		case file != "":
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %v", name, err))
			}
			*dst = strings.TrimSpace(string(b))
		default:
			*dst = strings.TrimSpace(v)
		}
	}
	secret(&cfg.DatabaseURL, "DATABASE_URL")
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = Default().DatabaseURL
	}
	if _, _, err := ParseDatabaseURL(cfg.DatabaseURL); err != nil {
		errs = append(errs, fmt.Errorf("DATABASE_URL: %w", err))
	}
	if v := getenv("KIGEN_NOW"); v != "" {
		t, err := ParseNow(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_NOW: %w", err))
		}
		cfg.Now = t
	}
	for _, r := range []struct {
		name string
		dst  *float64
	}{{"KIGEN_RATE_EMAIL", &cfg.RateEmail}, {"KIGEN_RATE_SMS", &cfg.RateSMS}} {
		if v := strings.TrimSpace(getenv(r.name)); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a rate (messages per second, 0 for unlimited)", r.name, v))
			}
			*r.dst = f
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		min  time.Duration
	}{{"KIGEN_PROVIDER_TIMEOUT", &cfg.ProviderTimeout, 100 * time.Millisecond}, {"KIGEN_RESCUE_AFTER", &cfg.RescueAfter, time.Second}, {"KIGEN_TICK_STALE_AFTER", &cfg.TickStaleAfter, time.Second}} {
		if v := strings.TrimSpace(getenv(d.name)); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t < d.min {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration of at least %s (e.g. 30s, 2m)", d.name, v, d.min))
			}
			*d.dst = t
		}
	}
	if cfg.RescueAfter <= cfg.ProviderTimeout {
		errs = append(errs, fmt.Errorf("KIGEN_RESCUE_AFTER: %s must be longer than KIGEN_PROVIDER_TIMEOUT (%s): a job still in its provider call must not be taken for a dead one", cfg.RescueAfter, cfg.ProviderTimeout))
	}
	if v := strings.TrimSpace(getenv("KIGEN_RETRY_DELAYS")); v != "" {
		cfg.RetryDelays = nil
		for _, f := range strings.Split(v, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(f))
			if err != nil || d < time.Second {
				errs = append(errs, fmt.Errorf("KIGEN_RETRY_DELAYS: %q is not a list of durations of at least 1s (e.g. 1m,5m,15m,1h)", v))
				break
			}
			cfg.RetryDelays = append(cfg.RetryDelays, d)
		}
	}
	if v := strings.TrimSpace(getenv("KIGEN_WORKERS")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			errs = append(errs, fmt.Errorf("KIGEN_WORKERS: %q is not a number of workers from 1 to 1000", v))
		}
		cfg.Workers = n
	}
	for _, x := range cfg.Signup.settings() {
		if v := strings.TrimSpace(getenv(x.name)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10_000_000 {
				errs = append(errs, fmt.Errorf("%s: %q is not a number from 1 to 10000000 (a day's sends)", x.name, v))
			}
			*x.dst = n
		}
	}
	str(&cfg.InstanceID, "KIGEN_INSTANCE_ID")
	str(&cfg.Deployment, "KIGEN_DEPLOYMENT")
	secret(&cfg.LinkSecret, "KIGEN_LINK_SECRET")
	if cfg.LinkSecret != "" && len(cfg.LinkSecret) < 32 {
		errs = append(errs, errors.New("KIGEN_LINK_SECRET: shorter than 32 characters (e.g. openssl rand -base64 32)"))
	}
	if cfg.Deployment != "" && !deploymentRE.MatchString(cfg.Deployment) {
		errs = append(errs, fmt.Errorf("KIGEN_DEPLOYMENT: %q is not 1 to 100 letters, digits and . _ : / -", cfg.Deployment))
	}
	str(&cfg.Schedule, "KIGEN_SCHEDULE")
	if _, err := cron.ParseStandard(cfg.Schedule); err != nil {
		errs = append(errs, fmt.Errorf("KIGEN_SCHEDULE: %q: %v", cfg.Schedule, err))
	}
	str(&cfg.PublicURL, "KIGEN_PUBLIC_URL")
	str(&cfg.Addr, "KIGEN_ADDR")
	if str(&cfg.AdminAddr, "KIGEN_ADMIN_ADDR"); cfg.AdminAddr != "" {
		if err := CheckListenAddr(cfg.AdminAddr); err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_ADMIN_ADDR: %w", err))
		} else if cfg.AdminAddr == cfg.Addr {
			errs = append(errs, fmt.Errorf("KIGEN_ADMIN_ADDR: %q is KIGEN_ADDR too: give the metrics listener its own port", cfg.AdminAddr))
		}
	}
	if v := getenv("KIGEN_TRUSTED_PROXIES"); strings.TrimSpace(v) != "" {
		ps, err := ParseProxies(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_TRUSTED_PROXIES: %w", err))
		}
		cfg.TrustedProxies = ps
	}
	str(&cfg.Outbox, "KIGEN_OUTBOX")
	str(&cfg.EmailFrom, "KIGEN_EMAIL_FROM")
	str(&cfg.HotlinesFile, "KIGEN_HOTLINES_FILE")
	if str(&cfg.LocalGovFile, "KIGEN_LOCALGOV_FILE"); cfg.LocalGovFile != "" {
		l, err := localgov.Load(cfg.LocalGovFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_LOCALGOV_FILE: %w", err))
		}
		cfg.LocalGov = l
	}
	if str(&cfg.HolidaysFile, "KIGEN_HOLIDAYS_FILE"); cfg.HolidaysFile != "" {
		fix, err := LoadHolidays(cfg.HolidaysFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("KIGEN_HOLIDAYS_FILE: %w", err))
		}
		cfg.Holidays = fix
	}
	secret(&cfg.SendGridAPIKey, "SENDGRID_API_KEY")
	str(&cfg.SendGridWebhookKey, "SENDGRID_WEBHOOK_VERIFICATION_KEY")
	str(&cfg.SendGridBaseURL, "KIGEN_SENDGRID_BASE_URL")
	str(&cfg.TwilioAccountSID, "TWILIO_ACCOUNT_SID")
	secret(&cfg.TwilioAuthToken, "TWILIO_AUTH_TOKEN")
	str(&cfg.TwilioMessagingServiceSID, "TWILIO_MESSAGING_SERVICE_SID")
	str(&cfg.TwilioFrom, "TWILIO_FROM")
	str(&cfg.TwilioBaseURL, "KIGEN_TWILIO_BASE_URL")

	for _, u := range []struct{ name, value string }{
		{"KIGEN_PUBLIC_URL", cfg.PublicURL}, {"KIGEN_SENDGRID_BASE_URL", cfg.SendGridBaseURL}, {"KIGEN_TWILIO_BASE_URL", cfg.TwilioBaseURL},
	} {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", u.name, u.value))
		}
	}
	if cfg.SendGridAPIKey != "" && cfg.EmailFrom == "" {
		errs = append(errs, errors.New("KIGEN_EMAIL_FROM: required with SENDGRID_API_KEY (the sender, on a domain authenticated in SendGrid)"))
	}
	if (cfg.TwilioAccountSID == "") != (cfg.TwilioAuthToken == "") {
		errs = append(errs, errors.New("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set both or neither"))
	}
	if cfg.TwilioAccountSID != "" && cfg.TwilioMessagingServiceSID == "" && cfg.TwilioFrom == "" {
		errs = append(errs, errors.New("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM: one is required with Twilio keys"))
	}
	return cfg, errors.Join(errs...)
}

// Clock returns the clock Kigen runs on: the real one, or the fixed
// instant of cfg.Now (KIGEN_NOW, --now), which it logs loudly to logger
// (if not nil): time travel is for demos and tests.
func (cfg Config) Clock(logger *slog.Logger) func() time.Time {
	if cfg.Now.IsZero() {
		return time.Now
	}
	if logger != nil {
		logger.Warn("time travel: Kigen acts as if it were this time", "now", cfg.Now.Format(time.RFC3339))
	}
	at := cfg.Now
	return func() time.Time { return at }
}

// LocalGovList returns the list of local governments: KIGEN_LOCALGOV_FILE's,
// or the built-in one.
func (cfg Config) LocalGovList() *localgov.List {
	if cfg.LocalGov != nil {
		return cfg.LocalGov
	}
	return localgov.Default()
}

// Provider names the provider a channel's messages go through
// (EmailProvider, SMSProvider).
func (cfg Config) Provider(ch kigen.Channel) string {
	if ch == kigen.SMS {
		return cfg.SMSProvider()
	}
	return cfg.EmailProvider()
}

// Today returns the date in Asia/Tokyo at cfg.Now, or at the clock's now.
func (cfg Config) Today(clock func() time.Time) kigen.Date {
	if !cfg.Now.IsZero() {
		return kigen.DateOf(cfg.Now)
	}
	return kigen.DateOf(clock())
}

// ParseNow reads a --now value (and KIGEN_NOW): an RFC 3339 time, or a
// date in any form kigen.ParseDate reads, as --on takes it (2026-12-10,
// 2026/12/10, 令和8年12月10日, R8.12.10 …), meaning 09:00 Asia/Tokyo that
// day, the default tick time.
func ParseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
		return t, nil
	}
	d, err := kigen.ParseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: give a date (2026-12-10, 2026/12/10, 令和8年12月10日 …) or an RFC 3339 time", kigen.ErrorMessage(err))
	}
	return time.Date(d.Year, d.Month, d.Day, 9, 0, 0, 0, kigen.Tokyo), nil
}

// ParseDatabaseURL splits DATABASE_URL into a backend and what it opens.
func ParseDatabaseURL(u string) (backend, target string, err error) {
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
	return "", "", errors.New("must start with postgres://, postgresql:// or sqlite: (then a path)")
}

// redactURL hides the passwords of a database URL: the one after the user
// name and the values of the query parameters password and sslpassword
// (which pgx reads too), however their names are spelled (case,
// percent-encoding). Everything else is printed as given.
func redactURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	head, rest, query := u[:i+3], u[i+3:], ""
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, query = rest[:q], rest[q+1:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if colon := strings.Index(rest[:at], ":"); colon >= 0 {
			rest = rest[:colon] + ":REDACTED" + rest[at:]
		}
	}
	if query == "" {
		return head + rest
	}
	pairs := strings.Split(query, "&")
	for j, pair := range pairs {
		key, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if name = strings.ToLower(strings.TrimSpace(name)); hasValue && (name == "password" || name == "sslpassword") {
			pairs[j] = key + "=REDACTED"
		}
	}
	return head + rest + "?" + strings.Join(pairs, "&")
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "REDACTED"
}

// Warning is a setting that is allowed but probably a mistake.
type Warning struct {
	Setting string // the variable, e.g. KIGEN_PUBLIC_URL
	Text    string // why, and what to do
}

// Warnings returns the settings kigen serve warns about at start (and kigen
// config prints): a KIGEN_PUBLIC_URL in plain http to another machine, and
// a SQLite database that other users may read.
func (cfg Config) Warnings() []Warning {
	var ws []Warning
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme == "http" && !isLoopback(u.Hostname()) {
		ws = append(ws, Warning{"KIGEN_PUBLIC_URL", fmt.Sprintf("plain http:// to %s: the links in messages carry "+
			"residents' tokens and the providers' webhooks their reports, unencrypted on the way; use https://", u.Host)})
	}
	if backend, path, err := ParseDatabaseURL(cfg.DatabaseURL); err == nil && backend == "sqlite" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			ws = append(ws, Warning{"DATABASE_URL", fmt.Sprintf("the SQLite database %s has mode %04o: other users of "+
				"this machine may read residents' data; chmod 600 it and its -wal and -shm files", path, fi.Mode().Perm())})
		}
	}
	return ws
}

// CheckListenAddr checks a listen address as KIGEN_ADDR and
// KIGEN_ADMIN_ADDR take it: host:port (the host may be empty, meaning every
// interface), the port a number from 0 to 65535 (0: any free port).
func CheckListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:9090)", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// isLoopback reports whether host is this machine: localhost or a
// loopback address.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Print writes the configuration with secrets redacted, then its warnings.
func (cfg Config) Print(w io.Writer) {
	now := ""
	if !cfg.Now.IsZero() {
		now = cfg.Now.Format(time.RFC3339)
	}
	for _, kv := range [][2]string{
		{"DATABASE_URL", redactURL(cfg.DatabaseURL)},
		{"KIGEN_NOW", now},
		{"KIGEN_SCHEDULE", cfg.Schedule},
		{"KIGEN_RATE_EMAIL", strconv.FormatFloat(cfg.RateEmail, 'g', -1, 64)},
		{"KIGEN_RATE_SMS", strconv.FormatFloat(cfg.RateSMS, 'g', -1, 64)},
		{"KIGEN_PROVIDER_TIMEOUT", cfg.ProviderTimeout.String()},
		{"KIGEN_RESCUE_AFTER", cfg.RescueAfter.String()},
		{"KIGEN_TICK_STALE_AFTER", cfg.TickStaleAfter.String()},
		{"KIGEN_RETRY_DELAYS", retryDelays(cfg.RetryDelays)},
		{"KIGEN_WORKERS", strconv.Itoa(cfg.Workers)},
		{"KIGEN_SIGNUP_SMS_DAILY_BUDGET", strconv.Itoa(cfg.Signup.SMSBudget)},
		{"KIGEN_SIGNUP_EMAIL_DAILY_BUDGET", strconv.Itoa(cfg.Signup.EmailBudget)},
		{"KIGEN_SIGNUP_PER_ADDRESS", strconv.Itoa(cfg.Signup.PerAddress)},
		{"KIGEN_SIGNUP_PER_CLIENT", strconv.Itoa(cfg.Signup.PerClient)},
		{"KIGEN_SIGNUP_PER_MUNICIPALITY", strconv.Itoa(cfg.Signup.PerMunicipality)},
		{"KIGEN_INSTANCE_ID", cfg.InstanceID},
		{"KIGEN_DEPLOYMENT", cfg.DeploymentID()},
		{"KIGEN_LINK_SECRET", redact(cfg.LinkSecret)},
		{"KIGEN_PUBLIC_URL", cfg.PublicURL},
		{"KIGEN_ADDR", cfg.Addr},
		{"KIGEN_ADMIN_ADDR", cfg.AdminAddr},
		{"KIGEN_TRUSTED_PROXIES", proxiesText(cfg.TrustedProxies)},
		{"KIGEN_OUTBOX", cfg.Outbox},
		{"KIGEN_EMAIL_FROM", cfg.EmailFrom},
		{"KIGEN_HOTLINES_FILE", cfg.HotlinesFile},
		{"KIGEN_LOCALGOV_FILE", cfg.LocalGovFile},
		{"KIGEN_HOLIDAYS_FILE", cfg.HolidaysFile},
		{"SENDGRID_API_KEY", redact(cfg.SendGridAPIKey)},
		{"SENDGRID_WEBHOOK_VERIFICATION_KEY", cfg.SendGridWebhookKey},
		{"KIGEN_SENDGRID_BASE_URL", cfg.SendGridBaseURL},
		{"TWILIO_ACCOUNT_SID", cfg.TwilioAccountSID},
		{"TWILIO_AUTH_TOKEN", redact(cfg.TwilioAuthToken)},
		{"TWILIO_MESSAGING_SERVICE_SID", cfg.TwilioMessagingServiceSID},
		{"TWILIO_FROM", cfg.TwilioFrom},
		{"KIGEN_TWILIO_BASE_URL", cfg.TwilioBaseURL},
	} {
		fmt.Fprintf(w, "%s=%s\n", kv[0], kv[1])
	}
	fmt.Fprintf(w, "# email goes to: %s; SMS goes to: %s\n", cfg.EmailProvider(), cfg.SMSProvider())
	for _, wn := range cfg.Warnings() {
		fmt.Fprintf(w, "# warning: %s: %s\n", wn.Setting, wn.Text)
	}
}

// retryDelays prints delays as KIGEN_RETRY_DELAYS takes them.
func retryDelays(ds []time.Duration) string {
	if len(ds) == 0 {
		ds = scheduler.DefaultDelays
	}
	fs := make([]string, len(ds))
	for i, d := range ds {
		fs[i] = d.String()
	}
	return strings.Join(fs, ",")
}

// ParseProxies reads KIGEN_TRUSTED_PROXIES: addresses (10.0.0.5, ::1) or
// CIDR ranges (10.0.0.0/8), separated by commas.
func ParseProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR range (10.0.0.0/8)", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or a CIDR range (10.0.0.0/8)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func proxiesText(ps []netip.Prefix) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}
