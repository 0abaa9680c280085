package sendgrid_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
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
	"kigen/notify/internal/fakehttp"
	"kigen/notify/internal/logtest"
	"kigen/notify/notifytest"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
)

const eventURL = "https://kigen.example" + sendgrid.EventPath

var at = now.Add(-time.Minute).Unix()

// xMessageID is the X-Message-Id of the send the events report on.
const xMessageID = "W3Kf0jJ5QfiOl5y6vhM_1w"

// batch has one event of each kind Kigen maps, plus two it skips.
func batch() []sendgridtest.Event {
	ev := func(kind string, e sendgridtest.Event) sendgridtest.Event {
		e.Email, e.Timestamp, e.Event = address, at, kind
		e.SGMessageID = sendgridtest.SGMessageID(xMessageID)
		e.SGEventID = "ev-" + kind + e.Type
		if e.KigenMessageID == "" {
			e.KigenMessageID = "42"
		}
		return e
	}
	return []sendgridtest.Event{
		ev("processed", sendgridtest.Event{}),
		ev("deferred", sendgridtest.Event{Response: "400 try again later " + address, Attempt: "1"}),
		ev("delivered", sendgridtest.Event{Response: "250 OK"}),
		ev("bounce", sendgridtest.Event{Type: "bounce", Status: "5.1.1", Reason: "550 5.1.1 <" + address + ">: Recipient address rejected"}),
		ev("bounce", sendgridtest.Event{Type: "blocked", Status: "5.7.1", Reason: "550 blocked by policy"}),
		ev("dropped", sendgridtest.Event{Reason: "Bounced Address"}),
		ev("dropped", sendgridtest.Event{Reason: "Unsubscribed Address", SGEventID: "x"}),
		ev("spamreport", sendgridtest.Event{}),
		ev("unsubscribe", sendgridtest.Event{}),
		ev("open", sendgridtest.Event{}),                                // not acted on
		ev("delivered", sendgridtest.Event{KigenMessageID: "not-ours"}), // mail sent by another system
	}
}

func wantEvents() []notify.Event {
	base := func(s notify.EventStatus, e notify.Event) notify.Event {
		e.MessageID, e.Provider, e.Status = 42, "sendgrid", s
		e.ProviderMessageID = xMessageID
		e.At = time.Unix(at, 0).UTC()
		return e
	}
	return []notify.Event{
		base(notify.StatusProcessed, notify.Event{ProviderEventID: "ev-processed"}),
		base(notify.StatusDeferred, notify.Event{ProviderEventID: "ev-deferred", Reason: "400 try again later [email]"}),
		base(notify.StatusDelivered, notify.Event{ProviderEventID: "ev-delivered"}),
		base(notify.StatusBounced, notify.Event{ProviderEventID: "ev-bouncebounce", Permanent: true, Code: "5.1.1", Reason: "550 5.1.1 <[email]>: Recipient address rejected", ContactFailed: true}),
		base(notify.StatusBounced, notify.Event{ProviderEventID: "ev-bounceblocked", Permanent: true, Code: "5.7.1", Reason: "550 blocked by policy"}),
		base(notify.StatusDropped, notify.Event{ProviderEventID: "ev-dropped", Permanent: true, Reason: "Bounced Address", ContactFailed: true}),
		base(notify.StatusDropped, notify.Event{ProviderEventID: "ev-dropped", Permanent: true, Reason: "Unsubscribed Address", OptOut: true}),
		base(notify.StatusSpamReport, notify.Event{ProviderEventID: "ev-spamreport", ContactFailed: true}),
		base(notify.StatusUnsubscribed, notify.Event{ProviderEventID: "ev-unsubscribe", OptOut: true}),
	}
}

type hbundle struct {
	fake    *sendgridtest.Server
	sink    *notifytest.Sink
	handler http.Handler
	logs    *logtest.Buffer
}

func setupHandler(t *testing.T) hbundle {
	t.Helper()
	fake := sendgridtest.NewServer()
	t.Cleanup(fake.Close)
	sink := &notifytest.Sink{}
	logger, logs := logtest.New()
	h, err := sendgrid.NewEventHandler(fake.PublicKeyBase64(), sink, &sendgrid.EventHandlerOpts{
		Now: func() time.Time { return now }, MaxBody: 64 << 10, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	return hbundle{fake, sink, h, logs}
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestEventHandler_Valid(t *testing.T) {
	t.Parallel()
	b := setupHandler(t)
	w := serve(b.handler, b.fake.NewEventRequest(eventURL, sendgridtest.Events(batch()...), now))
	if w.Code != http.StatusNoContent {
		t.Fatalf("status = %d %s", w.Code, w.Body)
	}
	if diff := cmp.Diff(wantEvents(), b.sink.Events()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	logs := b.logs.String()
	if !strings.Contains(logs, `"applied":9`) || !strings.Contains(logs, `"skipped":2`) {
		t.Errorf("log lacks the counts:\n%s", logs)
	}
	logtest.AssertNoPersonalData(t, logs, "jane.doe", "Recipient address")
}

// TestEventHandler_OverHTTP sends a signed request through a real server:
// the fake's requests are what a client sends.
func TestEventHandler_OverHTTP(t *testing.T) {
	t.Parallel()
	b := setupHandler(t)
	srv := httptest.NewServer(b.handler)
	defer srv.Close()
	resp, err := srv.Client().Do(b.fake.NewEventRequest(srv.URL+sendgrid.EventPath, sendgridtest.Events(batch()[:1]...), now))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(b.sink.Events()) != 1 {
		t.Errorf("status %d, %d events; want 204, 1", resp.StatusCode, len(b.sink.Events()))
	}
}

func TestEventHandler_Rejected(t *testing.T) {
	t.Parallel()
	payload := sendgridtest.Events(batch()...)
	other := sendgridtest.NewServer() // another key pair
	defer other.Close()
	tests := []struct {
		name   string
		req    func(b hbundle) *http.Request
		status int
	}{
		{"missing signature", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now)
			r.Header.Del(sendgridtest.SignatureHeader)
			return r
		}, 401},
		{"missing timestamp", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now)
			r.Header.Del(sendgridtest.TimestampHeader)
			return r
		}, 401},
		{"no headers at all", func(b hbundle) *http.Request {
			r, _ := http.NewRequest(http.MethodPost, eventURL, bytes.NewReader(payload))
			return r
		}, 401},
		{"forged signature", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now)
			r.Header.Set(sendgridtest.SignatureHeader, "MEUCIQDx"+strings.Repeat("A", 60)+"==")
			return r
		}, 403},
		{"signature not base64", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now)
			r.Header.Set(sendgridtest.SignatureHeader, "%%%")
			return r
		}, 403},
		{"signed with another key", func(b hbundle) *http.Request {
			return other.NewEventRequest(eventURL, payload, now)
		}, 403},
		{"replayed: timestamp 6 minutes old", func(b hbundle) *http.Request {
			return b.fake.NewEventRequest(eventURL, payload, now.Add(-6*time.Minute))
		}, 403},
		{"timestamp 6 minutes ahead", func(b hbundle) *http.Request {
			return b.fake.NewEventRequest(eventURL, payload, now.Add(6*time.Minute))
		}, 403},
		{"timestamp changed after signing", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now.Add(-10*time.Minute))
			r.Header.Set(sendgridtest.TimestampHeader, strconv.FormatInt(now.Unix(), 10))
			return r
		}, 403},
		{"body tampered", func(b hbundle) *http.Request {
			r := b.fake.NewEventRequest(eventURL, payload, now)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(payload, []byte(`"bounce"`), []byte(`"delivered"`), 1)))
			return r
		}, 403},
		{"GET", func(b hbundle) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, eventURL, nil)
			return r
		}, 405},
		{"body too large", func(b hbundle) *http.Request {
			big := make([]sendgridtest.Event, 1000)
			for i := range big {
				big[i] = batch()[0]
			}
			return b.fake.NewEventRequest(eventURL, sendgridtest.Events(big...), now)
		}, 413},
		{"signed garbage", func(b hbundle) *http.Request {
			return b.fake.NewEventRequest(eventURL, []byte(`{"not":"an array"}`), now)
		}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandler(t)
			w := serve(b.handler, tt.req(b))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if n := len(b.sink.Events()); n != 0 {
				t.Errorf("sink got %d events, want none", n)
			}
		})
	}
}

func TestEventHandler_SinkErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"unknown message is acknowledged", notify.ErrUnknownMessage, http.StatusNoContent},
		{"wrapped unknown message", errors.Join(errors.New("store"), notify.ErrUnknownMessage), http.StatusNoContent},
		{"other error asks SendGrid to retry", errors.New("database down"), http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandler(t)
			b.sink.SetErr(tt.err)
			w := serve(b.handler, b.fake.NewEventRequest(eventURL, sendgridtest.Events(batch()...), now))
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
		})
	}
}

// stateSink is the sink the store will be, reduced to one delivery: it
// applies notify.DeliveryState and the contact flags.
type stateSink struct {
	mu            sync.Mutex
	state         kigen.DeliveryState
	contactFailed bool
	optedOut      bool
}

func (s *stateSink) ApplyEvent(_ context.Context, e notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if next, ok := notify.DeliveryState(s.state, e); ok {
		s.state = next
	}
	s.contactFailed = s.contactFailed || e.ContactFailed
	s.optedOut = s.optedOut || e.OptOut
	return nil
}

// TestEventHandler_DuplicatesAndOrder: the same batch twice (SendGrid
// retrying) and a late "processed" leave the delivery delivered.
func TestEventHandler_DuplicatesAndOrder(t *testing.T) {
	t.Parallel()
	fake := sendgridtest.NewServer()
	defer fake.Close()
	sink := &stateSink{state: kigen.DeliveryAccepted}
	h, err := sendgrid.NewEventHandler(fake.PublicKeyBase64(), sink, &sendgrid.EventHandlerOpts{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(kind string) sendgridtest.Event {
		return sendgridtest.Event{Email: address, Timestamp: at, Event: kind, KigenMessageID: "42", SGEventID: kind}
	}
	for _, events := range [][]sendgridtest.Event{
		{ev("delivered")},
		{ev("delivered")},                 // duplicate
		{ev("processed"), ev("deferred")}, // late
	} {
		for range 2 { // and the whole request replayed inside the window
			if w := serve(h, fake.NewEventRequest(eventURL, sendgridtest.Events(events...), now)); w.Code != http.StatusNoContent {
				t.Fatalf("status = %d", w.Code)
			}
		}
	}
	if sink.state != kigen.DeliveryDelivered || sink.contactFailed || sink.optedOut {
		t.Errorf("state = %s (contact failed %v, opted out %v), want delivered", sink.state, sink.contactFailed, sink.optedOut)
	}
}

func TestNewEventHandler_BadKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	for _, key := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("not DER")), base64.StdEncoding.EncodeToString(der)} {
		if _, err := sendgrid.NewEventHandler(key, &notifytest.Sink{}, nil); err == nil {
			t.Errorf("key %.20q: want an error", key)
		}
	}
}

// TestEventHandler_HeadersBeforeBody: a request without a signature, or
// with a timestamp outside the window, or with a signature that cannot be
// one, or announcing more than the cap, is refused before a byte of its
// body is read: unsigned posts cost no memory (60 of 4 MiB took serve from
// 31 to 275 MB when the body was read first). A signed body is read up to
// the cap of 1 MiB, no further.
func TestEventHandler_HeadersBeforeBody(t *testing.T) {
	t.Parallel()
	fake := sendgridtest.NewServer()
	defer fake.Close()
	h, err := sendgrid.NewEventHandler(fake.PublicKeyBase64(), &notifytest.Sink{}, &sendgrid.EventHandlerOpts{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	const huge = 4 << 20
	fresh := strconv.FormatInt(now.Unix(), 10)
	sig, _ := fake.Sign([]byte("[]"), now)
	tests := []struct {
		name     string
		sig, ts  string
		length   int64 // Content-Length; -1: unknown (chunked)
		status   int
		readUpTo int64
	}{
		{name: "unsigned", length: huge, status: 401},
		{name: "unsigned, chunked", length: -1, status: 401},
		{name: "no timestamp", sig: sig, length: huge, status: 401},
		{name: "timestamp not a number", sig: sig, ts: "soon", length: huge, status: 403},
		{name: "timestamp 6 minutes old", sig: sig, ts: strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), length: huge, status: 403},
		{name: "signature not base64", sig: "%%%", ts: fresh, length: huge, status: 403},
		{name: "signature far too long", sig: base64.StdEncoding.EncodeToString(make([]byte, 4096)), ts: fresh, length: huge, status: 403},
		{name: "announced over the cap", sig: sig, ts: fresh, length: huge, status: 413},
		{name: "chunked over the cap", sig: sig, ts: fresh, length: -1, status: 413, readUpTo: sendgrid.DefaultMaxBody + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := &fakehttp.Body{N: huge}
			r, _ := http.NewRequest(http.MethodPost, eventURL, body)
			r.ContentLength = tt.length
			if tt.sig != "" {
				r.Header.Set(sendgridtest.SignatureHeader, tt.sig)
			}
			if tt.ts != "" {
				r.Header.Set(sendgridtest.TimestampHeader, tt.ts)
			}
			w := serve(h, r)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d (%s)", w.Code, tt.status, w.Body)
			}
			if body.Consumed > tt.readUpTo {
				t.Errorf("read %d bytes of the body, want at most %d", body.Consumed, tt.readUpTo)
			}
		})
	}

	// A signed batch just under the cap (SendGrid's are up to about 768 KB)
	// is read and applied.
	t.Run("signed batch of 1 MiB", func(t *testing.T) {
		t.Parallel()
		one := sendgridtest.Events(batch()[:1]...)
		var events []sendgridtest.Event
		for len(events)*(len(one)+1) < sendgrid.DefaultMaxBody-len(one)-2 {
			events = append(events, batch()[0])
		}
		payload := sendgridtest.Events(events...)
		w := serve(h, fake.NewEventRequest(eventURL, payload, now))
		if w.Code != http.StatusNoContent {
			t.Errorf("%d bytes: status = %d, want 204 (%s)", len(payload), w.Code, w.Body)
		}
	})
}
