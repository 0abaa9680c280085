package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// CreateTick implements store.Queries. A zero t.StartedAt is stamped with
// the store's clock; t.StartedAt is set to the time as stored (UTC,
// microseconds).
func (q queries) CreateTick(ctx context.Context, t *store.Tick) (err error) {
	defer wrap(&err, "CreateTick(%s)", t.Date)
	started := stored(t.StartedAt)
	if t.StartedAt.IsZero() {
		started = q.now()
	}
	travel := t.Date != kigen.DateOf(started)
	err = q.db.QueryRow(ctx,
		`INSERT INTO ticks (tick_date, started_at, notices, messages, time_travel) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		dateArg(t.Date), started, t.Notices, t.Messages, travel,
	).Scan(&t.ID)
	if err != nil {
		return err
	}
	t.StartedAt, t.TimeTravel = started, travel
	return nil
}

// FinishTick implements store.Queries. A zero t.FinishedAt is stamped with
// the store's clock; t.FinishedAt is set to the time as stored.
func (q queries) FinishTick(ctx context.Context, t *store.Tick) (err error) {
	defer wrap(&err, "FinishTick(%d)", t.ID)
	finished := stored(t.FinishedAt)
	if t.FinishedAt.IsZero() {
		finished = q.now()
	}
	tag, err := q.db.Exec(ctx,
		`UPDATE ticks SET finished_at = $2, notices = $3, messages = $4 WHERE id = $1`,
		t.ID, finished, t.Notices, t.Messages)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	t.FinishedAt = finished
	return nil
}

// LastTick implements store.Queries.
func (q queries) LastTick(ctx context.Context) (_ *store.Tick, err error) {
	defer wrap(&err, "LastTick")
	var (
		t        store.Tick
		finished pgtype.Timestamptz
	)
	err = q.db.QueryRow(ctx, `SELECT id, tick_date, started_at, finished_at, notices, messages, time_travel
FROM ticks ORDER BY started_at DESC, id DESC LIMIT 1`,
	).Scan(&t.ID, &t.Date, &t.StartedAt, &finished, &t.Notices, &t.Messages, &t.TimeTravel)
	if err != nil {
		return nil, err
	}
	t.StartedAt = t.StartedAt.UTC()
	if finished.Valid {
		t.FinishedAt = finished.Time.UTC()
	}
	return &t, nil
}

// stored returns t as a timestamptz keeps it: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
