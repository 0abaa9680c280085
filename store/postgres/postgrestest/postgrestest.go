// Package postgrestest gives each test its own PostgreSQL schema, so that
// tests of the postgres store (and of packages running on it) can run in
// parallel against one database.
//
// Tests skip unless KIGEN_TEST_POSTGRES_URL names a database on which the
// role may create schemas; with KIGEN_TEST_REQUIRE_POSTGRES=1 (CI) a missing
// URL fails them instead.
package postgrestest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen/store/postgres"
)

// URL returns the test database's URL from KIGEN_TEST_POSTGRES_URL. When it
// is unset, URL fails the test if KIGEN_TEST_REQUIRE_POSTGRES=1 and skips it
// otherwise.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("KIGEN_TEST_POSTGRES_URL")
	if url == "" {
		if os.Getenv("KIGEN_TEST_REQUIRE_POSTGRES") == "1" {
			t.Fatal("KIGEN_TEST_POSTGRES_URL is not set and KIGEN_TEST_REQUIRE_POSTGRES=1")
		}
		t.Skip("skipping PostgreSQL test: set KIGEN_TEST_POSTGRES_URL (e.g. postgres://kigen:kigen@127.0.0.1:5432/kigen?sslmode=disable)")
	}
	return url
}

// NewStore returns a migrated Store in a fresh schema of its own, dropped
// (with everything in it) when the test ends.
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	pool, _ := NewSchemaPool(t)
	s := postgres.New(pool)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("postgrestest: migrate: %v", err)
	}
	// Hold no connection while the test waits for its turn to run in
	// parallel: many paused tests must not exhaust max_connections.
	pool.Reset()
	return s
}

// NewSchemaPool creates a fresh, empty schema kigen_test_<random hex> and
// returns a small pool whose connections use it as search_path, with the
// schema's name (for River's Config.Schema). At the end of the test the pool
// is closed and the schema dropped. Nothing is migrated.
func NewSchemaPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	url := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	schema := "kigen_test_" + hex.EncodeToString(b)

	if err := exec(ctx, url, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, url, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgrestest: %v", err)
		}
	})

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("postgrestest: parse KIGEN_TEST_POSTGRES_URL: %v", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("postgrestest: open pool: %v", err)
	}
	// Registered after the drop, so run before it: connections using the
	// schema are gone when it is dropped.
	t.Cleanup(pool.Close)
	return pool, schema
}

// exec runs one statement on a connection of its own.
func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
