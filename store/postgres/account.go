package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen/store"
)

// nullTime returns t as a nullable timestamptz parameter: NULL for the
// zero time.
func nullTime(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: stored(t), Valid: !t.IsZero()}
}

// timeOf returns a scanned nullable timestamptz, in UTC: the zero time for
// NULL.
func timeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

const accountColumns = `id, email, role, municipality_id, password_hash, totp_secret, totp_last_step, setup_done,
locked_until, disabled_at, created_at`

func scanAccount(row pgx.CollectableRow) (*store.Account, error) {
	var (
		a               store.Account
		mid             pgtype.Int8
		locked, disable pgtype.Timestamptz
	)
	err := row.Scan(&a.ID, &a.Email, &a.Role, &mid, &a.PasswordHash, &a.TOTPSecret, &a.TOTPLastStep, &a.SetupDone,
		&locked, &disable, &a.CreatedAt)
	a.MunicipalityID, a.LockedUntil, a.DisabledAt, a.CreatedAt = mid.Int64, timeOf(locked), timeOf(disable), a.CreatedAt.UTC()
	return &a, err
}

// createAccountSQL does nothing on a taken email, and inserts nothing for
// a municipality that does not exist, rather than fail and abort the
// caller's transaction: the two are told apart afterwards.
const createAccountSQL = `
INSERT INTO accounts (email, role, municipality_id, password_hash, totp_secret, totp_last_step, setup_done,
    locked_until, disabled_at, created_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
WHERE $3::bigint IS NULL OR EXISTS (SELECT 1 FROM municipalities WHERE id = $3)
ON CONFLICT (email) DO NOTHING
RETURNING id`

// CreateAccount implements store.Queries.
func (q queries) CreateAccount(ctx context.Context, a *store.Account) (err error) {
	defer wrap(&err, "CreateAccount")
	at := stored(a.CreatedAt)
	if a.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, createAccountSQL, a.Email, a.Role, nullID(a.MunicipalityID), a.PasswordHash, a.TOTPSecret,
		a.TOTPLastStep, a.SetupDone, nullTime(a.LockedUntil), nullTime(a.DisabledAt), at).Scan(&a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		var taken bool
		if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE email = $1)`, a.Email).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return store.ErrConflict
		}
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	a.CreatedAt = at
	return nil
}

// GetAccount implements store.Queries.
func (q queries) GetAccount(ctx context.Context, id int64) (_ *store.Account, err error) {
	defer wrap(&err, "GetAccount(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	return pgx.CollectExactlyOneRow(rows, scanAccount)
}

// GetAccountByEmail implements store.Queries.
func (q queries) GetAccountByEmail(ctx context.Context, email string) (_ *store.Account, err error) {
	defer wrap(&err, "GetAccountByEmail")
	rows, _ := q.db.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = $1`, email)
	return pgx.CollectExactlyOneRow(rows, scanAccount)
}

// ListAccounts implements store.Queries. Emails are ordered bytewise, as
// SQLite does.
func (q queries) ListAccounts(ctx context.Context, municipalityID int64) (_ []*store.Account, err error) {
	defer wrap(&err, "ListAccounts(%d)", municipalityID)
	rows, _ := q.db.Query(ctx, `SELECT `+accountColumns+` FROM accounts
WHERE $1::bigint = 0 OR municipality_id = $1 ORDER BY email COLLATE "C"`, municipalityID)
	return collect(rows, scanAccount)
}

// UpdateAccount implements store.Queries.
func (q queries) UpdateAccount(ctx context.Context, a *store.Account) (err error) {
	defer wrap(&err, "UpdateAccount(%d)", a.ID)
	tag, err := q.db.Exec(ctx, `UPDATE accounts SET password_hash = $2, totp_secret = $3, setup_done = $4,
    locked_until = $5, disabled_at = $6 WHERE id = $1`,
		a.ID, a.PasswordHash, a.TOTPSecret, a.SetupDone, nullTime(a.LockedUntil), nullTime(a.DisabledAt))
	return affected(tag.RowsAffected(), err)
}

// UseTOTPStep implements store.Queries.
func (q queries) UseTOTPStep(ctx context.Context, accountID, step int64) (err error) {
	defer wrap(&err, "UseTOTPStep(%d)", accountID)
	var used bool
	err = q.db.QueryRow(ctx, `
WITH u AS (UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2 RETURNING id)
SELECT EXISTS (SELECT 1 FROM u) FROM accounts WHERE id = $1`, accountID, step).Scan(&used)
	if err == nil && !used {
		return store.ErrConflict
	}
	return err
}

// CreateSetupToken implements store.Queries.
func (q queries) CreateSetupToken(ctx context.Context, t *store.SetupToken) (err error) {
	defer wrap(&err, "CreateSetupToken(account %d)", t.AccountID)
	return q.insert(ctx, `INSERT INTO setup_tokens (hash, account_id, created_at, expires_at, used_at)
SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)
ON CONFLICT (hash) DO NOTHING RETURNING true`, `SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE hash = $1)`,
		t.Hash, t.AccountID, stored(t.CreatedAt), stored(t.ExpiresAt), nullTime(t.UsedAt))
}

// insert runs an INSERT … RETURNING that returns no row on a conflict or
// a missing parent (so as not to abort the caller's transaction), and
// tells the two apart with taken, a query of $1 alone.
func (q queries) insert(ctx context.Context, insertSQL, takenSQL string, args ...any) error {
	var ok bool
	err := q.db.QueryRow(ctx, insertSQL, args...).Scan(&ok)
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	var taken bool
	if err := q.db.QueryRow(ctx, takenSQL, args[0]).Scan(&taken); err != nil {
		return err
	}
	if taken {
		return store.ErrConflict
	}
	return store.ErrNotFound
}

// GetSetupToken implements store.Queries.
func (q queries) GetSetupToken(ctx context.Context, hash []byte) (_ *store.SetupToken, err error) {
	defer wrap(&err, "GetSetupToken")
	rows, _ := q.db.Query(ctx, `SELECT hash, account_id, created_at, expires_at, used_at FROM setup_tokens WHERE hash = $1`, hash)
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*store.SetupToken, error) {
		var (
			t    store.SetupToken
			used pgtype.Timestamptz
		)
		err := row.Scan(&t.Hash, &t.AccountID, &t.CreatedAt, &t.ExpiresAt, &used)
		t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), timeOf(used)
		return &t, err
	})
}

// UseSetupToken implements store.Queries.
func (q queries) UseSetupToken(ctx context.Context, hash []byte, at time.Time) (err error) {
	defer wrap(&err, "UseSetupToken")
	tag, err := q.db.Exec(ctx, `UPDATE setup_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL`, hash, stored(at))
	return affected(tag.RowsAffected(), err)
}

// DeleteSetupTokens implements store.Queries.
func (q queries) DeleteSetupTokens(ctx context.Context, accountID int64) (err error) {
	defer wrap(&err, "DeleteSetupTokens(%d)", accountID)
	_, err = q.db.Exec(ctx, `DELETE FROM setup_tokens WHERE account_id = $1`, accountID)
	return err
}

// CreateSession implements store.Queries.
func (q queries) CreateSession(ctx context.Context, s *store.Session) (err error) {
	defer wrap(&err, "CreateSession(account %d)", s.AccountID)
	return q.insert(ctx, `INSERT INTO sessions (hash, account_id, created_at, last_seen_at, expires_at)
SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)
ON CONFLICT (hash) DO NOTHING RETURNING true`, `SELECT EXISTS (SELECT 1 FROM sessions WHERE hash = $1)`,
		s.Hash, s.AccountID, stored(s.CreatedAt), stored(s.LastSeenAt), stored(s.ExpiresAt))
}

// GetSession implements store.Queries.
func (q queries) GetSession(ctx context.Context, hash []byte) (_ *store.Session, err error) {
	defer wrap(&err, "GetSession")
	rows, _ := q.db.Query(ctx, `SELECT hash, account_id, created_at, last_seen_at, expires_at FROM sessions WHERE hash = $1`, hash)
	return pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*store.Session, error) {
		var s store.Session
		err := row.Scan(&s.Hash, &s.AccountID, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
		s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
		return &s, err
	})
}

// TouchSession implements store.Queries.
func (q queries) TouchSession(ctx context.Context, hash []byte, at time.Time) (err error) {
	defer wrap(&err, "TouchSession")
	tag, err := q.db.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE hash = $1`, hash, stored(at))
	return affected(tag.RowsAffected(), err)
}

// DeleteSession implements store.Queries.
func (q queries) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer wrap(&err, "DeleteSession")
	tag, err := q.db.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash)
	return affected(tag.RowsAffected(), err)
}

// DeleteAccountSessions implements store.Queries.
func (q queries) DeleteAccountSessions(ctx context.Context, accountID int64) (_ int, err error) {
	defer wrap(&err, "DeleteAccountSessions(%d)", accountID)
	tag, err := q.db.Exec(ctx, `DELETE FROM sessions WHERE account_id = $1`, accountID)
	return int(tag.RowsAffected()), err
}

// DeleteExpiredSessions implements store.Queries.
func (q queries) DeleteExpiredSessions(ctx context.Context, at, idleSince time.Time) (_ int, err error) {
	defer wrap(&err, "DeleteExpiredSessions")
	tag, err := q.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, stored(at), stored(idleSince))
	return int(tag.RowsAffected()), err
}

// CreateLoginFailure implements store.Queries.
func (q queries) CreateLoginFailure(ctx context.Context, f store.LoginFailure) (err error) {
	defer wrap(&err, "CreateLoginFailure(account %d)", f.AccountID)
	var ok bool
	err = q.db.QueryRow(ctx, `INSERT INTO login_failures (account_id, client_key, at)
SELECT $1, $2, $3 WHERE $1::bigint IS NULL OR EXISTS (SELECT 1 FROM accounts WHERE id = $1) RETURNING true`,
		nullID(f.AccountID), f.ClientKey, stored(f.At)).Scan(&ok)
	return err // no row: ErrNotFound
}

// CountLoginFailures implements store.Queries.
func (q queries) CountLoginFailures(ctx context.Context, f store.LoginFailureFilter) (n int, err error) {
	defer wrap(&err, "CountLoginFailures")
	err = q.db.QueryRow(ctx, `SELECT count(*) FROM login_failures
WHERE ($1::bigint = 0 OR account_id = $1) AND ($2 = '' OR client_key = $2) AND at >= $3`,
		f.AccountID, f.ClientKey, stored(f.Since)).Scan(&n)
	return n, err
}

// DeleteLoginFailures implements store.Queries.
func (q queries) DeleteLoginFailures(ctx context.Context, accountID int64) (err error) {
	defer wrap(&err, "DeleteLoginFailures(%d)", accountID)
	_, err = q.db.Exec(ctx, `DELETE FROM login_failures WHERE account_id = $1`, accountID)
	return err
}

// DeleteLoginFailuresBefore implements store.Queries.
func (q queries) DeleteLoginFailuresBefore(ctx context.Context, before time.Time) (_ int, err error) {
	defer wrap(&err, "DeleteLoginFailuresBefore")
	tag, err := q.db.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, stored(before))
	return int(tag.RowsAffected()), err
}

const apiTokenColumns = `id, hash, name, municipality_id, scope, created_by, created_at, last_used_at, revoked_at`

func scanAPIToken(row pgx.CollectableRow) (*store.APIToken, error) {
	var (
		t             store.APIToken
		used, revoked pgtype.Timestamptz
	)
	err := row.Scan(&t.ID, &t.Hash, &t.Name, &t.MunicipalityID, &t.Scope, &t.CreatedBy, &t.CreatedAt, &used, &revoked)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = t.CreatedAt.UTC(), timeOf(used), timeOf(revoked)
	return &t, err
}

// CreateAPIToken implements store.Queries.
func (q queries) CreateAPIToken(ctx context.Context, t *store.APIToken) (err error) {
	defer wrap(&err, "CreateAPIToken(municipality %d)", t.MunicipalityID)
	at := stored(t.CreatedAt)
	if t.CreatedAt.IsZero() {
		at = q.now()
	}
	err = q.db.QueryRow(ctx, `INSERT INTO api_tokens (hash, name, municipality_id, scope, created_by, created_at, last_used_at, revoked_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM municipalities WHERE id = $3)
ON CONFLICT (hash) DO NOTHING RETURNING id`,
		t.Hash, t.Name, t.MunicipalityID, t.Scope, t.CreatedBy, at, nullTime(t.LastUsedAt), nullTime(t.RevokedAt)).Scan(&t.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		var taken bool
		if err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_tokens WHERE hash = $1)`, t.Hash).Scan(&taken); err != nil {
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

// GetAPIToken implements store.Queries.
func (q queries) GetAPIToken(ctx context.Context, id int64) (_ *store.APIToken, err error) {
	defer wrap(&err, "GetAPIToken(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = $1`, id)
	return pgx.CollectExactlyOneRow(rows, scanAPIToken)
}

// GetAPITokenByHash implements store.Queries.
func (q queries) GetAPITokenByHash(ctx context.Context, hash []byte) (_ *store.APIToken, err error) {
	defer wrap(&err, "GetAPITokenByHash")
	rows, _ := q.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = $1`, hash)
	return pgx.CollectExactlyOneRow(rows, scanAPIToken)
}

// ListAPITokens implements store.Queries.
func (q queries) ListAPITokens(ctx context.Context, municipalityID int64) (_ []*store.APIToken, err error) {
	defer wrap(&err, "ListAPITokens(%d)", municipalityID)
	rows, _ := q.db.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens
WHERE $1::bigint = 0 OR municipality_id = $1 ORDER BY id`, municipalityID)
	return collect(rows, scanAPIToken)
}

// RevokeAPIToken implements store.Queries.
func (q queries) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (err error) {
	defer wrap(&err, "RevokeAPIToken(%d)", id)
	tag, err := q.db.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1`, id, stored(at))
	return affected(tag.RowsAffected(), err)
}

// TouchAPIToken implements store.Queries.
func (q queries) TouchAPIToken(ctx context.Context, id int64, at time.Time) (err error) {
	defer wrap(&err, "TouchAPIToken(%d)", id)
	tag, err := q.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, stored(at))
	return affected(tag.RowsAffected(), err)
}

// affected returns store.ErrNotFound when a statement touched no row.
func affected(n int64, err error) error {
	if err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}
