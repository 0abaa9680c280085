package scheduler_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kigen"
	"kigen/internal/storetesting"
	"kigen/notify"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/storetest"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, kigen.Tokyo)

// backends runs f on a fresh SQLite store and a fresh PostgreSQL store.
func backends(t *testing.T, f func(t *testing.T, s store.Store)) { storetesting.Each(t, f) }

// fixture is a resident reachable by email only, with a message sent on
// email through a provider and its delivery in state accepted.
type fixture struct {
	tenant   *storetest.Tenant
	delivery *kigen.Delivery
}

func newFixture(t *testing.T, s store.Store, provider string, ch kigen.Channel) fixture {
	t.Helper()
	ctx := t.Context()
	tn := storetest.MustCreateTenant(t, ctx, s, "012033")
	if ch == kigen.SMS {
		if err := s.DeleteContact(ctx, tn.Municipality.ID, tn.Resident.ID, kigen.Email); err != nil {
			t.Fatal(err)
		}
		tn.Contact = storetest.MustUpsertContact(t, ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.SMS, "+819012345678")
		tn.Message = storetest.MustCreateMessage(t, ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.SMS, tn.Notice.TickDate, tn.Notice.ID)
	}
	time.Sleep(2 * time.Millisecond) // the delivery is made after the contact
	d := storetest.MustCreateDelivery(t, ctx, s, tn.Message.ID, provider)
	d.State, d.ProviderMessageID = kigen.DeliveryAccepted, "pm-1"
	if err := s.UpdateDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := store.Replan(ctx, s, tn.Municipality.ID, tn.Resident.ID, kigen.DateOf(now)); err != nil {
		t.Fatal(err)
	}
	return fixture{tenant: tn, delivery: d}
}

func (f fixture) state(t *testing.T, s store.Store) (kigen.DeliveryState, kigen.MessageState, *kigen.Contact, kigen.Date) {
	t.Helper()
	ctx := t.Context()
	d, err := s.GetDelivery(ctx, f.delivery.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMessage(ctx, f.tenant.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := store.LoadHoldings(ctx, s, f.tenant.Municipality.ID, f.tenant.Resident.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d.State, m.State, hs[0].Contacts[0], hs[0].Cards[0].NextNoticeOn
}

// serve sends r to h and returns the status.
func serve(h http.Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestSink_SendGridEvents(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, "sendgrid", kigen.Email)
		fake := sendgridtest.NewServer()
		defer fake.Close()
		sink := &scheduler.Sink{Store: s, Now: func() time.Time { return now }}
		h, err := sendgrid.NewEventHandler(fake.PublicKeyBase64(), sink, &sendgrid.EventHandlerOpts{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		post := func(events ...sendgridtest.Event) int {
			for i := range events {
				events[i].KigenMessageID = fmt.Sprint(f.tenant.Message.ID)
				events[i].Email = f.tenant.Contact.Address
				events[i].Timestamp = now.Unix()
				events[i].SGMessageID = "pm-1.filter"
			}
			return serve(h, fake.NewEventRequest("https://kigen.example"+sendgrid.EventPath, sendgridtest.Events(events...), now))
		}

		if code := post(sendgridtest.Event{Event: "delivered"}); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("delivered: status %d", code)
		}
		post(sendgridtest.Event{Event: "processed"}, sendgridtest.Event{Event: "delivered"}) // late and duplicate
		if d, m, c, _ := f.state(t, s); d != kigen.DeliveryDelivered || m != kigen.MessageDelivered || c.Failed {
			t.Errorf("after delivered + late processed: delivery %s, message %s, contact failed %t", d, m, c.Failed)
		}

		// An asynchronous hard bounce: the address is bad.
		post(sendgridtest.Event{Event: "bounce", Type: "bounce", Status: "5.1.1", Reason: "550 5.1.1 unknown user"})
		d, m, c, next := f.state(t, s)
		if d != kigen.DeliveryBounced || m != kigen.MessageFailed || !c.Failed {
			t.Errorf("after bounce: delivery %s, message %s, contact failed %t; want bounced, failed, true", d, m, c.Failed)
		}
		if !next.IsZero() {
			t.Errorf("a resident with no usable contact still has a next notice date %s", next)
		}

		// A forged request changes nothing.
		body := sendgridtest.Events(sendgridtest.Event{Event: "delivered", KigenMessageID: fmt.Sprint(f.tenant.Message.ID), Timestamp: now.Unix()})
		r := fake.NewEventRequest("https://kigen.example"+sendgrid.EventPath, body, now)
		other := sendgridtest.NewServer()
		defer other.Close()
		r.Header.Set(sendgridtest.SignatureHeader, other.NewEventRequest("https://x", body, now).Header.Get(sendgridtest.SignatureHeader))
		if code := serve(h, r); code != http.StatusForbidden {
			t.Errorf("forged signature: status %d, want 403", code)
		}
		if d, _, _, _ := f.state(t, s); d != kigen.DeliveryBounced {
			t.Errorf("a forged event changed the delivery to %s", d)
		}
	})
}

func TestSink_TwilioStatusAndKeywords(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, "twilio", kigen.SMS)
		fake := twiliotest.NewServer()
		defer fake.Close()
		const public = "https://kigen.example"
		sink := &scheduler.Sink{Store: s, Now: func() time.Time { return now }}
		status, err := twilio.NewStatusHandler(fake.AuthToken, public, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		inbound, err := twilio.NewInboundHandler(fake.AuthToken, public, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		statusURL := fmt.Sprintf("%s%s?message_id=%d", public, twilio.StatusPath, f.tenant.Message.ID)
		if code := serve(status, fake.NewWebhookRequest(statusURL, fake.StatusForm("pm-1", "delivered", 0))); code >= 300 {
			t.Fatalf("status callback: %d", code)
		}
		serve(status, fake.NewWebhookRequest(statusURL, fake.StatusForm("pm-1", "sent", 0))) // late
		if d, m, _, _ := f.state(t, s); d != kigen.DeliveryDelivered || m != kigen.MessageDelivered {
			t.Errorf("after delivered + late sent: delivery %s, message %s", d, m)
		}

		_, _, _, before := f.state(t, s)
		if before.IsZero() {
			t.Fatal("fixture resident has no next notice date")
		}
		if code := serve(inbound, fake.NewWebhookRequest(public+twilio.InboundPath, fake.InboundForm("+819012345678", "停止"))); code >= 300 {
			t.Fatalf("inbound STOP: %d", code)
		}
		if _, _, c, next := f.state(t, s); !c.OptedOut || !next.IsZero() {
			t.Errorf("after 停止: opted out %t, next %s; want opted out and nothing planned", c.OptedOut, next)
		}
		serve(inbound, fake.NewWebhookRequest(public+twilio.InboundPath, fake.InboundForm("+819012345678", "START")))
		if _, _, c, next := f.state(t, s); c.OptedOut || next != before {
			t.Errorf("after START: opted out %t, next %s; want back on, next %s", c.OptedOut, next, before)
		}

		// A request signed with another token is refused.
		forged := fake.NewWebhookRequest(public+twilio.InboundPath, fake.InboundForm("+819012345678", "STOP"))
		forged.Header.Set(twiliotest.SignatureHeader, twiliotest.Sign("0123456789abcdef0123456789abcdef", public+twilio.InboundPath, fake.InboundForm("+819012345678", "STOP")))
		if code := serve(inbound, forged); code != http.StatusForbidden {
			t.Errorf("forged STOP: %d, want 403", code)
		}
		if _, _, c, _ := f.state(t, s); c.OptedOut {
			t.Error("a forged STOP opted the resident out")
		}
	})
}

func TestSink_UnknownMessage(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		sink := &scheduler.Sink{Store: s}
		err := sink.ApplyEvent(t.Context(), notify.Event{MessageID: 999999, Provider: "sendgrid", Status: notify.StatusDelivered})
		if !errors.Is(err, notify.ErrUnknownMessage) {
			t.Errorf("ApplyEvent(unknown message) = %v, want ErrUnknownMessage", err)
		}
	})
}

func TestSink_ContactChangedSinceDelivery(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, "sendgrid", kigen.Email)
		time.Sleep(2 * time.Millisecond)
		c := f.tenant.Contact
		c.Address = "new@example.jp" // staff entered a new address after the send
		if err := s.UpsertContact(t.Context(), f.tenant.Municipality.ID, c); err != nil {
			t.Fatal(err)
		}
		sink := &scheduler.Sink{Store: s, Now: func() time.Time { return now }}
		err := sink.ApplyEvent(t.Context(), notify.Event{MessageID: f.tenant.Message.ID, Provider: "sendgrid", ProviderMessageID: "pm-1",
			Status: notify.StatusBounced, Permanent: true, ContactFailed: true})
		if err != nil {
			t.Fatal(err)
		}
		if d, _, c, _ := f.state(t, s); d != kigen.DeliveryBounced || c.Failed {
			t.Errorf("delivery %s, new address failed %t; want bounced, and the new address untouched", d, c.Failed)
		}
	})
}
