package sqlite

import (
	"context"
	"time"

	"kigen"
)

const municipalityColumns = `id, code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at`

func scanMunicipality(row rowScanner) (*kigen.Municipality, error) {
	var m kigen.Municipality
	err := row.Scan(&m.ID, &m.Code, &m.Name, &m.NameKana, &m.NameLatin, &m.ContactPhone, &m.ContactEmail, &m.ContactURL,
		timeScanner{&m.CreatedAt}, timeScanner{&m.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateMunicipality implements store.Queries.
func (q queries) CreateMunicipality(ctx context.Context, m *kigen.Municipality) (err error) {
	defer wrap(&err, "CreateMunicipality")
	now := q.now()
	var id int64
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO municipalities (code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		m.Code, m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, formatTime(now), formatTime(now),
	).Scan(&id)
	if err != nil {
		return err
	}
	m.ID, m.CreatedAt, m.UpdatedAt = id, now, now
	return nil
}

// UpdateMunicipality implements store.Queries. It also reads CreatedAt back
// into m.
func (q queries) UpdateMunicipality(ctx context.Context, m *kigen.Municipality) (err error) {
	defer wrap(&err, "UpdateMunicipality(%d)", m.ID)
	now := q.now()
	var created time.Time
	err = q.db.QueryRowContext(ctx, `
		UPDATE municipalities
		SET name = ?, name_kana = ?, name_latin = ?, contact_phone = ?, contact_email = ?, contact_url = ?, updated_at = ?
		WHERE id = ?
		RETURNING created_at`,
		m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, formatTime(now), m.ID,
	).Scan(timeScanner{&created})
	if err != nil {
		return err
	}
	m.CreatedAt, m.UpdatedAt = created, now
	return nil
}

// GetMunicipality implements store.Queries.
func (q queries) GetMunicipality(ctx context.Context, id int64) (_ *kigen.Municipality, err error) {
	defer wrap(&err, "GetMunicipality(%d)", id)
	return scanMunicipality(q.db.QueryRowContext(ctx,
		`SELECT `+municipalityColumns+` FROM municipalities WHERE id = ?`, id))
}

// GetMunicipalityByCode implements store.Queries.
func (q queries) GetMunicipalityByCode(ctx context.Context, code string) (_ *kigen.Municipality, err error) {
	defer wrap(&err, "GetMunicipalityByCode(%q)", code)
	return scanMunicipality(q.db.QueryRowContext(ctx,
		`SELECT `+municipalityColumns+` FROM municipalities WHERE code = ?`, code))
}

// ListMunicipalities implements store.Queries.
func (q queries) ListMunicipalities(ctx context.Context) (_ []*kigen.Municipality, err error) {
	defer wrap(&err, "ListMunicipalities")
	return queryAll(ctx, q.db, scanMunicipality,
		`SELECT `+municipalityColumns+` FROM municipalities ORDER BY code`)
}
