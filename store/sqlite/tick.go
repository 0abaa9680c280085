package sqlite

import (
	"context"
	"database/sql"

	"kigen"
	"kigen/store"
)

// CreateTick implements store.Queries. A zero t.StartedAt is stamped with
// the store's clock.
func (q queries) CreateTick(ctx context.Context, t *store.Tick) (err error) {
	defer wrap(&err, "CreateTick(%s)", t.Date)
	started := t.StartedAt.UTC()
	if t.StartedAt.IsZero() {
		started = q.now()
	}
	var id int64
	travel := t.Date != kigen.DateOf(started)
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO ticks (tick_date, started_at, notices, messages, time_travel) VALUES (?, ?, ?, ?, ?)
		RETURNING id`,
		t.Date, formatTime(started), t.Notices, t.Messages, travel,
	).Scan(&id)
	if err != nil {
		return err
	}
	t.ID, t.StartedAt, t.TimeTravel = id, started, travel
	return nil
}

// FinishTick implements store.Queries. A zero t.FinishedAt is stamped with
// the store's clock.
func (q queries) FinishTick(ctx context.Context, t *store.Tick) (err error) {
	defer wrap(&err, "FinishTick(%d)", t.ID)
	finished := t.FinishedAt.UTC()
	if t.FinishedAt.IsZero() {
		finished = q.now()
	}
	err = mustAffect(q.db.ExecContext(ctx,
		`UPDATE ticks SET finished_at = ?, notices = ?, messages = ? WHERE id = ?`,
		formatTime(finished), t.Notices, t.Messages, t.ID))
	if err != nil {
		return err
	}
	t.FinishedAt = finished
	return nil
}

// LastTick implements store.Queries.
func (q queries) LastTick(ctx context.Context) (_ *store.Tick, err error) {
	defer wrap(&err, "LastTick")
	var (
		t        store.Tick
		finished sql.NullString
	)
	err = q.db.QueryRowContext(ctx, `
		SELECT id, tick_date, started_at, finished_at, notices, messages, time_travel
		FROM ticks
		ORDER BY started_at DESC, id DESC
		LIMIT 1`,
	).Scan(&t.ID, &t.Date, timeScanner{&t.StartedAt}, &finished, &t.Notices, &t.Messages, &t.TimeTravel)
	if err != nil {
		return nil, err
	}
	if finished.Valid {
		if err := (timeScanner{&t.FinishedAt}).Scan(finished.String); err != nil {
			return nil, err
		}
	}
	return &t, nil
}
