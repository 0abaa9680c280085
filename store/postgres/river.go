package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"kigen/store"
	"kigen/store/internal/riverclient"
)

var _ store.RiverOpener = (*Store)(nil)

// NewRiverClient returns a River client (riverpgxv5) on the Store's pool.
// River's tables are in cfg.Schema, or found through the search_path if it
// is empty.
func (s *Store) NewRiverClient(cfg *river.Config) (store.RiverClient, error) {
	c, err := riverclient.New(riverpgxv5.New(s.pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: new River client: %w", err)
	}
	table := "river_job"
	if cfg.Schema != "" {
		table = pgx.Identifier{cfg.Schema, "river_job"}.Sanitize()
	}
	return &riverClient{Client: c, pool: s.pool, table: table}, nil
}

var _ store.RiverUIOpener = (*Store)(nil)

// NewRiverUI returns River UI's handler under prefix, on the Store's pool
// (River's tables found through the search_path, as kigen serve's queue
// finds them).
func (s *Store) NewRiverUI(prefix string, logger *slog.Logger) (store.RiverUI, error) {
	h, err := riverclient.NewUI(riverpgxv5.New(s.pool), "", prefix, logger)
	if err != nil {
		return nil, fmt.Errorf("postgres: River UI: %w", err)
	}
	return h, nil
}

// riverClient is a store.RiverClient: River's client, and the reads of its
// job table (table, schema-qualified if need be).
type riverClient struct {
	*riverclient.Client[pgx.Tx]
	pool  *pgxpool.Pool
	table string
}

func (c *riverClient) CountRunnableJobs(ctx context.Context, ahead time.Duration) (n int, err error) {
	defer wrap(&err, "CountRunnableJobs")
	err = c.pool.QueryRow(ctx, `SELECT count(*) FROM `+c.table+` WHERE state = 'running'
		OR (state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now() + $1::float8 * interval '1 second')`,
		ahead.Seconds()).Scan(&n)
	return n, err
}

func (c *riverClient) CountJobsByState(ctx context.Context) (_ map[string]int, err error) {
	defer wrap(&err, "CountJobsByState")
	rows, _ := c.pool.Query(ctx, `SELECT state::text, count(*) FROM `+c.table+` GROUP BY state`)
	out := map[string]int{}
	var (
		state string
		n     int
	)
	_, err = pgx.ForEachRow(rows, []any{&state, &n}, func() error {
		out[state] = n
		return nil
	})
	return out, err
}

func (c *riverClient) ListDiscardedJobArgs(ctx context.Context, kind, arg string) (_ []int64, err error) {
	defer wrap(&err, "ListDiscardedJobArgs(%s, %s)", kind, arg)
	rows, _ := c.pool.Query(ctx, `SELECT DISTINCT d.args->>$2::text FROM `+c.table+` AS d
		WHERE d.kind = $1 AND d.state = 'discarded' AND NOT EXISTS (
			SELECT 1 FROM `+c.table+` AS j WHERE j.kind = $1
			AND j.state IN ('pending', 'available', 'scheduled', 'running', 'retryable', 'completed')
			AND j.args->>$2::text = d.args->>$2::text)`, kind, arg)
	values, err := pgx.CollectRows(rows, pgx.RowTo[*string])
	if err != nil {
		return nil, err
	}
	return riverclient.ParseArgs(arg, values)
}

func (c *riverClient) ListJobs(ctx context.Context, kind, arg string, states []string) (_ []store.Job, err error) {
	defer wrap(&err, "ListJobs(%s, %s)", kind, arg)
	rows, _ := c.pool.Query(ctx, `SELECT id, (args->>$2::text)::bigint, state::text, attempt, scheduled_at,
		coalesce(errors[array_length(errors, 1)]->>'error', '')
		FROM `+c.table+` WHERE kind = $1 AND state::text = ANY($3::text[]) ORDER BY id`, kind, arg, states)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Job, error) {
		var j store.Job
		err := row.Scan(&j.ID, &j.Arg, &j.State, &j.Attempt, &j.ScheduledAt, &j.LastError)
		j.ScheduledAt = j.ScheduledAt.UTC()
		return j, err
	})
}

func (c *riverClient) DeleteJobs(ctx context.Context) (err error) {
	defer wrap(&err, "DeleteJobs")
	_, err = c.pool.Exec(ctx, `DELETE FROM `+c.table)
	return err
}
