package postgrestest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"kigen"
	"kigen/store/postgres"
)

// TestNewStore: each store is migrated (Kigen's tables and River's) and on
// a database of its own.
func TestNewStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var names [2]string
	for i := range names {
		s := NewStore(t)
		if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
			t.Fatalf("MigrationsPending = %d, %v; want 0, nil", n, err)
		}
		m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
		if err := s.CreateMunicipality(ctx, m); err != nil {
			t.Fatalf("store %d: %v", i, err) // the second would conflict with the first's
		}
		if m.ID != 1 {
			t.Errorf("store %d: the first municipality has ID %d, want 1", i, m.ID)
		}
		rm, err := rivermigrate.New(riverpgxv5.New(s.Pool()), &rivermigrate.Config{Schema: "public"})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil || len(res.Versions) != 0 {
			t.Errorf("River's migrations again: %v applied, %v; want none", res, err)
		}
		if err := s.Pool().QueryRow(ctx, `SELECT current_database()`).Scan(&names[i]); err != nil {
			t.Fatal(err)
		}
	}
	if names[0] == names[1] {
		t.Fatalf("both stores on database %s", names[0])
	}
}

// TestLend_Reset: a copy lent again is empty, as a fresh one: rows gone,
// sequences restarted, River's migrations still recorded.
func TestLend_Reset(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, lendOwn := ownCopy(t)

	pool := lendOwn()
	s := postgres.New(pool)
	for _, code := range []string{"012033", "012041"} {
		if err := s.CreateMunicipality(ctx, &kigen.Municipality{Code: code, Name: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO river_job (kind, args, max_attempts) VALUES ('x', '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	// A connection left open: the next lend ends it.
	leaked, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer leaked.Close(context.Background())
	if _, err := leaked.Exec(ctx, `BEGIN; LOCK TABLE municipalities`); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	pool = lendOwn()
	s = postgres.New(pool)
	if ms, err := s.ListMunicipalities(ctx); err != nil || len(ms) != 0 {
		t.Errorf("ListMunicipalities = %d, %v; want none", len(ms), err)
	}
	m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
	if err := s.CreateMunicipality(ctx, m); err != nil || m.ID != 1 {
		t.Errorf("CreateMunicipality: ID %d, %v; want 1, nil", m.ID, err)
	}
	var jobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&jobs); err != nil || jobs != 0 {
		t.Errorf("%d River jobs (%v), want none", jobs, err)
	}
	if n, err := s.MigrationsPending(ctx); err != nil || n != 0 {
		t.Errorf("MigrationsPending = %d, %v; want 0, nil", n, err)
	}
}

// TestLend_SchemaChanged: schemaSQL tells a changed schema from the
// template's, and a copy whose schema a test changed is replaced by a new
// one.
func TestLend_SchemaChanged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tp, lendOwn := ownCopy(t)
	pool := lendOwn()
	for _, change := range []string{
		`CREATE TABLE extra (id int)`,
		`ALTER TABLE residents ADD COLUMN extra int`,
		`ALTER TABLE residents ALTER COLUMN name DROP NOT NULL`,
		`CREATE INDEX extra ON residents (name)`,
		`ALTER TABLE residents DROP CONSTRAINT residents_pkey CASCADE`,
		`CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
		`CREATE SCHEMA extra`,
		`DELETE FROM kigen_migrations WHERE version = 1`,
		`DELETE FROM river_migration WHERE version = 1`,
	} {
		// Changed and seen in a transaction rolled back: the copy is
		// the template's again for the next change.
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var schema string
		if _, err := tx.Exec(ctx, change); err != nil {
			t.Errorf("%s: %v", change, err)
		} else if err := tx.QueryRow(ctx, schemaSQL).Scan(&schema); err != nil {
			t.Errorf("%s: %v", change, err)
		} else if schema == tp.schema {
			t.Errorf("after %s, the schema's digest is still the template's", change)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := pool.Exec(ctx, `CREATE TABLE extra (id int)`); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	pool = lendOwn()
	var schema string
	if err := pool.QueryRow(ctx, schemaSQL).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if schema != tp.schema {
		t.Errorf("the copy lent after a table was added has schema %s, want the template's %s", schema, tp.schema)
	}
}

// ownCopy returns the template and a function that lends a copy of it of
// the test's own (not one of the copies other tests claim), dropped at the
// end: each call lends it again and returns a pool on it, closed at the
// end of the test if not before.
func ownCopy(t *testing.T) (*tmpl, func() *pgxpool.Pool) {
	t.Helper()
	ctx := t.Context()
	url := URL(t)
	tp, _, err := setup(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	name := poolPrefix + tp.digest + "_test" + randomHex()
	t.Cleanup(func() {
		ctx := context.Background()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Error(err)
		}
		conn.Close(ctx)
	})
	return tp, func() *pgxpool.Pool {
		t.Helper()
		pool, err := lend(ctx, conn, url, tp, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
}

// TestBuild: a build replaces what a killed build left, records the
// schema's digest in the comment, and is renamed to the template's name
// once migrated.
func TestBuild(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := URL(t)
	tp, _, err := setup(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	name := templatePrefix + "test" + randomHex()
	t.Cleanup(func() {
		for _, db := range []string{name, name + buildSuffix} {
			if err := execSQL(context.Background(), url, "DROP DATABASE IF EXISTS "+db); err != nil {
				t.Error(err)
			}
		}
	})
	if err := execSQL(ctx, url, "CREATE DATABASE "+name+buildSuffix); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	schema, err := build(ctx, conn, url, name)
	if err != nil {
		t.Fatal(err)
	}
	if schema != tp.schema {
		t.Errorf("build's schema %s, want the template's %s", schema, tp.schema)
	}
	var dbs []string
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1 || '%'`, name)
	if dbs, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dbs, []string{name}) {
		t.Errorf("databases %v after the build, want [%s]", dbs, name)
	}
	var comment string
	if err := conn.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, name).Scan(&comment); err != nil {
		t.Fatal(err)
	}
	if got, ok := schemaOf(comment); !ok || got != schema {
		t.Errorf("comment %q: schema %q, want %q", comment, got, schema)
	}
}

func TestStaleDatabases(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	used := func(d time.Duration) string { return templateComment("abc", now.Add(-d)) }
	dbs := map[string]string{
		"kigen_tmpl_cur":         used(30 * 24 * time.Hour), // this run's, whatever its comment
		"kigen_pool_cur_0":       "",
		"kigen_tmpl_recent":      used(24 * time.Hour),
		"kigen_pool_recent_0":    "",
		"kigen_tmpl_old":         used(8 * 24 * time.Hour),
		"kigen_pool_old_0":       "",
		"kigen_pool_old_12":      "",
		"kigen_tmpl_nocomment":   "",
		"kigen_tmpl_old_build":   used(8 * 24 * time.Hour),
		"kigen_pool_oldother_0":  "", // not a copy of kigen_tmpl_old
		"kigen_tmpl_oldother":    used(time.Hour),
		"kigen_pool_orphan_3":    "", // its template is gone: left alone
		"kigen_tmpl_badcomment":  "kigen test template; last used yesterday",
		"kigen_pool_badcomment_": "",
	}
	got := staleDatabases(dbs, "cur", now)
	slices.Sort(got)
	want := []string{"kigen_pool_old_0", "kigen_pool_old_12", "kigen_tmpl_old"}
	if !slices.Equal(got, want) {
		t.Errorf("staleDatabases = %v, want %v", got, want)
	}
}

// BenchmarkNewStore measures what NewStore costs a test: claim a copy,
// reset it, connect and query, close and give it back.
func BenchmarkNewStore(b *testing.B) {
	ctx := b.Context()
	url := URL(b)
	for b.Loop() {
		pool, release, err := claim(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := postgres.New(pool).MigrationsPending(ctx); err != nil {
			b.Fatal(err)
		}
		pool.Close()
		release()
	}
}

// BenchmarkMigrateSchema measures what NewStore did before the template
// (with the River migrations the scheduler's tests then ran): create a
// schema, apply Kigen's migrations and River's, close and drop it.
func BenchmarkMigrateSchema(b *testing.B) {
	ctx := b.Context()
	url := URL(b)
	for b.Loop() {
		schema := "kigen_test_" + randomHex()
		if err := execSQL(ctx, url, "CREATE SCHEMA "+schema); err != nil {
			b.Fatal(err)
		}
		pool, err := newPool(ctx, url, "", schema)
		if err != nil {
			b.Fatal(err)
		}
		migrate(b, pool, schema)
		pool.Close()
		if err := execSQL(ctx, url, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			b.Fatal(err)
		}
	}
}

// migrate applies Kigen's migrations and River's in schema.
func migrate(b *testing.B, pool *pgxpool.Pool, schema string) {
	b.Helper()
	if err := postgres.New(pool).Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Migrate(b.Context(), rivermigrate.DirectionUp, nil); err != nil {
		b.Fatal(err)
	}
}
