package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

const signupColumns = `id, municipality_id, kind, resident_id, channel, address, address_key, client_key, language, fields,
nonce, token_hash, state, attempts, duplicate_of, created_at, expires_at, sent_at, confirmed_at`

func scanSignup(row pgx.CollectableRow) (*store.Signup, error) {
	var (
		p                    store.Signup
		rid, dup             pgtype.Int8
		sent, confirmed      pgtype.Timestamptz
		kind, ch, lang, stat string
	)
	err := row.Scan(&p.ID, &p.MunicipalityID, &kind, &rid, &ch, &p.Address, &p.AddressKey, &p.ClientKey, &lang, &p.Fields,
		&p.Nonce, &p.TokenHash, &stat, &p.Attempts, &dup, &p.CreatedAt, &p.ExpiresAt, &sent, &confirmed)
	p.Kind, p.Channel, p.Language, p.State = store.SignupKind(kind), kigen.Channel(ch), kigen.Language(lang), store.SignupState(stat)
	p.ResidentID, p.DuplicateOf = rid.Int64, dup.Int64
	p.CreatedAt, p.ExpiresAt, p.SentAt, p.ConfirmedAt = p.CreatedAt.UTC(), p.ExpiresAt.UTC(), timeOf(sent), timeOf(confirmed)
	return &p, err
}

// LockSignups implements store.Queries: a transaction-scoped advisory
// lock on the key's hash (two keys may share one: they wait for each
// other, no more).
func (q queries) LockSignups(ctx context.Context, key string) (err error) {
	defer wrap(&err, "LockSignups")
	_, err = q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('kigen.signups'), hashtext($1))`, key)
	return err
}

// ReserveSignup implements store.Queries: one statement
// (kigen_reserve_signup, migration 021), its own transaction (a
// subtransaction in a Tx), whose counts are taken back if one went over.
// On its own it commits without waiting for the WAL flush, so the hot rows
// (the budgets) are locked for the statement only. Still exact: the
// sign-up's own commit, later in the WAL and synchronous, flushes this one
// too, so no sign-up outlives a crash without its count. (Not in a
// caller's Tx: the setting would outlast the statement.)
func (q queries) ReserveSignup(ctx context.Context, day time.Time, ls []store.SignupLimit) (refused int, err error) {
	defer wrap(&err, "ReserveSignup")
	if len(ls) == 0 {
		return -1, nil
	}
	keys, limits := make([]string, len(ls)), make([]int32, len(ls))
	for i, l := range ls {
		keys[i], limits[i] = l.Key, int32(min(l.Limit, math.MaxInt32))
	}
	_, inTx := q.db.(pgx.Tx)
	err = q.db.QueryRow(ctx, `SELECT kigen_reserve_signup($1::date, $2, $3, $4)`, day.Format(time.DateOnly), keys, limits, !inTx).Scan(&refused)
	return refused, err
}

// createSignupSQL inserts nothing for a municipality or resident that
// does not exist, and nothing for a token hash taken, rather than fail and
// abort the caller's transaction.
const createSignupSQL = `
INSERT INTO signups (municipality_id, kind, resident_id, channel, address, address_key, client_key, language, fields,
    nonce, token_hash, state, attempts, duplicate_of, created_at, expires_at, sent_at, confirmed_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18
WHERE EXISTS (SELECT 1 FROM municipalities WHERE id = $1)
  AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM residents WHERE id = $3 AND municipality_id = $1))
ON CONFLICT (token_hash) DO NOTHING
RETURNING id`

// CreateSignup implements store.Queries.
func (q queries) CreateSignup(ctx context.Context, p *store.Signup) (err error) {
	defer wrap(&err, "CreateSignup")
	at := stored(p.CreatedAt)
	if p.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, createSignupSQL, p.MunicipalityID, string(p.Kind), nullID(p.ResidentID), string(p.Channel), p.Address,
		p.AddressKey, p.ClientKey, string(p.Language), p.Fields, p.Nonce, nullBytes(p.TokenHash), string(p.State), p.Attempts,
		nullID(p.DuplicateOf), at, stored(p.ExpiresAt), nullTime(p.SentAt), nullTime(p.ConfirmedAt)).Scan(&p.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		var taken bool
		if len(p.TokenHash) > 0 {
			if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signups WHERE token_hash = $1)`, p.TokenHash).Scan(&taken); err != nil {
				return err
			}
		}
		if taken {
			return store.ErrConflict
		}
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	p.CreatedAt = at
	return nil
}

// nullBytes returns b, or NULL for an empty b.
func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// GetSignup implements store.Queries.
func (q queries) GetSignup(ctx context.Context, id int64) (_ *store.Signup, err error) {
	defer wrap(&err, "GetSignup(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+signupColumns+` FROM signups WHERE id = $1`, id)
	return pgx.CollectExactlyOneRow(rows, scanSignup)
}

// GetSignupByToken implements store.Queries.
func (q queries) GetSignupByToken(ctx context.Context, hash []byte) (_ *store.Signup, err error) {
	defer wrap(&err, "GetSignupByToken")
	if len(hash) == 0 {
		return nil, store.ErrNotFound
	}
	rows, _ := q.db.Query(ctx, `SELECT `+signupColumns+` FROM signups WHERE token_hash = $1`, hash)
	return pgx.CollectExactlyOneRow(rows, scanSignup)
}

// UpdateSignup implements store.Queries.
func (q queries) UpdateSignup(ctx context.Context, p *store.Signup) (err error) {
	defer wrap(&err, "UpdateSignup(%d)", p.ID)
	tag, err := q.db.Exec(ctx, `
		UPDATE signups SET address = $2, fields = $3, state = $4, attempts = $5, resident_id = $6, duplicate_of = $7,
			sent_at = $8, confirmed_at = $9
		WHERE id = $1`,
		p.ID, p.Address, p.Fields, string(p.State), p.Attempts, nullID(p.ResidentID), nullID(p.DuplicateOf),
		nullTime(p.SentAt), nullTime(p.ConfirmedAt))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// AttemptSignup implements store.Queries.
func (q queries) AttemptSignup(ctx context.Context, id int64) (_ int, err error) {
	defer wrap(&err, "AttemptSignup(%d)", id)
	var n int
	err = q.db.QueryRow(ctx, `UPDATE signups SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts`, id).Scan(&n)
	return n, err
}

// CountSignups implements store.Queries.
func (q queries) CountSignups(ctx context.Context, f store.SignupFilter) (_ int, err error) {
	defer wrap(&err, "CountSignups")
	var n int
	err = q.db.QueryRow(ctx, `
		SELECT count(*) FROM signups
		WHERE created_at >= $1
		  AND ($2::bigint = 0 OR municipality_id = $2)
		  AND ($3::text = '' OR channel = $3)
		  AND ($4::bytea IS NULL OR address_key = $4)
		  AND ($5::text = '' OR client_key = $5)
		  AND (NOT $6::boolean OR sent_at IS NOT NULL)`,
		stored(f.Since), f.MunicipalityID, string(f.Channel), nullBytes(f.AddressKey), f.ClientKey, f.Sent).Scan(&n)
	return n, err
}

// countSignupSQL is the condition of CountSignups, its parameters
// numbered from $n.
func countSignupSQL(n int) string {
	return fmt.Sprintf(`(SELECT count(*) FROM signups
		WHERE created_at >= $%d
		  AND ($%d::bigint = 0 OR municipality_id = $%d)
		  AND ($%d::text = '' OR channel = $%d)
		  AND ($%d::bytea IS NULL OR address_key = $%d)
		  AND ($%d::text = '' OR client_key = $%d)
		  AND (NOT $%d::boolean OR sent_at IS NOT NULL))`, n, n+1, n+1, n+2, n+2, n+3, n+3, n+4, n+4, n+5)
}

// CountSignupsEach implements store.Queries: one statement of scalar
// subqueries.
func (q queries) CountSignupsEach(ctx context.Context, fs []store.SignupFilter) (_ []int, err error) {
	defer wrap(&err, "CountSignupsEach")
	if len(fs) == 0 {
		return []int{}, nil
	}
	var (
		b    strings.Builder
		args []any
	)
	b.WriteString("SELECT ")
	for i, f := range fs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(countSignupSQL(len(args) + 1))
		args = append(args, stored(f.Since), f.MunicipalityID, string(f.Channel), nullBytes(f.AddressKey), f.ClientKey, f.Sent)
	}
	out := make([]int, len(fs))
	dst := make([]any, len(fs))
	for i := range out {
		dst[i] = &out[i]
	}
	return out, q.db.QueryRow(ctx, b.String(), args...).Scan(dst...)
}

// ListSignups implements store.Queries.
func (q queries) ListSignups(ctx context.Context, municipalityID int64, state store.SignupState, limit int) (_ []*store.Signup, err error) {
	defer wrap(&err, "ListSignups(%d, %s)", municipalityID, state)
	rows, _ := q.db.Query(ctx, `SELECT `+signupColumns+` FROM signups WHERE municipality_id = $1 AND state = $2
		ORDER BY created_at DESC, id DESC LIMIT $3`, municipalityID, string(state), limit)
	return pgx.CollectRows(rows, scanSignup)
}

// ForgetSignups implements store.Queries.
func (q queries) ForgetSignups(ctx context.Context, before, deleteBefore time.Time) (_ int, err error) {
	defer wrap(&err, "ForgetSignups")
	tag, err := q.db.Exec(ctx, `
		UPDATE signups SET address = '', fields = '', state = CASE WHEN state = 'pending' THEN 'expired' ELSE state END
		WHERE expires_at < $1 AND (address <> '' OR fields <> '') AND state IN ('pending', 'expired', 'confirmed')`, stored(before))
	if err != nil {
		return 0, err
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM signup_counts WHERE day <= $1::date`,
		before.UTC().AddDate(0, 0, -2).Format(time.DateOnly)); err != nil {
		return 0, err
	}
	del, err := q.db.Exec(ctx, `DELETE FROM signups WHERE created_at < $1 AND state <> 'duplicate'`, stored(deleteBefore))
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected() + del.RowsAffected()), nil
}

// createResidentTokenSQL inserts nothing for a resident not in the
// municipality, or a hash taken.
const createResidentTokenSQL = `
INSERT INTO resident_tokens (hash, municipality_id, resident_id, created_at, expires_at, revoked_at)
SELECT $1, $2, $3, $4, $5, $6
WHERE EXISTS (SELECT 1 FROM residents WHERE id = $3 AND municipality_id = $2)
ON CONFLICT (hash) DO NOTHING
RETURNING id`

// CreateResidentToken implements store.Queries.
func (q queries) CreateResidentToken(ctx context.Context, t *store.ResidentToken) (err error) {
	defer wrap(&err, "CreateResidentToken")
	at := stored(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, createResidentTokenSQL, t.Hash, t.MunicipalityID, t.ResidentID, at, stored(t.ExpiresAt),
		nullTime(t.RevokedAt)).Scan(&t.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		var taken bool
		if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM resident_tokens WHERE hash = $1)`, t.Hash).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	t.CreatedAt = at
	return nil
}

// GetResidentToken implements store.Queries.
func (q queries) GetResidentToken(ctx context.Context, hash []byte) (_ *store.ResidentToken, err error) {
	defer wrap(&err, "GetResidentToken")
	if len(hash) == 0 {
		return nil, store.ErrNotFound
	}
	var (
		t       store.ResidentToken
		revoked pgtype.Timestamptz
	)
	err = q.db.QueryRow(ctx, `SELECT id, hash, municipality_id, resident_id, created_at, expires_at, revoked_at
		FROM resident_tokens WHERE hash = $1`, hash).
		Scan(&t.ID, &t.Hash, &t.MunicipalityID, &t.ResidentID, &t.CreatedAt, &t.ExpiresAt, &revoked)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timeOf(revoked)
	return &t, nil
}

// RevokeResidentTokens implements store.Queries.
func (q queries) RevokeResidentTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (_ int, err error) {
	defer wrap(&err, "RevokeResidentTokens(%d, %d)", municipalityID, residentID)
	tag, err := q.db.Exec(ctx, `UPDATE resident_tokens SET revoked_at = $3
		WHERE municipality_id = $1 AND resident_id = $2 AND revoked_at IS NULL`, municipalityID, residentID, stored(at))
	return int(tag.RowsAffected()), err
}

// SetResidentSource implements store.Queries.
func (q queries) SetResidentSource(ctx context.Context, municipalityID, residentID int64, source store.ResidentSource) (err error) {
	defer wrap(&err, "SetResidentSource(%d, %d)", municipalityID, residentID)
	tag, err := q.db.Exec(ctx, `UPDATE residents SET source = $3 WHERE municipality_id = $1 AND id = $2`,
		municipalityID, residentID, string(source))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// ResidentSources implements store.Queries.
func (q queries) ResidentSources(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ map[int64]store.ResidentSource, err error) {
	defer wrap(&err, "ResidentSources(%d)", municipalityID)
	out := make(map[int64]store.ResidentSource, len(residentIDs))
	rows, err := q.db.Query(ctx, `SELECT id, source FROM residents WHERE municipality_id = $1 AND id = ANY($2)`,
		municipalityID, distinct(residentIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  int64
			src string
		)
		if err := rows.Scan(&id, &src); err != nil {
			return nil, err
		}
		out[id] = store.ResidentSource(src)
	}
	return out, rows.Err()
}
