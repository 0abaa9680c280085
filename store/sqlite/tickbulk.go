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
// their own on the Store. Each spans the municipalities of a tick's batch,
// every row matched on its own.

// createNotices is CreateNotices' statement: ?1 the time. Each row is
// (time, municipality, card, expires on, stage, tick date); the join with
// cards copies the card's kind and leaves out a card of another
// municipality (checked before anyway). The WHERE lets SQLite's parser
// tell the ON CONFLICT of the INSERT from a join's ON.
var createNotices = &valuesStmt{
	head: `INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
		SELECT c.municipality_id, c.id, c.kind, v.column4, v.column5, v.column6, ?1 FROM (`,
	prefix: "?1",
	perRow: 5,
	tail: `) AS v JOIN cards c ON c.id = v.column3 AND c.municipality_id = v.column2
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
func (q queries) CreateNotices(ctx context.Context, ns []store.ScopedNotice) (created []bool, err error) {
	defer wrap(&err, "CreateNotices(%d notices)", len(ns))
	if len(ns) == 0 {
		return nil, nil
	}
	index := make(map[noticeKey]int, len(ns))
	owners := make([]owned, len(ns))
	for i, sn := range ns {
		n := sn.Notice
		k := noticeKey{n.CardID, n.ExpiresOn, n.Stage}
		if _, dup := index[k]; !dup {
			index[k] = i
		}
		owners[i] = owned{sn.MunicipalityID, n.CardID}
	}
	now := q.now()
	ts := formatTime(now)
	created = make([]bool, len(ns))
	err = q.atomic(ctx, func(q queries) error {
		if err := q.checkOwned(ctx, "cards", owners); err != nil {
			return err
		}
		var (
			id    int64
			k     noticeKey
			stage string
		)
		_, err := createNotices.run(ctx, q, len(ns), []any{ts},
			func(args []any, i int) []any {
				n := ns[i].Notice
				return append(args, ns[i].MunicipalityID, n.CardID, dateValue(n.ExpiresOn), string(n.Stage), dateValue(n.TickDate))
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
				ns[i].Notice.ID, ns[i].Notice.CreatedAt = id, now
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

// owned is a row's ID with the municipality it must be in.
type owned struct{ municipalityID, id int64 }

// checkOwned returns ErrNotFound unless every row named (an ID of table,
// with a municipality) is in its municipality. Rows may repeat; an ID of
// 0 is none.
func (q queries) checkOwned(ctx context.Context, table string, rows []owned) error {
	seen := make(map[owned]bool, len(rows))
	pairs := []byte{'['}
	for _, r := range rows {
		if r.id == 0 || seen[r] {
			continue
		}
		seen[r] = true
		pairs = appendTuple(pairs, r.municipalityID, r.id)
	}
	if len(seen) == 0 {
		return nil
	}
	pairs = append(pairs, ']')
	var found int
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM json_each(?) AS u
		JOIN `+table+` t ON t.id = u.value ->> 1 AND t.municipality_id = u.value ->> 0`, string(pairs)).Scan(&found)
	if err != nil {
		return err
	}
	if found != len(seen) {
		return store.ErrNotFound
	}
	return nil
}

// checkMunicipalities returns ErrNotFound unless every municipality in
// ids (which may repeat) exists.
func (q queries) checkMunicipalities(ctx context.Context, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var found int
	err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM municipalities
		WHERE id IN (SELECT value FROM json_each(?))`, idList(ids)).Scan(&found)
	if err != nil {
		return err
	}
	if found != len(ids) {
		return store.ErrNotFound
	}
	return nil
}

// createMessages is CreateMessages' statement: ?1 the time.
var createMessages = &valuesStmt{
	head:   `INSERT INTO messages (created_at, updated_at, municipality_id, resident_id, channel, tick_date, state)`,
	prefix: "?1, ?1",
	perRow: 5,
	tail:   ` RETURNING id`,
}

// CreateMessages implements store.Queries. The messages' IDs are
// AUTOINCREMENT and nobody else writes while the transaction holds the one
// connection, so the rows of a chunk get ascending IDs in the order of its
// VALUES: the sorted IDs returned are the messages', in order.
func (q queries) CreateMessages(ctx context.Context, ms []*kigen.Message) (err error) {
	defer wrap(&err, "CreateMessages(%d messages)", len(ms))
	if len(ms) == 0 {
		return nil
	}
	var notices, residents []owned
	municipalities := make([]int64, 0, len(ms))
	states := make([]kigen.MessageState, len(ms))
	for i, m := range ms {
		ids := slices.Clone(m.NoticeIDs)
		slices.Sort(ids)
		if len(slices.Compact(ids)) != len(m.NoticeIDs) {
			return fmt.Errorf("a notice listed twice: %w", store.ErrConflict)
		}
		for _, id := range m.NoticeIDs {
			notices = append(notices, owned{m.MunicipalityID, id})
		}
		residents = append(residents, owned{m.MunicipalityID, m.ResidentID})
		municipalities = append(municipalities, m.MunicipalityID)
		states[i] = m.State
		if states[i] == "" {
			states[i] = kigen.MessagePlanned
		}
	}
	now := q.now()
	ts := formatTime(now)
	ids := make([]int64, 0, len(ms))
	err = q.atomic(ctx, func(q queries) error {
		if err := q.checkMunicipalities(ctx, municipalities); err != nil {
			return err
		}
		if err := q.checkOwned(ctx, "notices", notices); err != nil {
			return err
		}
		if err := q.checkOwned(ctx, "residents", residents); err != nil {
			return err
		}
		for start := 0; start < len(ms); start += chunkRows {
			end := min(start+chunkRows, len(ms))
			chunk := make([]int64, 0, end-start)
			var id int64
			_, err := createMessages.run(ctx, q, end-start, []any{ts},
				func(args []any, i int) []any {
					m := ms[start+i]
					return append(args, m.MunicipalityID, nullID(m.ResidentID), string(m.Channel), dateValue(m.TickDate), string(states[start+i]))
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
				links = appendTuple(links, ids[i], n)
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
// cards, which reads the municipalities and new dates from a JSON array of
// [municipality, card, date] triples.
func (q queries) SetCardsNextNoticeOn(ctx context.Context, cs []store.CardNext) (err error) {
	defer wrap(&err, "SetCardsNextNoticeOn(%d cards)", len(cs))
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	owners := make([]owned, len(cs))
	triples := []byte{'['}
	for i, c := range cs {
		ids[i], owners[i] = c.CardID, owned{c.MunicipalityID, c.CardID}
		if i > 0 {
			triples = append(triples, ',')
		}
		triples = append(triples, '[')
		triples = strconv.AppendInt(triples, c.MunicipalityID, 10)
		triples = append(triples, ',')
		triples = strconv.AppendInt(triples, c.CardID, 10)
		triples = append(triples, ',')
		if c.On.IsZero() {
			triples = append(triples, "null"...)
		} else {
			triples = append(triples, '"')
			triples = append(triples, c.On.String()...)
			triples = append(triples, '"')
		}
		triples = append(triples, ']')
	}
	triples = append(triples, ']')
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(cs) {
		return fmt.Errorf("a card listed twice: %w", store.ErrConflict)
	}
	ts := formatTime(q.now())
	return q.atomic(ctx, func(q queries) error {
		if err := q.checkOwned(ctx, "cards", owners); err != nil {
			return err
		}
		_, err := q.db.ExecContext(ctx, `
			UPDATE cards SET next_notice_on = v.value ->> 2, updated_at = ?1,
				sent_stages = `+sentStagesSQL("cards", "cards.expires_on")+`, sent_for = cards.expires_on
			FROM json_each(?2) AS v
			WHERE cards.municipality_id = v.value ->> 0 AND cards.id = v.value ->> 1`,
			ts, string(triples))
		return err
	})
}
