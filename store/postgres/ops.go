package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"kigen/store"
)

// countFunnelSQL reads one range of messages_created_at, which holds
// each message's channel, state and last delivery (kept by a trigger:
// migration 017).
const countFunnelSQL = `
SELECT channel, coalesce(last_provider, ''), state, coalesce(last_delivery, ''),
       count(*), count(*) FILTER (WHERE created_at >= $2)
FROM messages
WHERE created_at >= $1
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`

// CountFunnel implements store.OpsQueries.
func (q queries) CountFunnel(ctx context.Context, since, recent time.Time) (_ []store.FunnelCount, err error) {
	defer wrap(&err, "CountFunnel(%s)", since.Format(time.RFC3339))
	rows, _ := q.db.Query(ctx, countFunnelSQL, since, recent)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (c store.FunnelCount, err error) {
		err = row.Scan(&c.Channel, &c.Provider, &c.State, &c.Delivery, &c.N, &c.Recent)
		return c, err
	})
}

// countFailuresSQL reads the partial index deliveries_failed, and each
// failure's message (for its channel) by primary key.
const countFailuresSQL = `
SELECT d.provider, m.channel, d.state, d.error_code,
       count(*), count(*) FILTER (WHERE d.created_at >= $2)
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE d.state IN ('failed', 'bounced') AND d.created_at >= $1
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`

// CountFailures implements store.OpsQueries.
func (q queries) CountFailures(ctx context.Context, since, recent time.Time) (_ []store.FailureCount, err error) {
	defer wrap(&err, "CountFailures(%s)", since.Format(time.RFC3339))
	rows, _ := q.db.Query(ctx, countFailuresSQL, since, recent)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (c store.FailureCount, err error) {
		err = row.Scan(&c.Provider, &c.Channel, &c.State, &c.ErrorCode, &c.N, &c.Recent)
		return c, err
	})
}

// RecordProviderReport implements store.OpsQueries.
func (q queries) RecordProviderReport(ctx context.Context, r store.ProviderReport) (err error) {
	defer wrap(&err, "RecordProviderReport(%s)", r.Provider)
	at := r.At
	if at.IsZero() {
		at = q.now()
	}
	_, err = q.db.Exec(ctx, `INSERT INTO provider_reports (provider, status, message_id, received_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (provider) DO UPDATE SET status = excluded.status, message_id = excluded.message_id, received_at = excluded.received_at
WHERE provider_reports.received_at < excluded.received_at`, r.Provider, r.Status, r.MessageID, at)
	return err
}

// ListProviderReports implements store.OpsQueries.
func (q queries) ListProviderReports(ctx context.Context) (_ []store.ProviderReport, err error) {
	defer wrap(&err, "ListProviderReports")
	rows, _ := q.db.Query(ctx, `SELECT provider, status, message_id, received_at FROM provider_reports ORDER BY provider`)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (r store.ProviderReport, err error) {
		err = row.Scan(&r.Provider, &r.Status, &r.MessageID, &r.At)
		r.At = r.At.UTC()
		return r, err
	})
}

var _ store.QueueWatcher = (*riverClient)(nil)

// QueueDepth implements store.QueueWatcher, through River's index on
// (state, queue, priority, scheduled_at, id).
func (c *riverClient) QueueDepth(ctx context.Context) (d store.QueueDepth, err error) {
	defer wrap(&err, "QueueDepth")
	var oldest float64
	err = c.pool.QueryRow(ctx, `SELECT
    count(*) FILTER (WHERE state = 'available' OR (state <> 'running' AND scheduled_at <= now())),
    count(*) FILTER (WHERE state = 'running'),
    count(*) FILTER (WHERE state IN ('scheduled', 'retryable') AND scheduled_at > now()),
    coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available' OR (state <> 'running' AND scheduled_at <= now()))), 0)::float8
FROM `+c.table+` WHERE state IN ('available', 'scheduled', 'retryable', 'running')`).Scan(&d.Waiting, &d.Running, &d.Later, &oldest)
	if err != nil {
		return d, err
	}
	d.OldestWait = max(0, time.Duration(oldest*float64(time.Second)))
	return d, nil
}
