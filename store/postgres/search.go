package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

// gapOpenSQL is kigen.GapOpen of resident r, through the cards' unique
// index on (resident_id, kind), which carries expires_on.
const gapOpenSQL = `(r.status = 'fixed_period' AND coalesce((
    SELECT max(c.expires_on) FILTER (WHERE c.kind = 'mynumber_card') < max(c.expires_on) FILTER (WHERE c.kind = 'residence_card')
    FROM cards c WHERE c.resident_id = r.id), false))`

// unreachableSQL is true when kigen.SendChannels finds no channel for
// resident r: none of the channels chosen (the preference, or by default
// email if an address is given, else SMS) is usable, and either one of
// them is opted out or no contact at all is usable. It sums the contacts
// up through their unique index on (resident_id, channel), which carries
// every column read.
const unreachableSQL = `(SELECT NOT ((k.ce AND k.eu) OR (k.cs AND k.su)) AND ((k.ce AND k.eo) OR (k.cs AND k.so) OR NOT (k.eu OR k.su))
    FROM (SELECT x.eu, x.su, x.eo, x.so,
                 (r.channel IN ('email', 'both') OR (r.channel = '' AND x.ea)) AS ce,
                 (r.channel IN ('sms', 'both') OR (r.channel = '' AND NOT x.ea)) AS cs
          FROM (SELECT coalesce(bool_or(c.channel = 'email' AND ` + usableContactSQL + `), false) AS eu,
                       coalesce(bool_or(c.channel = 'sms' AND ` + usableContactSQL + `), false) AS su,
                       coalesce(bool_or(c.channel = 'email' AND c.opted_out), false) AS eo,
                       coalesce(bool_or(c.channel = 'sms' AND c.opted_out), false) AS so,
                       coalesce(bool_or(c.channel = 'email' AND c.address <> ''), false) AS ea
                FROM contacts c WHERE c.resident_id = r.id) x) k)`

// refreshFlagsSQL sets again the flags of the residents $2 (IDs) of
// municipality $1 (migration 015) from their status, channel, contacts and
// cards: what every store method that writes one of them runs last. A row
// is written only when a flag changes.
//
// The residents are found by primary key alone ("municipality_id + 0"
// cannot use an index): with "municipality_id = $1" usable, a planner whose
// statistics say the table is nearly empty — within the transaction that
// imports a municipality's residents into a new database, where the tables
// were analysed before the import — may take the index on
// (municipality_id, ref) and filter by ID, or join the residents to
// themselves with a scan of all of them, for each ID: minutes for an
// import of a few thousand. Without a join nothing can go round that way.
// The flags are computed twice (to compare, and to set), each through the
// unique indexes of contacts and cards.
var refreshFlagsSQL = refreshFlagsOf("= ANY($2::bigint[])")

// refreshFlagSQL is refreshFlagsSQL for one resident ($2, an ID): the
// same plan for every resident, so that PostgreSQL settles on its generic
// plan. Over an array, the generic plan's estimate (ten residents, not
// one) kept the planner making a custom plan each time: a millisecond of
// planning for a tenth of one of executing, on every change to a card or
// a contact.
var refreshFlagSQL = refreshFlagsOf("= $2")

// refreshFlagsOf is the refresh of the residents whose ID is ids (a
// condition on r.id) of municipality $1.
func refreshFlagsOf(ids string) string {
	return `UPDATE residents r SET unreachable = ` + unreachableSQL + `, gap_open = ` + gapOpenSQL + `
WHERE r.id ` + ids + ` AND r.municipality_id + 0 = $1
  AND (r.unreachable <> ` + unreachableSQL + ` OR r.gap_open <> ` + gapOpenSQL + `)`
}

// refreshFlags runs refreshFlagsSQL for the residents ids of the
// municipality.
func (q queries) refreshFlags(ctx context.Context, municipalityID int64, ids ...int64) (err error) {
	defer wrap(&err, "refreshFlags(%d, %d residents)", municipalityID, len(ids))
	if len(ids) > 1 && len(ids) <= 16 {
		// A resident's own cards or contacts: one resident, not a batch.
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	}
	if len(ids) == 0 {
		return nil
	} else if len(ids) == 1 {
		_, err = q.db.Exec(ctx, refreshFlagSQL, municipalityID, ids[0])
		return err
	}
	// A batch (an import's) reads each resident's contacts and cards by
	// their indexes whatever the statistics say: within the transaction
	// that fills a new municipality, the planner may believe cards and
	// contacts empty (analyzed before the import) and scan them once per
	// resident, minutes for a large file. Without JIT: each batch is
	// planned anew, and its cost (high with seqscan off) would compile it
	// every time (half a second a batch). The settings last until the
	// statement is done (set_config's is_local, set back to the
	// session's own after).
	if _, err = q.db.Exec(ctx, `SELECT set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)`); err != nil {
		return err
	}
	// Planned for these values each time (no cached generic plan, which
	// the setting would not reach).
	if _, err = q.db.Exec(ctx, refreshFlagsSQL, pgx.QueryExecModeExec, municipalityID, ids); err != nil {
		return err
	}
	_, err = q.db.Exec(ctx, `SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name IN ('enable_seqscan', 'jit')`)
	return err
}

// searchWhere returns the conditions of f on residents r, with their
// arguments ($1 is the municipality).
func searchWhere(f store.ResidentSearch) (string, []any) {
	args := []any{f.MunicipalityID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	w := []string{"r.municipality_id = $1"}
	if f.RefPrefix != "" {
		// A range on the ref's bytes, which the index on (municipality_id,
		// ref COLLATE "C") reads in order.
		w = append(w, `r.ref COLLATE "C" >= `+arg(f.RefPrefix))
		if end, ok := store.PrefixEnd(f.RefPrefix); ok {
			w = append(w, `r.ref COLLATE "C" < `+arg(end))
		} else {
			w = append(w, `starts_with(r.ref, `+arg(f.RefPrefix)+`)`)
		}
	}
	if f.NameContains != "" {
		// ILIKE reads the trigram index on name (migration 014).
		w = append(w, `r.name ILIKE `+arg("%"+escapeLike(f.NameContains)+"%"))
	}
	if f.Text != "" {
		ref := `r.ref COLLATE "C" >= ` + arg(f.Text)
		if end, ok := store.PrefixEnd(f.Text); ok {
			ref += ` AND r.ref COLLATE "C" < ` + arg(end)
		} else {
			ref += ` AND starts_with(r.ref, ` + arg(f.Text) + `)`
		}
		w = append(w, `((`+ref+`) OR r.name ILIKE `+arg("%"+escapeLike(f.Text)+"%")+`)`)
	}
	if f.Email != "" {
		w = append(w, `r.id IN (SELECT c.resident_id FROM contacts c WHERE c.channel = 'email' AND c.address = `+arg(f.Email)+` AND c.municipality_id = $1)`)
	}
	if f.Phone != "" {
		w = append(w, `r.id IN (SELECT c.resident_id FROM contacts c WHERE c.channel = 'sms' AND c.address = `+arg(f.Phone)+` AND c.municipality_id = $1)`)
	}
	if f.Language != "" {
		w = append(w, `r.language = `+arg(string(f.Language)))
	}
	if f.Status != "" {
		w = append(w, `r.status = `+arg(string(f.Status)))
	}
	if !f.ExpiresTo.IsZero() {
		w = append(w, `EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.id AND c.expires_on BETWEEN `+
			arg(dateArg(orFirstDay(f.ExpiresFrom)))+` AND `+arg(dateArg(f.ExpiresTo))+`)`)
	}
	// The flags kept up to date by refreshFlags, read through their partial
	// indexes (migration 015).
	if f.GapOpen {
		w = append(w, `r.gap_open`)
	}
	if f.Unreachable {
		w = append(w, `r.unreachable`)
	}
	return strings.Join(w, " AND "), args
}

// escapeLike escapes the characters LIKE reads (with its default escape,
// the backslash).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchExecMode plans each search for its own values (an unnamed
// statement). Prepared once and run again, a search got PostgreSQL's
// generic plan, which cannot tell a reference typed in the search box
// (ten residents) from a common name (one in thirteen): it walked the
// municipality's residents in reference order, filtering each, up to the
// reference asked for — 12,300 rows and 35 ms for one near the start of
// a municipality of 500,000, all of them for one near its end; planned
// for its values, the same search reads the ten (0.25 ms).
const searchExecMode = pgx.QueryExecModeExec

// searchMode is the mode of search f: searchExecMode, but a search for one
// contact address and nothing else (the sign-up's duplicate check, a
// fresh link asked for) is a prepared statement: its plan, through the
// contacts' address, is the same for every address, and PostgreSQL keeps
// it instead of planning it again (half a millisecond) each time.
func searchMode(f store.ResidentSearch) pgx.QueryExecMode {
	only := store.ResidentSearch{MunicipalityID: f.MunicipalityID, Email: f.Email, Phone: f.Phone, AfterRef: f.AfterRef, Limit: f.Limit}
	if (f.Email != "" || f.Phone != "") && f == only {
		return pgx.QueryExecModeCacheStatement
	}
	return searchExecMode
}

// SearchResidents implements store.Queries. The page is found first, the
// soonest expiry then read for its rows only.
func (q queries) SearchResidents(ctx context.Context, f store.ResidentSearch) (_ []store.ResidentRow, err error) {
	defer wrap(&err, "SearchResidents(%d)", f.MunicipalityID)
	where, args := searchWhere(f)
	if f.AfterRef != "" {
		args = append(args, f.AfterRef)
		where += ` AND r.ref COLLATE "C" > $` + strconv.Itoa(len(args))
	}
	args = append(args, f.Limit)
	sql := `SELECT r.id, r.ref, r.name, r.language, r.status,
    (SELECT min(c.expires_on) FROM cards c WHERE c.resident_id = r.id), r.gap_open, r.unreachable
FROM (SELECT r.* FROM residents r WHERE ` + where + ` ORDER BY r.ref COLLATE "C" LIMIT $` + strconv.Itoa(len(args)) + `) r
ORDER BY r.ref COLLATE "C"`
	rows, _ := q.db.Query(ctx, sql, append([]any{searchMode(f)}, args...)...)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ResidentRow, error) {
		var r store.ResidentRow
		err := row.Scan(&r.ID, &r.Ref, &r.Name, text[kigen.Language]{&r.Language}, text[kigen.Status]{&r.Status},
			date{&r.SoonestExpiry}, &r.GapOpen, &r.Unreachable)
		return r, err
	})
}

// countExpiringSQL counts the residents with a card expiring in a range
// through the index on cards (municipality_id, expires_on): what
// CountResidents asks when the range is its only condition.
const countExpiringSQL = `SELECT count(DISTINCT c.resident_id) FROM cards c
WHERE c.municipality_id = $1 AND c.expires_on BETWEEN $2 AND $3`

// CountResidents implements store.Queries.
func (q queries) CountResidents(ctx context.Context, f store.ResidentSearch) (n int, err error) {
	defer wrap(&err, "CountResidents(%d)", f.MunicipalityID)
	if only := (store.ResidentSearch{MunicipalityID: f.MunicipalityID, ExpiresFrom: f.ExpiresFrom, ExpiresTo: f.ExpiresTo}); !f.ExpiresTo.IsZero() && sameSearch(f, only) {
		err = q.db.QueryRow(ctx, countExpiringSQL, f.MunicipalityID, dateArg(orFirstDay(f.ExpiresFrom)), dateArg(f.ExpiresTo)).Scan(&n)
		return n, err
	}
	where, args := searchWhere(f)
	err = q.db.QueryRow(ctx, `SELECT count(*) FROM residents r WHERE `+where, append([]any{searchExecMode}, args...)...).Scan(&n)
	return n, err
}

// sameSearch reports whether a and b select the same residents.
func sameSearch(a, b store.ResidentSearch) bool {
	a.AfterRef, a.Limit, b.AfterRef, b.Limit = "", 0, "", 0
	return a == b
}

// CountSentMessages implements store.Queries.
func (q queries) CountSentMessages(ctx context.Context, municipalityID int64, day kigen.Date) (n int, err error) {
	defer wrap(&err, "CountSentMessages(%d, %s)", municipalityID, day)
	err = q.db.QueryRow(ctx, `SELECT count(*) FROM messages WHERE tick_date = $2 AND state = 'sent' AND municipality_id = $1`,
		municipalityID, dateArg(day)).Scan(&n)
	return n, err
}

// CountFailedMessages implements store.Queries, through the partial index
// of failed messages.
func (q queries) CountFailedMessages(ctx context.Context, municipalityID int64, since time.Time) (n int, err error) {
	defer wrap(&err, "CountFailedMessages(%d)", municipalityID)
	err = q.db.QueryRow(ctx, `SELECT count(*) FROM messages WHERE municipality_id = $1 AND state = 'failed' AND updated_at >= $2`,
		municipalityID, since).Scan(&n)
	return n, err
}
