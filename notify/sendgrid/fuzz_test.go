package sendgrid_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/notify"
	"kigen/notify/notifytest"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
)

// fuzzStatuses are the statuses the event handler may pass to its sink.
var fuzzStatuses = map[notify.EventStatus]bool{
	notify.StatusProcessed: true, notify.StatusDeferred: true, notify.StatusDelivered: true,
	notify.StatusBounced: true, notify.StatusDropped: true, notify.StatusSpamReport: true,
	notify.StatusUnsubscribed: true,
}

// fuzzAddress matches anything shaped like an email address.
var fuzzAddress = regexp.MustCompile(`[^\s<>()\[\]"',;:@]+@[^\s<>()\[\]"',;:@]+`)

// FuzzEventHandler posts any body, sent offset seconds (mod 400) from now, to the
// event handler; its seed corpus is in testdata/fuzz/FuzzEventHandler.
// Whatever the input, nothing panics and:
//   - unsigned (401), signed with another key or for another timestamp
//     (403), the request never reaches the sink;
//   - validly signed but outside the replay window: 403, no sink call;
//   - validly signed within the window: 204 when the body is a JSON array,
//     400 otherwise with no sink call; every event the sink gets has a
//     known status, a positive message id, the provider "sendgrid" and a
//     reason without an address or long digit run;
//   - the same request answers 500 when the sink fails, if and only if
//     there was an event to apply, after exactly one sink call; and 204
//     when the sink knows none of the messages.
func FuzzEventHandler(f *testing.F) {
	fake := sendgridtest.NewServer()
	f.Cleanup(fake.Close)
	other := sendgridtest.NewServer() // a forger's key
	f.Cleanup(other.Close)
	f.Add([]byte(`[{"event":"delivered","kigen_message_id":"42"}]`), int64(-60))
	f.Fuzz(func(t *testing.T, body []byte, offset int64) {
		offset %= 400 // mostly within the 300 s replay window, sometimes not
		sentAt := now.Add(time.Duration(offset) * time.Second)
		handler := func(sink notify.EventSink) http.Handler {
			h, err := sendgrid.NewEventHandler(fake.PublicKeyBase64(), sink, &sendgrid.EventHandlerOpts{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}

		// Refused before the body is looked at.
		sink := &notifytest.Sink{}
		h := handler(sink)
		unsigned := httptest.NewRequest(http.MethodPost, sendgrid.EventPath, strings.NewReader(string(body)))
		if code := fuzzServe(h, unsigned); code != http.StatusUnauthorized {
			t.Errorf("unsigned: status %d, want 401", code)
		}
		if code := fuzzServe(h, fuzzRequest(other, body, sentAt)); code != http.StatusForbidden {
			t.Errorf("signed with another key: status %d, want 403", code)
		}
		moved := fuzzRequest(fake, body, sentAt)
		moved.Header.Set(sendgridtest.TimestampHeader, strconv.FormatInt(sentAt.Unix()+1, 10))
		if code := fuzzServe(h, moved); code != http.StatusForbidden {
			t.Errorf("timestamp changed after signing: status %d, want 403", code)
		}
		if n := len(sink.Events()); n != 0 {
			t.Fatalf("%d events reached the sink from refused requests", n)
		}

		// Validly signed.
		code := fuzzServe(h, fuzzRequest(fake, body, sentAt))
		var raws []json.RawMessage
		isArray := json.Unmarshal(body, &raws) == nil
		inWindow := offset >= -int64(sendgrid.DefaultMaxAge/time.Second) && offset <= int64(sendgrid.DefaultMaxAge/time.Second)
		events := sink.Events()
		switch {
		case !inWindow:
			if code != http.StatusForbidden || len(events) != 0 {
				t.Fatalf("sent %ds from now: status %d and %d events, want 403 and none", offset, code, len(events))
			}
			return
		case !isArray:
			if code != http.StatusBadRequest || len(events) != 0 {
				t.Fatalf("not a JSON array: status %d and %d events, want 400 and none", code, len(events))
			}
			return
		case code != http.StatusNoContent:
			t.Fatalf("signed JSON array: status %d, want 204", code)
		}
		if len(events) > len(raws) {
			t.Fatalf("%d events applied from a batch of %d", len(events), len(raws))
		}
		for _, e := range events {
			if !fuzzStatuses[e.Status] || e.MessageID <= 0 || e.Provider != sendgrid.Provider {
				t.Fatalf("event %+v: want a known status, a positive message id and provider %q", e, sendgrid.Provider)
			}
			if fuzzAddress.MatchString(e.Reason) || kigen.HasLongDigitRun(e.Reason) {
				t.Fatalf("event reason %q is not redacted", e.Reason)
			}
		}

		// The same request with a failing sink, then with a sink that
		// knows no message.
		failing := &notifytest.Sink{}
		failing.SetErr(errors.New("database down"))
		code = fuzzServe(handler(failing), fuzzRequest(fake, body, sentAt))
		calls := len(failing.Events())
		if len(events) == 0 && (code != http.StatusNoContent || calls != 0) {
			t.Fatalf("failing sink, nothing to apply: status %d after %d calls, want 204 after none", code, calls)
		}
		if len(events) > 0 && (code != http.StatusInternalServerError || calls != 1) {
			t.Fatalf("failing sink: status %d after %d calls, want 500 after 1", code, calls)
		}
		unknown := &notifytest.Sink{}
		unknown.SetErr(notify.ErrUnknownMessage)
		code = fuzzServe(handler(unknown), fuzzRequest(fake, body, sentAt))
		if code != http.StatusNoContent || len(unknown.Events()) != len(events) {
			t.Fatalf("unknown messages: status %d after %d calls, want 204 after %d", code, len(unknown.Events()), len(events))
		}
	})
}

// fuzzRequest is body signed by fake at sentAt, as the server sees it.
func fuzzRequest(fake *sendgridtest.Server, body []byte, sentAt time.Time) *http.Request {
	r := fake.NewEventRequest(eventURL, body, sentAt)
	s := httptest.NewRequest(http.MethodPost, sendgrid.EventPath, r.Body)
	s.Header = r.Header
	return s
}

// fuzzServe serves r and returns the status code.
func fuzzServe(h http.Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}
