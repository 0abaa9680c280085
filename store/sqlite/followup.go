package sqlite

import (
	"context"

	"kigen"
	"kigen/store"
)

// listStaleCardsSQL is ListStaleCards' query, through the index on
// (municipality_id, expires_on, id): a page costs O(page).
const listStaleCardsSQL = `
	SELECT c.id, c.resident_id, c.kind, c.expires_on, c.renewal_applied_on, c.next_notice_on, c.created_at, c.updated_at, r.ref
	FROM cards c JOIN residents r ON r.municipality_id = c.municipality_id AND r.id = c.resident_id
	WHERE c.municipality_id = ? AND c.expires_on < ? AND (c.expires_on, c.id) > (?, ?)
	ORDER BY c.expires_on, c.id LIMIT ?`

// ListStaleCards implements store.Queries.
func (q queries) ListStaleCards(ctx context.Context, f store.FollowupFilter) (_ []store.StaleCard, err error) {
	defer wrap(&err, "ListStaleCards(municipality %d, %s)", f.MunicipalityID, f.Before)
	return queryAll(ctx, q.db, func(row rowScanner) (store.StaleCard, error) {
		var (
			sc   store.StaleCard
			kind string
			c    kigen.Card
		)
		err := row.Scan(&c.ID, &c.ResidentID, &kind, &c.ExpiresOn, &c.RenewalAppliedOn, &c.NextNoticeOn,
			timeScanner{&c.CreatedAt}, timeScanner{&c.UpdatedAt}, &sc.Ref)
		c.Kind, sc.Card = kigen.CardKind(kind), &c
		return sc, err
	}, listStaleCardsSQL, f.MunicipalityID, f.Before, f.AfterDate.String(), f.AfterID, f.Limit)
}

// usableContactSQL is true for a contact messages can go to (kigen.Contact.Usable).
const usableContactSQL = `c.address <> '' AND c.consent AND NOT c.opted_out AND NOT c.failed`

// listUnreachableCandidatesSQL reads the residents kigen.SendChannels
// finds no channel for (the flag kept by refreshFlags) by ID, through the
// partial index of migration 013: a page costs O(page).
const listUnreachableCandidatesSQL = `
	SELECT ` + residentColumns + ` FROM residents r
	WHERE r.municipality_id = ? AND r.id > ? AND r.unreachable
	ORDER BY r.id LIMIT ?`

// ListUnreachableCandidates implements store.Queries.
func (q queries) ListUnreachableCandidates(ctx context.Context, f store.FollowupFilter) (_ []*kigen.Resident, err error) {
	defer wrap(&err, "ListUnreachableCandidates(municipality %d, after %d)", f.MunicipalityID, f.AfterID)
	return queryAll(ctx, q.db, scanResident, listUnreachableCandidatesSQL, f.MunicipalityID, f.AfterID, f.Limit)
}

// followupMessageColumns are the message columns ListFailedMessages and
// ListUnknownSends read (no notices), as followupMessage scans them.
const followupMessageColumns = `m.id, m.municipality_id, COALESCE(m.resident_id, 0), m.channel, m.tick_date, m.state, m.created_at, m.updated_at`

// followupMessage returns the scan destinations of followupMessageColumns
// into m, and the function that finishes m once scanned.
func followupMessage(m *kigen.Message) ([]any, func()) {
	var channel, state string
	return []any{&m.ID, &m.MunicipalityID, &m.ResidentID, &channel, &m.TickDate, &state,
			timeScanner{&m.CreatedAt}, timeScanner{&m.UpdatedAt}},
		func() { m.Channel, m.State = kigen.Channel(channel), kigen.MessageState(state) }
}

// listFailedMessagesSQL finds each resident's latest failed message through
// the partial index of failed messages.
const listFailedMessagesSQL = `
	SELECT ` + followupMessageColumns + `, r.ref FROM (
		SELECT resident_id, max(id) AS id FROM messages
		WHERE municipality_id = ? AND state = 'failed' AND resident_id > ?
		GROUP BY resident_id ORDER BY resident_id LIMIT ?
	) f
	JOIN messages m ON m.id = f.id
	JOIN residents r ON r.municipality_id = m.municipality_id AND r.id = m.resident_id
	ORDER BY f.resident_id`

// ListFailedMessages implements store.Queries.
func (q queries) ListFailedMessages(ctx context.Context, f store.FollowupFilter) (_ []store.FailedMessage, err error) {
	defer wrap(&err, "ListFailedMessages(municipality %d, after %d)", f.MunicipalityID, f.AfterID)
	return queryAll(ctx, q.db, func(row rowScanner) (store.FailedMessage, error) {
		fm := store.FailedMessage{Message: &kigen.Message{}}
		dest, finish := followupMessage(fm.Message)
		err := row.Scan(append(dest, &fm.Ref)...)
		finish()
		return fm, err
	}, listFailedMessagesSQL, f.MunicipalityID, f.AfterID, f.Limit)
}

// listUnknownSendsSQL reads the unknown deliveries through their partial
// index, scoped by their message's municipality.
const listUnknownSendsSQL = `
	SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at,
		` + followupMessageColumns + `, COALESCE(r.ref, '')
	FROM deliveries d JOIN messages m ON m.id = d.message_id
	LEFT JOIN residents r ON r.municipality_id = m.municipality_id AND r.id = m.resident_id
	WHERE d.state = 'unknown' AND m.municipality_id = ? AND d.id > ?
	ORDER BY d.id LIMIT ?`

// ListUnknownSends implements store.Queries.
func (q queries) ListUnknownSends(ctx context.Context, f store.FollowupFilter) (_ []store.UnknownSend, err error) {
	defer wrap(&err, "ListUnknownSends(municipality %d, after %d)", f.MunicipalityID, f.AfterID)
	return queryAll(ctx, q.db, func(row rowScanner) (store.UnknownSend, error) {
		us := store.UnknownSend{Delivery: &kigen.Delivery{}, Message: &kigen.Message{}}
		d := us.Delivery
		var state string
		dest, finish := followupMessage(us.Message)
		err := row.Scan(append(append([]any{&d.ID, &d.MessageID, &d.Provider, &state, &d.ProviderMessageID, &d.ErrorCode, &d.ErrorReason,
			timeScanner{&d.CreatedAt}, timeScanner{&d.UpdatedAt}}, dest...), &us.Ref)...)
		finish()
		d.State = kigen.DeliveryState(state)
		return us, err
	}, listUnknownSendsSQL, f.MunicipalityID, f.AfterID, f.Limit)
}

// listDeliveriesByStateSQL is ListDeliveriesByState's query; the join
// scopes the deliveries to the municipality's messages.
const listDeliveriesByStateSQL = `
	SELECT d.id, d.message_id, d.provider, d.state, d.provider_message_id, d.error_code, d.error_reason, d.created_at, d.updated_at
	FROM deliveries d JOIN messages m ON m.id = d.message_id
	WHERE m.municipality_id = ? AND d.state = ?
	ORDER BY d.id`

// ListDeliveriesByState implements store.Queries.
func (q queries) ListDeliveriesByState(ctx context.Context, municipalityID int64, state kigen.DeliveryState) (_ []*kigen.Delivery, err error) {
	defer wrap(&err, "ListDeliveriesByState(municipality %d, %s)", municipalityID, state)
	return queryAll(ctx, q.db, scanDelivery, listDeliveriesByStateSQL, municipalityID, string(state))
}
