package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

// The reads of ListHoldings, each over the keys as two arrays ($1 the
// municipalities, $2 the residents) numbered from 1, and each row matched
// on both. The key's columns are named so as not to clash with the
// tables'. Each read is answered from an index alone (migrations 006 and
// 007): residents (municipality_id, id), contacts (resident_id, channel)
// and cards (resident_id, kind) carry the columns read here, and a card
// carries the stages recorded for it (sent_stages) — all of the notices
// kigen.Plan reads — unless they are stale (sent_for is not its expiry),
// when they are read from the notices' unique index.
var (
	holdingKeysSQL      = `unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k (key_m, key_r, key_i)`
	holdingResidentsSQL = `SELECT k.key_i, r.status, r.channel
FROM ` + holdingKeysSQL + ` JOIN residents r ON r.municipality_id = k.key_m AND r.id = k.key_r`
	holdingContactsSQL = `SELECT k.key_i, c.channel, c.address, c.consent, c.opted_out, c.failed
FROM ` + holdingKeysSQL + ` JOIN contacts c ON c.municipality_id = k.key_m AND c.resident_id = k.key_r`
	holdingCardsSQL = `SELECT k.key_i, c.id, c.kind, c.expires_on, c.renewal_applied_on, c.next_notice_on,
    CASE WHEN c.sent_for = c.expires_on THEN c.sent_stages ELSE ` + sentStagesSQL("c", "c.expires_on") + ` END
FROM ` + holdingKeysSQL + ` JOIN cards c ON c.municipality_id = k.key_m AND c.resident_id = k.key_r`
)

// sentStagesSQL is the stages recorded for the card (a table name or
// alias) for the expiry (an SQL expression): comma-separated in bytewise
// order, or NULL for none. What cards.sent_stages holds (migration 007).
func sentStagesSQL(card, expiresOn string) string {
	return `(SELECT string_agg(n.stage, ',' ORDER BY n.stage COLLATE "C") FROM notices n
     WHERE n.card_id = ` + card + `.id AND n.expires_on = ` + expiresOn + ` AND n.municipality_id = ` + card + `.municipality_id)`
}

// ListHoldings sends its three reads in one round trip (a pgx batch, run
// in order on one connection). Each scans its rows into one reused set of
// variables: the tick reads tens of thousands of rows.
func (q queries) ListHoldings(ctx context.Context, keys []store.ResidentKey) (_ []store.TickHolding, err error) {
	defer wrap(&err, "ListHoldings(%d residents)", len(keys))
	if len(keys) == 0 {
		return nil, nil
	}
	read := store.NewTickRead(keys)
	distinct := read.Keys()
	ms := make([]int64, len(distinct))
	rs := make([]int64, len(distinct))
	for i, k := range distinct {
		ms[i], rs[i] = k.MunicipalityID, k.ResidentID
	}
	var b pgx.Batch
	b.Queue(holdingResidentsSQL, ms, rs).Query(func(rows pgx.Rows) error {
		var (
			i       int64
			status  kigen.Status
			channel kigen.ChannelPref
		)
		return eachRow(rows, []any{&i, text[kigen.Status]{&status}, text[kigen.ChannelPref]{&channel}}, func() {
			read.Resident(int(i-1), status, channel)
		})
	})
	b.Queue(holdingContactsSQL, ms, rs).Query(func(rows pgx.Rows) error {
		var (
			i int64
			c kigen.Contact
		)
		return eachRow(rows, []any{&i, text[kigen.Channel]{&c.Channel}, &c.Address, &c.Consent, &c.OptedOut, &c.Failed}, func() {
			read.Contact(int(i-1), c)
		})
	})
	b.Queue(holdingCardsSQL, ms, rs).Query(func(rows pgx.Rows) error {
		var (
			i      int64
			c      kigen.Card
			stages stageList
		)
		dest := []any{&i, &c.ID, text[kigen.CardKind]{&c.Kind}, date{&c.ExpiresOn}, date{&c.RenewalAppliedOn}, date{&c.NextNoticeOn}, &stages}
		return eachRow(rows, dest, func() {
			read.Card(int(i-1), c, stages)
		})
	})
	if err := q.db.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	return read.Holdings(), nil
}

// eachRow is forEachRow for a callback that cannot fail.
func eachRow(rows pgx.Rows, dest []any, fn func()) error {
	_, err := forEachRow(rows, dest, func() error { fn(); return nil })
	return err
}

// stageList scans a nullable text column into reused storage: NULL as
// empty.
type stageList []byte

func (s *stageList) ScanBytes(v []byte) error {
	*s = append((*s)[:0], v...)
	return nil
}
