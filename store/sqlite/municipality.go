package sqlite

import (
	"context"
	"fmt"
	"time"

	"kigen"
)

const municipalityColumns = `id, code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at,
	kind, name_hangul, name_thai, name_devanagari, office, closed_days, open_days`

func scanMunicipality(row rowScanner) (*kigen.Municipality, error) {
	var (
		m            kigen.Municipality
		closed, open string
	)
	err := row.Scan(&m.ID, &m.Code, &m.Name, &m.NameKana, &m.NameLatin, &m.ContactPhone, &m.ContactEmail, &m.ContactURL,
		timeScanner{&m.CreatedAt}, timeScanner{&m.UpdatedAt}, &m.Kind, &m.NameHangul, &m.NameThai, &m.NameDevanagari, &m.Office, &closed, &open)
	if err != nil {
		return nil, err
	}
	if m.Calendar.Closed, err = kigen.ParseDates(closed); err != nil {
		return nil, fmt.Errorf("municipality %s: closed_days: %w", m.Code, err)
	}
	if m.Calendar.WeekendOpen, err = kigen.ParseDates(open); err != nil {
		return nil, fmt.Errorf("municipality %s: open_days: %w", m.Code, err)
	}
	return &m, nil
}

// CreateMunicipality implements store.Queries.
func (q queries) CreateMunicipality(ctx context.Context, m *kigen.Municipality) (err error) {
	defer wrap(&err, "CreateMunicipality")
	now := q.now()
	var id int64
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO municipalities (code, name, name_kana, name_latin, contact_phone, contact_email, contact_url, created_at, updated_at,
			kind, name_hangul, name_thai, name_devanagari, office, closed_days, open_days)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		m.Code, m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, formatTime(now), formatTime(now),
		string(m.Kind), m.NameHangul, m.NameThai, m.NameDevanagari, m.Office,
		kigen.FormatDates(m.Calendar.Closed), kigen.FormatDates(m.Calendar.WeekendOpen),
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
		SET name = ?, name_kana = ?, name_latin = ?, contact_phone = ?, contact_email = ?, contact_url = ?, updated_at = ?,
			kind = ?, name_hangul = ?, name_thai = ?, name_devanagari = ?, office = ?, closed_days = ?, open_days = ?
		WHERE id = ?
		RETURNING created_at`,
		m.Name, m.NameKana, m.NameLatin, m.ContactPhone, m.ContactEmail, m.ContactURL, formatTime(now),
		string(m.Kind), m.NameHangul, m.NameThai, m.NameDevanagari, m.Office,
		kigen.FormatDates(m.Calendar.Closed), kigen.FormatDates(m.Calendar.WeekendOpen), m.ID,
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
