package engine_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
)

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve runs engine.Serve with cfg on addr until the test ends, once
// /healthz answers on it.
func serve(t *testing.T, cfg config.Config, addr string) {
	t.Helper()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Serve(ctx, cfg, storetesting.SQLite(t), addr, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get(t, "http://"+addr+"/healthz"); code == http.StatusOK {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("Serve returned before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Serve did not answer /healthz within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches url; a connection error is status 0.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServe_AdminAddr checks that with KIGEN_ADMIN_ADDR, /metrics is served
// on the admin listener only (with Kigen's series), the public listener
// answers 404 for it, and the admin listener serves nothing else.
func TestServe_AdminAddr(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	addr := freeAddr(t)
	cfg.AdminAddr = freeAddr(t)
	serve(t, cfg, addr)

	code, body := get(t, "http://"+cfg.AdminAddr+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, "\nkigen_database_up 1\n") || !strings.Contains(body, `kigen_unknown_sends{channel="email"} 0`) {
		t.Errorf("admin /metrics = %d, want 200 with kigen_database_up 1 and kigen_unknown_sends:\n%.2000s", code, body)
	}
	if code, _ := get(t, "http://"+addr+"/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics = %d, want 404 while KIGEN_ADMIN_ADDR is set", code)
	}
	for _, path := range []string{"/healthz", "/readyz", "/m/x", "/"} {
		if code, _ := get(t, "http://"+cfg.AdminAddr+path); code != http.StatusNotFound {
			t.Errorf("admin %s = %d, want 404: the admin listener serves /metrics only", path, code)
		}
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != http.StatusOK {
		t.Errorf("public /healthz = %d, want 200", code)
	}
}

// TestServe_MetricsWithoutAdminAddr checks that without KIGEN_ADMIN_ADDR
// the public listener serves /metrics.
func TestServe_MetricsWithoutAdminAddr(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	serve(t, config.Default(), addr)
	if code, body := get(t, "http://"+addr+"/metrics"); code != http.StatusOK || !strings.Contains(body, "kigen_database_up 1") {
		t.Errorf("public /metrics = %d, want 200 with kigen_database_up:\n%.2000s", code, body)
	}
}

// TestServe_AdminAddrInUse checks that serve returns an error when the admin
// listener cannot listen, rather than run without its metrics.
func TestServe_AdminAddrInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	cfg.AdminAddr = l.Addr().String()
	done := make(chan error, 1)
	go func() {
		done <- engine.Serve(context.Background(), cfg, storetesting.SQLite(t), freeAddr(t), slog.New(slog.DiscardHandler))
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), cfg.AdminAddr) {
			t.Errorf("Serve with the admin address in use = %v, want an error naming it", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Serve with the admin address in use did not return")
	}
}
