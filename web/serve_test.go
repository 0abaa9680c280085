package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"kigen/web"
)

// listenAddr waits for Serve's "http server listening" line and returns the
// address it names.
func listenAddr(t *testing.T, logs *logBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "http server listening" {
				return l.Addr
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("Serve did not log its address")
	return ""
}

func TestServe(t *testing.T) {
	t.Parallel()
	logger, logs := newLogger(t)
	entered, release := make(chan struct{}), make(chan struct{})
	h := web.NewHandler(web.Deps{Logger: logger, Webhooks: map[string]http.Handler{
		"/slow": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "done")
		}),
	}})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- web.Serve(ctx, "127.0.0.1:0", h, logger) }()
	base := "http://" + listenAddr(t, logs)
	client := &http.Client{Timeout: 10 * time.Second}

	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d, want 200", resp.StatusCode)
	}

	// A request running when ctx is cancelled finishes; Serve waits for it.
	slow := make(chan string, 1)
	go func() {
		resp, err := client.Post(base+"/slow", "text/plain", nil)
		if err != nil {
			slow <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	<-entered
	cancel()

	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was running", err)
	case <-time.After(200 * time.Millisecond):
	}
	// Meanwhile no new connection is accepted.
	if resp, err := client.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a new request was served after ctx was cancelled")
	}

	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("the running request got %q, want done", got)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after ctx was cancelled")
	}
	if !strings.Contains(logs.String(), `"msg":"http server stopped"`) {
		t.Error("no stop logged")
	}
}

func TestServe_ListenError(t *testing.T) {
	t.Parallel()
	err := web.Serve(t.Context(), "127.0.0.1:notaport", web.NewHandler(web.Deps{}), nil)
	if err == nil {
		t.Fatal("Serve on a bad address returned nil")
	}
}
