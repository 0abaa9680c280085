package postgres_test

import (
	"context"
	"sync"
	"testing"

	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
)

func TestStore_Migrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := postgrestest.NewSchemaPool(t)

	if n, err := postgres.New(pool).MigrationsPending(ctx); err != nil {
		t.Fatal(err)
	} else if n == 0 {
		t.Fatalf("MigrationsPending on an empty schema = 0, want > 0")
	}

	// Three "processes" migrate at once: each waits for the advisory lock,
	// and only the first applies anything.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.New(pool).Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}

	s := postgres.New(pool)
	if err := s.Migrate(ctx); err != nil { // idempotent
		t.Fatalf("Migrate again: %v", err)
	}
	if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
		t.Errorf("MigrationsPending = %d, %v; want 0, nil", n, err)
	}
	var applied, distinct int
	err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM kigen_migrations`).Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied == 0 {
		t.Errorf("kigen_migrations holds %d rows for %d versions, want each version once", applied, distinct)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	// Eleven tables (ticks since 004, audit_log since 008, secrets since
	// 009), five of accounts since 013 (accounts, setup_tokens, sessions,
	// login_failures, api_tokens), three of imports since 016 (imports,
	// import_uploads, import_problems), provider_reports since 017, two of
	// self-service since 018 (signups, resident_tokens), calendar_tokens
	// since 019, signup_counts since 020 and
	// kigen_migrations.
	if tables != 25 {
		t.Errorf("%d tables in the schema, want 25", tables)
	}
}
