package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"kigen"
	"kigen/store"
)

// The plural upserts are what `kigen import` writes a batch with. Each
// writes chunkRows rows per statement, as one multi-row INSERT ... VALUES
// ... ON CONFLICT DO UPDATE ... RETURNING: a statement per row would cost a
// round trip through database/sql and the driver per row, and SQLite binds
// at most 32766 parameters per statement. RETURNING gives rows in no set
// order, so the results are matched back to the inputs by their conflict
// key. Everything a method checks is checked before its first write, and
// on the Store a method runs in a transaction of its own: on ErrNotFound
// nothing is written, on the Store and in a Tx alike.

// chunkRows is how many rows one statement writes (the last one of a call
// fewer). At up to 6 parameters a row it stays far below SQLite's limit;
// chunks of 250 or 1,000 rows were no faster.
const chunkRows = 500

// valuesStmt is a multi-row INSERT: head, then " VALUES " and one tuple
// per row, then tail. A tuple is prefix, which refers only to the
// parameters every row shares (?1, ?2), then perRow anonymous parameters.
//
// Only the shared parameters are numbered: the driver looks the name of
// every parameter up when it binds, which costs a walk through the list of
// numbered ones, so a statement numbering them all binds in quadratic
// time. An anonymous parameter takes the number after the largest seen, so
// the prefix must come first in the first tuple.
type valuesStmt struct {
	head   string
	prefix string
	perRow int
	tail   string

	once sync.Once
	full string // the statement for chunkRows rows, built once
}

// sql returns the statement for rows rows.
func (v *valuesStmt) sql(rows int) string {
	if rows == chunkRows {
		v.once.Do(func() { v.full = v.build(chunkRows) })
		return v.full
	}
	return v.build(rows)
}

func (v *valuesStmt) build(rows int) string {
	tuple := "(" + v.prefix + strings.Repeat(",?", v.perRow) + ")"
	var b strings.Builder
	b.Grow(len(v.head) + len(v.tail) + rows*(len(tuple)+1) + 8)
	b.WriteString(v.head)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteString(v.tail)
	return b.String()
}

// stmtCache holds the statements a transaction prepared, by the
// valuesStmt they write full chunks with: an import runs hundreds of the
// same statement in one transaction, and preparing each anew took 10-15%
// of its time. database/sql closes them with the transaction.
type stmtCache struct {
	mu    sync.Mutex
	stmts map[*valuesStmt]*sql.Stmt
}

// query runs v's statement for rows rows: prepared once per transaction for
// full chunks, prepared on the spot for the last one.
func (v *valuesStmt) query(ctx context.Context, q queries, rows int, args []any) (*sql.Rows, error) {
	if rows != chunkRows || q.stmts == nil {
		return q.db.QueryContext(ctx, v.sql(rows), args...)
	}
	c := q.stmts
	c.mu.Lock()
	stmt, ok := c.stmts[v]
	if !ok {
		var err error
		if stmt, err = q.db.PrepareContext(ctx, v.sql(rows)); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		if c.stmts == nil {
			c.stmts = make(map[*valuesStmt]*sql.Stmt)
		}
		c.stmts[v] = stmt
	}
	c.mu.Unlock()
	return stmt.QueryContext(ctx, args...)
}

// run writes n rows in chunks: for each chunk it binds the fixed
// parameters, then appendRow's parameters for each row (by index), and
// hands each returned row to scan.
func (v *valuesStmt) run(ctx context.Context, q queries, n int, fixed []any,
	appendRow func(args []any, i int) []any, scan func(rows *sql.Rows) error,
) (returned int, err error) {
	args := make([]any, 0, len(fixed)+min(n, chunkRows)*v.perRow)
	for start := 0; start < n; start += chunkRows {
		end := min(start+chunkRows, n)
		args = append(args[:0], fixed...)
		for i := start; i < end; i++ {
			args = appendRow(args, i)
		}
		rows, err := v.query(ctx, q, end-start, args)
		if err != nil {
			return returned, err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return returned, err
			}
			returned++
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return returned, err
		}
		if err := rows.Close(); err != nil {
			return returned, err
		}
	}
	return returned, nil
}

// dateValue is d as stored: ISO text, or NULL for the zero Date. (What
// Date.Value returns, without the interface call per value.)
func dateValue(d kigen.Date) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// ListResidentsByRef implements store.Queries.
func (q queries) ListResidentsByRef(ctx context.Context, municipalityID int64, refs ...string) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListResidentsByRef(municipality %d)", municipalityID) // refs may identify people
	var out []*kigen.Resident
	args := make([]any, 0, 1+min(len(refs), chunkRows))
	for start := 0; start < len(refs); start += chunkRows {
		chunk := refs[start:min(start+chunkRows, len(refs))]
		args = append(args[:0], municipalityID)
		for _, ref := range chunk {
			args = append(args, ref)
		}
		rs, err := queryAll(ctx, q.db, scanResident, `SELECT `+residentColumns+` FROM residents
			WHERE municipality_id = ? AND ref IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	// The chunks, and the refs a chunk holds, may come in any order.
	slices.SortFunc(out, func(a, b *kigen.Resident) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// upsertResidents is UpsertResidents' statement: ?1 the municipality, ?2
// the time.
var upsertResidents = &valuesStmt{
	head:   `INSERT INTO residents (municipality_id, created_at, updated_at, ref, name, language, status, channel)`,
	prefix: "?1, ?2, ?2",
	perRow: 5,
	tail: `
		ON CONFLICT (municipality_id, ref) DO UPDATE SET
			name = excluded.name,
			language = excluded.language,
			status = excluded.status,
			channel = excluded.channel,
			updated_at = excluded.updated_at
		RETURNING id, ref, created_at`,
}

// upsertResidents is UpsertResidents of store.Queries but for the flags (flags.go). A missing municipality fails
// the first statement (a foreign key violation: ErrNotFound) before
// anything is written.
func (q queries) upsertResidents(ctx context.Context, municipalityID int64, rs []*kigen.Resident) (created []bool, err error) {
	defer wrap(&err, "UpsertResidents(municipality %d, %d residents)", municipalityID, len(rs))
	if len(rs) == 0 {
		return nil, nil
	}
	index, err := store.ResidentsBulk(rs)
	if err != nil {
		return nil, err
	}
	now := q.now()
	ts := formatTime(now)
	created = make([]bool, len(rs))
	err = q.atomic(ctx, func(q queries) error {
		// An upsert's RETURNING cannot tell an insert from an update, but
		// ids are AUTOINCREMENT, so a row this call inserts has an id above
		// any there was before it: nobody else writes while this
		// transaction holds the one connection and the write lock.
		var maxID int64
		if err := q.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM residents`).Scan(&maxID); err != nil {
			return err
		}
		var (
			id        int64
			ref       string
			createdAt time.Time
		)
		n, err := upsertResidents.run(ctx, q, len(rs), []any{municipalityID, ts},
			func(args []any, i int) []any {
				r := rs[i]
				return append(args, r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel))
			},
			func(rows *sql.Rows) error {
				if err := rows.Scan(&id, &ref, timeScanner{&createdAt}); err != nil {
					return err
				}
				i, err := index.Index(ref)
				if err != nil {
					return err
				}
				r := rs[i]
				r.ID, r.MunicipalityID, r.CreatedAt, r.UpdatedAt = id, municipalityID, createdAt, now
				created[i] = id > maxID
				return nil
			})
		if err == nil && n != len(rs) {
			err = fmt.Errorf("%d rows returned for %d residents", n, len(rs))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// checkResidents returns ErrNotFound unless every resident in ids (each
// once) is in the municipality.
func (q queries) checkResidents(ctx context.Context, municipalityID int64, ids []int64) error {
	var found int
	err := q.db.QueryRowContext(ctx, `
		SELECT count(*) FROM residents
		WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`,
		municipalityID, idList(ids)).Scan(&found)
	if err != nil {
		return err
	}
	if found != len(ids) {
		return store.ErrNotFound
	}
	return nil
}

// upsertContacts is UpsertContacts' statement: ?1 the municipality, ?2 the
// time.
var upsertContacts = &valuesStmt{
	head:   `INSERT INTO contacts (municipality_id, created_at, updated_at, resident_id, channel, address, consent, opted_out, failed)`,
	prefix: "?1, ?2, ?2",
	perRow: 6,
	tail: contactConflictSQL + `
		RETURNING id, resident_id, channel, failed, created_at`,
}

// upsertContacts is UpsertContacts of store.Queries but for the flags (flags.go).
func (q queries) upsertContacts(ctx context.Context, municipalityID int64, cs []*kigen.Contact) (err error) {
	defer wrap(&err, "UpsertContacts(municipality %d, %d contacts)", municipalityID, len(cs))
	if len(cs) == 0 {
		return nil
	}
	index, residentIDs, err := store.ContactsBulk(cs)
	if err != nil {
		return err
	}
	now := q.now()
	ts := formatTime(now)
	return q.atomic(ctx, func(q queries) error {
		if err := q.checkResidents(ctx, municipalityID, residentIDs); err != nil {
			return err
		}
		var (
			id        int64
			k         store.OwnedKey[kigen.Channel]
			channel   string
			failed    bool
			createdAt time.Time
		)
		n, err := upsertContacts.run(ctx, q, len(cs), []any{municipalityID, ts},
			func(args []any, i int) []any {
				c := cs[i]
				return append(args, c.ResidentID, string(c.Channel), c.Address, c.Consent, c.OptedOut, c.Failed)
			},
			func(rows *sql.Rows) error {
				if err := rows.Scan(&id, &k.ResidentID, &channel, &failed, timeScanner{&createdAt}); err != nil {
					return err
				}
				k.Kind = kigen.Channel(channel)
				i, err := index.Index(k)
				if err != nil {
					return err
				}
				c := cs[i]
				c.ID, c.Failed, c.CreatedAt, c.UpdatedAt = id, failed, createdAt, now
				return nil
			})
		if err == nil && n != len(cs) {
			err = fmt.Errorf("%d rows returned for %d contacts", n, len(cs))
		}
		return err
	})
}

// upsertCards is UpsertCards' statement: ?1 the municipality, ?2 the time.
var upsertCards = &valuesStmt{
	head:   `INSERT INTO cards (municipality_id, created_at, updated_at, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, sent_for)`,
	prefix: "?1, ?2, ?2",
	perRow: 6, // the expiry twice: a new card has no notices for it (sent_for)
	tail: cardConflictSQL + `
		RETURNING id, resident_id, kind, renewal_applied_on, created_at`,
}

// upsertCards is UpsertCards of store.Queries but for the flags (flags.go).
func (q queries) upsertCards(ctx context.Context, municipalityID int64, cs []*kigen.Card) (err error) {
	defer wrap(&err, "UpsertCards(municipality %d, %d cards)", municipalityID, len(cs))
	if len(cs) == 0 {
		return nil
	}
	index, residentIDs, err := store.CardsBulk(cs)
	if err != nil {
		return err
	}
	now := q.now()
	ts := formatTime(now)
	return q.atomic(ctx, func(q queries) error {
		if err := q.checkResidents(ctx, municipalityID, residentIDs); err != nil {
			return err
		}
		var (
			id        int64
			k         store.OwnedKey[kigen.CardKind]
			kind      string
			renewal   kigen.Date
			createdAt time.Time
		)
		n, err := upsertCards.run(ctx, q, len(cs), []any{municipalityID, ts},
			func(args []any, i int) []any {
				c := cs[i]
				return append(args, c.ResidentID, string(c.Kind),
					dateValue(c.ExpiresOn), dateValue(c.RenewalAppliedOn), dateValue(c.NextNoticeOn), dateValue(c.ExpiresOn))
			},
			func(rows *sql.Rows) error {
				if err := rows.Scan(&id, &k.ResidentID, &kind, &renewal, timeScanner{&createdAt}); err != nil {
					return err
				}
				k.Kind = kigen.CardKind(kind)
				i, err := index.Index(k)
				if err != nil {
					return err
				}
				c := cs[i]
				c.ID, c.RenewalAppliedOn, c.CreatedAt, c.UpdatedAt = id, renewal, createdAt, now
				return nil
			})
		if err == nil && n != len(cs) {
			err = fmt.Errorf("%d rows returned for %d cards", n, len(cs))
		}
		return err
	})
}
