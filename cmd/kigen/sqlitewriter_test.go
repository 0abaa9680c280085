package main

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/roster/rostergen"
)

// importBesideServeRows is the size of the list imported next to kigen
// serve: large enough that the import holds SQLite's write lock for longer
// than River's deadlines (5 s to re-elect its leader, a 15 s lease) on a
// fast machine too.
const importBesideServeRows = 200_000

// TestImportBesideServe_SQLite runs `kigen import` of a large list while
// `kigen serve` runs on the same SQLite file, as real processes. SQLite
// has one writer at a time and the import writes in one transaction; serve
// must only wait: no SQLITE_BUSY, no error in its log, River's leadership
// not lost (a leader may hand it over and take it back, never lose it to
// a deadline), and serve leading again once the import is done.
func TestImportBesideServe_SQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("a process-level test of about half a minute")
	}
	// Not parallel: the import keeps a core busy for its whole run, and
	// would starve the timed process-level tests beside it.
	d := newProcDB(t, "sqlite")
	day := kigen.MustParseISODate("2026-11-25")
	env := map[string]string{"DATABASE_URL": d.url, "KIGEN_NOW": day.String(), "KIGEN_INSTANCE_ID": "serve",
		"KIGEN_OUTBOX": filepath.Join(t.TempDir(), "outbox.jsonl"), "KIGEN_ADDR": freeLoopbackAddr(t)}
	mustRun(t, env, "municipality", "add", "131016", "--contact-phone", "03-3264-2111")
	mustRun(t, env, "migrate")
	list := filepath.Join(t.TempDir(), "residents.csv")
	f, err := os.Create(list)
	if err != nil {
		t.Fatal(err)
	}
	if err := rostergen.Write(f, importBesideServeRows, 1, day); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	serve := mustStartKigen(t, "serve", env, "serve")
	waitLeader(t, d, "serve", 60*time.Second)
	start := time.Now()
	imp := mustStartKigen(t, "import", env, "import", "--json", list)
	// While the import writes, serve has handed the leadership back (the
	// row is gone), not kept a row it can no longer renew.
	handedBack := false
	for !imp.exited() {
		handedBack = handedBack || d.count(t, "SELECT count(*) FROM river_leader") == 0
		time.Sleep(100 * time.Millisecond)
	}
	code, _ := imp.wait(0)
	if code != exitOK {
		t.Fatalf("import: exit code %d; stderr:\n%s", code, imp.stderr.tail(4<<10))
	}
	took := time.Since(start)
	if !handedBack {
		t.Error("serve kept River's leadership row while the import held the writer")
	}
	if n := d.count(t, "SELECT count(*) FROM residents"); n != importBesideServeRows {
		t.Errorf("%d residents imported, want %d", n, importBesideServeRows)
	}
	waitLeader(t, d, "serve", 30*time.Second)
	if code, ok := serve.terminate(40 * time.Second); !ok || code != exitOK {
		t.Errorf("serve: exit code %d on SIGTERM (stopped: %v)", code, ok)
	}
	log := serve.stderr.String()
	for _, bad := range []string{"SQLITE_BUSY", "database is locked", `"level":"ERROR"`, "stepping down"} {
		if strings.Contains(log, bad) {
			t.Errorf("serve's log has %q while the import ran beside it", bad)
		}
	}
	if t.Failed() {
		t.Logf("serve's log:\n%s", serve.stderr.tail(16<<10))
	}
	var handover []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "job queue:") || strings.Contains(line, "River client") || strings.Contains(line, "leadership") {
			handover = append(handover, line)
		}
	}
	t.Logf("import of %d rows beside serve: %s; serve's queue and leadership:\n%s", importBesideServeRows,
		took.Round(100*time.Millisecond), strings.Join(handover, "\n"))
}

// waitLeader waits until River's leader on the database is the client id.
func waitLeader(t *testing.T, d *procDB, id string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var leader string
		err := d.db.QueryRow("SELECT leader_id FROM river_leader").Scan(&leader)
		if err == nil && leader == id {
			return
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("read River's leader: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not River's leader after %s (leader: %q)", id, timeout, leader)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSQLite_MissingDirectory checks that a database file that cannot be
// created is an environment failure that names the path.
func TestSQLite_MissingDirectory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nonexistent", "dir", "k.db")
	code, _, errOut := runKigen(t, map[string]string{"DATABASE_URL": "sqlite:" + path}, "migrate")
	want := "sqlite: cannot create the database file " + path + ": the directory " + filepath.Dir(path) + " does not exist"
	if code != exitEnv || !strings.Contains(errOut, want) {
		t.Errorf("migrate: code %d, stderr %q; want %d and %q", code, errOut, exitEnv, want)
	}
}
