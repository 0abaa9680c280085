package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"kigen"
	"kigen/store"
)

const signupColumns = `id, municipality_id, kind, resident_id, channel, address, address_key, client_key, language, fields,
nonce, token_hash, state, attempts, duplicate_of, created_at, expires_at, sent_at, confirmed_at`

func scanSignup(row rowScanner) (*store.Signup, error) {
	var (
		p                    store.Signup
		rid, dup             sql.NullInt64
		kind, ch, lang, stat string
	)
	if err := row.Scan(&p.ID, &p.MunicipalityID, &kind, &rid, &ch, &p.Address, &p.AddressKey, &p.ClientKey, &lang, &p.Fields,
		&p.Nonce, &p.TokenHash, &stat, &p.Attempts, &dup, timeScanner{&p.CreatedAt}, timeScanner{&p.ExpiresAt},
		nullTimeScanner{&p.SentAt}, nullTimeScanner{&p.ConfirmedAt}); err != nil {
		return nil, err
	}
	p.Kind, p.Channel, p.Language, p.State = store.SignupKind(kind), kigen.Channel(ch), kigen.Language(lang), store.SignupState(stat)
	p.ResidentID, p.DuplicateOf = rid.Int64, dup.Int64
	return &p, nil
}

// nullBytes returns b, or NULL for an empty b.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// LockSignups implements store.Queries: nothing, SQLite has one writer at
// a time.
func (q queries) LockSignups(context.Context, string) error { return nil }

// ReserveSignup implements store.Queries: in one write transaction (the
// caller's, in a Tx), the counts are read, and written only if all stay
// within their limits.
func (q queries) ReserveSignup(ctx context.Context, day time.Time, ls []store.SignupLimit) (refused int, err error) {
	defer wrap(&err, "ReserveSignup")
	d := day.Format(time.DateOnly)
	refused = -1
	err = q.atomic(ctx, func(q queries) error {
		refused = -1
		for i, l := range ls {
			var n int
			err := q.db.QueryRowContext(ctx, `SELECT n FROM signup_counts WHERE day = ? AND key = ?`, d, l.Key).Scan(&n)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if n+1 > l.Limit {
				refused = i
				return nil
			}
		}
		for _, l := range ls {
			if _, err := q.db.ExecContext(ctx, `INSERT INTO signup_counts (day, key, n) VALUES (?, ?, 1)
				ON CONFLICT (day, key) DO UPDATE SET n = n + 1`, d, l.Key); err != nil {
				return err
			}
		}
		return nil
	})
	return refused, err
}

// CreateSignup implements store.Queries.
func (q queries) CreateSignup(ctx context.Context, p *store.Signup) (err error) {
	defer wrap(&err, "CreateSignup")
	at := q.stamp(p.CreatedAt)
	if p.ResidentID != 0 {
		var ok bool
		if err := q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM residents WHERE id = ? AND municipality_id = ?)`,
			p.ResidentID, p.MunicipalityID).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
	}
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO signups (municipality_id, kind, resident_id, channel, address, address_key, client_key, language, fields,
			nonce, token_hash, state, attempts, duplicate_of, created_at, expires_at, sent_at, confirmed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		p.MunicipalityID, string(p.Kind), nullID(p.ResidentID), string(p.Channel), p.Address, p.AddressKey, p.ClientKey,
		string(p.Language), p.Fields, p.Nonce, nullBytes(p.TokenHash), string(p.State), p.Attempts, nullID(p.DuplicateOf),
		formatTime(at), formatTime(p.ExpiresAt), nullTime(p.SentAt), nullTime(p.ConfirmedAt)).Scan(&p.ID)
	if err != nil {
		return err
	}
	p.CreatedAt = at
	return nil
}

// GetSignup implements store.Queries.
func (q queries) GetSignup(ctx context.Context, id int64) (_ *store.Signup, err error) {
	defer wrap(&err, "GetSignup(%d)", id)
	return scanSignup(q.db.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups WHERE id = ?`, id))
}

// GetSignupByToken implements store.Queries.
func (q queries) GetSignupByToken(ctx context.Context, hash []byte) (_ *store.Signup, err error) {
	defer wrap(&err, "GetSignupByToken")
	if len(hash) == 0 {
		return nil, store.ErrNotFound
	}
	return scanSignup(q.db.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups WHERE token_hash = ?`, hash))
}

// UpdateSignup implements store.Queries.
func (q queries) UpdateSignup(ctx context.Context, p *store.Signup) (err error) {
	defer wrap(&err, "UpdateSignup(%d)", p.ID)
	return mustAffect(q.db.ExecContext(ctx, `
		UPDATE signups SET address = ?, fields = ?, state = ?, attempts = ?, resident_id = ?, duplicate_of = ?,
			sent_at = ?, confirmed_at = ?
		WHERE id = ?`,
		p.Address, p.Fields, string(p.State), p.Attempts, nullID(p.ResidentID), nullID(p.DuplicateOf),
		nullTime(p.SentAt), nullTime(p.ConfirmedAt), p.ID))
}

// AttemptSignup implements store.Queries.
func (q queries) AttemptSignup(ctx context.Context, id int64) (_ int, err error) {
	defer wrap(&err, "AttemptSignup(%d)", id)
	var n int
	err = q.db.QueryRowContext(ctx, `UPDATE signups SET attempts = attempts + 1 WHERE id = ? RETURNING attempts`, id).Scan(&n)
	return n, err
}

// CountSignups implements store.Queries.
func (q queries) CountSignups(ctx context.Context, f store.SignupFilter) (_ int, err error) {
	defer wrap(&err, "CountSignups")
	var n int
	err = q.db.QueryRowContext(ctx, `
		SELECT count(*) FROM signups
		WHERE created_at >= ?1
		  AND (?2 = 0 OR municipality_id = ?2)
		  AND (?3 = '' OR channel = ?3)
		  AND (?4 IS NULL OR address_key = ?4)
		  AND (?5 = '' OR client_key = ?5)
		  AND (NOT ?6 OR sent_at IS NOT NULL)`,
		formatTime(f.Since), f.MunicipalityID, string(f.Channel), nullBytes(f.AddressKey), f.ClientKey, f.Sent).Scan(&n)
	return n, err
}

// CountSignupsEach implements store.Queries: SQLite is in the process,
// one statement each costs no round trip.
func (q queries) CountSignupsEach(ctx context.Context, fs []store.SignupFilter) ([]int, error) {
	out := make([]int, len(fs))
	for i, f := range fs {
		n, err := q.CountSignups(ctx, f)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// ListSignups implements store.Queries.
func (q queries) ListSignups(ctx context.Context, municipalityID int64, state store.SignupState, limit int) (_ []*store.Signup, err error) {
	defer wrap(&err, "ListSignups(%d, %s)", municipalityID, state)
	return queryAll(ctx, q.db, scanSignup, `SELECT `+signupColumns+` FROM signups WHERE municipality_id = ? AND state = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, municipalityID, string(state), limit)
}

// ForgetSignups implements store.Queries.
func (q queries) ForgetSignups(ctx context.Context, before, deleteBefore time.Time) (_ int, err error) {
	defer wrap(&err, "ForgetSignups")
	var n int64
	err = q.atomic(ctx, func(q queries) error {
		res, err := q.db.ExecContext(ctx, `
			UPDATE signups SET address = '', fields = '', state = CASE WHEN state = 'pending' THEN 'expired' ELSE state END
			WHERE expires_at < ? AND (address <> '' OR fields <> '') AND state IN ('pending', 'expired', 'confirmed')`, formatTime(before))
		if err != nil {
			return err
		}
		a, _ := res.RowsAffected()
		if _, err := q.db.ExecContext(ctx, `DELETE FROM signup_counts WHERE day <= ?`,
			before.UTC().AddDate(0, 0, -2).Format(time.DateOnly)); err != nil {
			return err
		}
		res, err = q.db.ExecContext(ctx, `DELETE FROM signups WHERE created_at < ? AND state <> 'duplicate'`, formatTime(deleteBefore))
		if err != nil {
			return err
		}
		b, _ := res.RowsAffected()
		n = a + b
		return nil
	})
	return int(n), err
}

// CreateResidentToken implements store.Queries.
func (q queries) CreateResidentToken(ctx context.Context, t *store.ResidentToken) (err error) {
	defer wrap(&err, "CreateResidentToken")
	at := q.stamp(t.CreatedAt)
	var ok bool
	if err := q.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM residents WHERE id = ? AND municipality_id = ?)`,
		t.ResidentID, t.MunicipalityID).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return store.ErrNotFound
	}
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO resident_tokens (hash, municipality_id, resident_id, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Hash, t.MunicipalityID, t.ResidentID, formatTime(at), formatTime(t.ExpiresAt), nullTime(t.RevokedAt)).Scan(&t.ID)
	if err != nil {
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
	var t store.ResidentToken
	err = q.db.QueryRowContext(ctx, `SELECT id, hash, municipality_id, resident_id, created_at, expires_at, revoked_at
		FROM resident_tokens WHERE hash = ?`, hash).
		Scan(&t.ID, &t.Hash, &t.MunicipalityID, &t.ResidentID, timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt},
			nullTimeScanner{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// RevokeResidentTokens implements store.Queries.
func (q queries) RevokeResidentTokens(ctx context.Context, municipalityID, residentID int64, at time.Time) (_ int, err error) {
	defer wrap(&err, "RevokeResidentTokens(%d, %d)", municipalityID, residentID)
	res, err := q.db.ExecContext(ctx, `UPDATE resident_tokens SET revoked_at = ?
		WHERE municipality_id = ? AND resident_id = ? AND revoked_at IS NULL`, formatTime(at), municipalityID, residentID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SetResidentSource implements store.Queries.
func (q queries) SetResidentSource(ctx context.Context, municipalityID, residentID int64, source store.ResidentSource) (err error) {
	defer wrap(&err, "SetResidentSource(%d, %d)", municipalityID, residentID)
	return mustAffect(q.db.ExecContext(ctx, `UPDATE residents SET source = ? WHERE municipality_id = ? AND id = ?`,
		string(source), municipalityID, residentID))
}

// ResidentSources implements store.Queries.
func (q queries) ResidentSources(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ map[int64]store.ResidentSource, err error) {
	defer wrap(&err, "ResidentSources(%d)", municipalityID)
	out := make(map[int64]store.ResidentSource, len(residentIDs))
	type row struct {
		id  int64
		src string
	}
	rows, err := queryAll(ctx, q.db, func(r rowScanner) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.src)
		return x, err
	}, `SELECT id, source FROM residents WHERE municipality_id = ? AND id IN (SELECT value FROM json_each(?))`,
		municipalityID, idList(residentIDs))
	for _, x := range rows {
		out[x.id] = store.ResidentSource(x.src)
	}
	return out, err
}
