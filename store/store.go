// Package store defines how Kigen keeps its data: the Store interface, the
// parameter types and the sentinel errors. The backends are store/sqlite
// (the embedded default) and store/postgres; store/storetest is the one
// conformance suite both pass.
//
// Every resident-level method takes the municipality (the tenant) and never
// reads or changes another municipality's rows: a resident of municipality A
// asked for under municipality B is ErrNotFound. Only the methods the daily
// tick needs (ListDueCards) read across municipalities.
package store

import (
	"cmp"
	"context"
	"errors"
	"time"

	"kigen"
)

// Sentinel errors. Backends translate driver errors into them; test them
// with errors.Is.
var (
	// ErrNotFound: no such row (in this municipality).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule would be broken (a municipality code
	// taken, a notice already recorded).
	ErrConflict = errors.New("conflict")
)

// LinkSecretSize is the size of the secret LinkSecret returns.
const LinkSecretSize = 32

// Store is Kigen's database. It is safe for concurrent use. Methods called
// on the Store directly each run in their own transaction; InTx groups
// several into one.
//
// On SQLite there is one connection: while InTx's fn runs, a call on the
// Store itself (not on the Tx) waits for it. Inside fn, use only the Tx.
type Store interface {
	Queries

	// InTx runs fn in one transaction: committed if fn returns nil, rolled
	// back (with every row fn wrote, and every River job inserted through
	// Tx.Driver) if fn returns an error or panics. fn runs once.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// Migrate applies the embedded migrations not yet applied. It is
	// idempotent and safe to run while another process runs it too.
	Migrate(ctx context.Context) error

	// MigrationsPending returns how many embedded migrations are not
	// applied: 0 once Migrate has run (a readiness check refuses traffic
	// until then).
	MigrationsPending(ctx context.Context) (int, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the database.
	Close() error
}

// Tx is a Store transaction.
type Tx interface {
	Queries

	// Driver returns the driver's transaction — a pgx.Tx on PostgreSQL, a
	// *sql.Tx on SQLite — so that River's InsertManyTx can join it: the
	// jobs commit or roll back with the notices they deliver.
	Driver() any
}

// Queries are the reads and writes of Kigen's data, on a Store or in a Tx.
type Queries interface {
	AuditQueries
	AccountQueries
	OpsQueries
	CalendarQueries
	SelfQueries
	ImportQueries

	// CreateMunicipality stores m and sets its ID and timestamps.
	// ErrConflict if the code is taken.
	CreateMunicipality(ctx context.Context, m *kigen.Municipality) error
	// UpdateMunicipality saves every field of m (by ID) but the code, and
	// sets m.UpdatedAt (and m.Code, m.CreatedAt from the row). ErrNotFound
	// if there is no such municipality.
	UpdateMunicipality(ctx context.Context, m *kigen.Municipality) error
	// GetMunicipality returns the municipality with this ID, or ErrNotFound.
	GetMunicipality(ctx context.Context, id int64) (*kigen.Municipality, error)
	// GetMunicipalityByCode returns the municipality with this code, or
	// ErrNotFound.
	GetMunicipalityByCode(ctx context.Context, code string) (*kigen.Municipality, error)
	// ListMunicipalities returns every municipality, ordered by code.
	ListMunicipalities(ctx context.Context) ([]*kigen.Municipality, error)

	// UpsertResident stores r by (r.MunicipalityID, r.Ref): it creates the
	// resident, or updates name, language, status and channel of the one
	// with that ref. It sets r.ID and the timestamps, and reports whether
	// the resident was created. ErrNotFound if the municipality does not
	// exist.
	UpsertResident(ctx context.Context, r *kigen.Resident) (created bool, err error)
	// GetResident returns the resident with this ID in this municipality,
	// or ErrNotFound.
	GetResident(ctx context.Context, municipalityID, id int64) (*kigen.Resident, error)
	// GetResidentByRef returns the resident with this ref (compared exactly,
	// case-sensitive) in this municipality, or ErrNotFound.
	GetResidentByRef(ctx context.Context, municipalityID int64, ref string) (*kigen.Resident, error)
	// ListResidents returns a page of the municipality's residents ordered
	// by ID.
	ListResidents(ctx context.Context, f ResidentFilter) ([]*kigen.Resident, error)
	// ListResidentsByRef returns the residents of the municipality with
	// these refs (unknown refs are left out), ordered by ID. Used to merge
	// an imported batch with what is stored, in one query.
	ListResidentsByRef(ctx context.Context, municipalityID int64, refs ...string) ([]*kigen.Resident, error)
	// UpsertResidents is UpsertResident for many residents of one
	// municipality (distinct refs, else ErrConflict) at once, in as few statements as the
	// backend allows; it sets each resident's ID, MunicipalityID and
	// timestamps, and returns whether each was created, in order.
	// ErrNotFound if the municipality does not exist; nothing is written
	// then.
	UpsertResidents(ctx context.Context, municipalityID int64, rs []*kigen.Resident) (created []bool, err error)
	// DeleteResident erases the resident with its contacts and cards for
	// good. Notices, messages and deliveries stay, detached from the
	// person, so that aggregate counts survive. ErrNotFound if absent.
	DeleteResident(ctx context.Context, municipalityID, id int64) error

	// UpsertContact stores c by (resident, channel): one contact per channel.
	// It sets c.ID and the timestamps. A changed Address clears Failed (a new
	// address gets a new chance) but never OptedOut. ErrNotFound if the
	// resident is not in this municipality.
	UpsertContact(ctx context.Context, municipalityID int64, c *kigen.Contact) error
	// UpsertContacts is UpsertContact for many contacts (distinct
	// resident+channel, else ErrConflict) of one municipality at once, with
	// the same rules and the same fields set on each. ErrNotFound if a
	// resident is not in the municipality; nothing is written then.
	UpsertContacts(ctx context.Context, municipalityID int64, cs []*kigen.Contact) error
	// ListContacts returns the contacts of these residents of the
	// municipality, ordered by resident ID then channel.
	ListContacts(ctx context.Context, municipalityID int64, residentIDs ...int64) ([]*kigen.Contact, error)
	// DeleteContact removes a resident's contact on a channel. ErrNotFound if
	// there is none.
	DeleteContact(ctx context.Context, municipalityID, residentID int64, ch kigen.Channel) error

	// UpsertCard stores c by (resident, kind): one card per kind. It sets
	// c.ID and the timestamps. A changed ExpiresOn clears RenewalAppliedOn
	// (the application was for the old date). NextNoticeOn is stored as
	// given. ErrNotFound if the resident is not in this municipality.
	UpsertCard(ctx context.Context, municipalityID int64, c *kigen.Card) error
	// UpsertCards is UpsertCard for many cards (distinct resident+kind, else
	// ErrConflict) of one municipality at once, with the same rules and the
	// same fields set on each. ErrNotFound if a resident is not in the
	// municipality; nothing is written then.
	UpsertCards(ctx context.Context, municipalityID int64, cs []*kigen.Card) error
	// ListCards returns the cards of these residents of the municipality,
	// ordered by resident ID then kind.
	ListCards(ctx context.Context, municipalityID int64, residentIDs ...int64) ([]*kigen.Card, error)
	// DeleteCard removes a resident's card of one kind (its notices stay,
	// detached). ErrNotFound if there is none.
	DeleteCard(ctx context.Context, municipalityID, residentID int64, kind kigen.CardKind) error
	// SetCardRenewalApplied records (or, with the zero Date, clears) that a
	// renewal was applied for on that date for the card's current expiry.
	// ErrNotFound if the card is not in this municipality.
	SetCardRenewalApplied(ctx context.Context, municipalityID, cardID int64, on kigen.Date) error
	// SetCardNextNoticeOn stores the date the card's next notice falls due
	// (the zero Date: none), and with it the stages of the notices recorded
	// for the card's expiry as of now, which ListHoldings reads.
	// ErrNotFound if the card is not in this municipality.
	SetCardNextNoticeOn(ctx context.Context, municipalityID, cardID int64, on kigen.Date) error
	// SetSMSOptOut switches every SMS contact with this number (E.164), in
	// every municipality, opted out (STOP) or back in (START), and returns
	// the residents whose contact changed. It is not scoped: an SMS keyword
	// names only the phone number. An unknown number changes nothing.
	SetSMSOptOut(ctx context.Context, phone string, optedOut bool) ([]ResidentKey, error)

	// SetCardsNextNoticeOn is SetCardNextNoticeOn for many cards at once,
	// for the tick: each card in its own municipality, which may differ from
	// one to the next (a card listed twice is ErrConflict). ErrNotFound if a
	// card is not in the municipality given with it; nothing is written
	// then.
	SetCardsNextNoticeOn(ctx context.Context, cs []CardNext) error
	// ListDueCards returns up to limit (> 0) cards, across all municipalities,
	// whose NextNoticeOn is on or before the date, earliest first (then by
	// ID). It reads only due rows, through an index: a tick costs
	// O(cards due), not O(cards).
	ListDueCards(ctx context.Context, on kigen.Date, limit int) ([]DueCard, error)

	// CreateNotice records n and sets its ID and CreatedAt. ErrConflict if
	// (card, expires on, stage) is already recorded: a notice is never sent
	// twice. A conflict inside InTx leaves the transaction usable.
	// ErrNotFound if the card is not in this municipality (never
	// ErrConflict: one municipality cannot learn what another has sent).
	CreateNotice(ctx context.Context, municipalityID int64, n *kigen.Notice) error
	// CreateNotices is CreateNotice for many notices at once, for the tick:
	// each in its own municipality, which may differ from one to the next.
	// It records those not yet recorded, sets their ID and CreatedAt, and
	// returns, in order, whether each was recorded — false for a notice a
	// concurrent tick already recorded (no error, and the enclosing
	// transaction stays usable; a key listed twice is recorded for its first
	// entry). ErrNotFound if a card is not in the municipality given with
	// its notice; nothing is written then.
	CreateNotices(ctx context.Context, ns []ScopedNotice) (created []bool, err error)
	// ListNotices returns the notices recorded for these cards of the
	// municipality, ordered by ID.
	ListNotices(ctx context.Context, municipalityID int64, cardIDs ...int64) ([]*kigen.Notice, error)
	// ListHoldings reads, for the tick, the residents named by keys, of
	// any municipalities, each matched on its municipality and ID: what
	// kigen.Plan and kigen.SendChannels take of each, their contacts and
	// cards, and the keys of the notices recorded for each card's current
	// expiry (TickHolding) — what HoldingsOf would return, municipality by
	// municipality, less what the rules do not read. The holdings come in
	// the order of keys, a key given twice once; a key naming no resident
	// of its municipality is left out. It makes a few statements whatever
	// the number of municipalities; call it in a transaction for a
	// consistent read.
	//
	// A card's notices are those stored with its next date (as
	// SetCardNextNoticeOn and SetCardsNextNoticeOn store them), unless its
	// expiry changed since, when they are read afresh: never a notice not
	// recorded, but one recorded after the card's next date was last set
	// may be missing — at worst planned again, and then found recorded
	// (CreateNotices). The tick sets the next date of every card it
	// records a notice for, after recording it.
	ListHoldings(ctx context.Context, keys []ResidentKey) ([]TickHolding, error)

	// CreateMessage records m with the notices it carries and sets its ID and
	// timestamps; an empty State is stored as planned. The municipality, the
	// resident (if set) and every notice in m.NoticeIDs must exist in
	// m.MunicipalityID, else ErrNotFound and nothing is written; a notice
	// listed twice is ErrConflict.
	CreateMessage(ctx context.Context, m *kigen.Message) error
	// CreateMessages is CreateMessage for many messages at once (the
	// tick's), each in its own MunicipalityID, which may differ from one to
	// the next, with the same rules; atomic on the Store.
	CreateMessages(ctx context.Context, ms []*kigen.Message) error
	// GetMessage returns the message with this ID, with its NoticeIDs, or
	// ErrNotFound. Delivery workers use it; it is not scoped because a job
	// carries only the message ID.
	GetMessage(ctx context.Context, id int64) (*kigen.Message, error)
	// MessageCarriesNotices reports whether a message of the municipality on
	// the channel already carries one of these notices (a fallback must
	// not send them twice on one channel).
	MessageCarriesNotices(ctx context.Context, municipalityID int64, ch kigen.Channel, noticeIDs []int64) (bool, error)
	// SetMessageState moves a message to a state. ErrNotFound if absent.
	SetMessageState(ctx context.Context, id int64, state kigen.MessageState) error
	// SetMessageToken stores the hash (SHA-256) of the message's link token:
	// the token itself goes only into the message's links (/m/{token},
	// /u/{token}) and is never stored. A message keeps the first hash it is
	// given: a link once sent keeps working, whatever a later attempt
	// passes (an empty hash clears it). ErrNotFound if absent.
	SetMessageToken(ctx context.Context, id int64, tokenHash []byte) error
	// LinkSecret returns the database's secret for deriving link tokens
	// (LinkSecretSize random bytes), creating it on the first call. Every
	// caller, in every process on the database, gets the same secret, also
	// when several create it at once.
	LinkSecret(ctx context.Context) ([]byte, error)
	// GetMessageByToken returns the message whose token hashes to tokenHash,
	// or ErrNotFound.
	GetMessageByToken(ctx context.Context, tokenHash []byte) (*kigen.Message, error)

	// ListResidentMessages returns the messages of the resident of the
	// municipality, oldest first (by ID), each with its NoticeIDs and its
	// last delivery: what became of each notice (kigen resident show).
	ListResidentMessages(ctx context.Context, municipalityID, residentID int64) ([]MessageStatus, error)
	// CountMessagesOn counts the messages of tick date day, in every
	// municipality, by channel, state and the state of their last
	// delivery ("" for none), in that order.
	CountMessagesOn(ctx context.Context, day kigen.Date) ([]MessageCount, error)
	// ListPlannedMessagesOn returns up to limit (> 0) messages of tick date
	// day still planned, in every municipality, with an ID above afterID,
	// by ID (keyset paging), each with its last delivery but without its
	// NoticeIDs.
	ListPlannedMessagesOn(ctx context.Context, day kigen.Date, afterID int64, limit int) ([]MessageStatus, error)

	// CreateTick records the start of a tick for a day and sets t.ID; a
	// zero StartedAt is stamped with the store's clock. It sets and records
	// t.TimeTravel: whether t.Date is not the date of StartedAt in
	// Asia/Tokyo.
	CreateTick(ctx context.Context, t *Tick) error
	// FinishTick records the end of a tick with what it planned (a zero
	// FinishedAt is stamped with the store's clock). ErrNotFound if absent.
	FinishTick(ctx context.Context, t *Tick) error
	// LastTick returns the most recently started tick, or ErrNotFound if
	// none ever ran.
	LastTick(ctx context.Context) (*Tick, error)

	// CreateDelivery records d for its message and sets its ID and
	// timestamps. ErrNotFound if the message does not exist.
	CreateDelivery(ctx context.Context, d *kigen.Delivery) error
	// UpdateDelivery saves d's state, provider message ID and error (by ID)
	// and sets UpdatedAt. ErrNotFound if absent.
	UpdateDelivery(ctx context.Context, d *kigen.Delivery) error
	// GetDelivery returns the delivery with this ID, or ErrNotFound.
	GetDelivery(ctx context.Context, id int64) (*kigen.Delivery, error)
	// ListDeliveries returns the deliveries of a message, oldest first.
	ListDeliveries(ctx context.Context, messageID int64) ([]*kigen.Delivery, error)

	// ListStaleCards returns a page of the municipality's cards whose
	// ExpiresOn is before f.Before, by ExpiresOn then ID from after
	// (f.AfterDate, f.AfterID), each with its resident's ref: with today −
	// 30 days, the candidates for the staff's stale list (docs/domain.md
	// §4, §11.5). It does not look at RenewalAppliedOn: a residence or
	// integrated card whose renewal is pending is stale only after its
	// special period (ExpiresOn + 2 months), which the caller checks. It
	// reads through an index on (municipality, expiry): a page costs
	// O(page), not O(cards).
	ListStaleCards(ctx context.Context, f FollowupFilter) ([]StaleCard, error)
	// ListUnreachableCandidates returns a page of the municipality's
	// residents, by ID above f.AfterID, who may be unreachable. Every
	// resident kigen.SendChannels finds no channel for is among them (the
	// stores return exactly those, from the flag their writes keep); the
	// caller decides with it.
	ListUnreachableCandidates(ctx context.Context, f FollowupFilter) ([]*kigen.Resident, error)
	// ListFailedMessages returns a page of the residents of the
	// municipality with a failed message, by resident ID above f.AfterID:
	// the latest failed message of each (without NoticeIDs), with the
	// resident's ref. Messages of erased residents are left out.
	ListFailedMessages(ctx context.Context, f FollowupFilter) ([]FailedMessage, error)
	// ListUnknownSends returns a page of the deliveries in state unknown of
	// the municipality's messages, by ID above f.AfterID, each with its
	// message (without NoticeIDs) and the resident's ref ("" if erased).
	ListUnknownSends(ctx context.Context, f FollowupFilter) ([]UnknownSend, error)
	// SearchResidents returns a page of the municipality's residents that
	// f selects, by ref (bytewise), up to f.Limit after f.AfterRef, each
	// with its soonest expiry and flags. The conditions read indexes where
	// one helps (ref prefix, name trigrams on PostgreSQL, contact address,
	// card expiry).
	SearchResidents(ctx context.Context, f ResidentSearch) ([]ResidentRow, error)
	// CountResidents counts the residents SearchResidents selects with f,
	// over every page (f.AfterRef and f.Limit are not read).
	CountResidents(ctx context.Context, f ResidentSearch) (int, error)
	// CountSentMessages counts the municipality's messages of tick date
	// day that the provider took (sent, delivered or not).
	CountSentMessages(ctx context.Context, municipalityID int64, day kigen.Date) (int, error)
	// CountFailedMessages counts the municipality's messages that failed
	// for good and last changed at or after since.
	CountFailedMessages(ctx context.Context, municipalityID int64, since time.Time) (int, error)
	// ListDeliveriesByState returns the deliveries in this state of the
	// municipality's messages, oldest first (by ID): with DeliveryUnknown,
	// the sends an operator must settle.
	ListDeliveriesByState(ctx context.Context, municipalityID int64, state kigen.DeliveryState) ([]*kigen.Delivery, error)
}

// FollowupFilter selects a page of one municipality's rows for the
// follow-up list: those whose key is above AfterID (ListStaleCards: whose
// (ExpiresOn, ID) is above (AfterDate, AfterID)), at most Limit (> 0).
type FollowupFilter struct {
	MunicipalityID int64
	Before         kigen.Date // ListStaleCards: cards expiring before this date
	AfterDate      kigen.Date // ListStaleCards: the expiry of the last card of the previous page
	AfterID        int64
	Limit          int
}

// StaleCard is a card of the stale list with its resident's ref.
type StaleCard struct {
	Card *kigen.Card
	Ref  string
}

// FailedMessage is a resident's latest failed message with their ref.
type FailedMessage struct {
	Message *kigen.Message
	Ref     string
}

// UnknownSend is a delivery whose outcome is unknown, with its message and
// the resident's ref ("" if erased).
type UnknownSend struct {
	Delivery *kigen.Delivery
	Message  *kigen.Message
	Ref      string
}

// ResidentFilter selects a page of one municipality's residents.
type ResidentFilter struct {
	MunicipalityID int64
	IDs            []int64 // non-nil: only these residents (unknown IDs left out; empty: none)
	AfterID        int64   // return residents with a larger ID (keyset paging)
	Limit          int     // at most this many; 0 means 1000
}

// Tick is one run of the daily tick: what /readyz checks and operators see.
type Tick struct {
	ID         int64
	Date       kigen.Date // the day planned (Asia/Tokyo)
	StartedAt  time.Time
	FinishedAt time.Time // zero while it runs (or if it died)
	Notices    int       // notices recorded
	Messages   int       // messages planned
	// TimeTravel: Date was not today in Asia/Tokyo when the tick started
	// (kigen tick --now, KIGEN_NOW): it planned another day than the real
	// one. Set by CreateTick.
	TimeTravel bool
}

// MessageStatus is a message with its last delivery: nil while none was
// recorded (the message was never tried).
type MessageStatus struct {
	Message  *kigen.Message
	Delivery *kigen.Delivery
}

// MessageCount is how many messages of a day are in a state on a channel,
// by the state of their last delivery ("" for none).
type MessageCount struct {
	Channel  kigen.Channel
	State    kigen.MessageState
	Delivery kigen.DeliveryState
	N        int
}

// ResidentKey names a resident with their municipality.
type ResidentKey struct {
	MunicipalityID int64
	ResidentID     int64
}

// Compare orders keys by municipality, then resident ID: -1, 0 or +1 as k
// is before, equal to or after o.
func (k ResidentKey) Compare(o ResidentKey) int {
	return cmp.Or(cmp.Compare(k.MunicipalityID, o.MunicipalityID), cmp.Compare(k.ResidentID, o.ResidentID))
}

// ScopedNotice is a notice with the municipality it is recorded in, for
// CreateNotices.
type ScopedNotice struct {
	MunicipalityID int64
	Notice         *kigen.Notice
}

// CardNext is a card's next notice date (the zero Date: none) with the
// card's municipality, for SetCardsNextNoticeOn.
type CardNext struct {
	MunicipalityID int64
	CardID         int64
	On             kigen.Date
}

// DueCard is a card the tick must look at: enough to load its resident.
type DueCard struct {
	CardID         int64
	MunicipalityID int64
	ResidentID     int64
	NextNoticeOn   kigen.Date
}
