// Package browsertest starts Debian's headless chromium for tests, at a
// phone's width. It is for tests only.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// PhoneWidth and PhoneHeight are the CSS size of the phone pages are checked
// on (an iPhone 12–15).
const PhoneWidth, PhoneHeight = 390, 844

// chromiumPath returns Debian's chromium, or skips the test when it is not
// installed, unless KIGEN_TEST_REQUIRE_CHROMIUM=1 (CI) makes that a failure.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("KIGEN_TEST_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium is not installed and KIGEN_TEST_REQUIRE_CHROMIUM=1 (apt-get install chromium fonts-noto-cjk fonts-noto-core fonts-thai-tlwg)")
	}
	t.Skip("chromium is not installed (set KIGEN_TEST_REQUIRE_CHROMIUM=1 to fail instead)")
	return ""
}

// Phone starts a headless chromium emulating a phone and returns its
// context, cancelled after timeout or when the test ends. The browser has a
// fresh profile, no sandbox (tests run as root) and no background
// networking (the machine has no network to reach).
func Phone(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(PhoneWidth, PhoneHeight))
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight, chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ArtifactsDir is where screenshots go: $KIGEN_TEST_ARTIFACTS, else the
// package's testdata/artifacts (ignored by git).
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("KIGEN_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves a full-page screenshot of ctx's page as dir/name.png
// and returns its path, for the test's messages to cite. With -short it
// saves none and returns a note saying so: a long page's screenshot takes
// about 0.4 s, most of a browser test's time, and the quick loop needs no
// pictures.
func Screenshot(ctx context.Context, t testing.TB, dir, name string) string {
	t.Helper()
	if testing.Short() {
		return "no screenshot with -short"
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("%s: screenshot: %v", name, err)
	}
	shot := filepath.Join(dir, name+".png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return shot
}
