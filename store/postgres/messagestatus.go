package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// lastDeliverySQL joins each message m with its last delivery d (none:
// NULLs), through the deliveries' index on message_id.
const lastDeliverySQL = `
LEFT JOIN LATERAL (
    SELECT ` + deliveryColumns + ` FROM deliveries
    WHERE message_id = m.id ORDER BY created_at DESC, id DESC LIMIT 1
) d ON true`

// messageStatusColumns are a message's columns, its notices (withNotices)
// and its last delivery's, as scanMessageStatus reads them.
func messageStatusColumns(withNotices bool) string {
	notices := `NULL::bigint[]`
	if withNotices {
		notices = `ARRAY(SELECT notice_id FROM message_notices WHERE message_id = m.id ORDER BY notice_id)`
	}
	return `m.id, m.municipality_id, m.resident_id, m.channel, m.tick_date, m.state, m.created_at, m.updated_at, ` + notices + `,
       d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at`
}

func scanMessageStatus(row pgx.CollectableRow) (store.MessageStatus, error) {
	var (
		m                     kigen.Message
		resident              pgtype.Int8
		did, dmsg             pgtype.Int8
		provider, state, pmid pgtype.Text
		code, reason          pgtype.Text
		dcreated, dupdated    pgtype.Timestamptz
	)
	err := row.Scan(&m.ID, &m.MunicipalityID, &resident, text[kigen.Channel]{&m.Channel}, date{&m.TickDate},
		text[kigen.MessageState]{&m.State}, &m.CreatedAt, &m.UpdatedAt, &m.NoticeIDs,
		&did, &dmsg, &provider, &state, &pmid, &code, &reason, &dcreated, &dupdated)
	if err != nil {
		return store.MessageStatus{}, err
	}
	m.ResidentID = resident.Int64
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if len(m.NoticeIDs) == 0 {
		m.NoticeIDs = nil
	}
	ms := store.MessageStatus{Message: &m}
	if did.Valid {
		ms.Delivery = &kigen.Delivery{ID: did.Int64, MessageID: dmsg.Int64, Provider: provider.String,
			State: kigen.DeliveryState(state.String), ProviderMessageID: pmid.String, ErrorCode: code.String,
			ErrorReason: reason.String, CreatedAt: dcreated.Time.UTC(), UpdatedAt: dupdated.Time.UTC()}
	}
	return ms, nil
}

// ListResidentMessages implements store.Queries.
func (q queries) ListResidentMessages(ctx context.Context, municipalityID, residentID int64) (_ []store.MessageStatus, err error) {
	defer wrap(&err, "ListResidentMessages(municipality %d, resident %d)", municipalityID, residentID)
	rows, _ := q.db.Query(ctx, `SELECT `+messageStatusColumns(true)+`
FROM messages m`+lastDeliverySQL+`
WHERE m.municipality_id = $1 AND m.resident_id = $2
ORDER BY m.id`, municipalityID, residentID)
	return pgx.CollectRows(rows, scanMessageStatus)
}

// ListPlannedMessagesOn implements store.Queries, through the index on
// (tick_date, state, id).
func (q queries) ListPlannedMessagesOn(ctx context.Context, day kigen.Date, afterID int64, limit int) (_ []store.MessageStatus, err error) {
	defer wrap(&err, "ListPlannedMessagesOn(%s, after %d)", day, afterID)
	rows, _ := q.db.Query(ctx, `SELECT `+messageStatusColumns(false)+`
FROM messages m`+lastDeliverySQL+`
WHERE m.tick_date = $1 AND m.state = 'planned' AND m.id > $2
ORDER BY m.id LIMIT $3`, dateArg(day), afterID, limit)
	return pgx.CollectRows(rows, scanMessageStatus)
}

// CountMessagesOn implements store.Queries.
func (q queries) CountMessagesOn(ctx context.Context, day kigen.Date) (_ []store.MessageCount, err error) {
	defer wrap(&err, "CountMessagesOn(%s)", day)
	rows, _ := q.db.Query(ctx, `SELECT m.channel, m.state, coalesce(d.state, ''), count(*)
FROM messages m`+lastDeliverySQL+`
WHERE m.tick_date = $1
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, dateArg(day))
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.MessageCount, error) {
		var c store.MessageCount
		err := row.Scan(&c.Channel, &c.State, &c.Delivery, &c.N)
		return c, err
	})
}
