package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen"
	"kigen/store"
)

// The residents' flags (unreachable, gap_open; migration 015) are derived
// from the resident's status and channel, their contacts and their cards.
// Every method of store.Queries that writes one of those sets the flags of
// the residents it touched again (refreshFlags) in the same transaction,
// so that Today's counts and the search's filters read them from an
// index. A resident just inserted has no contact and no card: the columns'
// defaults (unreachable, no gap) are already right for them.

// atomic runs fn in a transaction: a new one on the Store, the current one
// in a Tx.
func (q queries) atomic(ctx context.Context, fn func(q queries) error) error {
	p, ok := q.db.(*pgxpool.Pool)
	if !ok {
		return fn(q)
	}
	return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error { return fn(queries{db: tx, now: q.now}) })
}

// UpsertResident implements store.Queries.
func (q queries) UpsertResident(ctx context.Context, r *kigen.Resident) (created bool, err error) {
	err = q.atomic(ctx, func(q queries) error {
		if created, err = q.upsertResident(ctx, r); err != nil || created {
			return err
		}
		return q.refreshFlags(ctx, r.MunicipalityID, r.ID)
	})
	return created, err
}

// UpsertResidents implements store.Queries.
func (q queries) UpsertResidents(ctx context.Context, municipalityID int64, rs []*kigen.Resident) (created []bool, err error) {
	err = q.atomic(ctx, func(q queries) error {
		if created, err = q.upsertResidents(ctx, municipalityID, rs); err != nil {
			return err
		}
		var ids []int64
		for i, r := range rs {
			if !created[i] {
				ids = append(ids, r.ID)
			}
		}
		return q.refreshFlags(ctx, municipalityID, ids...)
	})
	return created, err
}

// UpsertContact implements store.Queries.
func (q queries) UpsertContact(ctx context.Context, municipalityID int64, c *kigen.Contact) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.upsertContact(ctx, municipalityID, c); err != nil {
			return err
		}
		return q.refreshFlags(ctx, municipalityID, c.ResidentID)
	})
}

// UpsertContacts implements store.Queries.
func (q queries) UpsertContacts(ctx context.Context, municipalityID int64, cs []*kigen.Contact) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.upsertContacts(ctx, municipalityID, cs); err != nil {
			return err
		}
		ids := make([]int64, len(cs))
		for i, c := range cs {
			ids[i] = c.ResidentID
		}
		return q.refreshFlags(ctx, municipalityID, ids...)
	})
}

// DeleteContact implements store.Queries.
func (q queries) DeleteContact(ctx context.Context, municipalityID, residentID int64, ch kigen.Channel) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.deleteContact(ctx, municipalityID, residentID, ch); err != nil {
			return err
		}
		return q.refreshFlags(ctx, municipalityID, residentID)
	})
}

// UpsertCard implements store.Queries.
func (q queries) UpsertCard(ctx context.Context, municipalityID int64, c *kigen.Card) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.upsertCard(ctx, municipalityID, c); err != nil || !store.GapCard(c.Kind) {
			return err
		}
		return q.refreshFlags(ctx, municipalityID, c.ResidentID)
	})
}

// UpsertCards implements store.Queries.
func (q queries) UpsertCards(ctx context.Context, municipalityID int64, cs []*kigen.Card) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.upsertCards(ctx, municipalityID, cs); err != nil {
			return err
		}
		var ids []int64
		for _, c := range cs {
			if store.GapCard(c.Kind) {
				ids = append(ids, c.ResidentID)
			}
		}
		return q.refreshFlags(ctx, municipalityID, ids...)
	})
}

// DeleteCard implements store.Queries.
func (q queries) DeleteCard(ctx context.Context, municipalityID, residentID int64, kind kigen.CardKind) error {
	return q.atomic(ctx, func(q queries) error {
		if err := q.deleteCard(ctx, municipalityID, residentID, kind); err != nil || !store.GapCard(kind) {
			return err
		}
		return q.refreshFlags(ctx, municipalityID, residentID)
	})
}

// SetSMSOptOut implements store.Queries.
func (q queries) SetSMSOptOut(ctx context.Context, phone string, optedOut bool) (keys []store.ResidentKey, err error) {
	err = q.atomic(ctx, func(q queries) error {
		if keys, err = q.setSMSOptOut(ctx, phone, optedOut); err != nil {
			return err
		}
		for mu, ids := range store.ByMunicipality(keys) {
			if err := q.refreshFlags(ctx, mu, ids...); err != nil {
				return err
			}
		}
		return nil
	})
	return keys, err
}
