package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kigen"
	"kigen/store/sqlite"
)

// TestOpen_OwnerOnly checks that a new database, its write-ahead log and
// its shared-memory file are readable by their owner only.
func TestOpen_OwnerOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kigen.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateMunicipality(ctx, &kigen.Municipality{Code: "012033", Name: "小樽市"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), perm)
		}
	}
}

// TestOpen_NamesThePath checks that a database that cannot be created or
// opened is reported with its path.
func TestOpen_NamesThePath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nonexistent", "k.db")
	_, err := sqlite.Open(ctx, missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open(%s) = %v; want an error naming the path and the missing directory", missing, err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("Open created the directory: %v", err)
	}
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database, but some text long enough to be read as a header.............."), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(ctx, notDB)
	if err == nil {
		err = s.Migrate(ctx)
		s.Close()
	}
	if err == nil || !strings.Contains(err.Error(), notDB) {
		t.Errorf("Open(a text file) then Migrate = %v; want an error naming the path", err)
	}
}
