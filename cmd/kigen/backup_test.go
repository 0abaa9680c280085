package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackup_Restore backs a SQLite database up while it holds residents,
// changes the database afterwards, restores the backup in place of it, and
// reads the residents back from the restored file: the backup has what was
// there when it was taken, and is private to its owner.
func TestBackup_Restore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "kigen.db")
	env := map[string]string{"DATABASE_URL": "sqlite:" + db, "KIGEN_NOW": "2026-11-25"}
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	csv := writeFile(t, "residents.csv", []byte("resident_ref,name,language,residence_card_expires_on\nR-1,Ann,en,2027-03-31\nR-2,Bo,vi,2027-06-30\n"))
	mustRun(t, env, "import", csv)

	backup := filepath.Join(t.TempDir(), "kigen-backup.db")
	out := mustRun(t, env, "backup", backup)
	if !strings.Contains(out, "backup: wrote "+backup) {
		t.Errorf("backup printed %q", out)
	}
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %04o, want 0600 (it holds residents' data)", fi.Mode().Perm())
	}
	// After the backup: R-1 is erased from the live database.
	mustRun(t, env, "resident", "erase", "--yes", "R-1")
	if code, out, _ := runKigen(t, env, "resident", "show", "R-1"); code == exitOK && strings.Contains(out, "2027-03-31") {
		t.Fatalf("R-1 still shows after erase:\n%s", out)
	}

	// Restore: the backup replaces the database (its WAL files go too).
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for ref, expires := range map[string]string{"R-1": "2027-03-31", "R-2": "2027-06-30"} {
		out := mustRun(t, env, "resident", "show", ref)
		if !strings.Contains(out, ref) || !strings.Contains(out, expires) {
			t.Errorf("resident show %s on the restored database:\n%s", ref, out)
		}
	}
}

// TestBackup_Refused checks what backup refuses: PostgreSQL (pointing to
// pg_dump), an existing file (never overwritten), a database file that does
// not exist, and a missing argument.
func TestBackup_Refused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "kigen.db")
	env := map[string]string{"DATABASE_URL": "sqlite:" + db}
	mustRun(t, env, "migrate")
	existing := writeFile(t, "there.db", []byte("keep me"))

	for _, tt := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"postgres", map[string]string{"DATABASE_URL": "postgres://kigen@127.0.0.1:1/kigen"}, []string{"backup", filepath.Join(dir, "b.db")},
			exitUsage, "pg_dump"},
		{"existing file", env, []string{"backup", existing}, exitInvalid, "exists already"},
		{"no database", map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "none.db")}, []string{"backup", filepath.Join(dir, "c.db")},
			exitEnv, "no SQLite database at"},
		{"no argument", env, []string{"backup"}, exitUsage, "takes one argument"},
	} {
		code, _, errOut := runKigen(t, tt.env, tt.args...)
		if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
			t.Errorf("%s: code %d, stderr %q; want %d and %q", tt.name, code, errOut, tt.wantCode, tt.wantErr)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("backup overwrote an existing file: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("backup of a missing database created it")
	}
}

// TestBackup_BesideServe backs up the SQLite database while `kigen serve`
// runs on it (a real process, its job queue writing): the backup succeeds
// without stopping serve or making it log an error, and the copy opens as a
// database with the residents in it.
func TestBackup_BesideServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "kigen.db")
	addr := freeLoopbackAddr(t)
	env := map[string]string{"DATABASE_URL": "sqlite:" + db, "KIGEN_NOW": "2026-11-25", "KIGEN_ADDR": addr,
		"KIGEN_OUTBOX": filepath.Join(t.TempDir(), "outbox.jsonl")}
	mustRun(t, env, "municipality", "add", "012033", "--name", "小樽市")
	mustRun(t, env, "import", writeFile(t, "r.csv", []byte("resident_ref,name,language,residence_card_expires_on\nR-1,Ann,en,2027-03-31\n")))
	serve := mustStartKigen(t, "serve", env, "serve")
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if serve.exited() || time.Now().After(deadline) {
			t.Fatalf("serve not ready within 60 s (exited: %v)", serve.exited())
		}
		time.Sleep(50 * time.Millisecond)
	}

	backup := filepath.Join(t.TempDir(), "backup.db")
	mustRun(t, env, "backup", backup)
	if code, ok := serve.terminate(40 * time.Second); !ok || code != exitOK {
		t.Errorf("serve: exit code %d on SIGTERM (stopped: %v)", code, ok)
	}
	if log := serve.stderr.String(); strings.Contains(log, `"level":"ERROR"`) || strings.Contains(log, "SQLITE_BUSY") {
		t.Errorf("serve logged an error while the backup ran:\n%s", serve.stderr.tail(4<<10))
	}
	restored := map[string]string{"DATABASE_URL": "sqlite:" + backup}
	if out := mustRun(t, restored, "resident", "show", "R-1"); !strings.Contains(out, "2027-03-31") {
		t.Errorf("resident show R-1 on the backup:\n%s", out)
	}
}
