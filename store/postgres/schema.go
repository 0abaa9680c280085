package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CreateSchema creates a fresh, empty schema prefix_<random hex> in the
// database at url (a URL, not a key=value DSN) for a throwaway store, such
// as a benchmark's. It returns the URL that opens it (url with its
// search_path) and a function that drops the schema with everything in it,
// on a connection of its own.
func CreateSchema(ctx context.Context, url, prefix string) (schemaURL string, drop func() error, err error) {
	b := make([]byte, 6)
	rand.Read(b) // never fails
	schema := prefix + "_" + hex.EncodeToString(b)
	if err := execOnce(ctx, url, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("postgres: create schema: %w", err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := execOnce(ctx, url, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			return fmt.Errorf("postgres: drop schema: %w", err)
		}
		return nil
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema, drop, nil
}

// execOnce runs one statement on a connection of its own (the pool's
// settings in url, pool_max_conns and the like, are not the server's:
// they are left out).
func execOnce(ctx context.Context, url, sql string) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
