// Package postgrestest gives each test a PostgreSQL database or schema of
// its own, so that tests of the postgres store (and of packages running on
// it) can run in parallel against one server.
//
// NewStore and NewPool lend the test a database already migrated (Kigen's
// migrations and River's) instead of migrating one for it: see template.go.
// NewSchemaPool gives an empty schema instead, for tests of the migrations
// themselves and of commands that migrate.
//
// Tests skip unless KIGEN_TEST_POSTGRES_URL names a database on which the
// role may create schemas and databases; with KIGEN_TEST_REQUIRE_POSTGRES=1
// (CI) a missing URL fails them instead.
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

// NewStore returns a Store on a migrated database of its own for the test
// (see NewPool).
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	return postgres.New(NewPool(t))
}

// NewPool returns a small pool on a database lent to the test until it
// ends: migrated (Kigen's tables and River's, in schema public, the
// connections' search_path) and empty, as a fresh database would be. At
// the end of the test the pool is closed.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, release, err := claim(ctx, url)
	if err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	t.Cleanup(release)
	// Registered after release, so run before it: the database is lent
	// to the next test once the pool is closed.
	t.Cleanup(pool.Close)
	return pool
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

	schema := "kigen_test_" + randomHex()
	if err := execSQL(ctx, url, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := execSQL(ctx, url, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgrestest: %v", err)
		}
	})

	pool, err := newPool(ctx, url, "", schema)
	if err != nil {
		t.Fatalf("postgrestest: %v", err)
	}
	// Registered after the drop, so run before it: connections using the
	// schema are gone when it is dropped.
	t.Cleanup(pool.Close)
	return pool, schema
}

// newPool opens a pool of at most 4 connections to database (empty: the
// URL's) with search_path schema. It opens no connection yet: many tests
// paused waiting for their turn to run in parallel must not exhaust
// max_connections.
func newPool(ctx context.Context, url, database, schema string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse KIGEN_TEST_POSTGRES_URL: %w", err)
	}
	if database != "" {
		cfg.ConnConfig.Database = database
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return pool, nil
}

// randomHex returns 16 random hex digits.
func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

// execSQL runs one statement on a connection of its own.
func execSQL(ctx context.Context, url, sql string) error {
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
