package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"kigen"

	"kigen/store"
)

// The reads of ListHoldings, each over the keys as one JSON array of
// [municipality, resident] pairs, and each row matched on both. The
// columns are qualified: json_each has an id of its own.
const (
	holdingKeysSQL      = `json_each(?) AS k`
	holdingResidentsSQL = `SELECT r.id, r.municipality_id, r.ref, r.name, r.language, r.status, r.channel, r.created_at, r.updated_at
		FROM ` + holdingKeysSQL + `
		JOIN residents r ON r.municipality_id = k.value ->> 0 AND r.id = k.value ->> 1`
	holdingContactsSQL = `SELECT c.id, c.resident_id, c.channel, c.address, c.consent, c.opted_out, c.failed, c.created_at, c.updated_at
		FROM ` + holdingKeysSQL + ` JOIN contacts c ON c.municipality_id = k.value ->> 0 AND c.resident_id = k.value ->> 1
		ORDER BY c.resident_id, c.channel`
	// The cards with the stages sent for their current expiry, which is
	// all of the notices kigen.Plan reads.
	holdingCardsSQL = `SELECT c.id, c.resident_id, c.kind, c.expires_on, c.renewal_applied_on, c.next_notice_on, c.created_at, c.updated_at,
		(SELECT group_concat(n.stage) FROM notices n
		  WHERE n.card_id = c.id AND n.expires_on = c.expires_on AND n.municipality_id = c.municipality_id)
		FROM ` + holdingKeysSQL + ` JOIN cards c ON c.municipality_id = k.value ->> 0 AND c.resident_id = k.value ->> 1
		ORDER BY c.resident_id, c.kind`
)

// ListHoldings implements store.Queries with three queries.
func (q queries) ListHoldings(ctx context.Context, keys []store.ResidentKey) (_ []*store.Holding, err error) {
	defer wrap(&err, "ListHoldings(%d residents)", len(keys))
	if len(keys) == 0 {
		return nil, nil
	}
	pairs := []byte{'['}
	for _, k := range store.DistinctKeys(keys) {
		pairs = appendTuple(pairs, k.MunicipalityID, k.ResidentID)
	}
	arg := string(append(pairs, ']'))
	residents, err := queryAll(ctx, q.db, scanResident, holdingResidentsSQL, arg)
	if err != nil {
		return nil, err
	}
	contacts, err := queryAll(ctx, q.db, scanContact, holdingContactsSQL, arg)
	if err != nil {
		return nil, err
	}
	var notices []*kigen.Notice
	cards, err := queryAll(ctx, q.db, func(row rowScanner) (*kigen.Card, error) {
		var stages sql.NullString
		c, err := scanCardWith(row, &stages)
		if err != nil || stages.String == "" {
			return c, err
		}
		list := strings.Split(stages.String, ",")
		sent := make([]kigen.Notice, len(list))
		for i, st := range list {
			sent[i] = kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.Stage(st)}
			notices = append(notices, &sent[i])
		}
		return c, nil
	}, holdingCardsSQL, arg)
	if err != nil {
		return nil, err
	}
	return store.AssembleHoldings(store.InKeyOrder(keys, residents), contacts, cards, notices), nil
}
