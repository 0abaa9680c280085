package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

const municipalityColumns = `id, code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at,
	kind, name_hangul, name_thai, name_devanagari, office, closed_days, open_days`

// createMunicipalitySQL does nothing on a taken code rather than fail, so
// that a duplicate does not abort the caller's transaction.
const createMunicipalitySQL = `
INSERT INTO municipalities (code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at,
	kind, name_hangul, name_thai, name_devanagari, office, closed_days, open_days)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (code) DO NOTHING
RETURNING id`

func (q queries) CreateMunicipality(ctx context.Context, m *kigen.Municipality) (err error) {
	defer wrap(&err, "CreateMunicipality(%q)", m.Code)
	now := q.now()
	var id int64
	err = q.db.QueryRow(ctx, createMunicipalitySQL,
		m.Code, m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, now,
		string(m.Kind), m.NameHangul, m.NameThai, m.NameDevanagari, m.Office,
		kigen.FormatDates(m.Calendar.Closed), kigen.FormatDates(m.Calendar.WeekendOpen)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrConflict
	} else if err != nil {
		return err
	}
	m.ID, m.CreatedAt, m.UpdatedAt = id, now, now
	return nil
}

const updateMunicipalitySQL = `
UPDATE municipalities
SET name = $2, name_kana = $3, name_latin = $4, contact_phone = $5, contact_email = $6, contact_url = $7, updated_at = $8,
	kind = $9, name_hangul = $10, name_thai = $11, name_devanagari = $12, office = $13, closed_days = $14, open_days = $15
WHERE id = $1
RETURNING code, created_at`

func (q queries) UpdateMunicipality(ctx context.Context, m *kigen.Municipality) (err error) {
	defer wrap(&err, "UpdateMunicipality(%d)", m.ID)
	now := q.now()
	var (
		code      string
		createdAt = m.CreatedAt
	)
	err = q.db.QueryRow(ctx, updateMunicipalitySQL,
		m.ID, m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, now,
		string(m.Kind), m.NameHangul, m.NameThai, m.NameDevanagari, m.Office,
		kigen.FormatDates(m.Calendar.Closed), kigen.FormatDates(m.Calendar.WeekendOpen)).Scan(&code, &createdAt)
	if err != nil {
		return err
	}
	m.Code, m.CreatedAt, m.UpdatedAt = code, createdAt.UTC(), now
	return nil
}

func (q queries) GetMunicipality(ctx context.Context, id int64) (_ *kigen.Municipality, err error) {
	defer wrap(&err, "GetMunicipality(%d)", id)
	rows, _ := q.db.Query(ctx, `SELECT `+municipalityColumns+` FROM municipalities WHERE id = $1`, id)
	return pgx.CollectExactlyOneRow(rows, scanMunicipality)
}

func (q queries) GetMunicipalityByCode(ctx context.Context, code string) (_ *kigen.Municipality, err error) {
	defer wrap(&err, "GetMunicipalityByCode(%q)", code)
	rows, _ := q.db.Query(ctx, `SELECT `+municipalityColumns+` FROM municipalities WHERE code = $1`, code)
	return pgx.CollectExactlyOneRow(rows, scanMunicipality)
}

// ListMunicipalities orders by code bytewise (COLLATE "C"), as SQLite does,
// whatever the database's collation.
func (q queries) ListMunicipalities(ctx context.Context) (_ []*kigen.Municipality, err error) {
	defer wrap(&err, "ListMunicipalities")
	rows, _ := q.db.Query(ctx, `SELECT `+municipalityColumns+` FROM municipalities ORDER BY code COLLATE "C"`)
	return collect(rows, scanMunicipality)
}

func scanMunicipality(row pgx.CollectableRow) (*kigen.Municipality, error) {
	var (
		m            kigen.Municipality
		closed, open string
	)
	err := row.Scan(&m.ID, &m.Code, &m.Name, &m.NameKana, &m.NameLatin, &m.ContactPhone, &m.ContactEmail, &m.ContactURL,
		&m.CreatedAt, &m.UpdatedAt, &m.Kind, &m.NameHangul, &m.NameThai, &m.NameDevanagari, &m.Office, &closed, &open)
	if err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if m.Calendar.Closed, err = kigen.ParseDates(closed); err != nil {
		return nil, fmt.Errorf("municipality %s: closed_days: %w", m.Code, err)
	}
	if m.Calendar.WeekendOpen, err = kigen.ParseDates(open); err != nil {
		return nil, fmt.Errorf("municipality %s: open_days: %w", m.Code, err)
	}
	return &m, nil
}

// collect returns every row scanned by fn, or nil when there is none.
func collect[T any](rows pgx.Rows, fn pgx.RowToFunc[T]) ([]T, error) {
	out, err := pgx.CollectRows(rows, fn)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
