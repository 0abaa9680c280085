package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

const contactColumns = `id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at`

// upsertContactSQL inserts only if the resident is in the municipality (no
// row otherwise). On update a changed address clears failed: a new address
// gets a new chance. opted_out is stored as given.
const upsertContactSQL = `
INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at)
SELECT r.municipality_id, r.id, $3, $4, $5, $6, $7, $8, $8 FROM residents r
WHERE r.municipality_id = $1 AND r.id = $2` + contactConflictSQL + `
RETURNING id, created_at, failed`

// contactConflictSQL is the update of UpsertContact and UpsertContacts.
const contactConflictSQL = `
ON CONFLICT (resident_id, channel) DO UPDATE
SET address = excluded.address, consent = excluded.consent, opted_out = excluded.opted_out,
    failed = CASE WHEN contacts.address <> excluded.address THEN false ELSE excluded.failed END,
    updated_at = excluded.updated_at`

func (q queries) upsertContact(ctx context.Context, municipalityID int64, c *kigen.Contact) (err error) {
	defer wrap(&err, "UpsertContact(%d, %d, %s)", municipalityID, c.ResidentID, c.Channel)
	now := q.now()
	var (
		id        int64
		createdAt = now
		failed    bool
	)
	err = q.db.QueryRow(ctx, upsertContactSQL,
		municipalityID, c.ResidentID, string(c.Channel), c.Address, c.Consent, c.OptedOut, c.Failed, now,
	).Scan(&id, &createdAt, &failed)
	if err != nil {
		return err
	}
	c.ID, c.Failed, c.CreatedAt, c.UpdatedAt = id, failed, createdAt.UTC(), now
	return nil
}

func (q queries) ListContacts(ctx context.Context, municipalityID int64, residentIDs ...int64) (_ []*kigen.Contact, err error) {
	defer wrap(&err, "ListContacts(%d)", municipalityID)
	if len(residentIDs) == 0 {
		return nil, nil
	}
	rows, _ := q.db.Query(ctx, `SELECT `+contactColumns+` FROM contacts
WHERE municipality_id = $1 AND resident_id = ANY($2)
ORDER BY resident_id, channel COLLATE "C"`, municipalityID, residentIDs)
	return collect(rows, scanContact)
}

func (q queries) deleteContact(ctx context.Context, municipalityID, residentID int64, ch kigen.Channel) (err error) {
	defer wrap(&err, "DeleteContact(%d, %d, %s)", municipalityID, residentID, ch)
	tag, err := q.db.Exec(ctx,
		`DELETE FROM contacts WHERE municipality_id = $1 AND resident_id = $2 AND channel = $3`,
		municipalityID, residentID, string(ch))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

func scanContact(row pgx.CollectableRow) (*kigen.Contact, error) {
	var c kigen.Contact
	err := row.Scan(&c.ID, &c.ResidentID, text[kigen.Channel]{&c.Channel}, &c.Address, &c.Consent, &c.OptedOut, &c.Failed,
		&c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, err
}
