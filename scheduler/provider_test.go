package scheduler_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"kigen"
	"kigen/notify"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
	"kigen/scheduler"
	"kigen/store"
	"kigen/store/storetest"
)

// TestDeliver_ProvidersGetNoRecord: what the SendGrid and Twilio adapters
// send carries the message and nothing of its outbox record: no resident
// reference (the municipality's code is no test here: the fixture's
// municipality is named after it). The adapters sit behind the rate limit,
// as in production.
func TestDeliver_ProvidersGetNoRecord(t *testing.T) {
	t.Parallel()
	const ref = "REF-7Q2X9"
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		ctx, s := t.Context(), e.store
		sg := sendgridtest.NewServer()
		t.Cleanup(sg.Close)
		tw := twiliotest.NewServer()
		t.Cleanup(tw.Close)
		sgSender, err := sendgrid.New(sendgrid.Config{APIKey: sg.APIKey, From: "Kigen <noreply@kigen.example>", BaseURL: sg.URL})
		if err != nil {
			t.Fatal(err)
		}
		twSender, err := twilio.New(twilio.Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken, From: "+15005550006",
			PublicURL: publicURL, BaseURL: tw.URL})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []notify.Sender{sgSender, twSender} {
			if _, ok := p.(notify.RecordSender); ok {
				t.Errorf("%T takes the outbox record", p)
			}
		}
		e.worker.Senders = map[kigen.Channel]notify.Sender{
			kigen.Email: scheduler.NewRateLimitedSender(sgSender, 100, 1),
			kigen.SMS:   scheduler.NewRateLimitedSender(twSender, 100, 1),
		}
		e.worker.Providers = map[kigen.Channel]string{kigen.Email: sendgrid.Provider, kigen.SMS: twilio.Provider}

		m := storetest.MustCreateMunicipality(t, ctx, s, "012033")
		r := storetest.MustUpsertResident(t, ctx, s, m.ID, ref)
		r.Name = "Jane"
		if _, err := s.UpsertResident(ctx, r); err != nil {
			t.Fatal(err)
		}
		storetest.MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.Email, "jane@example.com")
		storetest.MustUpsertContact(t, ctx, s, m.ID, r.ID, kigen.SMS, "+819012345678")
		card := storetest.MustUpsertCard(t, ctx, s, m.ID, r.ID, kigen.ResidenceCard, cardExpiresOn)
		n := storetest.MustCreateNotice(t, ctx, s, m.ID, card.ID, cardExpiresOn, kigen.D60)
		email := storetest.MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.Email, kigen.DateOf(now), n.ID)
		sms := storetest.MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.SMS, kigen.DateOf(now), n.ID)
		if err := store.Replan(ctx, s, m.ID, r.ID, kigen.DateOf(now)); err != nil {
			t.Fatal(err)
		}
		e.enqueue(t, email.ID, sms.ID)
		e.work(t)

		for _, id := range []int64{email.ID, sms.ID} {
			if o := outcomeOf(t, s, id); o.Message != kigen.MessageSent {
				t.Fatalf("message %d: %+v, want sent", id, o)
			}
		}
		var sent [][]byte
		for _, req := range sg.Requests() {
			sent = append(sent, fmt.Appendf(nil, "%v %s", req.Header, req.Body))
		}
		for _, req := range tw.Requests() {
			sent = append(sent, fmt.Appendf(nil, "%s %v %v", req.Path, req.Header, req.Form))
		}
		if len(sent) != 2 {
			t.Fatalf("the providers got %d requests, want 2", len(sent))
		}
		for i, b := range sent {
			if bytes.Contains(b, []byte(ref)) {
				t.Errorf("request %d carries the resident's reference:\n%s", i, b)
			}
			if !strings.Contains(string(b), "/m/") {
				t.Errorf("request %d without the message's link: not the message?\n%s", i, b)
			}
		}
	})
}
