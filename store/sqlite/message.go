package sqlite

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"kigen"
	"kigen/store"
)

// CreateMessage implements store.Queries. The resident, when given, must
// be in the message's municipality too (ErrNotFound otherwise). A message
// without a State is planned.
func (q queries) CreateMessage(ctx context.Context, m *kigen.Message) (err error) {
	defer wrap(&err, "CreateMessage(municipality %d)", m.MunicipalityID)
	now := q.now()
	state := m.State
	if state == "" {
		state = kigen.MessagePlanned
	}
	var id int64
	err = q.atomic(ctx, func(q queries) error {
		if len(m.NoticeIDs) > 0 {
			ids := slices.Clone(m.NoticeIDs)
			slices.Sort(ids)
			ids = slices.Compact(ids)
			var found int
			err := q.db.QueryRowContext(ctx, `
				SELECT count(*) FROM notices
				WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`,
				m.MunicipalityID, idList(ids),
			).Scan(&found)
			if err != nil {
				return err
			}
			if found != len(ids) {
				return store.ErrNotFound
			}
		}
		if m.ResidentID != 0 {
			var one int
			err := q.db.QueryRowContext(ctx,
				`SELECT 1 FROM residents WHERE municipality_id = ? AND id = ?`, m.MunicipalityID, m.ResidentID,
			).Scan(&one)
			if err != nil {
				return err
			}
		}
		err := q.db.QueryRowContext(ctx, `
			INSERT INTO messages (municipality_id, resident_id, channel, tick_date, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			m.MunicipalityID, nullID(m.ResidentID), string(m.Channel), m.TickDate, string(state),
			formatTime(now), formatTime(now),
		).Scan(&id)
		if err != nil {
			return err
		}
		if len(m.NoticeIDs) == 0 {
			return nil
		}
		_, err = q.db.ExecContext(ctx, `
			INSERT INTO message_notices (message_id, notice_id)
			SELECT ?, value FROM json_each(?)`,
			id, idList(m.NoticeIDs))
		return err
	})
	if err != nil {
		return err
	}
	m.ID, m.State, m.CreatedAt, m.UpdatedAt = id, state, now, now
	return nil
}

// GetMessage implements store.Queries. NoticeIDs come in ascending order.
func (q queries) GetMessage(ctx context.Context, id int64) (_ *kigen.Message, err error) {
	defer wrap(&err, "GetMessage(%d)", id)
	var (
		m                    kigen.Message
		channel, state, ids  string
		createdAt, updatedAt time.Time
	)
	// One statement, so the notices are read in the same snapshot as the
	// message without a transaction.
	err = q.db.QueryRowContext(ctx, `
		SELECT id, municipality_id, COALESCE(resident_id, 0), channel, tick_date, state, created_at, updated_at,
			(SELECT json_group_array(notice_id ORDER BY notice_id) FROM message_notices WHERE message_id = messages.id)
		FROM messages WHERE id = ?`, id,
	).Scan(&m.ID, &m.MunicipalityID, &m.ResidentID, &channel, &m.TickDate, &state,
		timeScanner{&createdAt}, timeScanner{&updatedAt}, &ids)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ids), &m.NoticeIDs); err != nil {
		return nil, err
	}
	if len(m.NoticeIDs) == 0 {
		m.NoticeIDs = nil
	}
	m.Channel, m.State, m.CreatedAt, m.UpdatedAt = kigen.Channel(channel), kigen.MessageState(state), createdAt, updatedAt
	return &m, nil
}

// SetMessageState implements store.Queries.
func (q queries) SetMessageState(ctx context.Context, id int64, state kigen.MessageState) (err error) {
	defer wrap(&err, "SetMessageState(%d, %s)", id, state)
	return mustAffect(q.db.ExecContext(ctx,
		`UPDATE messages SET state = ?, updated_at = ? WHERE id = ?`, string(state), formatTime(q.now()), id))
}
