package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"kigen/store"
	"kigen/store/internal/riverclient"
)

var _ store.RiverOpener = (*Store)(nil)

// NewRiverClient returns a River client (riversqlite) on the Store's
// database; cfg.Schema is ignored. The database must be opened as Open
// does — one connection, WAL, immediate transactions — or River fails with
// SQLITE_BUSY; and while a transaction of the Store is open, River waits
// for it.
func (s *Store) NewRiverClient(cfg *river.Config) (store.RiverClient, error) {
	rc := *cfg
	rc.Schema = ""
	c, err := riverclient.New(riversqlite.New(s.db), &rc)
	if err != nil {
		return nil, fmt.Errorf("sqlite: new River client: %w", err)
	}
	return &riverClient{Client: c, db: s.db}, nil
}

var _ store.RiverUIOpener = (*Store)(nil)

// NewRiverUI returns River UI's handler under prefix, on the Store's
// database (its one connection: River UI's reads wait for a transaction
// of the Store, as River does).
func (s *Store) NewRiverUI(prefix string, logger *slog.Logger) (store.RiverUI, error) {
	h, err := riverclient.NewUI(riversqlite.New(s.db), "", prefix, logger)
	if err != nil {
		return nil, fmt.Errorf("sqlite: River UI: %w", err)
	}
	return h, nil
}

// riverClient is a store.RiverClient: River's client, and the reads of its
// job table.
type riverClient struct {
	*riverclient.Client[*sql.Tx]
	db *sql.DB
}

func (c *riverClient) CountRunnableJobs(ctx context.Context, ahead time.Duration) (n int, err error) {
	defer wrap(&err, "CountRunnableJobs")
	// River keeps SQLite times as UTC text.
	err = c.db.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state = 'running'
		OR (state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= datetime('now', ?, 'subsec'))`,
		fmt.Sprintf("%+.3f seconds", ahead.Seconds())).Scan(&n)
	return n, err
}

func (c *riverClient) CountJobsByState(ctx context.Context) (_ map[string]int, err error) {
	defer wrap(&err, "CountJobsByState")
	type count struct {
		state string
		n     int
	}
	counts, err := queryAll(ctx, c.db, func(r rowScanner) (v count, err error) {
		return v, r.Scan(&v.state, &v.n)
	}, `SELECT state, count(*) FROM river_job GROUP BY state`)
	out := make(map[string]int, len(counts))
	for _, k := range counts {
		out[k.state] = k.n
	}
	return out, err
}

func (c *riverClient) ListDiscardedJobArgs(ctx context.Context, kind, arg string) (_ []int64, err error) {
	defer wrap(&err, "ListDiscardedJobArgs(%s, %s)", kind, arg)
	values, err := queryAll(ctx, c.db, func(r rowScanner) (v *string, err error) {
		return v, r.Scan(&v)
	}, `SELECT DISTINCT CAST(json_extract(d.args, ?2) AS TEXT) FROM river_job AS d
		WHERE d.kind = ?1 AND d.state = 'discarded' AND NOT EXISTS (
			SELECT 1 FROM river_job AS j WHERE j.kind = ?1
			AND j.state IN ('pending', 'available', 'scheduled', 'running', 'retryable', 'completed')
			AND CAST(json_extract(j.args, ?2) AS TEXT) = CAST(json_extract(d.args, ?2) AS TEXT))`,
		kind, "$."+arg)
	if err != nil {
		return nil, err
	}
	return riverclient.ParseArgs(arg, values)
}

func (c *riverClient) ListJobs(ctx context.Context, kind, arg string, states []string) (_ []store.Job, err error) {
	defer wrap(&err, "ListJobs(%s, %s)", kind, arg)
	list, err := json.Marshal(states)
	if err != nil {
		return nil, err
	}
	return queryAll(ctx, c.db, func(r rowScanner) (j store.Job, err error) {
		var value string
		if err := r.Scan(&j.ID, &value, &j.State, &j.Attempt, timeScanner{&j.ScheduledAt}, &j.LastError); err != nil {
			return j, err
		}
		j.Arg, err = strconv.ParseInt(value, 10, 64)
		return j, err
	}, `SELECT id, COALESCE(CAST(json_extract(args, ?2) AS TEXT), ''), state, attempt, scheduled_at,
		COALESCE(json_extract(errors, '$[#-1].error'), '')
		FROM river_job WHERE kind = ?1 AND state IN (SELECT value FROM json_each(?3)) ORDER BY id`,
		kind, "$."+arg, string(list))
}

func (c *riverClient) DeleteJobs(ctx context.Context) (err error) {
	defer wrap(&err, "DeleteJobs")
	_, err = c.db.ExecContext(ctx, `DELETE FROM river_job`)
	return err
}
