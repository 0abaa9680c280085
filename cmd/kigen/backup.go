package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"kigen/internal/config"
	"kigen/store/sqlite"
)

// runBackup copies the embedded SQLite database to FILE while Kigen may go
// on using it (VACUUM INTO). PostgreSQL has its own tools: it refuses and
// names them.
func runBackup(ctx context.Context, m *Main, args []string) error {
	fs := m.flagSet("backup")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("%v", err)
	}
	if fs.NArg() != 1 {
		return usageErrorf("backup takes one argument, the file to write (e.g. kigen backup /var/backups/kigen/kigen-2026-12-04.db)")
	}
	file := fs.Arg(0)
	backend, path, err := config.ParseDatabaseURL(m.Config.DatabaseURL)
	if err != nil {
		return usageErrorf("DATABASE_URL: %v", err)
	}
	if backend != "sqlite" {
		return usageErrorf("backup copies the embedded SQLite database, and DATABASE_URL is PostgreSQL: back it up with " +
			"PostgreSQL's tools, e.g. pg_dump --format=custom --file kigen.dump \"$DATABASE_URL\" (docs/deploy.md, Backups)")
	}
	if _, err := os.Stat(path); err != nil {
		return envError(fmt.Errorf("backup: no SQLite database at %s (DATABASE_URL): %w", path, errors.Unwrap(err)))
	}
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("backup: %s exists already: give a new file name (a backup never overwrites)", file)
	}
	s, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	ss, ok := s.(*sqlite.Store)
	if !ok {
		return envError(fmt.Errorf("backup: %s did not open as a SQLite database", path))
	}
	if err := ss.Backup(ctx, file); err != nil {
		return envError(err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return envError(err)
	}
	fmt.Fprintf(m.Stdout, "backup: wrote %s (%d bytes), a copy of %s\n", file, fi.Size(), path)
	return nil
}
