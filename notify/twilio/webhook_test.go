package twilio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go/client"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/fakehttp"
	"kigen/notify/internal/logtest"
	"kigen/notify/notifytest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
)

const statusURL = publicURL + twilio.StatusPath + "?message_id=42"

// TestSign: the fake signs as Twilio does, by the SDK's own validator.
func TestSign(t *testing.T) {
	t.Parallel()
	fake := twiliotest.NewServer()
	defer fake.Close()
	form := fake.StatusForm("SM1", "delivered", 0)
	v := client.NewRequestValidator(fake.AuthToken)
	if !v.Validate(statusURL, map[string]string{"MessageSid": "SM1", "SmsSid": "SM1", "MessageStatus": "delivered",
		"SmsStatus": "delivered", "To": "+819012345678", "From": "+15005550006", "ApiVersion": "2010-04-01",
		"AccountSid": fake.AccountSID}, fake.Sign(statusURL, form)) {
		t.Error("the SDK's validator refuses the fake's signature")
	}
	if v.ValidateBody(statusURL, []byte(form.Encode()), twiliotest.Sign("other", statusURL, form)) {
		t.Error("the SDK's validator accepts a signature made with another token")
	}
}

type hbundle struct {
	fake    *twiliotest.Server
	sink    *notifytest.Sink
	status  http.Handler
	inbound http.Handler
	logs    *logtest.Buffer
}

func setupHandlers(t *testing.T, public string) hbundle {
	t.Helper()
	fake := twiliotest.NewServer()
	t.Cleanup(fake.Close)
	sink := &notifytest.Sink{}
	logger, logs := logtest.New()
	opts := &twilio.HandlerOpts{Now: func() time.Time { return now }, MaxBody: 4 << 10, Logger: logger}
	sh, err := twilio.NewStatusHandler(fake.AuthToken, public, sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	ih, err := twilio.NewInboundHandler(fake.AuthToken, public, sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	return hbundle{fake, sink, sh, ih, logs}
}

// serverRequest turns a client request into what a server sees (RequestURI
// set, Host from the URL unless overridden).
func serverRequest(r *http.Request) *http.Request {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	s := httptest.NewRequest(r.Method, r.URL.RequestURI(), bytes.NewReader(body))
	s.Header = r.Header.Clone()
	s.Host = r.URL.Host
	return s
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, serverRequest(r))
	return w
}

func TestStatusHandler_Valid(t *testing.T) {
	t.Parallel()
	ev := func(s notify.EventStatus, e notify.Event) notify.Event {
		e.MessageID, e.Provider, e.ProviderMessageID, e.Status, e.At = 42, "twilio", "SM1", s, now
		return e
	}
	tests := []struct {
		status string
		code   int
		want   notify.Event
	}{
		{"queued", 0, ev(notify.StatusQueued, notify.Event{})},
		{"accepted", 0, ev(notify.StatusQueued, notify.Event{})},
		{"sending", 0, ev(notify.StatusQueued, notify.Event{})},
		{"sent", 0, ev(notify.StatusSent, notify.Event{})},
		{"delivered", 0, ev(notify.StatusDelivered, notify.Event{})},
		{"undelivered", 30003, ev(notify.StatusUndelivered, notify.Event{Code: "30003", Reason: "twilio error 30003"})},
		{"undelivered", 30005, ev(notify.StatusUndelivered, notify.Event{Permanent: true, Code: "30005", Reason: "twilio error 30005", ContactFailed: true})},
		{"undelivered", 30007, ev(notify.StatusUndelivered, notify.Event{Permanent: true, Code: "30007", Reason: "twilio error 30007"})},
		{"failed", 21610, ev(notify.StatusFailed, notify.Event{Permanent: true, Code: "21610", Reason: "twilio error 21610", OptOut: true})},
		{"failed", 21211, ev(notify.StatusFailed, notify.Event{Permanent: true, Code: "21211", Reason: "twilio error 21211", ContactFailed: true})},
		{"failed", 0, ev(notify.StatusFailed, notify.Event{Permanent: true})},
	}
	for _, tt := range tests {
		t.Run(tt.status+"/"+tt.want.Code, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, publicURL)
			w := serve(b.status, b.fake.NewWebhookRequest(statusURL, b.fake.StatusForm("SM1", tt.status, tt.code)))
			if w.Code != http.StatusNoContent {
				t.Fatalf("status = %d %s", w.Code, w.Body)
			}
			if diff := cmp.Diff([]notify.Event{tt.want}, b.sink.Events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			logtest.AssertNoPersonalData(t, b.logs.String(), "9012345678", "5005550006")
		})
	}
}

func TestStatusHandler_Skipped(t *testing.T) {
	t.Parallel()
	b := setupHandlers(t, publicURL)
	for _, r := range []*http.Request{
		b.fake.NewWebhookRequest(publicURL+twilio.StatusPath, b.fake.StatusForm("SM1", "delivered", 0)), // no message_id
		b.fake.NewWebhookRequest(statusURL, b.fake.StatusForm("SM1", "receiving", 0)),                   // not acted on
	} {
		if w := serve(b.status, r); w.Code != http.StatusNoContent {
			t.Errorf("status = %d, want 204", w.Code)
		}
	}
	if n := len(b.sink.Events()); n != 0 {
		t.Errorf("%d events, want none", n)
	}
}

// TestStatusHandler_PublicURL: the signature is checked against
// KIGEN_PUBLIC_URL, with or without a path prefix, never the Host header.
func TestStatusHandler_PublicURL(t *testing.T) {
	t.Parallel()
	const prefixed = "https://city.example/kigen"
	tests := []struct {
		name   string
		public string
		signed string // the URL Twilio called
		arrive string // the request URI that reaches Kigen
		status int
	}{
		{"plain", publicURL, statusURL, "/webhooks/twilio/status?message_id=42", 204},
		{"prefix kept by the proxy", prefixed, prefixed + "/webhooks/twilio/status?message_id=42", "/kigen/webhooks/twilio/status?message_id=42", 204},
		{"prefix stripped by the proxy", prefixed, prefixed + "/webhooks/twilio/status?message_id=42", "/webhooks/twilio/status?message_id=42", 204},
		{"signed for another host", publicURL, "https://evil.example/webhooks/twilio/status?message_id=42", "/webhooks/twilio/status?message_id=42", 403},
		{"another message id than signed", publicURL, statusURL, "/webhooks/twilio/status?message_id=43", 403},
		{"http instead of https", publicURL, "http://kigen.example/webhooks/twilio/status?message_id=42", "/webhooks/twilio/status?message_id=42", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, tt.public)
			form := b.fake.StatusForm("SM1", "delivered", 0)
			r := httptest.NewRequest(http.MethodPost, tt.arrive, strings.NewReader(form.Encode()))
			r.Host = "evil.example" // what an attacker controls
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set(twiliotest.SignatureHeader, b.fake.Sign(tt.signed, form))
			w := httptest.NewRecorder()
			b.status.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if want := map[bool]int{true: 1, false: 0}[tt.status == 204]; len(b.sink.Events()) != want {
				t.Errorf("%d events, want %d", len(b.sink.Events()), want)
			}
		})
	}
}

// TestStatusHandler_StripPrefix: mounted under http.StripPrefix, the URL
// Twilio signed is still the one checked.
func TestStatusHandler_StripPrefix(t *testing.T) {
	t.Parallel()
	b := setupHandlers(t, publicURL)
	h := http.StripPrefix("/webhooks", b.status)
	if w := serve(h, b.fake.NewWebhookRequest(statusURL, b.fake.StatusForm("SM1", "sent", 0))); w.Code != 204 {
		t.Errorf("status = %d, want 204", w.Code)
	}
}

func TestWebhooks_Rejected(t *testing.T) {
	t.Parallel()
	other := twiliotest.NewServer()
	defer other.Close()
	inboundURL := publicURL + twilio.InboundPath
	tests := []struct {
		name   string
		req    func(b hbundle, url string, form url.Values) *http.Request
		status int
	}{
		{"missing signature", func(b hbundle, u string, f url.Values) *http.Request {
			r := b.fake.NewWebhookRequest(u, f)
			r.Header.Del(twiliotest.SignatureHeader)
			return r
		}, 401},
		{"forged signature", func(b hbundle, u string, f url.Values) *http.Request {
			r := b.fake.NewWebhookRequest(u, f)
			r.Header.Set(twiliotest.SignatureHeader, "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==")
			return r
		}, 403},
		{"signed with another auth token", func(b hbundle, u string, f url.Values) *http.Request {
			return other.NewWebhookRequest(u, f)
		}, 403},
		{"body tampered", func(b hbundle, u string, f url.Values) *http.Request {
			r := b.fake.NewWebhookRequest(u, f)
			g := url.Values{}
			for k, v := range f {
				g[k] = v
			}
			g.Set("MessageStatus", "failed")
			g.Set("Body", "START")
			r.Body = io.NopCloser(strings.NewReader(g.Encode()))
			return r
		}, 403},
		{"parameter added", func(b hbundle, u string, f url.Values) *http.Request {
			r := b.fake.NewWebhookRequest(u, f)
			r.Body = io.NopCloser(strings.NewReader(f.Encode() + "&ErrorCode=21610"))
			return r
		}, 403},
		{"GET", func(b hbundle, u string, f url.Values) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, u, nil)
			return r
		}, 405},
		{"body too large", func(b hbundle, u string, f url.Values) *http.Request {
			f.Set("Padding", strings.Repeat("x", 8<<10))
			return b.fake.NewWebhookRequest(u, f)
		}, 413},
	}
	for _, tt := range tests {
		t.Run("status/"+tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, publicURL)
			if w := serve(b.status, tt.req(b, statusURL, b.fake.StatusForm("SM1", "delivered", 0))); w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if n := len(b.sink.Events()); n != 0 {
				t.Errorf("%d events, want none", n)
			}
		})
		t.Run("inbound/"+tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, publicURL)
			if w := serve(b.inbound, tt.req(b, inboundURL, b.fake.InboundForm(phone, "STOP"))); w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
			if n := len(b.sink.OptOuts()); n != 0 {
				t.Errorf("%d opt-outs, want none", n)
			}
		})
	}
}

func TestStatusHandler_SinkErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"unknown message is acknowledged", notify.ErrUnknownMessage, 204},
		{"other error", errors.New("database down"), 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, publicURL)
			b.sink.SetErr(tt.err)
			if w := serve(b.status, b.fake.NewWebhookRequest(statusURL, b.fake.StatusForm("SM1", "delivered", 0))); w.Code != tt.status {
				t.Errorf("status = %d, want %d", w.Code, tt.status)
			}
		})
	}
}

type stateSink struct {
	mu    sync.Mutex
	state kigen.DeliveryState
}

func (s *stateSink) ApplyEvent(_ context.Context, e notify.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if next, ok := notify.DeliveryState(s.state, e); ok {
		s.state = next
	}
	return nil
}

// TestStatusHandler_DuplicatesAndOrder: callbacks out of order and
// replayed (Twilio signs no timestamp) leave the delivery delivered.
func TestStatusHandler_DuplicatesAndOrder(t *testing.T) {
	t.Parallel()
	fake := twiliotest.NewServer()
	defer fake.Close()
	sink := &stateSink{state: kigen.DeliveryAccepted}
	h, err := twilio.NewStatusHandler(fake.AuthToken, publicURL, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"delivered", "sent", "queued", "delivered", "sent"} {
		for range 2 { // each callback twice: a replay is indistinguishable
			if w := serve(h, fake.NewWebhookRequest(statusURL, fake.StatusForm("SM1", st, 0))); w.Code != 204 {
				t.Fatalf("status = %d", w.Code)
			}
		}
	}
	if sink.state != kigen.DeliveryDelivered {
		t.Errorf("state = %s, want delivered", sink.state)
	}
}

func TestInboundHandler(t *testing.T) {
	t.Parallel()
	stop, start := []notifytest.OptOut{{Phone: phone, OptedOut: true}}, []notifytest.OptOut{{Phone: phone, OptedOut: false}}
	tests := []struct {
		name       string
		from, body string
		optOutType string
		want       []notifytest.OptOut
	}{
		{"STOP", phone, "STOP", "", stop},
		{"stop lower case", phone, "stop", "", stop},
		{"Stop with spaces", phone, "  Stop \n", "", stop},
		{"full-width ＳＴＯＰ", phone, "ＳＴＯＰ", "", stop},
		{"停止", phone, "停止", "", stop},
		{"停止 with ideographic spaces", phone, "　停止　", "", stop},
		{"STOPALL", phone, "STOPALL", "", stop},
		{"unsubscribe", phone, "unsubscribe", "", stop},
		{"cancel", phone, "Cancel", "", stop},
		{"end", phone, "END", "", stop},
		{"quit", phone, "quit", "", stop},
		{"START", phone, "START", "", start},
		{"yes", phone, "yes", "", start},
		{"unstop", phone, "Unstop", "", start},
		{"再開", phone, "再開", "", start},
		{"full-width ｓｔａｒｔ", phone, "ｓｔａｒｔ", "", start},
		{"OptOutType STOP from Twilio", phone, "ARRET", "STOP", stop},
		{"OptOutType START from Twilio", phone, "unstop please", "START", start},
		{"a sentence is not a keyword", phone, "please stop", "", nil},
		{"HELP changes nothing", phone, "HELP", "", nil},
		{"empty", phone, "", "", nil},
		{"sender not E.164", "Kigen", "STOP", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupHandlers(t, publicURL)
			form := b.fake.InboundForm(tt.from, tt.body)
			if tt.optOutType != "" {
				form.Set("OptOutType", tt.optOutType)
			}
			w := serve(b.inbound, b.fake.NewWebhookRequest(publicURL+twilio.InboundPath, form))
			if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/xml") ||
				w.Body.String() != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` {
				t.Errorf("answer = %d %q %q, want 200 with empty TwiML", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if diff := cmp.Diff(tt.want, b.sink.OptOuts()); diff != "" {
				t.Errorf("opt-outs (-want +got):\n%s", diff)
			}
			body := tt.body // a text that is not a keyword is the resident's own: never logged
			if tt.want != nil {
				body = ""
			}
			logtest.AssertNoPersonalData(t, b.logs.String(), "9012345678", body)
		})
	}
}

func TestInboundHandler_SinkError(t *testing.T) {
	t.Parallel()
	b := setupHandlers(t, publicURL)
	b.sink.SetErr(errors.New("database down"))
	if w := serve(b.inbound, b.fake.NewWebhookRequest(publicURL+twilio.InboundPath, b.fake.InboundForm(phone, "STOP"))); w.Code != 500 {
		t.Errorf("status = %d, want 500", w.Code)
	}
}

func TestNewHandlers_BadConfig(t *testing.T) {
	t.Parallel()
	sink := &notifytest.Sink{}
	if _, err := twilio.NewStatusHandler("", "not a url", sink, nil); err == nil || !strings.Contains(err.Error(), "TWILIO_AUTH_TOKEN") || !strings.Contains(err.Error(), "KIGEN_PUBLIC_URL") {
		t.Errorf("err = %v, want both problems named", err)
	}
	if _, err := twilio.NewInboundHandler("token", publicURL, nil, nil); err == nil {
		t.Error("nil sink: want an error")
	}
}

// TestWebhooks_UnsignedNotRead: a request without a signature, or that
// announces a body over the cap, is refused before its body is read.
func TestWebhooks_UnsignedNotRead(t *testing.T) {
	t.Parallel()
	b := setupHandlers(t, publicURL)
	for _, tt := range []struct {
		name   string
		sig    string
		status int
	}{
		{"unsigned", "", http.StatusUnauthorized},
		{"announced over the cap", "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==", http.StatusRequestEntityTooLarge},
	} {
		for _, h := range []http.Handler{b.status, b.inbound} {
			body := &fakehttp.Body{N: 1 << 20}
			r := httptest.NewRequest(http.MethodPost, statusURL, body)
			r.ContentLength = body.N
			if tt.sig != "" {
				r.Header.Set(twiliotest.SignatureHeader, tt.sig)
			}
			w := httptest.NewRecorder()
			if h.ServeHTTP(w, r); w.Code != tt.status || body.Consumed != 0 {
				t.Errorf("%s: status %d after reading %d bytes, want %d before reading any", tt.name, w.Code, body.Consumed, tt.status)
			}
		}
	}
}
