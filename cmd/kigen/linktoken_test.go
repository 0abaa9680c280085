package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"kigen"
	"kigen/internal/engine"
	"kigen/store/postgres/postgrestest"
	"kigen/web"
)

// unsubscribeRE finds the one-click unsubscribe link of an outbox line's
// body; group 1 is the token.
var unsubscribeRE = regexp.MustCompile(`https://kigen\.example/u/([A-Za-z0-9_-]{22})`)

// TestUnsubscribe_AfterResend: an email whose send was recorded unknown is
// sent again by `kigen delivery resend`; the FIRST email's one-click
// unsubscribe (POST /u/…, RFC 8058) still works, because every attempt of
// a message carries the same link. On both backends, through the real
// commands and the handler `kigen serve` mounts.
func TestUnsubscribe_AfterResend(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t)
			env["KIGEN_OUTBOX"] = filepath.Join(t.TempDir(), "outbox.jsonl")
			env["KIGEN_PUBLIC_URL"] = "https://kigen.example"
			if backend == "postgres" {
				_, schema := postgrestest.NewSchemaPool(t)
				env["DATABASE_URL"] = postgrestest.URL(t) + "&search_path=" + schema
			}
			mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市", "--name-latin", "Otaru City")
			mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,language,email,residence_status,residence_card_expires_on,consent\n"+
				"U-1,en,u1@example.jp,定住者,2027-01-31,yes\n")))
			mustRun(t, env, "tick")

			s := openTestStore(t, env)
			mu, err := s.GetMunicipalityByCode(t.Context(), "012033")
			if err != nil {
				t.Fatal(err)
			}
			ids := makeUnknown(t, s, mu, "U-1")
			mustRun(t, env, "delivery", "resend", strconv.FormatInt(ids["U-1"], 10))
			mustRun(t, env, "tick")

			tokens := unsubscribeTokens(t, env["KIGEN_OUTBOX"])
			if len(tokens) != 2 {
				t.Fatalf("the outbox holds %d emails with an unsubscribe link, want 2 (the first send and the resend)", len(tokens))
			}
			if tokens[0] != tokens[1] {
				t.Errorf("the resend carries another link than the first email: one message, one token")
			}

			// The first email's link, as a mail client calls it.
			cfg, err := LoadConfig(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			renderer, err := engine.Renderer(cfg.Config)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(web.NewHandler(web.Deps{Pages: &web.Pages{Store: s, Renderer: renderer, PublicURL: cfg.PublicURL}}))
			defer srv.Close()
			resp, err := http.PostForm(srv.URL+"/u/"+tokens[0], url.Values{"List-Unsubscribe": {"One-Click"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST the first email's /u/ link: %d, want 200", resp.StatusCode)
			}
			r, err := s.GetResidentByRef(t.Context(), mu.ID, "U-1")
			if err != nil {
				t.Fatal(err)
			}
			cs, err := s.ListContacts(t.Context(), mu.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Channel == kigen.Email && !c.OptedOut {
					t.Error("the email contact is not opted out after the first email's one-click unsubscribe")
				}
			}
		})
	}
}

// unsubscribeTokens returns the token of each outbox line's unsubscribe
// link, in order.
func unsubscribeTokens(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for l := range strings.Lines(string(b)) {
		var line struct {
			Body string `json:"body"`
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		if m := unsubscribeRE.FindStringSubmatch(line.Body); m != nil {
			tokens = append(tokens, m[1])
		}
	}
	return tokens
}
