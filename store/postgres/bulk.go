package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// The plural upserts are what `kigen import` writes a batch with: one
// statement each, whatever the batch size, the rows passed as one array
// parameter per column and spread back into rows by unnest. One statement
// is atomic on the Store and in a Tx alike, and a resident of another
// municipality makes it write nothing (no row, no error that would abort
// an enclosing transaction). RETURNING gives rows in no set order, so the
// results are matched back to the inputs by their conflict key.

// listResidentsByRefSQL looks each ref up in the (municipality_id, ref)
// index. Written as "ref = ANY($2)", the generic plan PostgreSQL settles on
// for a prepared statement read the municipality's every resident and
// compared each with every ref: a cost that grows with the municipality.
// The LIMIT keeps the lateral subquery from being flattened into a join
// the planner could turn back into that scan.
const listResidentsByRefSQL = `
SELECT r.* FROM (SELECT DISTINCT unnest($2::text[]) AS ref) AS u,
LATERAL (SELECT ` + residentColumns + ` FROM residents
         WHERE municipality_id = $1 AND ref = u.ref LIMIT 1) AS r
ORDER BY r.id`

func (q queries) ListResidentsByRef(ctx context.Context, municipalityID int64, refs ...string) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListResidentsByRef(%d)", municipalityID) // refs may identify people
	if len(refs) == 0 {
		return nil, nil
	}
	if len(refs) == 1 {
		// One ref (a resident at the counter or signing up): a
		// statement whose generic plan PostgreSQL settles on, where the
		// array's was planned again each time (its estimate: ten refs).
		rows, _ := q.db.Query(ctx, `SELECT `+residentColumns+` FROM residents WHERE municipality_id = $1 AND ref = $2`, municipalityID, refs[0])
		return collect(rows, scanResident)
	}
	rows, _ := q.db.Query(ctx, listResidentsByRefSQL, municipalityID, refs)
	return collect(rows, scanResident)
}

// upsertResidentsSQL is upsertResidentSQL over arrays: it inserts nothing
// unless the municipality exists.
const upsertResidentsSQL = `
INSERT INTO residents (municipality_id, ref, name, language, status, channel, created_at, updated_at)
SELECT m.id, i.ref, i.name, i.language, i.status, i.channel, $7, $7
FROM municipalities m, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS i (ref, name, language, status, channel)
WHERE m.id = $1` + residentConflictSQL + `
RETURNING id, ref, created_at, (xmax = 0)`

func (q queries) upsertResidents(ctx context.Context, municipalityID int64, rs []*kigen.Resident) (created []bool, err error) {
	defer wrap(&err, "UpsertResidents(municipality %d, %d residents)", municipalityID, len(rs))
	if len(rs) == 0 {
		return nil, nil
	}
	index, err := store.ResidentsBulk(rs)
	if err != nil {
		return nil, err
	}
	var (
		refs      = make([]string, len(rs))
		names     = make([]string, len(rs))
		languages = make([]string, len(rs))
		statuses  = make([]string, len(rs))
		channels  = make([]string, len(rs))
	)
	for i, r := range rs {
		refs[i], names[i], languages[i], statuses[i], channels[i] =
			r.Ref, r.Name, string(r.Language), string(r.Status), string(r.Channel)
	}
	now := q.now()
	rows, err := q.db.Query(ctx, upsertResidentsSQL, municipalityID, refs, names, languages, statuses, channels, now)
	if err != nil {
		return nil, err
	}
	created = make([]bool, len(rs))
	var (
		id        int64
		ref       string
		createdAt time.Time
		isNew     bool
	)
	n, err := forEachRow(rows, []any{&id, &ref, &createdAt, &isNew}, func() error {
		i, err := index.Index(ref)
		if err != nil {
			return err
		}
		r := rs[i]
		r.ID, r.MunicipalityID, r.CreatedAt, r.UpdatedAt = id, municipalityID, createdAt.UTC(), now
		created[i] = isNew
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n != len(rs) {
		return nil, store.ErrNotFound // no municipality: no row
	}
	return created, nil
}

// ownedSQL is the guard of the contact and card upserts: true when every
// resident in $2 (distinct IDs) is in municipality $1. Each ID is looked up
// by primary key: the EXISTS is correlated, and inside an aggregate, so it
// cannot become a join. (Written as "count(*) ... WHERE municipality_id =
// $1 AND id = ANY($2)", the generic plan read the municipality's every
// resident and compared each with every ID: 170 ms a batch once the
// municipality had 50,000 residents.) "municipality_id + 0" cannot use an
// index: a planner whose statistics say the table is nearly empty could
// otherwise take the (municipality_id, ref) index and filter by ID
// (refreshFlagsSQL).
const ownedSQL = `(SELECT bool_and(EXISTS (SELECT FROM residents r WHERE r.id = u.id AND r.municipality_id + 0 = $1))
       FROM unnest($2::bigint[]) AS u (id))`

// upsertContactsSQL is upsertContactSQL over arrays, guarded by ownedSQL.
const upsertContactsSQL = `
INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at)
SELECT $1, i.resident_id, i.channel, i.address, i.consent, i.opted_out, i.failed, $9, $9
FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bool[], $7::bool[], $8::bool[])
    AS i (resident_id, channel, address, consent, opted_out, failed)
WHERE ` + ownedSQL + contactConflictSQL + `
RETURNING id, resident_id, channel, created_at, failed`

func (q queries) upsertContacts(ctx context.Context, municipalityID int64, cs []*kigen.Contact) (err error) {
	defer wrap(&err, "UpsertContacts(municipality %d, %d contacts)", municipalityID, len(cs))
	if len(cs) == 0 {
		return nil
	} else if len(cs) == 1 {
		// One contact (a resident at the counter or signing up): a
		// statement PostgreSQL keeps the generic plan of, where the
		// arrays' was planned again each time (unnest's estimate: a
		// hundred rows).
		return q.upsertContact(ctx, municipalityID, cs[0])
	}
	index, owners, err := store.ContactsBulk(cs)
	if err != nil {
		return err
	}
	var (
		residentIDs = make([]int64, len(cs))
		channels    = make([]string, len(cs))
		addresses   = make([]string, len(cs))
		consents    = make([]bool, len(cs))
		optedOuts   = make([]bool, len(cs))
		faileds     = make([]bool, len(cs))
	)
	for i, c := range cs {
		residentIDs[i], channels[i], addresses[i] = c.ResidentID, string(c.Channel), c.Address
		consents[i], optedOuts[i], faileds[i] = c.Consent, c.OptedOut, c.Failed
	}
	now := q.now()
	rows, err := q.db.Query(ctx, upsertContactsSQL, municipalityID, owners,
		residentIDs, channels, addresses, consents, optedOuts, faileds, now)
	if err != nil {
		return err
	}
	var (
		id        int64
		k         store.OwnedKey[kigen.Channel]
		channel   string
		createdAt time.Time
		failed    bool
	)
	n, err := forEachRow(rows, []any{&id, &k.ResidentID, &channel, &createdAt, &failed}, func() error {
		k.Kind = kigen.Channel(channel)
		i, err := index.Index(k)
		if err != nil {
			return err
		}
		c := cs[i]
		c.ID, c.Failed, c.CreatedAt, c.UpdatedAt = id, failed, createdAt.UTC(), now
		return nil
	})
	if err != nil {
		return err
	}
	if n != len(cs) {
		return store.ErrNotFound // a resident not in the municipality: no row
	}
	return nil
}

// upsertCardsSQL is upsertCardSQL over arrays, guarded by ownedSQL.
var upsertCardsSQL = `
INSERT INTO cards (municipality_id, resident_id, kind, expires_on, renewal_applied_on, next_notice_on, created_at, updated_at, sent_for)
SELECT $1, i.resident_id, i.kind, i.expires_on, i.renewal_applied_on, i.next_notice_on, $8, $8, i.expires_on
FROM unnest($3::bigint[], $4::text[], $5::date[], $6::date[], $7::date[])
    AS i (resident_id, kind, expires_on, renewal_applied_on, next_notice_on)
WHERE ` + ownedSQL + cardConflictSQL + `
RETURNING id, resident_id, kind, created_at, renewal_applied_on`

func (q queries) upsertCards(ctx context.Context, municipalityID int64, cs []*kigen.Card) (err error) {
	defer wrap(&err, "UpsertCards(municipality %d, %d cards)", municipalityID, len(cs))
	if len(cs) == 0 {
		return nil
	}
	index, owners, err := store.CardsBulk(cs)
	if err != nil {
		return err
	}
	var (
		residentIDs = make([]int64, len(cs))
		kinds       = make([]string, len(cs))
		expires     = make([]pgtype.Date, len(cs))
		applied     = make([]pgtype.Date, len(cs))
		next        = make([]pgtype.Date, len(cs))
	)
	for i, c := range cs {
		residentIDs[i], kinds[i] = c.ResidentID, string(c.Kind)
		expires[i], applied[i], next[i] = dateArg(c.ExpiresOn), dateArg(c.RenewalAppliedOn), dateArg(c.NextNoticeOn)
	}
	now := q.now()
	rows, err := q.db.Query(ctx, upsertCardsSQL, municipalityID, owners,
		residentIDs, kinds, expires, applied, next, now)
	if err != nil {
		return err
	}
	var (
		id        int64
		k         store.OwnedKey[kigen.CardKind]
		kind      string
		createdAt time.Time
		renewal   kigen.Date
	)
	n, err := forEachRow(rows, []any{&id, &k.ResidentID, &kind, &createdAt, &renewal}, func() error {
		k.Kind = kigen.CardKind(kind)
		i, err := index.Index(k)
		if err != nil {
			return err
		}
		c := cs[i]
		c.ID, c.RenewalAppliedOn, c.CreatedAt, c.UpdatedAt = id, renewal, createdAt.UTC(), now
		return nil
	})
	if err != nil {
		return err
	}
	if n != len(cs) {
		return store.ErrNotFound // a resident not in the municipality: no row
	}
	return nil
}

// forEachRow scans each row of rows into dest and calls fn, and returns the
// number of rows. It closes rows.
func forEachRow(rows pgx.Rows, dest []any, fn func() error) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		if err := fn(); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
