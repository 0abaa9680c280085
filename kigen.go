// Package kigen holds Kigen's domain: the types every layer shares and the
// pure rules that decide which reminder is due on which day.
//
// Nothing here does I/O or reads the clock. "Today" is always an argument
// (a Date in Asia/Tokyo), so every rule is a table test or a fuzz target.
// The rules follow docs/domain.md; Plan is the heart of it.
package kigen

import (
	"log/slog"
	"time"
)

// CardKind is the kind of a card Kigen watches.
type CardKind string

// The card kinds of docs/domain.md §2.
const (
	ResidenceCard  CardKind = "residence_card"  // 在留カード
	MyNumberCard   CardKind = "mynumber_card"   // マイナンバーカード
	MyNumberCert   CardKind = "mynumber_cert"   // its electronic certificates (電子証明書)
	IntegratedCard CardKind = "integrated_card" // 特定在留カード: residence + My Number card in one
)

// CardKinds lists every card kind in display order.
var CardKinds = []CardKind{ResidenceCard, IntegratedCard, MyNumberCard, MyNumberCert}

// Valid reports whether k is one of the known kinds.
func (k CardKind) Valid() bool {
	switch k {
	case ResidenceCard, MyNumberCard, MyNumberCert, IntegratedCard:
		return true
	}
	return false
}

// Field is the name of the CSV column (and JSON key) holding this kind's
// expiry date, e.g. "residence_card_expires_on".
func (k CardKind) Field() string { return string(k) + "_expires_on" }

// IsResidence reports whether the card carries the period of stay (and so
// can have a renewal applied for, and a special period): a residence card
// or an integrated card.
func (k CardKind) IsResidence() bool { return k == ResidenceCard || k == IntegratedCard }

// Status is a resident's residence category (docs/domain.md §2).
type Status string

// The residence categories.
const (
	FixedPeriod      Status = "fixed_period"      // any status of residence with a period of stay
	Permanent        Status = "permanent"         // 永住者, 高度専門職2号
	SpecialPermanent Status = "special_permanent" // 特別永住者: no residence card
)

// Valid reports whether s is a known category.
func (s Status) Valid() bool {
	return s == FixedPeriod || s == Permanent || s == SpecialPermanent
}

// Stage is one reminder stage of a card (docs/domain.md §4).
type Stage string

// The stages, least urgent first for the before-expiry ones.
const (
	D90           Stage = "d90"
	D60           Stage = "d60"
	D30           Stage = "d30"
	D14           Stage = "d14"
	D7            Stage = "d7"
	D3            Stage = "d3"
	D1            Stage = "d1"
	Expired       Stage = "expired"
	RenewalGap    Stage = "renewal_gap"
	SpecialPeriod Stage = "special_period"
)

// beforeStages are the before-expiry stages with their lead days, least
// urgent first.
var beforeStages = []struct {
	stage Stage
	days  int
}{{D90, 90}, {D60, 60}, {D30, 30}, {D14, 14}, {D7, 7}, {D3, 3}, {D1, 1}}

// Stages lists every stage.
var Stages = []Stage{D90, D60, D30, D14, D7, D3, D1, Expired, RenewalGap, SpecialPeriod}

// Valid reports whether s is a known stage.
func (s Stage) Valid() bool {
	for _, v := range Stages {
		if s == v {
			return true
		}
	}
	return false
}

// LeadDays returns how many days before expiry a before-expiry stage falls
// due (90 for d90) and false for the other stages.
func (s Stage) LeadDays() (int, bool) {
	for _, b := range beforeStages {
		if b.stage == s {
			return b.days, true
		}
	}
	return 0, false
}

// Language is the code of a language Kigen writes in (docs/domain.md §8).
type Language string

// The twelve languages.
const (
	Japanese   Language = "ja"
	EasyJapan  Language = "ja-easy"
	English    Language = "en"
	Chinese    Language = "zh"
	Korean     Language = "ko"
	Spanish    Language = "es"
	Portuguese Language = "pt"
	Thai       Language = "th"
	Nepali     Language = "ne"
	Indonesian Language = "id"
	Vietnamese Language = "vi"
	Tagalog    Language = "tl"
)

// Languages lists the twelve languages in a stable order.
var Languages = []Language{Japanese, EasyJapan, English, Chinese, Korean, Spanish,
	Portuguese, Thai, Nepali, Indonesian, Vietnamese, Tagalog}

// Valid reports whether l is one of the twelve languages.
func (l Language) Valid() bool {
	for _, v := range Languages {
		if l == v {
			return true
		}
	}
	return false
}

// Channel is a way to reach a resident.
type Channel string

// The channels, and the resident's choices among them.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Channels lists the channels.
var Channels = []Channel{Email, SMS}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Email || c == SMS }

// ChannelPref is what a resident chose: email, SMS, both, or the default
// (email if they gave one, else SMS).
type ChannelPref string

// The channel preferences.
const (
	PrefDefault ChannelPref = ""
	PrefEmail   ChannelPref = "email"
	PrefSMS     ChannelPref = "sms"
	PrefBoth    ChannelPref = "both"
)

// Valid reports whether p is a known preference.
func (p ChannelPref) Valid() bool {
	return p == PrefDefault || p == PrefEmail || p == PrefSMS || p == PrefBoth
}

// Municipality is a tenant: a city, town or village whose staff register
// residents. Its contact block is what messages show residents.
type Municipality struct {
	ID       int64
	Code     string           // the local government code (全国地方公共団体コード), e.g. "012033"
	Name     string           // Japanese name, e.g. 小樽市
	NameKana string           // the name's reading in hiragana, e.g. おたるし (may be empty)
	Kind     MunicipalityKind // 市, 区, 町 or 村 (docs/domain.md §13); empty: the name's suffix
	// NameLatin is the name in Latin script WITHOUT its kind: Otaru, not
	// Otaru City; each language adds the kind in its own word order
	// ("Otaru City Hall", "Prefeitura de Otaru"). Empty: messages use the
	// Japanese name.
	NameLatin string
	// The name, without its kind, in the scripts of Korean (오타루), Thai
	// (โอตารุ) and Nepali (ओतारु); each is optional (docs/domain.md §13).
	NameHangul     string
	NameThai       string
	NameDevanagari string
	// Office is the Japanese name of the office residents go to, when it is
	// not the municipality's own (OfficeJA): 小樽市役所 本庁舎 2階.
	Office       string
	ContactPhone string
	ContactEmail string
	ContactURL   string
	// Calendar is the days its office is open (docs/domain.md §12): the
	// date a reminder tells residents to go by is read from it. Its Closed
	// and WeekendOpen days are stored; its Holidays are the operator's
	// corrections (KIGEN_HOLIDAYS_FILE), set by whoever reads it.
	Calendar  OfficeCalendar
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LogValue implements slog.LogValuer: only the code, never contact data.
func (m *Municipality) LogValue() slog.Value { return slog.StringValue(m.Code) }

// Resident is a person who opted in, in one municipality. Ref is chosen by
// the municipality (宛名番号 or any reference); Kigen never stores the My
// Number nor a birth date.
type Resident struct {
	ID             int64
	MunicipalityID int64
	Ref            string
	Name           string // optional display name
	Language       Language
	Status         Status
	Channel        ChannelPref
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LogValue implements slog.LogValuer: only the id.
func (r *Resident) LogValue() slog.Value { return slog.Int64Value(r.ID) }

// Contact is one address of a resident on one channel. It is usable only
// when consented to (the resident confirmed it, or staff registered it with
// signed consent) and neither opted out nor failed.
type Contact struct {
	ID         int64
	ResidentID int64
	Channel    Channel
	Address    string // email address, or phone number in E.164
	Consent    bool   // confirmed by the resident or registered by staff with signed consent
	OptedOut   bool   // the resident said stop (STOP, one-click unsubscribe): wins over staff
	Failed     bool   // bounced or invalid: unusable until the address changes or is confirmed again
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Usable reports whether a message may be sent to c.
func (c Contact) Usable() bool { return c.Consent && !c.OptedOut && !c.Failed && c.Address != "" }

// LogValue implements slog.LogValuer: only the id.
func (c *Contact) LogValue() slog.Value { return slog.Int64Value(c.ID) }

// Card is one card of a resident, stored as its expiry date only.
//
// RenewalAppliedOn is set when a renewal of the period of stay was applied
// for (residence and integrated cards only) for this ExpiresOn; a new
// ExpiresOn clears it. NextNoticeOn is the date the card's next notice falls
// due (zero: nothing to do until the card or the resident changes); the
// daily tick reads only cards with NextNoticeOn ≤ today.
type Card struct {
	ID               int64
	ResidentID       int64
	Kind             CardKind
	ExpiresOn        Date
	RenewalAppliedOn Date
	NextNoticeOn     Date
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// NoticeKey identifies a notice for good: one card, one expiry date, one
// stage is sent at most once.
type NoticeKey struct {
	CardID    int64
	ExpiresOn Date
	Stage     Stage
}

// Notice is one reminder recorded for a card: the key, the tick that
// planned it and the message that carried it.
type Notice struct {
	ID        int64
	CardID    int64
	ExpiresOn Date
	Stage     Stage
	TickDate  Date
	CreatedAt time.Time
}

// Key returns the notice's identity.
func (n Notice) Key() NoticeKey { return NoticeKey{n.CardID, n.ExpiresOn, n.Stage} }

// MessageState is where a message is on its way to the resident.
type MessageState string

// Message states. A message is planned, then a delivery hands it to a
// provider; the last delivery's outcome is the message's.
const (
	MessagePlanned   MessageState = "planned"   // recorded by a tick, not yet sent
	MessageSent      MessageState = "sent"      // a provider accepted it
	MessageDelivered MessageState = "delivered" // the provider reported delivery
	MessageFailed    MessageState = "failed"    // failed for good on this channel
	MessageDropped   MessageState = "dropped"   // could not go out in time (docs/domain.md §11.18)
	MessageUnknown   MessageState = "unknown"   // a send may have reached the provider before a crash
)

// Message is what one tick sends one resident on one channel: every notice
// due that day for that resident (docs/domain.md §7). Its text is rendered when
// it is sent, not stored.
type Message struct {
	ID             int64
	MunicipalityID int64
	ResidentID     int64
	Channel        Channel
	TickDate       Date
	State          MessageState
	NoticeIDs      []int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// LogValue implements slog.LogValuer: only the id.
func (m *Message) LogValue() slog.Value { return slog.Int64Value(m.ID) }

// DeliveryState is the state of one attempt to hand a message to a provider.
type DeliveryState string

// Delivery states (created → sending → accepted → delivered | bounced |
// failed, or unknown when the process died mid-call).
const (
	DeliveryCreated   DeliveryState = "created"
	DeliverySending   DeliveryState = "sending"
	DeliveryAccepted  DeliveryState = "accepted"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryBounced   DeliveryState = "bounced" // the receiving mail server refused it
	DeliveryFailed    DeliveryState = "failed"
	DeliveryUnknown   DeliveryState = "unknown"
)

// Delivery is one attempt to send a message through a provider.
type Delivery struct {
	ID                int64
	MessageID         int64
	Provider          string // "outbox", "sendgrid", "twilio"
	State             DeliveryState
	ProviderMessageID string
	ErrorCode         string
	ErrorReason       string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}
