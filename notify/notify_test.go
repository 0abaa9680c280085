package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/notify"
	"kigen/notify/notifytest"
)

func TestMessage_Validate(t *testing.T) {
	t.Parallel()
	email := notify.Message{ID: 1, Channel: kigen.Email, To: "a@b.example", Subject: "s", Text: "t"}
	sms := notify.Message{ID: 1, Channel: kigen.SMS, To: "+819012345678", SMS: "t"}
	tests := []struct {
		name string
		edit func(*notify.Message)
		base notify.Message
		want []string // substrings of the error; nil: valid
	}{
		{"email OK", func(*notify.Message) {}, email, nil},
		{"email HTML only OK", func(m *notify.Message) { m.Text, m.HTML = "", "<p>x</p>" }, email, nil},
		{"sms OK", func(*notify.Message) {}, sms, nil},
		{"no id", func(m *notify.Message) { m.ID = 0 }, email, []string{"id"}},
		{"no subject nor body", func(m *notify.Message) { m.Subject, m.Text = "", "" }, email, []string{"subject", "body"}},
		{"no sms text, no recipient", func(m *notify.Message) { m.SMS, m.To = "", "" }, sms, []string{"sms text", "recipient"}},
		{"unknown channel", func(m *notify.Message) { m.Channel = "fax" }, sms, []string{"channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.base
			tt.edit(&m)
			err := m.Validate()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), m.To) && m.To != "" {
				t.Errorf("err %q echoes the address", err)
			}
		})
	}
}

func TestMessage_LogValue(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "message", notify.Message{ID: 9, Channel: kigen.SMS, To: "+819012345678", SMS: "secret text"})
	if got := buf.String(); !strings.Contains(got, "message.id=9 message.channel=sms") || strings.Contains(got, "9012345678") || strings.Contains(got, "secret") {
		t.Errorf("log = %q", got)
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	base := &notify.Error{Provider: "twilio", Code: "20429", Reason: "Too Many Requests", RetryAfter: 10 * time.Second, MaybeSent: true, Err: context.DeadlineExceeded}
	wrapped := fmt.Errorf("deliver message 7: %w", base)
	perm := &notify.Error{Provider: "sendgrid", Permanent: true, Code: "400", Reason: "bad"}
	tests := []struct {
		name      string
		err       error
		permanent bool
		retry     time.Duration
		maybeSent bool
	}{
		{"nil", nil, false, 0, false},
		{"plain error is retryable", errors.New("x"), false, 0, false},
		{"wrapped retryable", wrapped, false, 10 * time.Second, true},
		{"permanent", fmt.Errorf("x: %w", perm), true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := notify.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			if got := notify.RetryAfter(tt.err); got != tt.retry {
				t.Errorf("RetryAfter = %v", got)
			}
			if got := notify.MaybeSent(tt.err); got != tt.maybeSent {
				t.Errorf("MaybeSent = %v", got)
			}
		})
	}
	if !errors.Is(wrapped, context.DeadlineExceeded) {
		t.Error("Unwrap does not reach the cause")
	}
	if got, want := base.Error(), "twilio: retryable failure (20429): Too Many Requests (retry after 10s)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := perm.Error(), "sendgrid: permanent failure (400): bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"bounce reason", "550 5.1.1 <jane.doe+kigen@mail.example.co.jp>: Recipient address rejected", "550 5.1.1 <[email]>: Recipient address rejected"},
		{"twilio message", "The 'To' number +819012345678 is not a valid phone number.", "The 'To' number [number] is not a valid phone number."},
		{"domestic number with hyphens", "call 090-1234-5678 now", "call [number] now"},
		{"spaced separators", "tel 090 - 1234 - 5678", "tel [number]"},
		{"full-width digits", "番号０９０１２３４５６７８です", "番号[number]です"},
		{"my number", "1234 5678 9012", "[number]"},
		{"short codes stay", "Status: 400 - ApiError 21211 (5.1.1)", "Status: 400 - ApiError 21211 (5.1.1)"},
		{"control characters", "a\r\nb\x00c\td", "a  bc d"},
		{"long", strings.Repeat("é", 300), strings.Repeat("é", 199) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := notify.Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRedact: whatever goes in, no address or long digit run comes out,
// the result is short, valid UTF-8, and redacting again changes nothing.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"550 <a@b.c> rejected", "+81 90 1234 5678", "x@y", "Ｓ＠ｘ", "1234567", "12345678", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := notify.Redact(s)
		if utf8.RuneCountInString(got) > 200 || !utf8.ValidString(got) {
			t.Fatalf("Redact(%q) = %q: too long or not UTF-8", s, got)
		}
		// A run: digits with at most 3 separators between two of them.
		digits, seps := 0, 0
		for _, r := range got {
			switch {
			case r >= '0' && r <= '9' || r >= '０' && r <= '９':
				digits, seps = digits+1, 0
				if digits >= 8 {
					t.Fatalf("Redact(%q) = %q keeps a run of digits", s, got)
				}
			case strings.ContainsRune(" -()－‐", r) && seps < 3:
				seps++
			default:
				digits, seps = 0, 0
			}
		}
		if strings.ContainsAny(got, "\n\r\x00") {
			t.Fatalf("Redact(%q) = %q keeps control characters", s, got)
		}
		if again := notify.Redact(got); again != got && !strings.HasSuffix(got, "…") {
			t.Fatalf("Redact is not idempotent: %q → %q", got, again)
		}
	})
}

func TestDeliveryState(t *testing.T) {
	t.Parallel()
	const (
		created   = kigen.DeliveryCreated
		sending   = kigen.DeliverySending
		accepted  = kigen.DeliveryAccepted
		delivered = kigen.DeliveryDelivered
		failed    = kigen.DeliveryFailed
		unknown   = kigen.DeliveryUnknown
	)
	tests := []struct {
		name   string
		cur    kigen.DeliveryState
		status notify.EventStatus
		want   kigen.DeliveryState
		change bool
	}{
		{"processed after sending", sending, notify.StatusProcessed, accepted, true},
		{"processed again", accepted, notify.StatusProcessed, accepted, false},
		{"deferred keeps accepted", accepted, notify.StatusDeferred, accepted, false},
		{"delivered", accepted, notify.StatusDelivered, delivered, true},
		{"delivered before accepted was recorded", sending, notify.StatusDelivered, delivered, true},
		{"late processed never overwrites delivered", delivered, notify.StatusProcessed, delivered, false},
		{"late sent never overwrites delivered", delivered, notify.StatusSent, delivered, false},
		{"duplicate delivered", delivered, notify.StatusDelivered, delivered, false},
		{"bounce", accepted, notify.StatusBounced, kigen.DeliveryBounced, true},
		{"async bounce after delivered", delivered, notify.StatusBounced, kigen.DeliveryBounced, true},
		{"delivered after failed stays failed", failed, notify.StatusDelivered, failed, false},
		{"undelivered", accepted, notify.StatusUndelivered, failed, true},
		{"twilio failed from created", created, notify.StatusFailed, failed, true},
		{"dropped", accepted, notify.StatusDropped, failed, true},
		{"event resolves unknown", unknown, notify.StatusQueued, accepted, true},
		{"spam report leaves the state", delivered, notify.StatusSpamReport, delivered, false},
		{"unsubscribe leaves the state", delivered, notify.StatusUnsubscribed, delivered, false},
		{"unknown current state is left alone", "weird", notify.StatusDelivered, "weird", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, change := notify.DeliveryState(tt.cur, notify.Event{Status: tt.status})
			if got != tt.want || change != tt.change {
				t.Errorf("DeliveryState(%s, %s) = %s, %v; want %s, %v", tt.cur, tt.status, got, change, tt.want, tt.change)
			}
		})
	}
}

func TestParseKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want notify.Keyword
	}{
		{"STOP", notify.KeywordStop}, {"stop", notify.KeywordStop}, {" Stop\n", notify.KeywordStop},
		{"ＳＴＯＰ", notify.KeywordStop}, {"ｓｔｏｐ", notify.KeywordStop}, {"停止", notify.KeywordStop},
		{"\u3000停止\u3000", notify.KeywordStop}, {"STOPALL", notify.KeywordStop}, {"Unsubscribe", notify.KeywordStop},
		{"cancel", notify.KeywordStop}, {"END", notify.KeywordStop}, {"quit", notify.KeywordStop},
		{"START", notify.KeywordStart}, {"Yes", notify.KeywordStart}, {"unstop", notify.KeywordStart},
		{"再開", notify.KeywordStart}, {"ＳＴＡＲＴ", notify.KeywordStart},
		{"", notify.KeywordNone}, {"please stop", notify.KeywordNone}, {"STOP!", notify.KeywordNone},
		{"HELP", notify.KeywordNone}, {"停止してください", notify.KeywordNone}, {"S T O P", notify.KeywordNone},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			if got := notify.ParseKeyword(tt.body); got != tt.want {
				t.Errorf("ParseKeyword(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

// FuzzParseKeyword: a keyword is found only in a body that, trimmed and
// folded, is exactly one; and surrounding space or case never changes it.
func FuzzParseKeyword(f *testing.F) {
	for _, s := range []string{"STOP", "ｓｔｏｐ", "停止", "再開", " start ", "please stop", "", "\u3000END"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := notify.ParseKeyword(s)
		if k != notify.KeywordNone && k != notify.KeywordStop && k != notify.KeywordStart {
			t.Fatalf("ParseKeyword(%q) = %q", s, k)
		}
		if got := notify.ParseKeyword(" \t" + s + "\u3000"); got != k && len(s) < 60 {
			t.Fatalf("spaces change the keyword of %q: %q vs %q", s, k, got)
		}
		if got := notify.ParseKeyword(strings.ToLower(s)); got != k && strings.EqualFold(strings.ToLower(s), s) {
			t.Fatalf("case changes the keyword of %q: %q vs %q", s, k, got)
		}
		if k != notify.KeywordNone && strings.ContainsFunc(strings.TrimSpace(strings.Trim(s, "\u3000")), func(r rune) bool { return r == ' ' }) {
			t.Fatalf("ParseKeyword(%q) = %q: a sentence is not a keyword", s, k)
		}
	})
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	var r notifytest.Recorder
	m := notify.Message{ID: 3, Channel: kigen.SMS, To: "+819012345678", SMS: "x"}
	r.FailNext(&notify.Error{Provider: "recorder", Permanent: true, Code: "21211"})
	if _, err := r.Send(t.Context(), m); !notify.IsPermanent(err) {
		t.Fatalf("first send: %v, want the scripted permanent error", err)
	}
	rc, err := r.Send(t.Context(), m)
	if err != nil || rc.ProviderMessageID != "recorder-3" {
		t.Fatalf("second send: %+v, %v", rc, err)
	}
	r.SendFunc = func(context.Context, notify.Message) (notify.Receipt, error) {
		return notify.Receipt{}, &notify.Error{Provider: "recorder", RetryAfter: time.Minute}
	}
	if _, err := r.Send(t.Context(), m); notify.RetryAfter(err) != time.Minute {
		t.Fatalf("third send: %v", err)
	}
	if diff := cmp.Diff([]notify.Message{m}, r.Messages(), cmp.AllowUnexported()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if n := len(r.Attempts()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	r.Reset()
	if len(r.Attempts())+len(r.Messages()) != 0 {
		t.Error("Reset kept something")
	}
}

// plainSender is a Sender that keeps no record.
type plainSender struct{ got []notify.Message }

func (s *plainSender) Send(_ context.Context, m notify.Message) (notify.Receipt, error) {
	s.got = append(s.got, m)
	return notify.Receipt{}, nil
}

// TestSendWithRecord: the record goes to a RecordSender, and a plain
// Sender (a provider) gets the message alone.
func TestSendWithRecord(t *testing.T) {
	t.Parallel()
	m := notify.Message{ID: 3, Channel: kigen.SMS, To: "+819012345678", SMS: "x"}
	rec := notify.Record{MunicipalityCode: "012033", ResidentRef: "A-1", Lang: kigen.Japanese}
	var keeper notifytest.Recorder
	if _, err := notify.SendWithRecord(t.Context(), &keeper, m, rec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]notify.Record{rec}, keeper.Records()); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	var plain plainSender
	if _, err := notify.SendWithRecord(t.Context(), &plain, m, rec); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]notify.Message{m}, plain.got); diff != "" {
		t.Errorf("plain sender got (-want +got):\n%s", diff)
	}
}
