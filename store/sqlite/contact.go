package sqlite

import (
	"context"
	"time"

	"kigen"
)

// contactConflictSQL is the update of UpsertContact and UpsertContacts: a
// changed address clears failed.
const contactConflictSQL = `
		ON CONFLICT (resident_id, channel) DO UPDATE SET
			address = excluded.address,
			consent = excluded.consent,
			opted_out = excluded.opted_out,
			failed = CASE WHEN contacts.address = excluded.address THEN excluded.failed ELSE 0 END,
			updated_at = excluded.updated_at`

// upsertContact is UpsertContact of store.Queries but for the flags (flags.go). It reads the stored Failed back
// into c, since a changed address clears it whatever c says.
func (q queries) upsertContact(ctx context.Context, municipalityID int64, c *kigen.Contact) (err error) {
	defer wrap(&err, "UpsertContact(municipality %d, resident %d)", municipalityID, c.ResidentID)
	now := q.now()
	var (
		id        int64
		failed    bool
		createdAt time.Time
	)
	// One statement, so atomic without a transaction: the SELECT yields no
	// row (and so no RETURNING row: ErrNotFound) unless the resident is in
	// this municipality. OptedOut is stored as given: only the caller knows
	// whether the resident said stop.
	err = q.db.QueryRowContext(ctx, `
		INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at)
		SELECT municipality_id, id, ?, ?, ?, ?, ?, ?, ?
		FROM residents WHERE municipality_id = ? AND id = ?`+contactConflictSQL+`
		RETURNING id, failed, created_at`,
		string(c.Channel), c.Address, c.Consent, c.OptedOut, c.Failed, formatTime(now), formatTime(now),
		municipalityID, c.ResidentID,
	).Scan(&id, &failed, timeScanner{&createdAt})
	if err != nil {
		return err
	}
	c.ID, c.Failed, c.CreatedAt, c.UpdatedAt = id, failed, createdAt, now
	return nil
}

// ListContacts implements store.Queries.
func (q queries) ListContacts(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ []*kigen.Contact, err error) {
	defer wrap(&err, "ListContacts(municipality %d)", municipalityID)
	if len(residentIDs) == 0 {
		return nil, nil
	}
	return queryAll(ctx, q.db, scanContact, `
		SELECT `+contactColumns+`
		FROM contacts
		WHERE municipality_id = ? AND resident_id IN (SELECT value FROM json_each(?))
		ORDER BY resident_id, channel`,
		municipalityID, idList(residentIDs))
}

const contactColumns = `id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at`

func scanContact(row rowScanner) (*kigen.Contact, error) {
	var c kigen.Contact
	var channel string
	err := row.Scan(&c.ID, &c.ResidentID, &channel, &c.Address, &c.Consent, &c.OptedOut, &c.Failed,
		timeScanner{&c.CreatedAt}, timeScanner{&c.UpdatedAt})
	c.Channel = kigen.Channel(channel)
	return &c, err
}

// deleteContact is DeleteContact of store.Queries but for the flags (flags.go).
func (q queries) deleteContact(ctx context.Context, municipalityID, residentID int64, ch kigen.Channel) (err error) {
	defer wrap(&err, "DeleteContact(municipality %d, resident %d, %s)", municipalityID, residentID, ch)
	return mustAffect(q.db.ExecContext(ctx,
		`DELETE FROM contacts WHERE municipality_id = ? AND resident_id = ? AND channel = ?`,
		municipalityID, residentID, string(ch)))
}
