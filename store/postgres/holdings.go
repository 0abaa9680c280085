package postgres

import (
	"cmp"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store"
)

// The reads of ListHoldings, each over the keys as two arrays ($1 the
// municipalities, $2 the residents) and each row matched on both. The
// key's columns are named so as not to clash with the tables'. The cards
// come with the stages sent for their current expiry, read from the
// notices' unique index alone (migration 006): that is all of the notices
// kigen.Plan reads.
const (
	holdingKeysSQL      = `unnest($1::bigint[], $2::bigint[]) AS k (key_m, key_r)`
	holdingResidentsSQL = `SELECT ` + residentColumns + ` FROM ` + holdingKeysSQL + ` JOIN residents ON municipality_id = key_m AND id = key_r`
	holdingContactsSQL  = `SELECT ` + contactColumns + ` FROM ` + holdingKeysSQL + ` JOIN contacts ON municipality_id = key_m AND resident_id = key_r`
	holdingCardsSQL     = `SELECT ` + cardColumns + `, ARRAY(SELECT n.stage FROM notices n
    WHERE n.card_id = cards.id AND n.expires_on = cards.expires_on AND n.municipality_id = cards.municipality_id)
FROM ` + holdingKeysSQL + ` JOIN cards ON municipality_id = key_m AND resident_id = key_r`
)

// ListHoldings sends its three reads in one round trip (a pgx batch, run
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
	b.Queue(holdingCardsSQL, ms, rs).Query(func(rows pgx.Rows) error {
		var stages []string
		for rows.Next() {
			c, err := scanCardWith(rows, &stages)
			if err != nil {
				return err
			}
			cards = append(cards, c)
			sent := make([]kigen.Notice, len(stages))
			for i, st := range stages {
				sent[i] = kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.Stage(st)}
				notices = append(notices, &sent[i])
			}
		}
		return rows.Err()
	})
	if err := q.db.SendBatch(ctx, &b).Close(); err != nil {
		return nil, err
	}
	// Sorted here rather than by the server, whose sort of a batch's
	// cards spills to disk at the default work_mem.
	slices.SortFunc(contacts, func(a, b *kigen.Contact) int {
		return cmp.Or(cmp.Compare(a.ResidentID, b.ResidentID), cmp.Compare(a.Channel, b.Channel))
	})
	slices.SortFunc(cards, func(a, b *kigen.Card) int {
		return cmp.Or(cmp.Compare(a.ResidentID, b.ResidentID), cmp.Compare(a.Kind, b.Kind))
	})
	return store.AssembleHoldings(store.InKeyOrder(keys, residents), contacts, cards, notices), nil
}
