package twilio_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/logtest"
	"kigen/notify/twilio"
	"kigen/notify/twilio/twiliotest"
)

const (
	phone     = "+819012345678"
	publicURL = "https://kigen.example"
	service   = "MG0123456789abcdef0123456789abcdef"
)

var now = time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC)

func message(id int64) notify.Message {
	return notify.Message{ID: id, Channel: kigen.SMS, To: phone,
		SMS: "在留カードの期限は2027年3月31日です。https://kigen.example/m/abc"}
}

type bundle struct {
	fake   *twiliotest.Server
	sender *twilio.Sender
	logs   *logtest.Buffer
}

func setup(t *testing.T, edit func(*twilio.Config)) bundle {
	t.Helper()
	fake := twiliotest.NewServer()
	t.Cleanup(fake.Close)
	logger, logs := logtest.New()
	cfg := twilio.Config{
		AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, MessagingServiceSID: service,
		PublicURL: publicURL + "/", BaseURL: fake.URL, Timeout: 2 * time.Second,
		Logger: logger, Now: func() time.Time { return now },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := twilio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return bundle{fake, s, logs}
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := twilio.New(twilio.Config{AccountSID: "AC-1", AuthToken: "tok/en", BaseURL: "::", PublicURL: "kigen.example", Timeout: -1})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM", "KIGEN_TWILIO_BASE_URL", "KIGEN_PUBLIC_URL", "timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := twilio.New(twilio.Config{AccountSID: "AC1", AuthToken: "t", From: "+15005550006"}); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}

func TestSender_Send_OK(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(*twilio.Config)
		wantForm url.Values
	}{
		{
			name: "messaging service",
			wantForm: url.Values{"To": {phone}, "Body": {message(42).SMS}, "MessagingServiceSid": {service},
				"StatusCallback": {"https://kigen.example/webhooks/twilio/status?message_id=42"}},
		},
		{
			name:     "from number, no public URL",
			edit:     func(c *twilio.Config) { c.MessagingServiceSID, c.From, c.PublicURL = "", "+15005550006", "" },
			wantForm: url.Values{"To": {phone}, "Body": {message(42).SMS}, "From": {"+15005550006"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.edit)
			rc, err := b.sender.Send(t.Context(), message(42))
			if err != nil {
				t.Fatal(err)
			}
			reqs := b.fake.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if want := (notify.Receipt{Provider: "twilio", ProviderMessageID: reqs[0].SID}); rc != want || len(rc.ProviderMessageID) != 34 {
				t.Errorf("receipt = %+v, want %+v", rc, want)
			}
			if want := "/2010-04-01/Accounts/" + b.fake.AccountSID + "/Messages.json"; reqs[0].Path != want {
				t.Errorf("path = %s, want %s", reqs[0].Path, want)
			}
			if diff := cmp.Diff(tt.wantForm, reqs[0].Form); diff != "" {
				t.Errorf("form (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSender_Send_Failures(t *testing.T) {
	t.Parallel()
	rest := func(code, status int, msg string) twiliotest.Failure {
		return twiliotest.Failure{Status: status, Body: twiliotest.ErrorBody(code, status, msg)}
	}
	tests := []struct {
		name    string
		failure twiliotest.Failure
		want    notify.Error // Err is not compared
	}{
		{"21211 invalid number", rest(21211, 400, "The 'To' number "+phone+" is not a valid phone number."),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21211", Reason: "The 'To' number [number] is not a valid phone number.", ContactFailed: true}},
		{"21612 unreachable", rest(21612, 400, "The 'To' phone number is not currently reachable via SMS."),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21612", Reason: "The 'To' phone number is not currently reachable via SMS.", ContactFailed: true}},
		{"21614 not a mobile", rest(21614, 400, "'To' number is not a valid mobile number"),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21614", Reason: "'To' number is not a valid mobile number", ContactFailed: true}},
		{"21610 recipient sent STOP", rest(21610, 400, "Attempt to send to unsubscribed recipient"),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21610", Reason: "Attempt to send to unsubscribed recipient", OptOut: true}},
		{"21408 region not enabled", rest(21408, 400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: "+phone),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21408", Reason: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: [number]"}},
		{"other 4xx is permanent", rest(21617, 400, "The concatenated message body exceeds the 1600 character limit."),
			notify.Error{Provider: "twilio", Permanent: true, Code: "21617", Reason: "The concatenated message body exceeds the 1600 character limit."}},
		{"20429 with Retry-After", func() twiliotest.Failure {
			f := rest(20429, 429, "Too Many Requests")
			f.RetryAfter = "10"
			return f
		}(), notify.Error{Provider: "twilio", Code: "20429", Reason: "Too Many Requests", RetryAfter: 10 * time.Second}},
		{"HTTP 429 without a code", twiliotest.Failure{Status: 429, Body: `{"status":429,"message":"slow down"}`},
			notify.Error{Provider: "twilio", Code: "429", Reason: "slow down"}},
		{"20003 wrong credentials is retryable (configuration)", rest(20003, 401, "Authenticate"),
			notify.Error{Provider: "twilio", Code: "20003", Reason: "Authenticate"}},
		{"500 JSON", rest(20500, 500, "Internal Server Error"),
			notify.Error{Provider: "twilio", Code: "20500", Reason: "Internal Server Error"}},
		{"503 JSON", rest(0, 503, "Service Unavailable"),
			notify.Error{Provider: "twilio", Code: "503", Reason: "Service Unavailable"}},
		{"502 HTML", twiliotest.Failure{Status: 502, Body: "<html><body>502 Bad Gateway</body></html>", ContentType: "text/html"},
			notify.Error{Provider: "twilio", Code: "502", Reason: "unreadable answer"}},
		{"429 HTML with Retry-After", twiliotest.Failure{Status: 429, Body: "<html>slow</html>", ContentType: "text/html", RetryAfter: "7"},
			notify.Error{Provider: "twilio", Code: "429", Reason: "unreadable answer", RetryAfter: 7 * time.Second}},
		{"201 with a broken body", twiliotest.Failure{Status: 201, Body: `{"sid": "SM`},
			notify.Error{Provider: "twilio", Code: "bad_answer", Reason: "unreadable answer", MaybeSent: true}},
		{"timeout", twiliotest.Failure{Delay: 5 * time.Second},
			notify.Error{Provider: "twilio", Code: "timeout", Reason: "the provider did not answer in time", MaybeSent: true}},
		{"dropped connection", twiliotest.Failure{Drop: true},
			notify.Error{Provider: "twilio", Code: "network", Reason: "no answer from the provider", MaybeSent: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *twilio.Config) { c.Timeout = 300 * time.Millisecond })
			b.fake.FailNext(tt.failure)
			rc, err := b.sender.Send(t.Context(), message(7))
			if rc != (notify.Receipt{}) {
				t.Errorf("receipt = %+v, want none", rc)
			}
			e, ok := errors.AsType[*notify.Error](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *notify.Error", err, err)
			}
			got := *e
			got.Err = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if strings.Contains(err.Error(), "9012345678") {
				t.Errorf("error text holds the number: %v", err)
			}
			if n := len(b.fake.Requests()); n != 1 {
				t.Errorf("%d requests reached the fake, want 1", n)
			}
		})
	}
}

func TestSender_Send_Refused(t *testing.T) {
	t.Parallel()
	t.Run("wrong auth token", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *twilio.Config) { c.AuthToken = "wrong0token" })
		_, err := b.sender.Send(t.Context(), message(1))
		if e, ok := errors.AsType[*notify.Error](err); !ok || e.Code != "20003" || e.Permanent {
			t.Errorf("err = %v, want retryable 20003", err)
		}
	})
	t.Run("number refused by the fake like Twilio", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		m := message(1)
		m.To = "09012345678"
		_, err := b.sender.Send(t.Context(), m)
		if e, ok := errors.AsType[*notify.Error](err); !ok || !e.Permanent || !e.ContactFailed || e.Code != "21211" {
			t.Errorf("err = %#v, want permanent 21211", err)
		}
	})
	t.Run("not an SMS", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		_, err := b.sender.Send(t.Context(), notify.Message{ID: 1, Channel: kigen.Email, To: "a@b.example", Subject: "s", Text: "t"})
		if !notify.IsPermanent(err) || len(b.fake.Requests()) != 0 {
			t.Errorf("err = %v, %d requests; want permanent, none", err, len(b.fake.Requests()))
		}
	})
	t.Run("server gone: not sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.fake.Close()
		_, err := b.sender.Send(t.Context(), message(1))
		if e, ok := errors.AsType[*notify.Error](err); !ok || e.Permanent || e.MaybeSent || e.Code != "network" {
			t.Errorf("err = %#v, want retryable network error, not MaybeSent", err)
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.fake.FailNext(twiliotest.Failure{Delay: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := b.sender.Send(ctx, message(1))
		if e, ok := errors.AsType[*notify.Error](err); !ok || e.Code != "canceled" || e.Permanent {
			t.Errorf("err = %v, want canceled", err)
		}
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Errorf("Send took %v: the context did not reach the request", d)
		}
	})
}

func TestSender_LogsNoPersonalData(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if _, err := b.sender.Send(t.Context(), message(5)); err != nil {
		t.Fatal(err)
	}
	logs := b.logs.String()
	if !strings.Contains(logs, `"message_id":5`) || !strings.Contains(logs, `"provider_message_id":"SM`) {
		t.Errorf("log lacks the ids:\n%s", logs)
	}
	logtest.AssertNoPersonalData(t, logs, "9012345678", "在留")
}
