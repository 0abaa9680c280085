package scheduler_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		sg, tw := realProviders(t, e, "")
		email, sms := planBoth(t, e.store, ref)
		e.enqueue(t, email.ID, sms.ID)
		e.work(t)

		for _, id := range []int64{email.ID, sms.ID} {
			if o := outcomeOf(t, e.store, id); o.Message != kigen.MessageSent {
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

// realProviders has e's worker send through the SendGrid and Twilio
// adapters, behind the rate limit as in production, to loopback fakes; the
// emails carry deployment.
func realProviders(t *testing.T, e *queueEnv, deployment string) (*sendgridtest.Server, *twiliotest.Server) {
	t.Helper()
	sg := sendgridtest.NewServer()
	t.Cleanup(sg.Close)
	tw := twiliotest.NewServer()
	t.Cleanup(tw.Close)
	sgSender, err := sendgrid.New(sendgrid.Config{APIKey: sg.APIKey, From: "Kigen <noreply@kigen.example>", BaseURL: sg.URL, Deployment: deployment})
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
	return sg, tw
}

// planBoth records a resident ref named Jane with an email and an SMS
// contact, a residence card with its d60 notice due today, and a planned
// message on each channel carrying it.
func planBoth(t *testing.T, s store.Store, ref string) (email, sms *kigen.Message) {
	t.Helper()
	ctx := t.Context()
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
	email = storetest.MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.Email, kigen.DateOf(now), n.ID)
	sms = storetest.MustCreateMessage(t, ctx, s, m.ID, r.ID, kigen.SMS, kigen.DateOf(now), n.ID)
	if err := store.Replan(ctx, s, m.ID, r.ID, kigen.DateOf(now)); err != nil {
		t.Fatal(err)
	}
	return email, sms
}

// TestReports_MatchTheirSend: a provider's report applies only to the send
// it is about. The emails carry the deployment's identifier; the provider
// ids of the fakes' answers are stored on the deliveries. A signed SendGrid
// bounce with our message id but another send's sg_message_id, one from
// another deployment sharing the account, and a Twilio failure with another
// MessageSid change nothing (the message stays sent, the contact usable),
// and each is counted; the reports about the real sends then apply.
func TestReports_MatchTheirSend(t *testing.T) {
	t.Parallel()
	const deployment = "kigen.otaru.example"
	eachQueue(t, nil, func(t *testing.T, e *queueEnv) {
		ctx, s := t.Context(), e.store
		sg, tw := realProviders(t, e, deployment)
		email, sms := planBoth(t, s, "REF-1")
		e.enqueue(t, email.ID, sms.ID)
		e.work(t)
		if len(sg.Requests()) != 1 || len(tw.Requests()) != 1 {
			t.Fatalf("%d SendGrid and %d Twilio requests, want 1 each", len(sg.Requests()), len(tw.Requests()))
		}
		xid, sid := sg.Requests()[0].MessageID, tw.Requests()[0].SID
		if got := sg.Requests()[0].Mail.CustomArgs[sendgrid.DeploymentArg]; got != deployment {
			t.Errorf("custom_args %s = %q, want %q", sendgrid.DeploymentArg, got, deployment)
		}
		for id, want := range map[int64]string{email.ID: xid, sms.ID: sid} {
			if o := outcomeOf(t, s, id); o.Message != kigen.MessageSent || o.ProviderID != want {
				t.Fatalf("message %d: %+v, want sent with the provider's id %q", id, o, want)
			}
		}

		var mu sync.Mutex
		ignored := map[string]int{}
		count := func(provider string) func(string) {
			return func(reason string) {
				mu.Lock()
				defer mu.Unlock()
				ignored[provider+"/"+reason]++
			}
		}
		sink := &scheduler.Sink{Store: s, Now: func() time.Time { return now }, Enqueue: e.queue.Enqueue}
		sgHook, err := sendgrid.NewEventHandler(sg.PublicKeyBase64(), sink, &sendgrid.EventHandlerOpts{
			Deployment: deployment, Ignored: count(sendgrid.Provider)})
		if err != nil {
			t.Fatal(err)
		}
		twHook, err := twilio.NewStatusHandler(tw.AuthToken, publicURL, sink, &twilio.HandlerOpts{Ignored: count(twilio.Provider)})
		if err != nil {
			t.Fatal(err)
		}
		postSG := func(dep, sgMessageID, event string) {
			t.Helper()
			ev := sendgridtest.Event{Email: "jane@example.com", Timestamp: time.Now().Unix(), Event: event, Type: event,
				Status: "5.1.1", Reason: "550 unknown user", SGEventID: "ev-" + sgMessageID + event,
				SGMessageID: sgMessageID, KigenMessageID: strconv.FormatInt(email.ID, 10), KigenDeployment: dep}
			w := httptest.NewRecorder()
			sgHook.ServeHTTP(w, sg.NewEventRequest(publicURL+sendgrid.EventPath, sendgridtest.Events(ev), time.Now()))
			if w.Code != http.StatusNoContent {
				t.Fatalf("SendGrid %s: %d %s", event, w.Code, w.Body)
			}
		}
		postTW := func(sid, status string, code int) {
			t.Helper()
			cb := tw.Requests()[0].Form.Get("StatusCallback")
			w := httptest.NewRecorder()
			twHook.ServeHTTP(w, tw.NewWebhookRequest(cb, tw.StatusForm(sid, status, code)))
			if w.Code != http.StatusNoContent {
				t.Fatalf("Twilio %s: %d %s", status, w.Code, w.Body)
			}
		}
		usable := func(ch kigen.Channel) bool {
			t.Helper()
			hs, err := store.LoadHoldings(ctx, s, email.MunicipalityID, email.ResidentID)
			if err != nil {
				t.Fatal(err)
			}
			return hs[0].Contact(ch).Usable()
		}

		postSG(deployment, sendgridtest.SGMessageID(sendgridtest.NewMessageID()), "bounce") // another send's
		postSG("kigen.sapporo.example", sendgridtest.SGMessageID(xid), "bounce")            // another deployment's
		postTW(twiliotest.NewSID(), "failed", 30005)                                        // another send's
		for _, id := range []int64{email.ID, sms.ID} {
			if o := outcomeOf(t, s, id); o.Message != kigen.MessageSent {
				t.Errorf("message %d after reports about other sends: %+v, want sent", id, o)
			}
		}
		if !usable(kigen.Email) || !usable(kigen.SMS) {
			t.Errorf("reports about other sends made a contact unusable (email %t, SMS %t)", usable(kigen.Email), usable(kigen.SMS))
		}
		want := map[string]int{"sendgrid/other_send": 1, "sendgrid/other_deployment": 1, "twilio/other_send": 1}
		mu.Lock()
		if d := cmp.Diff(want, ignored); d != "" {
			t.Errorf("ignored reports (-want +got):\n%s", d)
		}
		mu.Unlock()

		// The reports about our sends apply.
		postSG(deployment, sendgridtest.SGMessageID(xid), "delivered")
		postTW(sid, "delivered", 0)
		for _, id := range []int64{email.ID, sms.ID} {
			if o := outcomeOf(t, s, id); o.Message != kigen.MessageDelivered {
				t.Errorf("message %d after the reports about its send: %+v, want delivered", id, o)
			}
		}
	})
}
