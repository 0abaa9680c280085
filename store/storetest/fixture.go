package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"kigen"
	"kigen/store"
)

// MustCreateMunicipality creates a municipality with this code and a name
// derived from it, and returns it with its ID and timestamps set. It fails
// the test on error.
func MustCreateMunicipality(t testing.TB, ctx context.Context, q store.Queries, code string) *kigen.Municipality {
	t.Helper()
	m := &kigen.Municipality{
		Code:         code,
		Name:         "テスト市" + code,
		NameLatin:    "Test City " + code,
		ContactPhone: "+81-3-0000-" + code[max(0, len(code)-4):],
		ContactEmail: "kigen@" + code + ".city.example",
		ContactURL:   "https://" + code + ".city.example/kigen",
	}
	if err := q.CreateMunicipality(ctx, m); err != nil {
		t.Fatalf("CreateMunicipality(%q): %v", code, err)
	}
	return m
}

// MustUpsertResident upserts a resident with this ref in the municipality
// (English, fixed period of stay, default channel) and returns it with its
// ID and timestamps set. It fails the test on error.
func MustUpsertResident(t testing.TB, ctx context.Context, q store.Queries, municipalityID int64, ref string) *kigen.Resident {
	t.Helper()
	r := &kigen.Resident{
		MunicipalityID: municipalityID,
		Ref:            ref,
		Name:           "Resident " + ref,
		Language:       kigen.English,
		Status:         kigen.FixedPeriod,
		Channel:        kigen.PrefDefault,
	}
	if _, err := q.UpsertResident(ctx, r); err != nil {
		t.Fatalf("UpsertResident(%d, %q): %v", municipalityID, ref, err)
	}
	return r
}

// MustUpsertContact upserts a consented contact of the resident on the
// channel and returns it with its ID and timestamps set. It fails the test
// on error.
func MustUpsertContact(t testing.TB, ctx context.Context, q store.Queries, municipalityID, residentID int64, ch kigen.Channel, address string) *kigen.Contact {
	t.Helper()
	c := &kigen.Contact{ResidentID: residentID, Channel: ch, Address: address, Consent: true}
	if err := q.UpsertContact(ctx, municipalityID, c); err != nil {
		t.Fatalf("UpsertContact(%d, resident %d, %s): %v", municipalityID, residentID, ch, err)
	}
	return c
}

// MustUpsertCard upserts the resident's card of this kind expiring on
// expiresOn (no renewal applied for, no next notice) and returns it with
// its ID and timestamps set. It fails the test on error.
func MustUpsertCard(t testing.TB, ctx context.Context, q store.Queries, municipalityID, residentID int64, kind kigen.CardKind, expiresOn kigen.Date) *kigen.Card {
	t.Helper()
	c := &kigen.Card{ResidentID: residentID, Kind: kind, ExpiresOn: expiresOn}
	if err := q.UpsertCard(ctx, municipalityID, c); err != nil {
		t.Fatalf("UpsertCard(%d, resident %d, %s): %v", municipalityID, residentID, kind, err)
	}
	return c
}

// MustCreateNotice records the notice of this stage for the card's expiry
// date, planned by the tick of the day the stage falls due (the expiry
// date itself for a stage without lead days), and returns it with its ID
// and CreatedAt set. It fails the test on error.
func MustCreateNotice(t testing.TB, ctx context.Context, q store.Queries, municipalityID, cardID int64, expiresOn kigen.Date, stage kigen.Stage) *kigen.Notice {
	t.Helper()
	tick := expiresOn
	if days, ok := stage.LeadDays(); ok {
		tick = expiresOn.AddDays(-days)
	}
	n := &kigen.Notice{CardID: cardID, ExpiresOn: expiresOn, Stage: stage, TickDate: tick}
	if err := q.CreateNotice(ctx, municipalityID, n); err != nil {
		t.Fatalf("CreateNotice(%d, card %d, %s, %s): %v", municipalityID, cardID, expiresOn, stage, err)
	}
	return n
}

// MustCreateMessage records a planned message to the resident on the
// channel carrying these notices, and returns it with its ID and
// timestamps set. It fails the test on error.
func MustCreateMessage(t testing.TB, ctx context.Context, q store.Queries, municipalityID, residentID int64, ch kigen.Channel, tickDate kigen.Date, noticeIDs ...int64) *kigen.Message {
	t.Helper()
	m := &kigen.Message{
		MunicipalityID: municipalityID,
		ResidentID:     residentID,
		Channel:        ch,
		TickDate:       tickDate,
		State:          kigen.MessagePlanned,
		NoticeIDs:      noticeIDs,
	}
	if err := q.CreateMessage(ctx, m); err != nil {
		t.Fatalf("CreateMessage(%d, resident %d, %s): %v", municipalityID, residentID, ch, err)
	}
	return m
}

// MustCreateDelivery records a new delivery (state created) of the message
// through the provider, and returns it with its ID and timestamps set. It
// fails the test on error.
func MustCreateDelivery(t testing.TB, ctx context.Context, q store.Queries, messageID int64, provider string) *kigen.Delivery {
	t.Helper()
	d := &kigen.Delivery{MessageID: messageID, Provider: provider, State: kigen.DeliveryCreated}
	if err := q.CreateDelivery(ctx, d); err != nil {
		t.Fatalf("CreateDelivery(message %d, %s): %v", messageID, provider, err)
	}
	return d
}

// Tenant is a municipality with one of everything: a resident with an
// email contact and a residence card, a d90 notice for the card, a message
// carrying it and a delivery of that message.
type Tenant struct {
	Municipality *kigen.Municipality
	Resident     *kigen.Resident
	Contact      *kigen.Contact
	Card         *kigen.Card
	Notice       *kigen.Notice
	Message      *kigen.Message
	Delivery     *kigen.Delivery
}

// TenantCardExpiresOn is the expiry date of a Tenant's card; its next
// notice falls due 30 days before (the d90 notice is already recorded).
var TenantCardExpiresOn = kigen.NewDate(2027, time.June, 30)

// MustCreateTenant creates a Tenant whose municipality has this code and
// whose resident's ref is code+"-r1". It fails the test on error.
func MustCreateTenant(t testing.TB, ctx context.Context, q store.Queries, code string) *Tenant {
	t.Helper()
	m := MustCreateMunicipality(t, ctx, q, code)
	r := MustUpsertResident(t, ctx, q, m.ID, code+"-r1")
	ct := MustUpsertContact(t, ctx, q, m.ID, r.ID, kigen.Email, "r1@"+code+".example")
	card := &kigen.Card{
		ResidentID:   r.ID,
		Kind:         kigen.ResidenceCard,
		ExpiresOn:    TenantCardExpiresOn,
		NextNoticeOn: TenantCardExpiresOn.AddDays(-60),
	}
	if err := q.UpsertCard(ctx, m.ID, card); err != nil {
		t.Fatalf("UpsertCard(%d, resident %d): %v", m.ID, r.ID, err)
	}
	n := MustCreateNotice(t, ctx, q, m.ID, card.ID, card.ExpiresOn, kigen.D90)
	msg := MustCreateMessage(t, ctx, q, m.ID, r.ID, kigen.Email, n.TickDate, n.ID)
	d := MustCreateDelivery(t, ctx, q, msg.ID, "outbox")
	return &Tenant{Municipality: m, Resident: r, Contact: ct, Card: card, Notice: n, Message: msg, Delivery: d}
}

// noSuchID is an ID no row of a fresh store has.
const noSuchID int64 = 987654321

// equateTime compares timestamps as instants, allowing for PostgreSQL's
// microsecond precision when a backend stamps rows with its own clock.
var equateTime = cmpopts.EquateApproxTime(time.Microsecond)

// diff is cmp.Diff with the suite's options: approximate timestamps and
// nil slices equal to empty ones.
func diff(want, got any, opts ...cmp.Option) string {
	return cmp.Diff(want, got, append([]cmp.Option{equateTime, cmpopts.EquateEmpty()}, opts...)...)
}

// checkStamps fails the test if a timestamp pair is zero, not in UTC, or
// updated before created.
func checkStamps(t testing.TB, what string, created, updated time.Time) {
	t.Helper()
	for _, ts := range []struct {
		name string
		v    time.Time
	}{{"CreatedAt", created}, {"UpdatedAt", updated}} {
		if ts.v.IsZero() {
			t.Errorf("%s: %s is zero", what, ts.name)
		} else if ts.v.Location() != time.UTC {
			t.Errorf("%s: %s = %v, want a time in UTC", what, ts.name, ts.v)
		}
	}
	if !updated.IsZero() && updated.Before(created) {
		t.Errorf("%s: UpdatedAt %v is before CreatedAt %v", what, updated, created)
	}
}

// checkCreated fails the test if a CreatedAt without an UpdatedAt is zero
// or not in UTC.
func checkCreated(t testing.TB, what string, created time.Time) {
	t.Helper()
	if created.IsZero() {
		t.Errorf("%s: CreatedAt is zero", what)
	} else if created.Location() != time.UTC {
		t.Errorf("%s: CreatedAt = %v, want a time in UTC", what, created)
	}
}

// must fails the test at once if err is not nil.
func must(t testing.TB, err error, op string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// wantErr reports an error unless errors.Is(err, target).
func wantErr(t testing.TB, err, target error, op string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", op, err, target)
	}
}

// date parses an ISO date for the cases.
func date(s string) kigen.Date { return kigen.MustParseISODate(s) }
