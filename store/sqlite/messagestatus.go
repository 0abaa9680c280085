package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"kigen"
	"kigen/store"
)

// lastDeliverySQL joins each message m with its last delivery d (none:
// NULLs), through the deliveries' index on message_id.
const lastDeliverySQL = `
	LEFT JOIN deliveries d ON d.id = (
		SELECT id FROM deliveries WHERE message_id = m.id ORDER BY created_at DESC, id DESC LIMIT 1)`

// messageStatusColumns are a message's columns, its notices (withNotices)
// and its last delivery's, as scanMessageStatus reads them.
func messageStatusColumns(withNotices bool) string {
	notices := `'[]'`
	if withNotices {
		notices = `(SELECT json_group_array(notice_id ORDER BY notice_id) FROM message_notices WHERE message_id = m.id)`
	}
	return `m.id, m.municipality_id, COALESCE(m.resident_id, 0), m.channel, m.tick_date, m.state, m.created_at, m.updated_at, ` + notices + `,
		d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at`
}

func scanMessageStatus(row rowScanner) (store.MessageStatus, error) {
	var (
		m                                    kigen.Message
		channel, state, ids                  string
		did, dmsg                            sql.NullInt64
		provider, dstate, pmid, code, reason sql.NullString
		dcreated, dupdated                   sql.NullString
	)
	err := row.Scan(&m.ID, &m.MunicipalityID, &m.ResidentID, &channel, &m.TickDate, &state,
		timeScanner{&m.CreatedAt}, timeScanner{&m.UpdatedAt}, &ids,
		&did, &dmsg, &provider, &dstate, &pmid, &code, &reason, &dcreated, &dupdated)
	if err != nil {
		return store.MessageStatus{}, err
	}
	if err := json.Unmarshal([]byte(ids), &m.NoticeIDs); err != nil {
		return store.MessageStatus{}, err
	}
	if len(m.NoticeIDs) == 0 {
		m.NoticeIDs = nil
	}
	m.Channel, m.State = kigen.Channel(channel), kigen.MessageState(state)
	ms := store.MessageStatus{Message: &m}
	if did.Valid {
		d := &kigen.Delivery{ID: did.Int64, MessageID: dmsg.Int64, Provider: provider.String,
			State: kigen.DeliveryState(dstate.String), ProviderMessageID: pmid.String,
			ErrorCode: code.String, ErrorReason: reason.String}
		if err := (timeScanner{&d.CreatedAt}).Scan(dcreated.String); err != nil {
			return store.MessageStatus{}, err
		}
		if err := (timeScanner{&d.UpdatedAt}).Scan(dupdated.String); err != nil {
			return store.MessageStatus{}, err
		}
		ms.Delivery = d
	}
	return ms, nil
}

// ListResidentMessages implements store.Queries.
func (q queries) ListResidentMessages(ctx context.Context, municipalityID, residentID int64) (_ []store.MessageStatus, err error) {
	defer wrap(&err, "ListResidentMessages(municipality %d, resident %d)", municipalityID, residentID)
	return queryAll(ctx, q.db, scanMessageStatus, `SELECT `+messageStatusColumns(true)+`
		FROM messages m`+lastDeliverySQL+`
		WHERE m.municipality_id = ? AND m.resident_id = ?
		ORDER BY m.id`, municipalityID, residentID)
}

// ListPlannedMessagesOn implements store.Queries, through the index on
// (tick_date, state, id).
func (q queries) ListPlannedMessagesOn(ctx context.Context, day kigen.Date, afterID int64, limit int) (_ []store.MessageStatus, err error) {
	defer wrap(&err, "ListPlannedMessagesOn(%s, after %d)", day, afterID)
	return queryAll(ctx, q.db, scanMessageStatus, `SELECT `+messageStatusColumns(false)+`
		FROM messages m`+lastDeliverySQL+`
		WHERE m.tick_date = ? AND m.state = 'planned' AND m.id > ?
		ORDER BY m.id LIMIT ?`, day, afterID, limit)
}

// CountMessagesOn implements store.Queries.
func (q queries) CountMessagesOn(ctx context.Context, day kigen.Date) (_ []store.MessageCount, err error) {
	defer wrap(&err, "CountMessagesOn(%s)", day)
	return queryAll(ctx, q.db, func(row rowScanner) (store.MessageCount, error) {
		var (
			c                         store.MessageCount
			channel, state, delivered string
		)
		err := row.Scan(&channel, &state, &delivered, &c.N)
		c.Channel, c.State, c.Delivery = kigen.Channel(channel), kigen.MessageState(state), kigen.DeliveryState(delivered)
		return c, err
	}, `SELECT m.channel, m.state, COALESCE(d.state, ''), count(*)
		FROM messages m`+lastDeliverySQL+`
		WHERE m.tick_date = ?
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, day)
}
