package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"kigen"
	"kigen/store"
)

// The tick's plural writes, in the style of bulk.go: every check before
// the first write, multi-row statements in chunks, and a transaction of
// their own on the Store.

// createNotices is CreateNotices' statement: ?1 the municipality, ?2 the
// time. Each row is (municipality, card, expires on, stage, tick date); the
// join with cards copies the card's kind and leaves out a card of another
// municipality (checked before anyway). The WHERE lets SQLite's parser
// tell the ON CONFLICT of the INSERT from a join's ON.
var createNotices = &valuesStmt{
	head: `INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
		SELECT ?1, c.id, c.kind, v.column3, v.column4, v.column5, ?2 FROM (`,
	prefix: "?1",
	perRow: 4,
	tail: `) AS v JOIN cards c ON c.id = v.column2 AND c.municipality_id = ?1
		WHERE true
		ON CONFLICT (card_id, expires_on, stage) DO NOTHING
		RETURNING id, card_id, expires_on, stage`,
}

// noticeKey is a notice's conflict key.
type noticeKey struct {
	cardID    int64
	expiresOn kigen.Date
	stage     kigen.Stage
}

// CreateNotices implements store.Queries. A notice listed twice is
// recorded once, for the first.
func (q queries) CreateNotices(ctx context.Context, municipalityID int64, ns []*kigen.Notice) (created []bool, err error) {
	defer wrap(&err, "CreateNotices(municipality %d, %d notices)", municipalityID, len(ns))
	if len(ns) == 0 {
		return nil, nil
	}
	index := make(map[noticeKey]int, len(ns))
	cardIDs := make([]int64, len(ns))
	for i, n := range ns {
		k := noticeKey{n.CardID, n.ExpiresOn, n.Stage}
		if _, dup := index[k]; !dup {
			index[k] = i
		}
		cardIDs[i] = n.CardID
	}
	now := q.now()
	ts := formatTime(now)
	created = make([]bool, len(ns))
	err = q.atomic(ctx, func(q queries) error {
		if err := q.checkCards(ctx, municipalityID, cardIDs); err != nil {
			return err
		}
		var (
			id    int64
			k     noticeKey
			stage string
		)
		_, err := createNotices.run(ctx, q, len(ns), []any{municipalityID, ts},
			func(args []any, i int) []any {
				n := ns[i]
				return append(args, n.CardID, dateValue(n.ExpiresOn), string(n.Stage), dateValue(n.TickDate))
			},
			func(rows *sql.Rows) error {
				if err := rows.Scan(&id, &k.cardID, &k.expiresOn, &stage); err != nil {
					return err
				}
				k.stage = kigen.Stage(stage)
				i, ok := index[k]
				if !ok {
					return fmt.Errorf("a row for a notice not given")
				}
				ns[i].ID, ns[i].CreatedAt = id, now
				created[i] = true
				return nil
			})
		return err
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// checkCards returns ErrNotFound unless every card in ids is in the
// municipality. ids may repeat.
func (q queries) checkCards(ctx context.Context, municipalityID int64, ids []int64) error {
	return q.checkOwned(ctx, `SELECT count(*) FROM cards
		WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`, municipalityID, ids)
}

// checkOwned runs query, a count of the rows of municipalityID among ids
// (distinct), and returns ErrNotFound unless it counts them all.
func (q queries) checkOwned(ctx context.Context, query string, municipalityID int64, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	var found int
	if err := q.db.QueryRowContext(ctx, query, municipalityID, idList(ids)).Scan(&found); err != nil {
		return err
	}
	if found != len(ids) {
		return store.ErrNotFound
	}
	return nil
}

// createMessages is CreateMessages' statement: ?1 the municipality, ?2
// the time.
var createMessages = &valuesStmt{
	head:   `INSERT INTO messages (municipality_id, created_at, updated_at, resident_id, channel, tick_date, state)`,
	prefix: "?1, ?2, ?2",
	perRow: 4,
	tail:   ` RETURNING id`,
}

// CreateMessages implements store.Queries. The messages' IDs are
// AUTOINCREMENT and nobody else writes while the transaction holds the one
// connection, so the rows of a chunk get ascending IDs in the order of its
// VALUES: the sorted IDs returned are the messages', in order.
func (q queries) CreateMessages(ctx context.Context, municipalityID int64, ms []*kigen.Message) (err error) {
	defer wrap(&err, "CreateMessages(municipality %d, %d messages)", municipalityID, len(ms))
	if len(ms) == 0 {
		return nil
	}
	var noticeIDs, residentIDs []int64
	states := make([]kigen.MessageState, len(ms))
	for i, m := range ms {
		if m.MunicipalityID != municipalityID {
			return store.ErrNotFound // not in this municipality
		}
		ids := slices.Clone(m.NoticeIDs)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != len(m.NoticeIDs) {
			return fmt.Errorf("a notice listed twice: %w", store.ErrConflict)
		}
		noticeIDs = append(noticeIDs, m.NoticeIDs...)
		if m.ResidentID != 0 {
			residentIDs = append(residentIDs, m.ResidentID)
		}
		states[i] = m.State
		if states[i] == "" {
			states[i] = kigen.MessagePlanned
		}
	}
	now := q.now()
	ts := formatTime(now)
	ids := make([]int64, 0, len(ms))
	err = q.atomic(ctx, func(q queries) error {
		var one int
		if err := q.db.QueryRowContext(ctx, `SELECT 1 FROM municipalities WHERE id = ?`, municipalityID).Scan(&one); err != nil {
			return err
		}
		if err := q.checkOwned(ctx, `SELECT count(*) FROM notices
			WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`, municipalityID, noticeIDs); err != nil {
			return err
		}
		if err := q.checkOwned(ctx, `SELECT count(*) FROM residents
			WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`, municipalityID, residentIDs); err != nil {
			return err
		}
		for start := 0; start < len(ms); start += chunkRows {
			end := min(start+chunkRows, len(ms))
			chunk := make([]int64, 0, end-start)
			var id int64
			_, err := createMessages.run(ctx, q, end-start, []any{municipalityID, ts},
				func(args []any, i int) []any {
					m := ms[start+i]
					return append(args, nullID(m.ResidentID), string(m.Channel), dateValue(m.TickDate), string(states[start+i]))
				},
				func(rows *sql.Rows) error {
					if err := rows.Scan(&id); err != nil {
						return err
					}
					chunk = append(chunk, id)
					return nil
				})
			if err != nil {
				return err
			}
			if len(chunk) != end-start {
				return fmt.Errorf("%d rows returned for %d messages", len(chunk), end-start)
			}
			slices.Sort(chunk)
			ids = append(ids, chunk...)
		}
		// The links, as one JSON array of [message, notice] pairs.
		links := []byte{'['}
		for i, m := range ms {
			for _, n := range m.NoticeIDs {
				if len(links) > 1 {
					links = append(links, ',')
				}
				links = append(links, '[')
				links = strconv.AppendInt(links, ids[i], 10)
				links = append(links, ',')
				links = strconv.AppendInt(links, n, 10)
				links = append(links, ']')
			}
		}
		links = append(links, ']')
		if len(links) == 2 {
			return nil
		}
		_, err := q.db.ExecContext(ctx, `
			INSERT INTO message_notices (message_id, notice_id)
			SELECT value ->> 0, value ->> 1 FROM json_each(?)`, string(links))
		return err
	})
	if err != nil {
		return err
	}
	for i, m := range ms {
		m.ID, m.State, m.CreatedAt, m.UpdatedAt = ids[i], states[i], now, now
	}
	return nil
}

// SetCardsNextNoticeOn implements store.Queries: one UPDATE for all the
// cards, which reads the new dates from a JSON array of [card, date] pairs.
func (q queries) SetCardsNextNoticeOn(ctx context.Context, municipalityID int64, cardIDs []int64, next []kigen.Date) (err error) {
	defer wrap(&err, "SetCardsNextNoticeOn(municipality %d, %d cards)", municipalityID, len(cardIDs))
	if len(cardIDs) != len(next) {
		return fmt.Errorf("%d cards but %d dates", len(cardIDs), len(next))
	}
	if len(cardIDs) == 0 {
		return nil
	}
	ids := slices.Clone(cardIDs)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(cardIDs) {
		return fmt.Errorf("a card listed twice: %w", store.ErrConflict)
	}
	pairs := []byte{'['}
	for i, id := range cardIDs {
		if i > 0 {
			pairs = append(pairs, ',')
		}
		pairs = append(pairs, '[')
		pairs = strconv.AppendInt(pairs, id, 10)
		pairs = append(pairs, ',')
		if next[i].IsZero() {
			pairs = append(pairs, "null"...)
		} else {
			pairs = append(pairs, '"')
			pairs = append(pairs, next[i].String()...)
			pairs = append(pairs, '"')
		}
		pairs = append(pairs, ']')
	}
	pairs = append(pairs, ']')
	ts := formatTime(q.now())
	return q.atomic(ctx, func(q queries) error {
		if err := q.checkCards(ctx, municipalityID, cardIDs); err != nil {
			return err
		}
		_, err := q.db.ExecContext(ctx, `
			UPDATE cards SET next_notice_on = v.value ->> 1, updated_at = ?2
			FROM json_each(?3) AS v
			WHERE cards.municipality_id = ?1 AND cards.id = v.value ->> 0`,
			municipalityID, ts, string(pairs))
		return err
	})
}
