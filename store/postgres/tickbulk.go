package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// The tick's plural writes: one statement each, whatever the batch size
// and however many municipalities it spans, over arrays spread back into
// rows by unnest (see bulk.go). Every row is matched on its own
// municipality, and each statement is guarded: unless every card, notice
// and resident named is in the municipality given with it, it writes
// nothing and says so in a column, never by an error that would abort the
// caller's transaction.

// ownedInSQL is true when every id in the array $ids is a row of table in
// the municipality at the same position of the array $ms, each looked up
// by primary key; a NULL id is none.
func ownedInSQL(table, ms, ids string) string {
	return `(SELECT coalesce(bool_and(EXISTS (SELECT FROM ` + table + ` t WHERE t.id = u.id AND t.municipality_id = u.m)), true)
       FROM unnest(` + ms + `::bigint[], ` + ids + `::bigint[]) AS u (m, id) WHERE u.id IS NOT NULL)`
}

// createNoticesSQL is createNoticeSQL over arrays: $1 the municipalities,
// $2 the cards, $3-$5 the rest of each notice. The guard is the join that
// finds each card in its municipality, read once: unless it finds every
// card, nothing is inserted (a second lookup of the same cards beforehand
// cost some 6% of the statement). A duplicate key (one a concurrent tick
// recorded) does nothing; the rows inserted come back with their key. The
// first column is the guard; the LEFT JOIN gives one row even when nothing
// was inserted.
const createNoticesSQL = `
WITH src AS MATERIALIZED (
    SELECT c.municipality_id, c.id, c.kind, i.expires_on, i.stage, i.tick_date, i.ord
    FROM unnest($1::bigint[], $2::bigint[], $3::date[], $4::text[], $5::date[]) WITH ORDINALITY AS i (m, card_id, expires_on, stage, tick_date, ord)
    JOIN cards c ON c.id = i.card_id AND c.municipality_id = i.m
), ok AS (
    SELECT count(*) = cardinality($2::bigint[]) AS ok FROM src
), ins AS (
    INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
    SELECT municipality_id, id, kind, expires_on, stage, tick_date, $6
    FROM src
    WHERE (SELECT ok FROM ok)
    ORDER BY ord
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

func (q queries) CreateNotices(ctx context.Context, ns []store.ScopedNotice) (created []bool, err error) {
	defer wrap(&err, "CreateNotices(%d notices)", len(ns))
	if len(ns) == 0 {
		return nil, nil
	}
	index := make(map[noticeKey]int, len(ns))
	var (
		ms      = make([]int64, len(ns))
		cardIDs = make([]int64, len(ns))
		expires = make([]pgtype.Date, len(ns))
		stages  = make([]string, len(ns))
		ticks   = make([]pgtype.Date, len(ns))
	)
	for i, sn := range ns {
		n := sn.Notice
		k := noticeKey{n.CardID, n.ExpiresOn, n.Stage}
		if _, dup := index[k]; !dup {
			index[k] = i // a notice listed twice is recorded once, for the first
		}
		ms[i], cardIDs[i], expires[i], stages[i], ticks[i] = sn.MunicipalityID, n.CardID, dateArg(n.ExpiresOn), string(n.Stage), dateArg(n.TickDate)
	}
	now := q.now()
	rows, err := q.db.Query(ctx, createNoticesSQL, ms, cardIDs, expires, stages, ticks, now)
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
		ns[i].Notice.ID, ns[i].Notice.CreatedAt = id.Int64, now
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

// createMessagesSQL is createMessageSQL over arrays: the messages ($3-$7,
// one element each) and their notice links ($8 the message's ordinal, $9
// the notice). Each message's ID is drawn from the identity's sequence
// first, so that the links can name it; the guard checks every
// municipality ($1, distinct), every notice ($2 its message's
// municipality, $9) and every resident ($3 its municipality, $4).
var createMessagesSQL = `
WITH ok AS (
    SELECT (SELECT coalesce(bool_and(EXISTS (SELECT FROM municipalities WHERE id = u.m)), true) FROM unnest($1::bigint[]) AS u (m))
       AND ` + ownedInSQL("notices", "$2", "$9") + `
       AND ` + ownedInSQL("residents", "$3", "$4") + ` AS ok
), m AS MATERIALIZED (
    SELECT i.*, nextval(pg_get_serial_sequence('messages', 'id')) AS id
    FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::date[], $7::text[]) WITH ORDINALITY AS i (municipality_id, resident_id, channel, tick_date, state, ord)
    WHERE (SELECT ok FROM ok)
), msg AS (
    INSERT INTO messages (id, municipality_id, resident_id, channel, tick_date, state, created_at, updated_at)
    SELECT id, municipality_id, resident_id, channel, tick_date, state, $10, $10 FROM m ORDER BY ord
), links AS (
    INSERT INTO message_notices (message_id, notice_id)
    SELECT m.id, l.notice_id FROM unnest($8::bigint[], $9::bigint[]) AS l (ord, notice_id) JOIN m ON m.ord = l.ord
)
SELECT ok.ok, m.ord, m.id FROM ok LEFT JOIN m ON true`

func (q queries) CreateMessages(ctx context.Context, ms []*kigen.Message) (err error) {
	defer wrap(&err, "CreateMessages(%d messages)", len(ms))
	if len(ms) == 0 {
		return nil
	}
	var (
		municipalities = make([]int64, len(ms))
		residentIDs    = make([]pgtype.Int8, len(ms))
		channels       = make([]string, len(ms))
		ticks          = make([]pgtype.Date, len(ms))
		states         = make([]string, len(ms))
		linkMs         []int64
		linkOrds       []int64
		linkNotices    []int64
	)
	for i, m := range ms {
		ids := distinct(m.NoticeIDs)
		if len(ids) != len(m.NoticeIDs) {
			return fmt.Errorf("a notice listed twice: %w", store.ErrConflict)
		}
		state := m.State
		if state == "" {
			state = kigen.MessagePlanned
		}
		municipalities[i], residentIDs[i], channels[i], ticks[i], states[i] =
			m.MunicipalityID, nullID(m.ResidentID), string(m.Channel), dateArg(m.TickDate), string(state)
		for _, id := range ids {
			linkMs = append(linkMs, m.MunicipalityID)
			linkOrds = append(linkOrds, int64(i+1))
			linkNotices = append(linkNotices, id)
		}
	}
	now := q.now()
	rows, err := q.db.Query(ctx, createMessagesSQL, distinct(municipalities), nonNil(linkMs),
		municipalities, residentIDs, channels, ticks, states, nonNil(linkOrds), nonNil(linkNotices), now)
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

// setCardsNextNoticeOnSQL is SetCardNextNoticeOn over arrays ($1 the
// municipalities, $2 the cards, $3 the dates), guarded by ownedInSQL: each
// card gets its next date and the stages recorded for it. The count tells
// the caller how many rows it changed.
var setCardsNextNoticeOnSQL = `
WITH ok AS (
    SELECT ` + ownedInSQL("cards", "$1", "$2") + ` AS ok
), upd AS (
    UPDATE cards SET next_notice_on = v.d, updated_at = $4,
        sent_stages = ` + sentStagesSQL("cards", "cards.expires_on") + `, sent_for = cards.expires_on
    FROM unnest($1::bigint[], $2::bigint[], $3::date[]) AS v (m, id, d)
    WHERE (SELECT ok FROM ok) AND cards.municipality_id = v.m AND cards.id = v.id
    RETURNING 1
)
SELECT ok.ok, (SELECT count(*) FROM upd) FROM ok`

func (q queries) SetCardsNextNoticeOn(ctx context.Context, cs []store.CardNext) (err error) {
	defer wrap(&err, "SetCardsNextNoticeOn(%d cards)", len(cs))
	if len(cs) == 0 {
		return nil
	}
	var (
		ms    = make([]int64, len(cs))
		ids   = make([]int64, len(cs))
		dates = make([]pgtype.Date, len(cs))
	)
	for i, c := range cs {
		ms[i], ids[i], dates[i] = c.MunicipalityID, c.CardID, dateArg(c.On)
	}
	if len(distinct(ids)) != len(ids) {
		return fmt.Errorf("a card listed twice: %w", store.ErrConflict)
	}
	var (
		ok bool
		n  int64
	)
	if err := q.db.QueryRow(ctx, setCardsNextNoticeOnSQL, ms, ids, dates, q.now()).Scan(&ok, &n); err != nil {
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
