package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeTags are the axe-core rules run: WCAG 2.0, 2.1 and 2.2 levels A and
// AA, which JIS X 8341-3:2016 level AA follows (it is WCAG 2.0; the later
// success criteria are asked for too).
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// AxeViolation is one rule a page breaks, with the elements that break it.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target         []any  `json:"target"`
		HTML           string `json:"html"`
		FailureSummary string `json:"failureSummary"`
	} `json:"nodes"`
}

// String describes the violation and each element, for a test's failure.
func (v AxeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %v %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.FailureSummary, "\n", "\n      "))
	}
	return b.String()
}

// axeSource is axe-core's script, read once from tools/axe/node_modules
// (`npm ci` in tools/axe installs the version package-lock.json pins).
var axeSource = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			b, err := os.ReadFile(filepath.Join(dir, "tools", "axe", "node_modules", "axe-core", "axe.min.js"))
			return string(b), err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		dir = parent
	}
})

// Axe runs axe-core on ctx's page (injecting it first through the
// DevTools protocol, which the page's CSP does not restrict) with AxeTags,
// and returns the violations. Without axe-core installed the test is
// skipped, unless KIGEN_TEST_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
func Axe(ctx context.Context, t testing.TB) []AxeViolation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("KIGEN_TEST_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("axe-core is not installed (npm ci in tools/axe): %v", err)
		}
		t.Skipf("axe-core is not installed (npm ci in tools/axe): %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "undefined" ? (function(){`+src+`
; return true})() : true`)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	tags := `["` + strings.Join(AxeTags, `","`) + `"]`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](`axe.run(document, {runOnly: {type: "tag", values: `+tags+`}, resultTypes: ["violations"]}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return vs
}

// CheckAxe fails the test for every violation axe-core finds on ctx's
// page, named name.
func CheckAxe(ctx context.Context, t testing.TB, name string) {
	t.Helper()
	for _, v := range Axe(ctx, t) {
		t.Errorf("%s: accessibility: %s", name, v)
	}
}
