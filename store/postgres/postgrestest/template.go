package postgrestest

// How a test gets a migrated database without migrating one.
//
// The template, kigen_tmpl_<digest>, is a database migrated once, by the
// first test process on the server that needs it, and never connected to
// again (CREATE DATABASE … TEMPLATE refuses a template anyone is connected
// to). Its name carries a digest of the migrations, Kigen's and River's,
// so that a work tree on other migrations makes a template of its own.
//
// Tests do not get a copy each to drop afterwards: DROP DATABASE forces a
// checkpoint on PostgreSQL 15, which flushes every database's dirty pages
// and, on a server shared by several work trees, made a copy per test
// slower than migrating a schema per test. The copies, kigen_pool_<digest>_<n>,
// are kept and lent instead. A process claims copy n with a session
// advisory lock, held on a connection of its own until the test ends (or
// the process dies); it ends any connection a previous borrower leaked,
// empties every table but the migration records, restarts the sequences,
// and checks that the schema is still the template's (a copy a test
// changed is replaced by a new one). A claim costs a few milliseconds; a
// copy is made only when every other is lent.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"kigen/store/postgres"
)

// Names of the databases this file makes: templatePrefix + digest is a
// template, poolPrefix + digest + "_" + n its n-th copy, and
// templatePrefix + digest + buildSuffix a template being built.
const (
	templatePrefix = "kigen_tmpl_"
	poolPrefix     = "kigen_pool_"
	buildSuffix    = "_build"
)

// recipe names how the template is made: change it when what build does
// changes other than through the migrations and schemaSQL (whose digests
// make the template's name already).
const recipe = "kigen and river migrations in public, v2"

// copyStrategy is how CREATE DATABASE copies the template for a new copy
// (PostgreSQL 15 and later). WAL_LOG, the default, copies it block by
// block through the WAL: about 8 MB, most of it the system catalogs.
// FILE_COPY copies the files but forces two checkpoints; it was faster on
// an idle server and up to ten times slower on a busy one.
const copyStrategy = "WAL_LOG"

// staleTemplate: a template of other migrations that no run has used for
// this long is dropped, with its copies.
const staleTemplate = 7 * 24 * time.Hour

// tmpl is the template this process uses.
type tmpl struct {
	digest string // of the migrations and recipe, in the names
	// schema is a digest of the template's schema (see schemaSQL), which
	// a lent copy must still have.
	schema string
}

func (t *tmpl) name() string { return templatePrefix + t.digest }

var (
	mu        sync.Mutex
	found     *tmpl         // the template, once this process has found or built it
	lockPools *pgxpool.Pool // connections holding the claims' locks
)

// claim lends the caller a copy of the template, emptied, and returns a
// pool on it and the function that gives it back (after the pool is
// closed).
func claim(ctx context.Context, url string) (*pgxpool.Pool, func(), error) {
	t, locks, err := setup(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	lc, err := locks.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	key := poolPrefix + t.digest
	n := 0
	for ; ; n++ {
		var ok bool
		if err := lc.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1), $2)`, key, n).Scan(&ok); err != nil {
			lc.Release()
			return nil, nil, fmt.Errorf("claim a copy: %w", err)
		}
		if ok {
			break
		}
	}
	name := fmt.Sprintf("%s_%d", key, n)
	release := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := lc.Exec(ctx, `SELECT pg_advisory_unlock(hashtext($1), $2)`, key, n); err != nil {
			// Ending the session releases the lock.
			_ = lc.Conn().Close(ctx)
		}
		lc.Release()
	}
	pool, err := lend(ctx, lc.Conn(), url, t, name)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("copy %s: %w", name, err)
	}
	return pool, release, nil
}

// lend readies copy name, whose lock conn holds, and returns a pool on it.
func lend(ctx context.Context, conn *pgx.Conn, url string, t *tmpl, name string) (*pgxpool.Pool, error) {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+t.name()+" STRATEGY "+copyStrategy); err != nil {
			return nil, err
		}
		return newPool(ctx, url, name, "public")
	}
	// What a previous borrower left connected (a River client it never
	// stopped, a killed subprocess) would hold locks the reset waits for.
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		return nil, err
	}
	pool, err := newPool(ctx, url, name, "public")
	if err != nil {
		return nil, err
	}
	schema, err := reset(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("reset: %w", err)
	}
	if schema == t.schema {
		return pool, nil
	}
	// A test changed the schema: a new copy replaces this one.
	pool.Close()
	if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+t.name()+" STRATEGY "+copyStrategy); err != nil {
		return nil, err
	}
	return newPool(ctx, url, name, "public")
}

// resetSQL empties every table of schema public but the migration records
// and restarts every sequence, as in a fresh copy. The foreign keys are not
// checked meanwhile (session_replication_role = replica), so that the
// tables may be emptied in any order: deleting the few rows a test leaves
// takes a few milliseconds, where TRUNCATE makes new files for every table
// and index (about 50 ms).
const resetSQL = `DO $$
DECLARE r record;
BEGIN
	SET LOCAL session_replication_role = replica;
	FOR r IN SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables
		WHERE schemaname = 'public' AND tablename NOT IN ('kigen_migrations', 'river_migration')
	LOOP
		EXECUTE 'DELETE FROM ' || r.t;
	END LOOP;
	PERFORM setval(format('%I.%I', schemaname, sequencename), start_value, false)
		FROM pg_sequences WHERE schemaname = 'public';
END $$`

// truncateSQL is resetSQL for a role that may not set
// session_replication_role (not a superuser): slower, same result.
const truncateSQL = `DO $$
DECLARE tables text;
BEGIN
	SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO tables FROM pg_tables
		WHERE schemaname = 'public' AND tablename NOT IN ('kigen_migrations', 'river_migration');
	EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY';
END $$`

// schemaSQL returns a digest of schema public: its relations and their
// columns, constraints, triggers and functions; of the other schemas'
// names (but the sessions' temporary ones); and of the migrations
// recorded as applied.
const schemaSQL = `SELECT md5(concat_ws('|',
	(SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname::text, '') || ':' ||
		coalesce(format_type(a.atttypid, a.atttypmod), '') || ':' || coalesce(a.attnotnull::text, ''), ','
		ORDER BY c.relname, a.attnum)
		FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'public'::regnamespace),
	(SELECT string_agg(conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY conname, oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
	(SELECT string_agg(t.tgname::text, ',' ORDER BY t.tgname) FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal),
	(SELECT string_agg(proname::text, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
	(SELECT string_agg(nspname::text, ',' ORDER BY nspname) FROM pg_namespace
		WHERE nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'),
	(SELECT string_agg(version::text, ',' ORDER BY version) FROM kigen_migrations),
	(SELECT string_agg(line || version::text, ',' ORDER BY line, version) FROM river_migration)))`

// reset empties the copy pool is on (resetSQL) and returns the digest of
// its schema (schemaSQL).
func reset(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	_, err := pool.Exec(ctx, resetSQL)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		_, err = pool.Exec(ctx, truncateSQL)
	}
	if err != nil {
		return "", err
	}
	var schema string
	err = pool.QueryRow(ctx, schemaSQL).Scan(&schema)
	return schema, err
}

// setup returns the template, finding or building it the first time, and
// the pool of the claims' lock connections.
func setup(ctx context.Context, url string) (*tmpl, *pgxpool.Pool, error) {
	mu.Lock()
	defer mu.Unlock()
	if found != nil {
		return found, lockPools, nil
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, nil, fmt.Errorf("parse KIGEN_TEST_POSTGRES_URL: %w", err)
	}
	// One connection a test that holds a copy; none kept long after.
	cfg.MaxConns = 256
	cfg.MaxConnIdleTime = 5 * time.Second
	cfg.HealthCheckPeriod = time.Second
	locks, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("open pool: %w", err)
	}
	t, err := template(ctx, url)
	if err != nil {
		locks.Close()
		return nil, nil, fmt.Errorf("template database: %w", err)
	}
	found, lockPools = t, locks
	return t, locks, nil
}

// template finds the template of the embedded migrations, or builds it.
// Every process on the server does so under one advisory lock, so that one
// builds and the others then find it; a build gets its final name only
// once complete, so a process killed mid-build leaves no half-made
// template, only a build that the next one replaces.
func template(ctx context.Context, url string) (*tmpl, error) {
	digest, err := migrationsDigest()
	if err != nil {
		return nil, err
	}
	t := &tmpl{digest: digest}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A session lock: released if this process dies.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('kigen_test_template'), hashtext($1))`, t.name()); err != nil {
		return nil, err
	}
	defer func() { // closing the connection releases the lock anyway
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext('kigen_test_template'), hashtext($1))`, t.name())
	}()

	var comment string
	err = conn.QueryRow(ctx, `SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1`,
		t.name()).Scan(&comment)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if t.schema, err = build(ctx, conn, url, t.name()); err != nil {
			return nil, fmt.Errorf("build %s: %w", t.name(), err)
		}
	case err != nil:
		return nil, err
	default:
		var ok bool
		if t.schema, ok = schemaOf(comment); !ok {
			return nil, fmt.Errorf("%s: its comment %q gives no schema digest", t.name(), comment)
		}
	}
	// The comment records when a run last used the template, for
	// dropStale; a failure here is no reason to fail the test.
	_, _ = conn.Exec(ctx, "COMMENT ON DATABASE "+t.name()+" IS '"+templateComment(t.schema, time.Now())+"'")
	dropStale(ctx, conn, t.digest, time.Now())
	return t, nil
}

// migrationsDigest returns 20 hex digits of a digest of recipe, schemaSQL
// and the embedded migrations, Kigen's and River's (PostgreSQL's names stop at 63
// bytes).
func migrationsDigest() (string, error) {
	kigen, err := postgres.MigrationsDigest()
	if err != nil {
		return "", err
	}
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", recipe, schemaSQL, kigen)
	for _, rm := range m.AllVersions() {
		fmt.Fprintf(h, "%d %s %d\n%s", rm.Version, rm.Name, len(rm.SQLUp), rm.SQLUp)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// build creates database name under name+buildSuffix, migrates it, records
// its schema's digest in its comment, renames it name and returns the
// digest. conn holds the template's advisory lock.
func build(ctx context.Context, conn *pgx.Conn, url, name string) (string, error) {
	tmp := name + buildSuffix
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+tmp+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+tmp); err != nil {
		return "", err
	}
	pool, err := newPool(ctx, url, tmp, "public")
	if err != nil {
		return "", err
	}
	err = postgres.New(pool).Migrate(ctx)
	if err == nil {
		var m *rivermigrate.Migrator[pgx.Tx]
		m, err = rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: "public"})
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
	}
	var schema string
	if err == nil {
		err = pool.QueryRow(ctx, schemaSQL).Scan(&schema)
	}
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+tmp+" IS '"+templateComment(schema, time.Now())+"'"); err != nil {
		return "", err
	}
	// Renaming needs no one connected; the server may not have ended the
	// pool's backends yet.
	for try := 0; ; try++ {
		_, err = conn.Exec(ctx, "ALTER DATABASE "+tmp+" RENAME TO "+name)
		var pgErr *pgconn.PgError
		if try == 100 || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			return schema, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// templateComment is a template's comment: its schema's digest and when a
// run last used it.
func templateComment(schema string, used time.Time) string {
	return "kigen test template; schema " + schema + "; last used " + used.UTC().Format(time.RFC3339)
}

// schemaOf returns the schema digest in a template's comment.
func schemaOf(comment string) (string, bool) {
	_, rest, ok := strings.Cut(comment, "; schema ")
	schema, _, _ := strings.Cut(rest, ";")
	return schema, ok && schema != ""
}

// lastUsed returns when a run last used a template, from its comment.
func lastUsed(comment string) (time.Time, bool) {
	_, used, ok := strings.Cut(comment, "; last used ")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, used)
	return t, err == nil
}

// dropStale drops the templates of other migrations that no run has used
// for staleTemplate, with their copies. A database still in use, or
// already dropped by another process, is left: nothing here fails the
// test. conn holds the advisory lock of the current template (digest).
func dropStale(ctx context.Context, conn *pgx.Conn, digest string, now time.Time) {
	rows, _ := conn.Query(ctx, `SELECT datname, coalesce(shobj_description(oid, 'pg_database'), '')
		FROM pg_database WHERE datname LIKE 'kigen\_tmpl\_%' OR datname LIKE 'kigen\_pool\_%'`)
	names := map[string]string{}
	var name, comment string
	_, err := pgx.ForEachRow(rows, []any{&name, &comment}, func() error {
		names[name] = comment
		return nil
	})
	if err != nil {
		return
	}
	for _, name := range staleDatabases(names, digest, now) {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
	}
}

// staleDatabases returns, of the databases named with their comments, the
// templates of other digests unused for staleTemplate and their copies.
func staleDatabases(comments map[string]string, digest string, now time.Time) []string {
	var stale []string
	for name, comment := range comments {
		d, ok := strings.CutPrefix(name, templatePrefix)
		if !ok || d == digest || strings.HasSuffix(d, buildSuffix) {
			continue
		}
		if used, ok := lastUsed(comment); !ok || now.Sub(used) <= staleTemplate {
			continue
		}
		stale = append(stale, name)
		for other := range comments {
			if strings.HasPrefix(other, poolPrefix+d+"_") {
				stale = append(stale, other)
			}
		}
	}
	return stale
}
