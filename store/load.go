package store

import (
	"context"
	"iter"
	"slices"
	"strings"

	"kigen"
)

// Bench is what the benchmarks (kigen bench) need of a store beyond Store:
// loading a generated population fast, reading every card as a tick
// without the due-card index would, and undoing a tick or its deliveries
// to measure them again. Both backends have it.
//
// BulkLoad and the Undo methods act across municipalities, without the
// checks of the methods of Queries: use them only on a database made for
// the purpose.
type Bench interface {
	// BulkLoad writes the residents of each chunk, with their contacts,
	// cards and recorded notices, exactly as given — IDs included — as
	// fast as the backend can (COPY on PostgreSQL, one transaction of
	// prepared inserts a chunk on SQLite), stamped with the store's clock.
	// The rows must be consistent, as the Create and Upsert methods would
	// leave them: the backend may skip its foreign-key checks, and rebuild
	// its indexes, while it loads. Each card stores the stages of its
	// notices for its expiry as SetCardNextNoticeOn would. The Create and
	// Upsert methods then assign IDs above the loaded ones, and the
	// backend's statistics are up to date. It is not atomic: after an
	// error, drop the database.
	BulkLoad(ctx context.Context, chunks iter.Seq[[]LoadResident]) error
	// Checkpoint writes out what the database's log holds (PostgreSQL's
	// CHECKPOINT, which needs a superuser or pg_checkpoint; SQLite's
	// wal_checkpoint(TRUNCATE)), so that a measurement after a bulk load
	// does not pay for it.
	Checkpoint(ctx context.Context) error
	// ScanHoldings reads every resident with a card, across
	// municipalities, in resident ID order, and calls fn with each: three
	// reads side by side (cards with their residents, contacts, notices),
	// each ordered by resident, merged — what a tick without the due-card
	// index would read. Cards have no NextNoticeOn, and Sent holds every
	// notice recorded for the cards, whatever their expiry (kigen.Plan
	// passes over those of an earlier expiry). The holding and its slices
	// are reused for the next call. An error of fn stops the scan and is
	// returned.
	ScanHoldings(ctx context.Context, fn func(h *TickHolding) error) error
	// UndoTick deletes what the ticks of day recorded: their messages with
	// the messages' deliveries, the notices recorded on day, and the tick
	// records. The cards keep their next dates (SetCardsNextNoticeOn sets
	// them back).
	UndoTick(ctx context.Context, day kigen.Date) error
	// UndoDeliveries makes the messages of the ticks of day planned again,
	// without a token, and deletes their deliveries.
	UndoDeliveries(ctx context.Context, day kigen.Date) error
	// CountMessages counts the messages in a state, in every municipality.
	CountMessages(ctx context.Context, state kigen.MessageState) (int, error)
	// DatabaseVersion returns the version of the database server (or of
	// the SQLite library), such as "15.18".
	DatabaseVersion(ctx context.Context) (string, error)
}

// LoadResident is a resident with what Bench.BulkLoad writes for them, IDs
// chosen by the caller. Contacts are loaded with ID, Channel, Address,
// Consent, OptedOut and Failed; cards with ID, Kind, ExpiresOn,
// RenewalAppliedOn and NextNoticeOn; notices (already recorded, each of a
// card in Cards) with ID, CardID, ExpiresOn, Stage and TickDate. Their
// ResidentID, MunicipalityID and timestamps are the resident's and the
// store's.
type LoadResident struct {
	kigen.Resident // ID, MunicipalityID, Ref, Name, Language, Status, Channel
	Contacts       []kigen.Contact
	Cards          []kigen.Card
	Notices        []kigen.Notice
}

// StagesSent returns what card c stores of the stages recorded for it
// for its expiry: comma-separated in bytewise order, "" for none. For the
// backends' BulkLoad.
func (r *LoadResident) StagesSent(c kigen.Card) string {
	var stages []string
	for _, n := range r.Notices {
		if n.CardID == c.ID && n.ExpiresOn == c.ExpiresOn {
			stages = append(stages, string(n.Stage))
		}
	}
	slices.Sort(stages)
	return strings.Join(stages, ",")
}

// CardKind returns the kind of the card of r with this ID ("" if none).
// For the backends' BulkLoad: a notice stores its card's kind.
func (r *LoadResident) CardKind(cardID int64) kigen.CardKind {
	for _, c := range r.Cards {
		if c.ID == cardID {
			return c.Kind
		}
	}
	return ""
}

// Flags returns what the stores keep of r for the resident search and
// Today's counts (ResidentRow.Unreachable and GapOpen): whether
// kigen.SendChannels finds no channel for r, and whether kigen.GapOpen
// holds of r's residence card and My Number card. For the backends'
// BulkLoad, which writes them with the rows.
func (r *LoadResident) Flags() (unreachable, gapOpen bool) {
	var rc, mn kigen.Date
	for _, c := range r.Cards {
		switch c.Kind {
		case kigen.ResidenceCard:
			rc = c.ExpiresOn
		case kigen.MyNumberCard:
			mn = c.ExpiresOn
		}
	}
	return len(kigen.SendChannels(r.Channel, r.Contacts)) == 0, kigen.GapOpen(r.Status, rc, mn)
}

// GapCard reports whether a card of this kind bears on the renewal gap
// (kigen.GapOpen): a residence card or a My Number card. The backends
// set a resident's flags again after writing such a card only.
func GapCard(k kigen.CardKind) bool { return k == kigen.ResidenceCard || k == kigen.MyNumberCard }

// ByMunicipality groups the residents of keys by municipality.
func ByMunicipality(keys []ResidentKey) map[int64][]int64 {
	m := map[int64][]int64{}
	for _, k := range keys {
		m[k.MunicipalityID] = append(m[k.MunicipalityID], k.ResidentID)
	}
	return m
}
