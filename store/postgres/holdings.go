package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

// The reads of ListHoldings, each over the keys as two arrays ($1 the
// municipalities, $2 the residents) and each row matched on both. The
// key's columns are named so as not to clash with the tables'.
const (
	holdingKeysSQL      = `unnest($1::bigint[], $2::bigint[]) AS k (key_m, key_r)`
	holdingResidentsSQL = `SELECT ` + residentColumns + ` FROM ` + holdingKeysSQL + ` JOIN residents ON municipality_id = key_m AND id = key_r`
	holdingContactsSQL  = `SELECT ` + contactColumns + ` FROM ` + holdingKeysSQL + ` JOIN contacts ON municipality_id = key_m AND resident_id = key_r
ORDER BY resident_id, channel COLLATE "C"`
	holdingCardsSQL = `SELECT ` + cardColumns + ` FROM ` + holdingKeysSQL + ` JOIN cards ON municipality_id = key_m AND resident_id = key_r
ORDER BY resident_id, kind COLLATE "C"`
	holdingNoticesSQL = `SELECT n.id, n.card_id, n.expires_on, n.stage, n.tick_date, n.created_at FROM ` + holdingKeysSQL + `
JOIN cards c ON c.municipality_id = key_m AND c.resident_id = key_r
JOIN notices n ON n.card_id = c.id AND n.municipality_id = c.municipality_id
ORDER BY n.id`
)

// ListHoldings sends its four reads in one round trip (a pgx batch, run
// in order on one connection).
func (q queries) ListHoldings(ctx context.Context, keys []store.ResidentKey) (_ []*store.Holding, err error) {
	defer wrap(&err, "ListHoldings(%d residents)", len(keys))
	if len(keys) == 0 {
		return nil, nil
	}
	distinct := store.DistinctKeys(keys)
	ms := make([]int64, len(distinct))
	rs := make([]int64, len(distinct))
	for i, k := range distinct {
		ms[i], rs[i] = k.MunicipalityID, k.ResidentID
	}
	var (
		b         pgx.Batch
		residents []*kigen.Resident
		contacts  []*kigen.Contact
		cards     []*kigen.Card
		notices   []*kigen.Notice
	)
	b.Queue(holdingResidentsSQL, ms, rs).Query(func(rows pgx.Rows) (err error) {
		residents, err = collect(rows, scanResident)
		return err
	})
	b.Queue(holdingContactsSQL, ms, rs).Query(func(rows pgx.Rows) (err error) {
		contacts, err = collect(rows, scanContact)
		return err
	})
	b.Queue(holdingCardsSQL, ms, rs).Query(func(rows pgx.Rows) (err error) {
		cards, err = collect(rows, scanCard)
		return err
	})
	b.Queue(holdingNoticesSQL, ms, rs).Query(func(rows pgx.Rows) (err error) {
		notices, err = collect(rows, scanNotice)
		return err
	})
	if err := q.db.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	return store.AssembleHoldings(store.InKeyOrder(keys, residents), contacts, cards, notices), nil
}
