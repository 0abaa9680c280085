package sqlite

import (
	"context"
	"time"

	"kigen"
	"kigen/store"
)

// countFunnelSQL reads one range of messages_created_at, which holds
// each message's channel, state and last delivery (kept by triggers:
// migration 015).
const countFunnelSQL = `
SELECT channel, COALESCE(last_provider, ''), state, COALESCE(last_delivery, ''),
       count(*), count(*) FILTER (WHERE created_at >= ?2)
FROM messages
WHERE created_at >= ?1
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`

// CountFunnel implements store.OpsQueries.
func (q queries) CountFunnel(ctx context.Context, since, recent time.Time) (_ []store.FunnelCount, err error) {
	defer wrap(&err, "CountFunnel(%s)", since.Format(time.RFC3339))
	return queryAll(ctx, q.db, func(row rowScanner) (c store.FunnelCount, err error) {
		var channel, state, delivery string
		err = row.Scan(&channel, &c.Provider, &state, &delivery, &c.N, &c.Recent)
		c.Channel, c.State, c.Delivery = kigen.Channel(channel), kigen.MessageState(state), kigen.DeliveryState(delivery)
		return c, err
	}, countFunnelSQL, formatTime(since), formatTime(recent))
}

// countFailuresSQL reads the partial index deliveries_failed, and each
// failure's message (for its channel) by primary key.
const countFailuresSQL = `
SELECT d.provider, m.channel, d.state, d.error_code,
       count(*), count(*) FILTER (WHERE d.created_at >= ?2)
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE d.state IN ('failed', 'bounced') AND d.created_at >= ?1
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`

// CountFailures implements store.OpsQueries.
func (q queries) CountFailures(ctx context.Context, since, recent time.Time) (_ []store.FailureCount, err error) {
	defer wrap(&err, "CountFailures(%s)", since.Format(time.RFC3339))
	return queryAll(ctx, q.db, func(row rowScanner) (c store.FailureCount, err error) {
		var channel, state string
		err = row.Scan(&c.Provider, &channel, &state, &c.ErrorCode, &c.N, &c.Recent)
		c.Channel, c.State = kigen.Channel(channel), kigen.DeliveryState(state)
		return c, err
	}, countFailuresSQL, formatTime(since), formatTime(recent))
}

// RecordProviderReport implements store.OpsQueries.
func (q queries) RecordProviderReport(ctx context.Context, r store.ProviderReport) (err error) {
	defer wrap(&err, "RecordProviderReport(%s)", r.Provider)
	at := r.At
	if at.IsZero() {
		at = q.now()
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO provider_reports (provider, status, message_id, received_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (provider) DO UPDATE SET status = excluded.status, message_id = excluded.message_id, received_at = excluded.received_at
		WHERE provider_reports.received_at < excluded.received_at`, r.Provider, r.Status, r.MessageID, formatTime(at))
	return err
}

// ListProviderReports implements store.OpsQueries.
func (q queries) ListProviderReports(ctx context.Context) (_ []store.ProviderReport, err error) {
	defer wrap(&err, "ListProviderReports")
	return queryAll(ctx, q.db, func(row rowScanner) (r store.ProviderReport, err error) {
		err = row.Scan(&r.Provider, &r.Status, &r.MessageID, timeScanner{&r.At})
		return r, err
	}, `SELECT provider, status, message_id, received_at FROM provider_reports ORDER BY provider`)
}

var _ store.QueueWatcher = (*riverClient)(nil)

// QueueDepth implements store.QueueWatcher. River keeps SQLite times as
// UTC text; julianday reads them and the clock alike.
func (c *riverClient) QueueDepth(ctx context.Context) (d store.QueueDepth, err error) {
	defer wrap(&err, "QueueDepth")
	var oldest float64
	err = c.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE state = 'available' OR (state <> 'running' AND julianday(scheduled_at) <= julianday('now'))),
		count(*) FILTER (WHERE state = 'running'),
		count(*) FILTER (WHERE state IN ('scheduled', 'retryable') AND julianday(scheduled_at) > julianday('now')),
		COALESCE((julianday('now') - min(julianday(scheduled_at)) FILTER (WHERE state = 'available' OR (state <> 'running' AND julianday(scheduled_at) <= julianday('now')))) * 86400.0, 0)
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running')`).Scan(&d.Waiting, &d.Running, &d.Later, &oldest)
	if err != nil {
		return d, err
	}
	d.OldestWait = max(0, time.Duration(oldest*float64(time.Second)))
	return d, nil
}
