package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"kigen/store"
)

// nullTime returns t as stored, or NULL for the zero time.
func nullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(t), Valid: true}
}

// nullTimeScanner scans a nullable timestamp into *t: the zero time for
// NULL.
type nullTimeScanner struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s nullTimeScanner) Scan(src any) error {
	if src == nil {
		*s.t = time.Time{}
		return nil
	}
	return timeScanner(s).Scan(src)
}

// stamp returns t, or the store's clock for the zero time.
func (q queries) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return q.now()
	}
	return t.UTC()
}

const accountColumns = `id, email, role, municipality_id, password_hash, totp_secret, totp_last_step, setup_done,
locked_until, disabled_at, created_at`

func scanAccount(row rowScanner) (*store.Account, error) {
	var (
		a   store.Account
		mid sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.Email, &a.Role, &mid, &a.PasswordHash, &a.TOTPSecret, &a.TOTPLastStep, &a.SetupDone,
		nullTimeScanner{&a.LockedUntil}, nullTimeScanner{&a.DisabledAt}, timeScanner{&a.CreatedAt}); err != nil {
		return nil, err
	}
	a.MunicipalityID = mid.Int64
	return &a, nil
}

// CreateAccount implements store.Queries.
func (q queries) CreateAccount(ctx context.Context, a *store.Account) (err error) {
	defer wrap(&err, "CreateAccount")
	at := q.stamp(a.CreatedAt)
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO accounts (email, role, municipality_id, password_hash, totp_secret, totp_last_step, setup_done,
			locked_until, disabled_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		a.Email, a.Role, nullID(a.MunicipalityID), a.PasswordHash, a.TOTPSecret, a.TOTPLastStep, a.SetupDone,
		nullTime(a.LockedUntil), nullTime(a.DisabledAt), formatTime(at)).Scan(&a.ID)
	if err != nil {
		return err
	}
	a.CreatedAt = at
	return nil
}

// GetAccount implements store.Queries.
func (q queries) GetAccount(ctx context.Context, id int64) (_ *store.Account, err error) {
	defer wrap(&err, "GetAccount(%d)", id)
	return scanAccount(q.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
}

// GetAccountByEmail implements store.Queries.
func (q queries) GetAccountByEmail(ctx context.Context, email string) (_ *store.Account, err error) {
	defer wrap(&err, "GetAccountByEmail")
	return scanAccount(q.db.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email = ?`, email))
}

// ListAccounts implements store.Queries.
func (q queries) ListAccounts(ctx context.Context, municipalityID int64) (_ []*store.Account, err error) {
	defer wrap(&err, "ListAccounts(%d)", municipalityID)
	return queryAll(ctx, q.db, scanAccount, `SELECT `+accountColumns+` FROM accounts
		WHERE ? = 0 OR municipality_id = ? ORDER BY email`, municipalityID, municipalityID)
}

// UpdateAccount implements store.Queries.
func (q queries) UpdateAccount(ctx context.Context, a *store.Account) (err error) {
	defer wrap(&err, "UpdateAccount(%d)", a.ID)
	return mustAffect(q.db.ExecContext(ctx, `UPDATE accounts SET password_hash = ?, totp_secret = ?,
		setup_done = ?, locked_until = ?, disabled_at = ? WHERE id = ?`,
		a.PasswordHash, a.TOTPSecret, a.SetupDone, nullTime(a.LockedUntil), nullTime(a.DisabledAt), a.ID))
}

// UseTOTPStep implements store.Queries.
func (q queries) UseTOTPStep(ctx context.Context, accountID, step int64) (err error) {
	defer wrap(&err, "UseTOTPStep(%d)", accountID)
	res, err := q.db.ExecContext(ctx, `UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`,
		step, accountID, step)
	if err = mustAffect(res, err); !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var one int
	if err := q.db.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, accountID).Scan(&one); err != nil {
		return err
	}
	return store.ErrConflict
}

// CreateSetupToken implements store.Queries.
func (q queries) CreateSetupToken(ctx context.Context, t *store.SetupToken) (err error) {
	defer wrap(&err, "CreateSetupToken(account %d)", t.AccountID)
	_, err = q.db.ExecContext(ctx, `INSERT INTO setup_tokens (hash, account_id, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?)`, t.Hash, t.AccountID, formatTime(t.CreatedAt), formatTime(t.ExpiresAt), nullTime(t.UsedAt))
	return err
}

// GetSetupToken implements store.Queries.
func (q queries) GetSetupToken(ctx context.Context, hash []byte) (_ *store.SetupToken, err error) {
	defer wrap(&err, "GetSetupToken")
	var t store.SetupToken
	err = q.db.QueryRowContext(ctx, `SELECT hash, account_id, created_at, expires_at, used_at FROM setup_tokens WHERE hash = ?`, hash).
		Scan(&t.Hash, &t.AccountID, timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt}, nullTimeScanner{&t.UsedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// UseSetupToken implements store.Queries.
func (q queries) UseSetupToken(ctx context.Context, hash []byte, at time.Time) (err error) {
	defer wrap(&err, "UseSetupToken")
	return mustAffect(q.db.ExecContext(ctx, `UPDATE setup_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`,
		formatTime(at), hash))
}

// DeleteSetupTokens implements store.Queries.
func (q queries) DeleteSetupTokens(ctx context.Context, accountID int64) (err error) {
	defer wrap(&err, "DeleteSetupTokens(%d)", accountID)
	_, err = q.db.ExecContext(ctx, `DELETE FROM setup_tokens WHERE account_id = ?`, accountID)
	return err
}

// CreateSession implements store.Queries.
func (q queries) CreateSession(ctx context.Context, s *store.Session) (err error) {
	defer wrap(&err, "CreateSession(account %d)", s.AccountID)
	_, err = q.db.ExecContext(ctx, `INSERT INTO sessions (hash, account_id, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, s.Hash, s.AccountID, formatTime(s.CreatedAt), formatTime(s.LastSeenAt), formatTime(s.ExpiresAt))
	return err
}

// GetSession implements store.Queries.
func (q queries) GetSession(ctx context.Context, hash []byte) (_ *store.Session, err error) {
	defer wrap(&err, "GetSession")
	var s store.Session
	err = q.db.QueryRowContext(ctx, `SELECT hash, account_id, created_at, last_seen_at, expires_at FROM sessions WHERE hash = ?`, hash).
		Scan(&s.Hash, &s.AccountID, timeScanner{&s.CreatedAt}, timeScanner{&s.LastSeenAt}, timeScanner{&s.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// TouchSession implements store.Queries.
func (q queries) TouchSession(ctx context.Context, hash []byte, at time.Time) (err error) {
	defer wrap(&err, "TouchSession")
	return mustAffect(q.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE hash = ?`, formatTime(at), hash))
}

// DeleteSession implements store.Queries.
func (q queries) DeleteSession(ctx context.Context, hash []byte) (err error) {
	defer wrap(&err, "DeleteSession")
	return mustAffect(q.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash))
}

// rowsAffected returns how many rows a statement touched.
func rowsAffected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteAccountSessions implements store.Queries.
func (q queries) DeleteAccountSessions(ctx context.Context, accountID int64) (_ int, err error) {
	defer wrap(&err, "DeleteAccountSessions(%d)", accountID)
	return rowsAffected(q.db.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ?`, accountID))
}

// DeleteExpiredSessions implements store.Queries.
func (q queries) DeleteExpiredSessions(ctx context.Context, at, idleSince time.Time) (_ int, err error) {
	defer wrap(&err, "DeleteExpiredSessions")
	return rowsAffected(q.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?`,
		formatTime(at), formatTime(idleSince)))
}

// CreateLoginFailure implements store.Queries.
func (q queries) CreateLoginFailure(ctx context.Context, f store.LoginFailure) (err error) {
	defer wrap(&err, "CreateLoginFailure(account %d)", f.AccountID)
	_, err = q.db.ExecContext(ctx, `INSERT INTO login_failures (account_id, client_key, at) VALUES (?, ?, ?)`,
		nullID(f.AccountID), f.ClientKey, formatTime(f.At))
	return err
}

// CountLoginFailures implements store.Queries.
func (q queries) CountLoginFailures(ctx context.Context, f store.LoginFailureFilter) (n int, err error) {
	defer wrap(&err, "CountLoginFailures")
	err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM login_failures
		WHERE (? = 0 OR account_id = ?) AND (? = '' OR client_key = ?) AND at >= ?`,
		f.AccountID, f.AccountID, f.ClientKey, f.ClientKey, formatTime(f.Since)).Scan(&n)
	return n, err
}

// DeleteLoginFailures implements store.Queries.
func (q queries) DeleteLoginFailures(ctx context.Context, accountID int64) (err error) {
	defer wrap(&err, "DeleteLoginFailures(%d)", accountID)
	_, err = q.db.ExecContext(ctx, `DELETE FROM login_failures WHERE account_id = ?`, accountID)
	return err
}

// DeleteLoginFailuresBefore implements store.Queries.
func (q queries) DeleteLoginFailuresBefore(ctx context.Context, before time.Time) (_ int, err error) {
	defer wrap(&err, "DeleteLoginFailuresBefore")
	return rowsAffected(q.db.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, formatTime(before)))
}

const apiTokenColumns = `id, hash, name, municipality_id, scope, created_by, created_at, last_used_at, revoked_at`

func scanAPIToken(row rowScanner) (*store.APIToken, error) {
	var t store.APIToken
	if err := row.Scan(&t.ID, &t.Hash, &t.Name, &t.MunicipalityID, &t.Scope, &t.CreatedBy, timeScanner{&t.CreatedAt},
		nullTimeScanner{&t.LastUsedAt}, nullTimeScanner{&t.RevokedAt}); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateAPIToken implements store.Queries.
func (q queries) CreateAPIToken(ctx context.Context, t *store.APIToken) (err error) {
	defer wrap(&err, "CreateAPIToken(municipality %d)", t.MunicipalityID)
	at := q.stamp(t.CreatedAt)
	err = q.db.QueryRowContext(ctx, `INSERT INTO api_tokens (hash, name, municipality_id, scope, created_by, created_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Hash, t.Name, t.MunicipalityID, t.Scope, t.CreatedBy, formatTime(at), nullTime(t.LastUsedAt), nullTime(t.RevokedAt)).Scan(&t.ID)
	if err != nil {
		return err
	}
	t.CreatedAt = at
	return nil
}

// GetAPIToken implements store.Queries.
func (q queries) GetAPIToken(ctx context.Context, id int64) (_ *store.APIToken, err error) {
	defer wrap(&err, "GetAPIToken(%d)", id)
	return scanAPIToken(q.db.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE id = ?`, id))
}

// GetAPITokenByHash implements store.Queries.
func (q queries) GetAPITokenByHash(ctx context.Context, hash []byte) (_ *store.APIToken, err error) {
	defer wrap(&err, "GetAPITokenByHash")
	return scanAPIToken(q.db.QueryRowContext(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
}

// ListAPITokens implements store.Queries.
func (q queries) ListAPITokens(ctx context.Context, municipalityID int64) (_ []*store.APIToken, err error) {
	defer wrap(&err, "ListAPITokens(%d)", municipalityID)
	return queryAll(ctx, q.db, scanAPIToken, `SELECT `+apiTokenColumns+` FROM api_tokens
		WHERE ? = 0 OR municipality_id = ? ORDER BY id`, municipalityID, municipalityID)
}

// RevokeAPIToken implements store.Queries.
func (q queries) RevokeAPIToken(ctx context.Context, id int64, at time.Time) (err error) {
	defer wrap(&err, "RevokeAPIToken(%d)", id)
	return mustAffect(q.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, formatTime(at), id))
}

// TouchAPIToken implements store.Queries.
func (q queries) TouchAPIToken(ctx context.Context, id int64, at time.Time) (err error) {
	defer wrap(&err, "TouchAPIToken(%d)", id)
	return mustAffect(q.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, formatTime(at), id))
}
