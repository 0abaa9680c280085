package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"kigen"
	"kigen/store"
)

// listStaleCardsSQL is ListStaleCards' query, through the index on
// (municipality_id, expires_on, id): a page costs O(page).
const listStaleCardsSQL = `SELECT c.id, c.resident_id, c.kind, c.expires_on, c.renewal_applied_on, c.next_notice_on, c.created_at, c.updated_at, r.ref
FROM cards c JOIN residents r ON r.municipality_id = c.municipality_id AND r.id = c.resident_id
WHERE c.municipality_id = $1 AND c.expires_on < $2 AND (c.expires_on, c.id) > ($3, $4)
ORDER BY c.expires_on, c.id LIMIT $5`

// ListStaleCards implements store.Queries.
func (q queries) ListStaleCards(ctx context.Context, f store.FollowupFilter) (_ []store.StaleCard, err error) {
	defer wrap(&err, "ListStaleCards(%d, %s)", f.MunicipalityID, f.Before)
	rows, _ := q.db.Query(ctx, listStaleCardsSQL, f.MunicipalityID, dateArg(f.Before), dateArg(orFirstDay(f.AfterDate)), f.AfterID, f.Limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.StaleCard, error) {
		var c kigen.Card
		var ref string
		err := row.Scan(&c.ID, &c.ResidentID, text[kigen.CardKind]{&c.Kind}, date{&c.ExpiresOn},
			date{&c.RenewalAppliedOn}, date{&c.NextNoticeOn}, &c.CreatedAt, &c.UpdatedAt, &ref)
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		return store.StaleCard{Card: &c, Ref: ref}, err
	})
}

// orFirstDay is d, or the first day of year 1 for the zero Date: a key
// below every card's.
func orFirstDay(d kigen.Date) kigen.Date {
	if d.IsZero() {
		return kigen.NewDate(1, time.January, 1)
	}
	return d
}

// usableContactSQL is true for a contact messages can go to (kigen.Contact.Usable).
const usableContactSQL = `c.address <> '' AND c.consent AND NOT c.opted_out AND NOT c.failed`

// listUnreachableCandidatesSQL reads the residents kigen.SendChannels
// finds no channel for (the flag kept by refreshFlags) by ID, through the
// partial index of migration 015: a page costs O(page). (Before, it
// summed up each resident's contacts in a lateral aggregate, walking
// every resident of the municipality in turn.)
const listUnreachableCandidatesSQL = `SELECT r.id, r.municipality_id, r.ref, r.name, r.language, r.status, r.channel, r.created_at, r.updated_at
FROM residents r
WHERE r.municipality_id = $1 AND r.id > $2 AND r.unreachable
ORDER BY r.id LIMIT $3`

// ListUnreachableCandidates implements store.Queries.
func (q queries) ListUnreachableCandidates(ctx context.Context, f store.FollowupFilter) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListUnreachableCandidates(%d, after %d)", f.MunicipalityID, f.AfterID)
	rows, _ := q.db.Query(ctx, listUnreachableCandidatesSQL, f.MunicipalityID, f.AfterID, f.Limit)
	return pgx.CollectRows(rows, scanResident)
}

// followupMessageColumns are the message columns ListFailedMessages and
// ListUnknownSends read (no notices), as scanFollowupMessage reads them.
const followupMessageColumns = `m.id, m.municipality_id, m.resident_id, m.channel, m.tick_date, m.state, m.created_at, m.updated_at`

func scanFollowupMessage(m *kigen.Message, resident *pgtype.Int8) []any {
	return []any{&m.ID, &m.MunicipalityID, resident, text[kigen.Channel]{&m.Channel}, date{&m.TickDate},
		text[kigen.MessageState]{&m.State}, &m.CreatedAt, &m.UpdatedAt}
}

// listFailedMessagesSQL finds each resident's latest failed message through
// the partial index of failed messages.
const listFailedMessagesSQL = `SELECT ` + followupMessageColumns + `, r.ref FROM (
    SELECT resident_id, max(id) AS id FROM messages
    WHERE municipality_id = $1 AND state = 'failed' AND resident_id > $2
    GROUP BY resident_id ORDER BY resident_id LIMIT $3
) f
JOIN messages m ON m.id = f.id
JOIN residents r ON r.municipality_id = m.municipality_id AND r.id = m.resident_id
ORDER BY f.resident_id`

// ListFailedMessages implements store.Queries.
func (q queries) ListFailedMessages(ctx context.Context, f store.FollowupFilter) (_ []store.FailedMessage, err error) {
	defer wrap(&err, "ListFailedMessages(%d, after %d)", f.MunicipalityID, f.AfterID)
	rows, _ := q.db.Query(ctx, listFailedMessagesSQL, f.MunicipalityID, f.AfterID, f.Limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.FailedMessage, error) {
		var (
			fm       = store.FailedMessage{Message: &kigen.Message{}}
			resident pgtype.Int8
		)
		err := row.Scan(append(scanFollowupMessage(fm.Message, &resident), &fm.Ref)...)
		fm.Message.ResidentID = resident.Int64
		fm.Message.CreatedAt, fm.Message.UpdatedAt = fm.Message.CreatedAt.UTC(), fm.Message.UpdatedAt.UTC()
		return fm, err
	})
}

// listUnknownSendsSQL reads the unknown deliveries through their partial
// index, scoped by their message's municipality.
const listUnknownSendsSQL = `SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at,
    ` + followupMessageColumns + `, coalesce(r.ref, '')
FROM deliveries d JOIN messages m ON m.id = d.message_id
LEFT JOIN residents r ON r.municipality_id = m.municipality_id AND r.id = m.resident_id
WHERE d.state = 'unknown' AND m.municipality_id = $1 AND d.id > $2
ORDER BY d.id LIMIT $3`

// ListUnknownSends implements store.Queries.
func (q queries) ListUnknownSends(ctx context.Context, f store.FollowupFilter) (_ []store.UnknownSend, err error) {
	defer wrap(&err, "ListUnknownSends(%d, after %d)", f.MunicipalityID, f.AfterID)
	rows, _ := q.db.Query(ctx, listUnknownSendsSQL, f.MunicipalityID, f.AfterID, f.Limit)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.UnknownSend, error) {
		var (
			us       = store.UnknownSend{Delivery: &kigen.Delivery{}, Message: &kigen.Message{}}
			d        = us.Delivery
			resident pgtype.Int8
		)
		dest := append([]any{&d.ID, &d.MessageID, &d.Provider, &d.State, &d.ProviderMessageID, &d.ErrorCode, &d.ErrorReason,
			&d.CreatedAt, &d.UpdatedAt}, scanFollowupMessage(us.Message, &resident)...)
		err := row.Scan(append(dest, &us.Ref)...)
		us.Message.ResidentID = resident.Int64
		d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		us.Message.CreatedAt, us.Message.UpdatedAt = us.Message.CreatedAt.UTC(), us.Message.UpdatedAt.UTC()
		return us, err
	})
}

// listDeliveriesByStateSQL is ListDeliveriesByState's query; the join
// scopes the deliveries to the municipality's messages.
const listDeliveriesByStateSQL = `SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at
FROM deliveries d JOIN messages m ON m.id = d.message_id
WHERE m.municipality_id = $1 AND d.state = $2
ORDER BY d.id`

func (q queries) ListDeliveriesByState(ctx context.Context, municipalityID int64, state kigen.DeliveryState) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveriesByState(%d, %s)", municipalityID, state)
	rows, _ := q.db.Query(ctx, listDeliveriesByStateSQL, municipalityID, string(state))
	return collect(rows, scanDelivery)
}
