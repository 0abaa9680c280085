package storetest

import (
	"testing"

	"kigen"
	"kigen/store"
)

// messageStatusFixture is two municipalities' messages of one day, and
// one of the next day: a (Tenant) has its resident's email message of the
// day with a delivery created, then an SMS that failed once and is still
// planned, an email sent and delivered, an email planned never tried, and
// an email of the next day; b has one message planned.
type messageStatusFixture struct {
	a, b                         *Tenant
	day                          kigen.Date
	smsFailed, sent, never, next *kigen.Message
	failedDelivery               *kigen.Delivery
}

func newMessageStatusFixture(t *testing.T, s store.Store) *messageStatusFixture {
	ctx := t.Context()
	f := &messageStatusFixture{a: MustCreateTenant(t, ctx, s, "012033"), b: MustCreateTenant(t, ctx, s, "131016")}
	a := f.a
	f.day = a.Message.TickDate
	mu, r := a.Municipality.ID, a.Resident.ID
	d30 := MustCreateNotice(t, ctx, s, mu, a.Card.ID, a.Card.ExpiresOn, kigen.D30)
	f.smsFailed = MustCreateMessage(t, ctx, s, mu, r, kigen.SMS, f.day, a.Notice.ID)
	f.failedDelivery = MustCreateDelivery(t, ctx, s, f.smsFailed.ID, "outbox")
	f.failedDelivery.State, f.failedDelivery.ErrorCode, f.failedDelivery.ErrorReason = kigen.DeliveryFailed, "write", "cannot append to the outbox file"
	must(t, s.UpdateDelivery(ctx, f.failedDelivery), "UpdateDelivery")
	f.sent = MustCreateMessage(t, ctx, s, mu, r, kigen.Email, f.day)
	old := MustCreateDelivery(t, ctx, s, f.sent.ID, "sendgrid")
	old.State = kigen.DeliveryFailed
	must(t, s.UpdateDelivery(ctx, old), "UpdateDelivery(first attempt)")
	last := MustCreateDelivery(t, ctx, s, f.sent.ID, "sendgrid")
	last.State = kigen.DeliveryDelivered
	must(t, s.UpdateDelivery(ctx, last), "UpdateDelivery(second attempt)")
	must(t, s.SetMessageState(ctx, f.sent.ID, kigen.MessageSent), "SetMessageState")
	f.sent.State = kigen.MessageSent
	f.never = MustCreateMessage(t, ctx, s, mu, r, kigen.Email, f.day)
	f.next = MustCreateMessage(t, ctx, s, mu, r, kigen.Email, f.day.AddDays(1), d30.ID)
	return f
}

// testListResidentMessages: a resident's messages, oldest first, each with
// its notices and its last delivery (none for a message never tried); none
// for the same resident asked for in another municipality.
func testListResidentMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newMessageStatusFixture(t, s)
	got, err := s.ListResidentMessages(ctx, f.a.Municipality.ID, f.a.Resident.ID)
	must(t, err, "ListResidentMessages")
	type row struct {
		ID       int64
		State    kigen.MessageState
		Notices  []int64
		Delivery kigen.DeliveryState
	}
	var rows []row
	for _, ms := range got {
		r := row{ID: ms.Message.ID, State: ms.Message.State, Notices: ms.Message.NoticeIDs}
		if ms.Delivery != nil {
			r.Delivery = ms.Delivery.State
			if ms.Delivery.MessageID != ms.Message.ID {
				t.Errorf("message %d came with delivery %d of message %d", ms.Message.ID, ms.Delivery.ID, ms.Delivery.MessageID)
			}
		}
		rows = append(rows, r)
	}
	want := []row{
		{f.a.Message.ID, kigen.MessagePlanned, []int64{f.a.Notice.ID}, kigen.DeliveryCreated},
		{f.smsFailed.ID, kigen.MessagePlanned, []int64{f.a.Notice.ID}, kigen.DeliveryFailed},
		{f.sent.ID, kigen.MessageSent, nil, kigen.DeliveryDelivered},
		{f.never.ID, kigen.MessagePlanned, nil, ""},
		{f.next.ID, kigen.MessagePlanned, f.next.NoticeIDs, ""},
	}
	if d := diff(want, rows); d != "" {
		t.Errorf("ListResidentMessages mismatch (-want +got):\n%s", d)
	}
	if d := diff(f.failedDelivery, got[1].Delivery); d != "" {
		t.Errorf("ListResidentMessages: the failed SMS's delivery mismatch (-want +got):\n%s", d)
	}
	if d := diff(f.a.Message, got[0].Message); d != "" {
		t.Errorf("ListResidentMessages: the first message mismatch (-want +got):\n%s", d)
	}
	other, err := s.ListResidentMessages(ctx, f.b.Municipality.ID, f.a.Resident.ID)
	must(t, err, "ListResidentMessages(other municipality)")
	if len(other) != 0 {
		t.Errorf("ListResidentMessages of a's resident under b: %d messages, want none", len(other))
	}
}

// testCountMessagesOn: the messages of a day in every municipality, by
// channel, state and last delivery; none of another day.
func testCountMessagesOn(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newMessageStatusFixture(t, s)
	got, err := s.CountMessagesOn(ctx, f.day)
	must(t, err, "CountMessagesOn")
	want := []store.MessageCount{
		{Channel: kigen.Email, State: kigen.MessagePlanned, Delivery: "", N: 1},
		{Channel: kigen.Email, State: kigen.MessagePlanned, Delivery: kigen.DeliveryCreated, N: 2}, // a's and b's
		{Channel: kigen.Email, State: kigen.MessageSent, Delivery: kigen.DeliveryDelivered, N: 1},
		{Channel: kigen.SMS, State: kigen.MessagePlanned, Delivery: kigen.DeliveryFailed, N: 1},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("CountMessagesOn(%s) mismatch (-want +got):\n%s", f.day, d)
	}
	none, err := s.CountMessagesOn(ctx, f.day.AddDays(-1))
	must(t, err, "CountMessagesOn(the day before)")
	if len(none) != 0 {
		t.Errorf("CountMessagesOn(the day before) = %v, want none", none)
	}
}

// testListPlannedMessagesOn: the day's planned messages of every
// municipality, by ID, page by page, with their last delivery.
func testListPlannedMessagesOn(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newMessageStatusFixture(t, s)
	var ids []int64
	var delivered []kigen.DeliveryState
	for after := int64(0); ; {
		page, err := s.ListPlannedMessagesOn(ctx, f.day, after, 2)
		must(t, err, "ListPlannedMessagesOn")
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("ListPlannedMessagesOn(limit 2) returned %d", len(page))
		}
		for _, ms := range page {
			ids = append(ids, ms.Message.ID)
			var st kigen.DeliveryState
			if ms.Delivery != nil {
				st = ms.Delivery.State
			}
			delivered = append(delivered, st)
			if ms.Message.State != kigen.MessagePlanned || ms.Message.TickDate != f.day {
				t.Errorf("ListPlannedMessagesOn: message %d is %s of %s", ms.Message.ID, ms.Message.State, ms.Message.TickDate)
			}
		}
		after = page[len(page)-1].Message.ID
	}
	wantIDs := []int64{f.a.Message.ID, f.b.Message.ID, f.smsFailed.ID, f.never.ID}
	wantStates := []kigen.DeliveryState{kigen.DeliveryCreated, kigen.DeliveryCreated, kigen.DeliveryFailed, ""}
	if d := diff(wantIDs, ids); d != "" {
		t.Errorf("ListPlannedMessagesOn IDs mismatch (-want +got):\n%s", d)
	}
	if d := diff(wantStates, delivered); d != "" {
		t.Errorf("ListPlannedMessagesOn last deliveries mismatch (-want +got):\n%s", d)
	}
}
