package twilio_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"kigen/notify"
	"kigen/notify/notifytest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
)

// fuzzTwilioStatuses are the statuses the status handler may pass on.
var fuzzTwilioStatuses = map[notify.EventStatus]bool{
	notify.StatusQueued: true, notify.StatusSent: true, notify.StatusDelivered: true,
	notify.StatusUndelivered: true, notify.StatusFailed: true,
}

// fuzzWebhook posts body to target (a path and query under publicURL)
// three times: unsigned, signed with another token, and signed as Twilio
// signs it (over the first value of each parameter). It checks the first
// two are refused (401, 403) without a sink call, and returns the status
// of the signed one and whether the body is a form Twilio could sign.
func fuzzWebhook(t *testing.T, fake *twiliotest.Server, h http.Handler, sink *notifytest.Sink, target, body string) (int, bool) {
	t.Helper()
	post := func(sig string) int {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			r.Header.Set(twiliotest.SignatureHeader, sig)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	form, err := url.ParseQuery(body)
	first := url.Values{}
	for k, v := range form {
		first.Set(k, v[0])
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("unsigned: status %d, want 401", code)
	}
	if code := post(twiliotest.Sign("not-the-token", publicURL+target, first)); code != http.StatusForbidden {
		t.Errorf("signed with another token: status %d, want 403", code)
	}
	if n, m := len(sink.Events()), len(sink.OptOuts()); n+m != 0 {
		t.Fatalf("refused requests reached the sink: %d events, %d opt-outs", n, m)
	}
	return post(fake.Sign(publicURL+target, first)), err == nil
}

// FuzzStatusHandler posts status callbacks built from fuzzed values: the
// MessageStatus and ErrorCode, the message_id of the callback URL, and raw
// form text put before them (which may repeat or break those fields). Its
// seed corpus is in testdata/fuzz/FuzzStatusHandler. Whatever the input,
// nothing panics, unsigned or forged callbacks are refused without a sink
// call, a signed callback that is a form answers 204 (403 when it is not a
// form, as Twilio could not have signed it), and the sink gets at most one
// event, with a known status and the URL's message id, and exactly one
// when the status is one Twilio documents and the id is positive.
func FuzzStatusHandler(f *testing.F) {
	fake := twiliotest.NewServer()
	f.Cleanup(fake.Close)
	f.Add("", "delivered", "0", "42")
	f.Fuzz(func(t *testing.T, raw, status, errorCode, messageID string) {
		sink := &notifytest.Sink{}
		h, err := twilio.NewStatusHandler(fake.AuthToken, publicURL, sink, &twilio.HandlerOpts{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		target := twilio.StatusPath + "?message_id=" + url.QueryEscape(messageID)
		body := fake.StatusForm("SM0123", status, 0)
		body.Set("ErrorCode", errorCode)
		enc := body.Encode()
		if raw != "" {
			enc = raw + "&" + enc
		}
		code, isForm := fuzzWebhook(t, fake, h, sink, target, enc)
		events := sink.Events()
		if !isForm {
			if code != http.StatusForbidden || len(events) != 0 {
				t.Fatalf("signed body that is not a form: status %d and %d events, want 403 and none", code, len(events))
			}
			return
		}
		if code != http.StatusNoContent {
			t.Fatalf("signed callback: status %d, want 204", code)
		}
		if len(events) > 1 {
			t.Fatalf("one callback applied %d events", len(events))
		}
		form, _ := url.ParseQuery(enc)
		got := form.Get("MessageStatus")
		if got == "" {
			got = form.Get("SmsStatus")
		}
		id, err := strconv.ParseInt(messageID, 10, 64)
		if err != nil {
			id = -1
		}
		documented := strings.Contains(" accepted scheduled queued sending sent delivered read undelivered failed canceled ", " "+got+" ") && got != ""
		if want := documented && id > 0; want != (len(events) == 1) {
			t.Fatalf("status %q, message_id %q: %d events, want %v", got, messageID, len(events), want)
		}
		for _, e := range events {
			if !fuzzTwilioStatuses[e.Status] || e.MessageID != id || e.Provider != twilio.Provider || !e.At.Equal(now) {
				t.Fatalf("event %+v: want a known status, message id %d, provider %q, at %v", e, id, twilio.Provider, now)
			}
		}
	})
}

// fuzzE164 reports whether s is an E.164 number: + and 7 to 15 digits,
// the first not 0.
func fuzzE164(s string) bool {
	return len(s) >= 8 && len(s) <= 16 && s[0] == '+' && s[1] != '0' && strings.Trim(s[1:], "0123456789") == ""
}

// FuzzInboundHandler posts inbound messages built from fuzzed values: the
// sender, the text, Twilio's OptOutType and raw form text put before them.
// Its seed corpus is in testdata/fuzz/FuzzInboundHandler. Whatever the
// input, nothing panics, unsigned or forged messages are refused without a
// sink call, a signed message that is a form answers 200 with empty TwiML,
// and the sink gets at most one change: for the sender, when it is an
// E.164 number, off for a stop keyword (or OptOutType STOP) and on for a
// start one; exactly one then, and none otherwise.
func FuzzInboundHandler(f *testing.F) {
	fake := twiliotest.NewServer()
	f.Cleanup(fake.Close)
	f.Add("", "+819012345678", "STOP", "")
	f.Fuzz(func(t *testing.T, raw, from, text, optOutType string) {
		sink := &notifytest.Sink{}
		h, err := twilio.NewInboundHandler(fake.AuthToken, publicURL, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		body := fake.InboundForm(from, text)
		if optOutType != "" {
			body.Set("OptOutType", optOutType)
		}
		enc := body.Encode()
		if raw != "" {
			enc = raw + "&" + enc
		}
		code, isForm := fuzzWebhook(t, fake, h, sink, twilio.InboundPath, enc)
		changes := sink.OptOuts()
		if !isForm {
			if code != http.StatusForbidden || len(changes) != 0 {
				t.Fatalf("signed body that is not a form: status %d and %d changes, want 403 and none", code, len(changes))
			}
			return
		}
		if code != http.StatusOK {
			t.Fatalf("signed message: status %d, want 200", code)
		}
		if len(changes) > 1 {
			t.Fatalf("one message applied %d changes", len(changes))
		}
		form, _ := url.ParseQuery(enc)
		kw := notify.ParseKeyword(form.Get("Body"))
		switch strings.ToUpper(form.Get("OptOutType")) {
		case "STOP":
			kw = notify.KeywordStop
		case "START":
			kw = notify.KeywordStart
		}
		if kw == notify.KeywordNone && len(changes) != 0 {
			t.Fatalf("text %q, OptOutType %q: applied %+v", form.Get("Body"), form.Get("OptOutType"), changes)
		}
		sender := form.Get("From")
		if want := kw != notify.KeywordNone && fuzzE164(sender); want != (len(changes) == 1) {
			t.Fatalf("keyword %q from %q: %d changes, want %v", kw, sender, len(changes), want)
		}
		for _, c := range changes {
			if c.Phone != sender || !fuzzE164(sender) {
				t.Fatalf("change %+v for sender %q: want the sender, an E.164 number", c, sender)
			}
			if c.OptedOut != (kw == notify.KeywordStop) {
				t.Fatalf("change %+v for keyword %q", c, kw)
			}
		}
	})
}
