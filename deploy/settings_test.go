package deploy_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"kigen/internal/config"
)

// TestDeploySettings checks that the variables the compose file, the
// systemd unit and the Containerfile set are ones Kigen reads (kigen
// config prints every one): a misspelt name would be silently ignored.
func TestDeploySettings(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	config.Default().Print(&b)
	known := map[string]bool{}
	for _, line := range strings.Split(b.String(), "\n") {
		if name, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(name, "#") {
			known[name] = true
		}
	}
	varRE := regexp.MustCompile(`\b((?:KIGEN|SENDGRID|TWILIO)_[A-Z_]+|DATABASE_URL)\b`)
	for _, file := range []string{"compose.yaml", "kigen.service", "Containerfile"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, m := range varRE.FindAllString(string(data), -1) {
			found++
			if !known[strings.TrimSuffix(m, "_FILE")] {
				t.Errorf("%s sets %s, which Kigen does not read", file, m)
			}
		}
		if found == 0 {
			t.Errorf("%s: no setting found", file)
		}
	}
}
