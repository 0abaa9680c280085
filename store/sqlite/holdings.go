package sqlite

import (
	"context"
	"database/sql"

	"kigen"
	"kigen/store"
)

// The reads of ListHoldings, each over the keys as one JSON array of
// [municipality, resident] pairs (k.key is a pair's index), and each row
// matched on both. The columns are qualified: json_each has an id of its
// own. A card carries the stages recorded for it (sent_stages, migration
// 005) — all of the notices kigen.Plan reads — unless they are stale
// (sent_for is not its expiry), when they are read from the notices.
var (
	holdingKeysSQL      = `json_each(?) AS k`
	holdingResidentsSQL = `SELECT k.key, r.status, r.channel
		FROM ` + holdingKeysSQL + `
		JOIN residents r ON r.municipality_id = k.value ->> 0 AND r.id = k.value ->> 1`
	holdingContactsSQL = `SELECT k.key, c.channel, c.address, c.consent, c.opted_out, c.failed
		FROM ` + holdingKeysSQL + ` JOIN contacts c ON c.municipality_id = k.value ->> 0 AND c.resident_id = k.value ->> 1`
	holdingCardsSQL = `SELECT k.key, c.id, c.kind, c.expires_on, c.renewal_applied_on, c.next_notice_on,
		CASE WHEN c.sent_for = c.expires_on THEN c.sent_stages ELSE ` + sentStagesSQL("c", "c.expires_on") + ` END
		FROM ` + holdingKeysSQL + ` JOIN cards c ON c.municipality_id = k.value ->> 0 AND c.resident_id = k.value ->> 1`
)

// sentStagesSQL is the stages recorded for the card (a table name or
// alias) for the expiry (an SQL expression): comma-separated in stage
// order, or NULL for none. What cards.sent_stages holds (migration 005). It
// reads the notices' unique index (card_id, expires_on, stage) alone: a
// notice is always in its card's municipality (CreateNotice and
// CreateNotices take it from the card), so matching the municipality too
// would only cost a read of each notice's row.
func sentStagesSQL(card, expiresOn string) string {
	return `(SELECT group_concat(stage, ',') FROM (SELECT n.stage FROM notices n
		WHERE n.card_id = ` + card + `.id AND n.expires_on = ` + expiresOn + ` ORDER BY n.stage))`
}

// ListHoldings implements store.Queries with three queries, each scanning
// its rows into one reused set of variables.
func (q queries) ListHoldings(ctx context.Context, keys []store.ResidentKey) (_ []store.TickHolding, err error) {
	defer wrap(&err, "ListHoldings(%d residents)", len(keys))
	if len(keys) == 0 {
		return nil, nil
	}
	read := store.NewTickRead(keys)
	pairs := []byte{'['}
	for _, k := range read.Keys() {
		pairs = appendTuple(pairs, k.MunicipalityID, k.ResidentID)
	}
	arg := string(append(pairs, ']'))

	var (
		i                     int
		status, channel, kind sql.RawBytes
		stages                sql.RawBytes
		contact               kigen.Contact
		card                  kigen.Card
	)
	err = eachRow(ctx, q.db, []any{&i, &status, &channel}, func() {
		read.Resident(i, kigen.Status(store.Intern(status)), kigen.ChannelPref(store.Intern(channel)))
	}, holdingResidentsSQL, arg)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q.db, []any{&i, &channel, &contact.Address, &contact.Consent, &contact.OptedOut, &contact.Failed}, func() {
		contact.Channel = kigen.Channel(store.Intern(channel))
		read.Contact(i, contact)
	}, holdingContactsSQL, arg)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q.db, []any{&i, &card.ID, &kind, &card.ExpiresOn, &card.RenewalAppliedOn, &card.NextNoticeOn, &stages}, func() {
		card.Kind = kigen.CardKind(store.Intern(kind))
		read.Card(i, card, stages)
	}, holdingCardsSQL, arg)
	if err != nil {
		return nil, err
	}
	return read.Holdings(), nil
}

// eachRow runs a query, scans every row into dest, the same variables each
// time, and calls fn after each.
func eachRow(ctx context.Context, db querier, dest []any, fn func(), query string, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn()
	}
	return rows.Err()
}
