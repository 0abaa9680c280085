package postgres_test

import (
	"strings"
	"testing"

	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
)

// TestCreateSchema: a store opened on the URL lives in the new schema, and
// drop removes it with its tables.
func TestCreateSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := postgrestest.URL(t)
	schemaURL, drop, err := postgres.CreateSchema(ctx, url, "kigen_test_create")
	if err != nil {
		t.Fatal(err)
	}
	dropped := false
	t.Cleanup(func() {
		if !dropped {
			drop()
		}
	})
	s, err := postgres.Open(ctx, schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := s.Pool().QueryRow(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'residents' AND table_schema LIKE 'kigen_test_create_%'`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(schemaURL, "search_path="+schema) {
		t.Errorf("the residents table is in %s, not in the schema of %s", schema, schemaURL)
	}
	s.Close()
	if err := drop(); err != nil {
		t.Fatal(err)
	}
	dropped = true
	other, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.Pool().QueryRow(ctx, `SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s still there after drop", schema)
	}
}

// TestCreateSchema_PoolSettings: a URL with the pool's settings
// (pool_max_conns, which the server does not know) makes a schema too,
// and the store opened on it has the pool asked for.
func TestCreateSchema_PoolSettings(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := postgrestest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	schemaURL, drop, err := postgres.CreateSchema(ctx, url+sep+"pool_max_conns=3", "kigen_test_pool")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = drop() })
	s, err := postgres.Open(ctx, schemaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n := s.Pool().Config().MaxConns; n != 3 {
		t.Errorf("pool of %d connections, want the 3 of the URL", n)
	}
}
