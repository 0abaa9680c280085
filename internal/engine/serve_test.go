package engine_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kigen/internal/config"
	"kigen/internal/engine"
	"kigen/internal/storetesting"
)

// TestServe_WarnsAtStart checks that kigen serve logs, as it starts, a
// KIGEN_PUBLIC_URL in plain http to another machine.
func TestServe_WarnsAtStart(t *testing.T) {
	t.Parallel()
	s := storetesting.SQLite(t)
	cfg := config.Default()
	cfg.PublicURL = "http://kigen.city.example"
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	logs, err := os.Create(filepath.Join(t.TempDir(), "serve.log")) // safe for the logger and a reader at once
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	logged := func() string { b, _ := os.ReadFile(logs.Name()); return string(b) }
	logger := slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- engine.Serve(ctx, cfg, s, "127.0.0.1:0", logger) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logged(), "kigen serving") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	out := logged()
	if !strings.Contains(out, `level=WARN msg=configuration setting=KIGEN_PUBLIC_URL warning="plain http:// to kigen.city.example`) {
		t.Errorf("serve did not warn about the plain http public URL:\n%s", out)
	}
}

// TestServe_AddrInUse checks that serve on SQLite returns when its HTTP
// server cannot start, rather than wait for its job queue's hand-over.
func TestServe_AddrInUse(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := config.Default()
	cfg.Outbox = filepath.Join(t.TempDir(), "outbox.jsonl")
	done := make(chan error, 1)
	go func() {
		done <- engine.Serve(context.Background(), cfg, storetesting.SQLite(t), l.Addr().String(), slog.New(slog.DiscardHandler))
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve on an address in use returned nil")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Serve on an address in use did not return")
	}
}
