package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// createMessageSQL writes the message and its notice links in one
// statement (so atomically, without a savepoint inside a caller's
// transaction), and only if every notice ($6, distinct IDs) and the
// resident, if any, are in the municipality: otherwise it writes nothing
// and returns no row.
const createMessageSQL = `
WITH ok AS (
    SELECT (SELECT count(*) FROM notices WHERE municipality_id = $1 AND id = ANY($6::bigint[])) = cardinality($6::bigint[])
       AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM residents WHERE municipality_id = $1 AND id = $2::bigint)) AS ok
), msg AS (
    INSERT INTO messages (municipality_id, resident_id, channel, tick_date, state, created_at, updated_at)
    SELECT $1, $2::bigint, $3, $4, $5, $7, $7 FROM ok WHERE ok.ok
    RETURNING id
), links AS (
    INSERT INTO message_notices (message_id, notice_id)
    SELECT msg.id, n FROM msg, unnest($6::bigint[]) AS n
)
SELECT id FROM msg`

func (q queries) CreateMessage(ctx context.Context, m *kigen.Message) (err error) {
	defer wrap(&err, "CreateMessage(municipality %d, resident %d)", m.MunicipalityID, m.ResidentID)
	now := q.now()
	state := m.State
	if state == "" {
		state = kigen.MessagePlanned
	}
	ids := distinct(m.NoticeIDs)
	if len(ids) != len(m.NoticeIDs) {
		return fmt.Errorf("a notice listed twice: %w", store.ErrConflict)
	}
	var id int64
	err = q.db.QueryRow(ctx, createMessageSQL,
		m.MunicipalityID, nullID(m.ResidentID), string(m.Channel), dateArg(m.TickDate), string(state),
		ids, now,
	).Scan(&id)
	if err != nil {
		return err // no row: ErrNotFound
	}
	m.ID, m.State, m.CreatedAt, m.UpdatedAt = id, state, now, now
	return nil
}

const getMessageSQL = `
SELECT id, municipality_id, resident_id, channel, tick_date, state, created_at, updated_at,
       ARRAY(SELECT notice_id FROM message_notices WHERE message_id = messages.id ORDER BY notice_id)
FROM messages WHERE id = $1`

func (q queries) GetMessage(ctx context.Context, id int64) (_ *kigen.Message, err error) {
	defer wrap(&err, "GetMessage(%d)", id)
	rows, _ := q.db.Query(ctx, getMessageSQL, id)
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*kigen.Message, error) {
		var (
			m        kigen.Message
			resident pgtype.Int8
		)
		err := row.Scan(&m.ID, &m.MunicipalityID, &resident, text[kigen.Channel]{&m.Channel}, date{&m.TickDate}, text[kigen.MessageState]{&m.State},
			&m.CreatedAt, &m.UpdatedAt, &m.NoticeIDs)
		m.ResidentID = resident.Int64
		m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		if len(m.NoticeIDs) == 0 {
			m.NoticeIDs = nil
		}
		return &m, err
	})
}

func (q queries) SetMessageState(ctx context.Context, id int64, state kigen.MessageState) (err error) {
	defer wrap(&err, "SetMessageState(%d, %s)", id, state)
	tag, err := q.db.Exec(ctx, `UPDATE messages SET state = $2, updated_at = $3 WHERE id = $1`,
		id, string(state), q.now())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
