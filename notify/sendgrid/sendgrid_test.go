package sendgrid_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/logtest"
	"kigen/notify/sendgrid"
	"kigen/notify/sendgrid/sendgridtest"
)

const address = "jane.doe@example.com"

var now = time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC)

func message(id int64) notify.Message {
	return notify.Message{
		ID: id, Channel: kigen.Email, To: address,
		Subject: "Your residence card expires on 31 March 2027",
		Text:    "Plain text body", HTML: "<p>HTML body</p>",
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://kigen.example/u/tok>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		Categories: []string{"kigen", "d60"},
	}
}

type bundle struct {
	fake   *sendgridtest.Server
	sender *sendgrid.Sender
	logs   *logtest.Buffer
}

// setup starts a fake and a sender pointed at it; edit adjusts the config.
func setup(t *testing.T, edit func(*sendgrid.Config)) bundle {
	t.Helper()
	fake := sendgridtest.NewServer()
	t.Cleanup(fake.Close)
	logger, logs := logtest.New()
	cfg := sendgrid.Config{
		APIKey: fake.APIKey, From: "Otaru City <kigen@city.example>", BaseURL: fake.URL,
		Timeout: 2 * time.Second, Logger: logger,
		Now: func() time.Time { return now },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := sendgrid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return bundle{fake, s, logs}
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := sendgrid.New(sendgrid.Config{From: "not an address", BaseURL: "ftp://x", Timeout: -1})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"SENDGRID_API_KEY", "KIGEN_EMAIL_FROM", "KIGEN_SENDGRID_BASE_URL", "timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if _, err := sendgrid.New(sendgrid.Config{APIKey: "k", From: "a@b.example"}); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestSender_Send_OK(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	rc, err := b.sender.Send(t.Context(), message(42))
	if err != nil {
		t.Fatal(err)
	}
	reqs := b.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if want := (notify.Receipt{Provider: "sendgrid", ProviderMessageID: reqs[0].MessageID}); rc != want || len(rc.ProviderMessageID) != 22 {
		t.Errorf("receipt = %+v, want %+v", rc, want)
	}
	r := reqs[0]
	if got := r.Header.Get("Authorization"); got != "Bearer "+b.fake.APIKey {
		t.Errorf("Authorization = %q", got)
	}
	m := r.Mail
	p := m.Personalizations[0]
	got := struct {
		From       sgmail.Email
		To         []*sgmail.Email
		Subject    string
		Content    []*sgmail.Content
		Headers    map[string]string
		Categories []string
		CustomArgs map[string]string
	}{*m.From, p.To, m.Subject, m.Content, m.Headers, m.Categories, m.CustomArgs}
	want := got
	want.From = sgmail.Email{Name: "Otaru City", Address: "kigen@city.example"}
	want.To = []*sgmail.Email{{Address: address}}
	want.Subject = "Your residence card expires on 31 March 2027"
	want.Content = []*sgmail.Content{{Type: "text/plain", Value: "Plain text body"}, {Type: "text/html", Value: "<p>HTML body</p>"}}
	want.Headers = map[string]string{"List-Unsubscribe": "<https://kigen.example/u/tok>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
	want.Categories = []string{"kigen", "d60"}
	want.CustomArgs = map[string]string{"kigen_message_id": "42"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestSender_Send_Failures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		failure sendgridtest.Failure
		want    notify.Error // Err is not compared
	}{
		{
			name:    "400 invalid recipient is permanent and fails the contact",
			failure: sendgridtest.Failure{Status: 400, Body: sendgridtest.ErrorBody("Does not contain a valid address: "+address, "personalizations.0.to.0.email")},
			want:    notify.Error{Provider: "sendgrid", Permanent: true, Code: "400", Reason: "personalizations.0.to.0.email: Does not contain a valid address: [email]", ContactFailed: true},
		},
		{
			name:    "400 other field is permanent",
			failure: sendgridtest.Failure{Status: 400, Body: sendgridtest.ErrorBody("too long", "subject")},
			want:    notify.Error{Provider: "sendgrid", Permanent: true, Code: "400", Reason: "subject: too long"},
		},
		{
			name:    "413 is permanent",
			failure: sendgridtest.Failure{Status: 413, Body: "<html>too big</html>", ContentType: "text/html"},
			want:    notify.Error{Provider: "sendgrid", Permanent: true, Code: "413", Reason: "Request Entity Too Large"},
		},
		{
			name:    "401 bad key is retryable (configuration)",
			failure: sendgridtest.Failure{Status: 401, Body: sendgridtest.ErrorBody("The provided authorization grant is invalid, expired, or revoked", "")},
			want:    notify.Error{Provider: "sendgrid", Code: "401", Reason: "The provided authorization grant is invalid, expired, or revoked"},
		},
		{
			name:    "403 missing scope is retryable (configuration)",
			failure: sendgridtest.Failure{Status: 403, Body: sendgridtest.ErrorBody("access forbidden", "")},
			want:    notify.Error{Provider: "sendgrid", Code: "403", Reason: "access forbidden"},
		},
		{
			name:    "429 with Retry-After seconds",
			failure: sendgridtest.Failure{Status: 429, Body: sendgridtest.ErrorBody("too many requests", ""), RetryAfter: "30"},
			want:    notify.Error{Provider: "sendgrid", Code: "429", Reason: "too many requests", RetryAfter: 30 * time.Second},
		},
		{
			name:    "429 with Retry-After date",
			failure: sendgridtest.Failure{Status: 429, RetryAfter: now.Add(2 * time.Minute).Format(http.TimeFormat)},
			want:    notify.Error{Provider: "sendgrid", Code: "429", Reason: "Too Many Requests", RetryAfter: 2 * time.Minute},
		},
		{
			name: "429 with X-RateLimit-Reset",
			failure: sendgridtest.Failure{Status: 429, Header: http.Header{
				"X-Ratelimit-Reset": {strconv.FormatInt(now.Add(45*time.Second).Unix(), 10)}}},
			want: notify.Error{Provider: "sendgrid", Code: "429", Reason: "Too Many Requests", RetryAfter: 45 * time.Second},
		},
		{
			name:    "429 without a delay",
			failure: sendgridtest.Failure{Status: 429},
			want:    notify.Error{Provider: "sendgrid", Code: "429", Reason: "Too Many Requests"},
		},
		{
			name:    "500 is retryable",
			failure: sendgridtest.Failure{Status: 500, Body: sendgridtest.ErrorBody("internal error", "")},
			want:    notify.Error{Provider: "sendgrid", Code: "500", Reason: "internal error"},
		},
		{
			name:    "502 HTML is retryable",
			failure: sendgridtest.Failure{Status: 502, Body: "<html>Bad Gateway</html>", ContentType: "text/html"},
			want:    notify.Error{Provider: "sendgrid", Code: "502", Reason: "Bad Gateway"},
		},
		{
			name:    "timeout is retryable and maybe sent",
			failure: sendgridtest.Failure{Delay: 5 * time.Second},
			want:    notify.Error{Provider: "sendgrid", Code: "timeout", Reason: "the provider did not answer in time", MaybeSent: true},
		},
		{
			name:    "dropped connection is retryable and maybe sent",
			failure: sendgridtest.Failure{Drop: true},
			want:    notify.Error{Provider: "sendgrid", Code: "network", Reason: "no answer from the provider", MaybeSent: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *sendgrid.Config) { c.Timeout = 300 * time.Millisecond })
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
			if notify.IsPermanent(err) != tt.want.Permanent || notify.RetryAfter(err) != tt.want.RetryAfter {
				t.Errorf("IsPermanent/RetryAfter disagree with the error")
			}
			if strings.Contains(err.Error(), address) {
				t.Errorf("error text holds the address: %v", err)
			}
			if n := len(b.fake.Requests()); n != 1 {
				t.Errorf("%d requests reached the fake, want 1 (no hidden retries)", n)
			}
		})
	}
}

func TestSender_Send_Refused(t *testing.T) {
	t.Parallel()
	t.Run("wrong API key", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *sendgrid.Config) { c.APIKey = "SG.wrong" })
		_, err := b.sender.Send(t.Context(), message(1))
		if e, ok := errors.AsType[*notify.Error](err); !ok || e.Code != "401" || e.Permanent {
			t.Errorf("err = %v, want retryable 401", err)
		}
	})
	t.Run("malformed address refused by the fake like SendGrid", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		m := message(1)
		m.To = "no-at-sign"
		_, err := b.sender.Send(t.Context(), m)
		if e, ok := errors.AsType[*notify.Error](err); !ok || !e.Permanent || !e.ContactFailed || e.Code != "400" {
			t.Errorf("err = %#v, want permanent 400 with ContactFailed", err)
		}
	})
	t.Run("not an email", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		_, err := b.sender.Send(t.Context(), notify.Message{ID: 1, Channel: kigen.SMS, To: "+819012345678", SMS: "hi"})
		if !notify.IsPermanent(err) {
			t.Errorf("err = %v, want permanent", err)
		}
		if n := len(b.fake.Requests()); n != 0 {
			t.Errorf("%d requests, want none", n)
		}
	})
	t.Run("server gone: not sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.fake.Close()
		_, err := b.sender.Send(t.Context(), message(1))
		e, ok := errors.AsType[*notify.Error](err)
		if !ok || e.Permanent || e.MaybeSent || e.Code != "network" {
			t.Errorf("err = %#v, want retryable network error, not MaybeSent", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		b.fake.FailNext(sendgridtest.Failure{Delay: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := b.sender.Send(ctx, message(1))
		if e, ok := errors.AsType[*notify.Error](err); !ok || e.Code != "canceled" || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want canceled", err)
		}
	})
}

func TestSender_LogsNoPersonalData(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if _, err := b.sender.Send(t.Context(), message(5)); err != nil {
		t.Fatal(err)
	}
	b.fake.FailNext(sendgridtest.Failure{Status: 400, Body: sendgridtest.ErrorBody("bad "+address, "personalizations.0.to.0.email")})
	if _, err := b.sender.Send(t.Context(), message(6)); err == nil {
		t.Fatal("want an error")
	}
	logs := b.logs.String()
	if !strings.Contains(logs, `"message_id":5`) {
		t.Errorf("log lacks the message id:\n%s", logs)
	}
	logtest.AssertNoPersonalData(t, logs, "jane.doe", "Plain text", "residence card")
}
