package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// The tick's plural writes: one statement each, whatever the batch size,
// over arrays spread back into rows by unnest (see bulk.go). Each is
// guarded: unless every card, notice and resident named is in the
// municipality, it writes nothing and says so in a column, never by an
// error that would abort the caller's transaction.

// cardsOwnedSQL is true when every card in $2 is in municipality $1, each
// looked up by primary key (see ownedSQL).
const cardsOwnedSQL = `(SELECT coalesce(bool_and(EXISTS (SELECT FROM cards c WHERE c.id = u.id AND c.municipality_id = $1)), true)
       FROM unnest($2::bigint[]) AS u (id))`

// createNoticesSQL is createNoticeSQL over arrays. A duplicate key (one a
// concurrent tick recorded) does nothing; the rows inserted come back with
// their key. The first column is the guard; the LEFT JOIN gives one row
// even when nothing was inserted.
const createNoticesSQL = `
WITH ok AS (
    SELECT ` + cardsOwnedSQL + ` AS ok
), ins AS (
    INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
    SELECT $1, c.id, c.kind, i.expires_on, i.stage, i.tick_date, $7
    FROM unnest($3::bigint[], $4::date[], $5::text[], $6::date[]) WITH ORDINALITY AS i (card_id, expires_on, stage, tick_date, ord)
    JOIN cards c ON c.id = i.card_id AND c.municipality_id = $1
    WHERE (SELECT ok FROM ok)
    ORDER BY i.ord
    ON CONFLICT (card_id, expires_on, stage) DO NOTHING
    RETURNING id, card_id, expires_on, stage
)
SELECT ok.ok, ins.id, ins.card_id, ins.expires_on, ins.stage FROM ok LEFT JOIN ins ON true`

// noticeKey is a notice's conflict key.
type noticeKey struct {
	cardID    int64
	expiresOn kigen.Date
	stage     kigen.Stage
}

func (q queries) CreateNotices(ctx context.Context, municipalityID int64, ns []*kigen.Notice) (created []bool, err error) {
	defer wrap(&err, "CreateNotices(municipality %d, %d notices)", municipalityID, len(ns))
	if len(ns) == 0 {
		return nil, nil
	}
	index := make(map[noticeKey]int, len(ns))
	var (
		cardIDs = make([]int64, len(ns))
		expires = make([]pgtype.Date, len(ns))
		stages  = make([]string, len(ns))
		ticks   = make([]pgtype.Date, len(ns))
	)
	for i, n := range ns {
		k := noticeKey{n.CardID, n.ExpiresOn, n.Stage}
		if _, dup := index[k]; !dup {
			index[k] = i // a notice listed twice is recorded once, for the first
		}
		cardIDs[i], expires[i], stages[i], ticks[i] = n.CardID, dateArg(n.ExpiresOn), string(n.Stage), dateArg(n.TickDate)
	}
	now := q.now()
	rows, err := q.db.Query(ctx, createNoticesSQL, municipalityID, distinct(cardIDs),
		cardIDs, expires, stages, ticks, now)
	if err != nil {
		return nil, err
	}
	created = make([]bool, len(ns))
	var (
		ok     bool
		id     pgtype.Int8
		cardID pgtype.Int8
		exp    kigen.Date
		stage  pgtype.Text
	)
	_, err = forEachRow(rows, []any{&ok, &id, &cardID, &exp, &stage}, func() error {
		if !id.Valid {
			return nil // nothing inserted
		}
		i, found := index[noticeKey{cardID.Int64, exp, kigen.Stage(stage.String)}]
		if !found {
			return fmt.Errorf("a row for a notice not given")
		}
		ns[i].ID, ns[i].CreatedAt = id.Int64, now
		created[i] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	return created, nil
}

// createMessagesSQL is createMessageSQL over arrays: the messages ($3-$6,
// one element each) and their notice links ($7 the message's ordinal, $8
// the notice). Each message's ID is drawn from the identity's sequence
// first, so that the links can name it; the guard checks the municipality,
// every notice ($2, distinct) and every resident ($9, distinct).
const createMessagesSQL = `
WITH ok AS (
    SELECT EXISTS (SELECT FROM municipalities WHERE id = $1)
       AND (SELECT coalesce(bool_and(EXISTS (SELECT FROM notices n WHERE n.id = u.id AND n.municipality_id = $1)), true)
            FROM unnest($2::bigint[]) AS u (id))
       AND (SELECT coalesce(bool_and(EXISTS (SELECT FROM residents r WHERE r.id = u.id AND r.municipality_id = $1)), true)
            FROM unnest($9::bigint[]) AS u (id)) AS ok
), m AS MATERIALIZED (
    SELECT i.*, nextval(pg_get_serial_sequence('messages', 'id')) AS id
    FROM unnest($3::bigint[], $4::text[], $5::date[], $6::text[]) WITH ORDINALITY AS i (resident_id, channel, tick_date, state, ord)
    WHERE (SELECT ok FROM ok)
), msg AS (
    INSERT INTO messages (id, municipality_id, resident_id, channel, tick_date, state, created_at, updated_at)
    SELECT id, $1, resident_id, channel, tick_date, state, $10, $10 FROM m ORDER BY ord
), links AS (
    INSERT INTO message_notices (message_id, notice_id)
    SELECT m.id, l.notice_id FROM unnest($7::bigint[], $8::bigint[]) AS l (ord, notice_id) JOIN m ON m.ord = l.ord
)
SELECT ok.ok, m.ord, m.id FROM ok LEFT JOIN m ON true`

func (q queries) CreateMessages(ctx context.Context, municipalityID int64, ms []*kigen.Message) (err error) {
	defer wrap(&err, "CreateMessages(municipality %d, %d messages)", municipalityID, len(ms))
	if len(ms) == 0 {
		return nil
	}
	var (
		residentIDs = make([]pgtype.Int8, len(ms))
		channels    = make([]string, len(ms))
		ticks       = make([]pgtype.Date, len(ms))
		states      = make([]string, len(ms))
		linkOrds    []int64
		linkNotices []int64
		residents   []int64
	)
	for i, m := range ms {
		if m.MunicipalityID != municipalityID {
			return store.ErrNotFound // not in this municipality
		}
		ids := distinct(m.NoticeIDs)
		if len(ids) != len(m.NoticeIDs) {
			return fmt.Errorf("a notice listed twice: %w", store.ErrConflict)
		}
		state := m.State
		if state == "" {
			state = kigen.MessagePlanned
		}
		residentIDs[i], channels[i], ticks[i], states[i] = nullID(m.ResidentID), string(m.Channel), dateArg(m.TickDate), string(state)
		if m.ResidentID != 0 {
			residents = append(residents, m.ResidentID)
		}
		for _, id := range ids {
			linkOrds = append(linkOrds, int64(i+1))
			linkNotices = append(linkNotices, id)
		}
	}
	now := q.now()
	rows, err := q.db.Query(ctx, createMessagesSQL, municipalityID, distinct(linkNotices),
		residentIDs, channels, ticks, states, nonNil(linkOrds), nonNil(linkNotices), distinct(residents), now)
	if err != nil {
		return err
	}
	var (
		ok  bool
		ord pgtype.Int8
		id  pgtype.Int8
	)
	ids := make([]int64, len(ms))
	n, err := forEachRow(rows, []any{&ok, &ord, &id}, func() error {
		if !ord.Valid {
			return nil
		}
		if ord.Int64 < 1 || ord.Int64 > int64(len(ms)) {
			return fmt.Errorf("a row for a message not given")
		}
		ids[ord.Int64-1] = id.Int64
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	if n != len(ms) {
		return fmt.Errorf("%d rows returned for %d messages", n, len(ms))
	}
	for i, m := range ms {
		if m.State == "" {
			m.State = kigen.MessagePlanned
		}
		m.ID, m.CreatedAt, m.UpdatedAt = ids[i], now, now
	}
	return nil
}

// setCardsNextNoticeOnSQL is SetCardNextNoticeOn over arrays, guarded by
// cardsOwnedSQL. The count tells the caller how many rows it changed.
const setCardsNextNoticeOnSQL = `
WITH ok AS (
    SELECT ` + cardsOwnedSQL + ` AS ok
), upd AS (
    UPDATE cards SET next_notice_on = v.d, updated_at = $4
    FROM unnest($2::bigint[], $3::date[]) AS v (id, d)
    WHERE (SELECT ok FROM ok) AND cards.municipality_id = $1 AND cards.id = v.id
    RETURNING 1
)
SELECT ok.ok, (SELECT count(*) FROM upd) FROM ok`

func (q queries) SetCardsNextNoticeOn(ctx context.Context, municipalityID int64, cardIDs []int64, next []kigen.Date) (err error) {
	defer wrap(&err, "SetCardsNextNoticeOn(municipality %d, %d cards)", municipalityID, len(cardIDs))
	if len(cardIDs) != len(next) {
		return fmt.Errorf("%d cards but %d dates", len(cardIDs), len(next))
	}
	if len(cardIDs) == 0 {
		return nil
	}
	if len(distinct(cardIDs)) != len(cardIDs) {
		return fmt.Errorf("a card listed twice: %w", store.ErrConflict)
	}
	dates := make([]pgtype.Date, len(next))
	for i, d := range next {
		dates[i] = dateArg(d)
	}
	var (
		ok bool
		n  int64
	)
	if err := q.db.QueryRow(ctx, setCardsNextNoticeOnSQL, municipalityID, cardIDs, dates, q.now()).Scan(&ok, &n); err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	return nil
}

// nonNil returns ids, or an empty slice for nil (a nil slice would be a
// NULL array).
func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
