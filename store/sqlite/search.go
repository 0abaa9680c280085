package sqlite

import (
	"context"
	"strings"
	"time"

	"kigen"
	"kigen/store"
)

// gapOpenSQL is kigen.GapOpen of resident r, through the cards' unique
// index on (resident_id, kind).
const gapOpenSQL = `(r.status = 'fixed_period' AND EXISTS (
    SELECT 1 FROM cards rc JOIN cards mc ON mc.resident_id = rc.resident_id AND mc.kind = 'mynumber_card' AND mc.expires_on < rc.expires_on
    WHERE rc.resident_id = r.id AND rc.kind = 'residence_card'))`

// unreachableSQL is true (1) when kigen.SendChannels finds no channel for
// resident r: none of the channels chosen (the preference, or by default
// email if an address is given, else SMS) is usable, and either one of
// them is opted out or no contact at all is usable.
const unreachableSQL = `(SELECT NOT ((k.ce AND k.eu) OR (k.cs AND k.su)) AND ((k.ce AND k.eo) OR (k.cs AND k.so) OR NOT (k.eu OR k.su))
    FROM (SELECT x.eu, x.su, x.eo, x.so,
                 (r.channel IN ('email', 'both') OR (r.channel = '' AND x.ea)) AS ce,
                 (r.channel IN ('sms', 'both') OR (r.channel = '' AND NOT x.ea)) AS cs
          FROM (SELECT coalesce(max(c.channel = 'email' AND ` + usableContactSQL + `), 0) AS eu,
                       coalesce(max(c.channel = 'sms' AND ` + usableContactSQL + `), 0) AS su,
                       coalesce(max(c.channel = 'email' AND c.opted_out), 0) AS eo,
                       coalesce(max(c.channel = 'sms' AND c.opted_out), 0) AS so,
                       coalesce(max(c.channel = 'email' AND c.address <> ''), 0) AS ea
                FROM contacts c WHERE c.resident_id = r.id) x) k)`

// searchWhere returns the conditions of f on residents r, with their
// arguments.
func searchWhere(f store.ResidentSearch) (string, []any) {
	args := []any{f.MunicipalityID}
	w := []string{"r.municipality_id = ?"}
	add := func(cond string, vs ...any) {
		w = append(w, cond)
		args = append(args, vs...)
	}
	if f.RefPrefix != "" {
		// A range on the ref's bytes (BINARY collation), which the unique
		// index on (municipality_id, ref) reads in order.
		if end, ok := store.PrefixEnd(f.RefPrefix); ok {
			add(`r.ref >= ? AND r.ref < ?`, f.RefPrefix, end)
		} else {
			add(`r.ref >= ? AND substr(r.ref, 1, length(?)) = ?`, f.RefPrefix, f.RefPrefix, f.RefPrefix)
		}
	}
	if f.NameContains != "" {
		// SQLite's LIKE folds ASCII letters only.
		add(`r.name LIKE ? ESCAPE '\'`, "%"+escapeLike(f.NameContains)+"%")
	}
	if f.Text != "" {
		if end, ok := store.PrefixEnd(f.Text); ok {
			add(`((r.ref >= ? AND r.ref < ?) OR r.name LIKE ? ESCAPE '\')`, f.Text, end, "%"+escapeLike(f.Text)+"%")
		} else {
			add(`((r.ref >= ? AND substr(r.ref, 1, length(?)) = ?) OR r.name LIKE ? ESCAPE '\')`, f.Text, f.Text, f.Text, "%"+escapeLike(f.Text)+"%")
		}
	}
	if f.Email != "" {
		add(`r.id IN (SELECT c.resident_id FROM contacts c WHERE c.channel = 'email' AND c.address = ? AND c.municipality_id = ?)`, f.Email, f.MunicipalityID)
	}
	if f.Phone != "" {
		add(`r.id IN (SELECT c.resident_id FROM contacts c WHERE c.channel = 'sms' AND c.address = ? AND c.municipality_id = ?)`, f.Phone, f.MunicipalityID)
	}
	if f.Language != "" {
		add(`r.language = ?`, string(f.Language))
	}
	if f.Status != "" {
		add(`r.status = ?`, string(f.Status))
	}
	if !f.ExpiresTo.IsZero() {
		add(`EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.id AND c.expires_on BETWEEN ? AND ?)`,
			fromDay(f.ExpiresFrom), f.ExpiresTo.String())
	}
	// The flags kept up to date by refreshFlags, read through their partial
	// indexes (migration 013).
	if f.GapOpen {
		add(`r.gap_open`)
	}
	if f.Unreachable {
		add(`r.unreachable`)
	}
	return strings.Join(w, " AND "), args
}

// fromDay is d as stored, or a text below every date for the zero Date.
func fromDay(d kigen.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// escapeLike escapes the characters LIKE reads, for ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SearchResidents implements store.Queries. The page is found first, the
// soonest expiry then read for its rows only.
func (q queries) SearchResidents(ctx context.Context, f store.ResidentSearch) (_ []store.ResidentRow, err error) {
	defer wrap(&err, "SearchResidents(municipality %d)", f.MunicipalityID)
	where, args := searchWhere(f)
	if f.AfterRef != "" {
		where += ` AND r.ref > ?`
		args = append(args, f.AfterRef)
	}
	args = append(args, f.Limit)
	query := `SELECT r.id, r.ref, r.name, r.language, r.status,
    (SELECT min(c.expires_on) FROM cards c WHERE c.resident_id = r.id), r.gap_open, r.unreachable
FROM (SELECT r.* FROM residents r WHERE ` + where + ` ORDER BY r.ref LIMIT ?) r
ORDER BY r.ref`
	return queryAll(ctx, q.db, func(row rowScanner) (store.ResidentRow, error) {
		var (
			r                store.ResidentRow
			language, status string
		)
		err := row.Scan(&r.ID, &r.Ref, &r.Name, &language, &status, &r.SoonestExpiry, &r.GapOpen, &r.Unreachable)
		r.Language, r.Status = kigen.Language(language), kigen.Status(status)
		return r, err
	}, query, args...)
}

// countExpiringSQL counts the residents with a card expiring in a range
// through the index on cards (municipality_id, expires_on, resident_id):
// what CountResidents asks when the range is its only condition.
const countExpiringSQL = `SELECT count(DISTINCT c.resident_id) FROM cards c
WHERE c.municipality_id = ? AND c.expires_on BETWEEN ? AND ?`

// CountResidents implements store.Queries.
func (q queries) CountResidents(ctx context.Context, f store.ResidentSearch) (n int, err error) {
	defer wrap(&err, "CountResidents(municipality %d)", f.MunicipalityID)
	only := store.ResidentSearch{MunicipalityID: f.MunicipalityID, ExpiresFrom: f.ExpiresFrom, ExpiresTo: f.ExpiresTo}
	if g := f; !f.ExpiresTo.IsZero() && func() bool { g.AfterRef, g.Limit = "", 0; return g == only }() {
		err = q.db.QueryRowContext(ctx, countExpiringSQL, f.MunicipalityID, fromDay(f.ExpiresFrom), f.ExpiresTo.String()).Scan(&n)
		return n, err
	}
	where, args := searchWhere(f)
	err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM residents r WHERE `+where, args...).Scan(&n)
	return n, err
}

// CountSentMessages implements store.Queries.
func (q queries) CountSentMessages(ctx context.Context, municipalityID int64, day kigen.Date) (n int, err error) {
	defer wrap(&err, "CountSentMessages(municipality %d, %s)", municipalityID, day)
	err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE tick_date = ? AND state = 'sent' AND municipality_id = ?`,
		day.String(), municipalityID).Scan(&n)
	return n, err
}

// CountFailedMessages implements store.Queries, through the partial index
// of failed messages.
func (q queries) CountFailedMessages(ctx context.Context, municipalityID int64, since time.Time) (n int, err error) {
	defer wrap(&err, "CountFailedMessages(municipality %d)", municipalityID)
	err = q.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE municipality_id = ? AND state = 'failed' AND updated_at >= ?`,
		municipalityID, formatTime(since)).Scan(&n)
	return n, err
}

// refreshFlagsSQL sets again the flags of the residents (IDs, a JSON
// array: the second argument) of a municipality (the first) from their
// status, channel, contacts and cards (migration 013): what every store
// method that writes one of them runs last. A row is written only when a
// flag changes.
const refreshFlagsSQL = `UPDATE residents AS t SET unreachable = f.u, gap_open = f.g
FROM (SELECT r.id, ` + unreachableSQL + ` AS u, ` + gapOpenSQL + ` AS g
      FROM residents r WHERE r.municipality_id = ? AND r.id IN (SELECT value FROM json_each(?))) AS f
WHERE t.id = f.id AND (t.unreachable <> f.u OR t.gap_open <> f.g)`

// refreshFlags runs refreshFlagsSQL for the residents ids of the
// municipality.
func (q queries) refreshFlags(ctx context.Context, municipalityID int64, ids ...int64) (err error) {
	defer wrap(&err, "refreshFlags(municipality %d, %d residents)", municipalityID, len(ids))
	if len(ids) == 0 {
		return nil
	}
	_, err = q.db.ExecContext(ctx, refreshFlagsSQL, municipalityID, idList(ids))
	return err
}
