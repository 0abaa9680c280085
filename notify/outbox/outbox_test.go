package outbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/notify"
	"kigen/notify/internal/logtest"
	"kigen/notify/outbox"
)

var now = time.Date(2027, 1, 30, 0, 0, 5, 0, time.UTC)

// sent is a message with its record, as the deliver job hands them over.
type sent struct {
	msg notify.Message
	rec notify.Record
}

func emailMessage(id int64) sent {
	return sent{
		msg: notify.Message{
			ID: id, Channel: kigen.Email, To: "jane.doe@example.com",
			Subject: "Your residence card expires on 31 March 2027", HTML: "<p>hi</p>",
			Text:    "Renew it at the immigration bureau: https://kigen.example/m/abc?x=1&y=2",
			Headers: map[string]string{"List-Unsubscribe": "<https://kigen.example/u/t>"},
		},
		rec: notify.Record{
			MunicipalityCode: "012033", ResidentRef: "A-0001", Lang: kigen.English,
			Notices: []notify.OutboxNotice{
				{Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2027-03-31"), Stage: kigen.D60},
				{Card: kigen.MyNumberCard, ExpiresOn: kigen.MustParseISODate("2027-03-31"), Stage: kigen.D60},
			},
			TickDate: kigen.MustParseISODate("2027-01-30"),
		},
	}
}

func smsMessage(id int64) sent {
	return sent{
		msg: notify.Message{ID: id, Channel: kigen.SMS, To: "+819012345678",
			SMS: "在留カードの期限は2027年3月31日です https://kigen.example/m/abc"},
		rec: notify.Record{MunicipalityCode: "012033", ResidentRef: "A-0002", Lang: kigen.Japanese,
			TickDate: kigen.MustParseISODate("2027-01-30")},
	}
}

// send hands m to s as the deliver job does.
func send(ctx context.Context, s *outbox.Sender, m sent) (notify.Receipt, error) {
	return notify.SendWithRecord(ctx, s, m.msg, m.rec)
}

func open(t *testing.T, logger *slog.Logger) *outbox.Sender {
	t.Helper()
	s, err := outbox.Open(filepath.Join(t.TempDir(), "outbox.jsonl"), &outbox.Opts{Logger: logger, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("file does not end with a newline")
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestSender_Send(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  sent
		want string
	}{
		{
			name: "email",
			msg:  emailMessage(7),
			want: `{"message_id":7,"municipality":"012033","resident_ref":"A-0001","channel":"email","to":"jane.doe@example.com","lang":"en",` +
				`"notices":[{"card":"residence_card","expires_on":"2027-03-31","stage":"d60"},{"card":"mynumber_card","expires_on":"2027-03-31","stage":"d60"}],` +
				`"subject":"Your residence card expires on 31 March 2027","body":"Renew it at the immigration bureau: https://kigen.example/m/abc?x=1&y=2",` +
				`"tick_date":"2027-01-30","created_at":"2027-01-30T00:00:05Z"}`,
		},
		{
			name: "sms: no subject, empty notices is an array",
			msg:  smsMessage(8),
			want: `{"message_id":8,"municipality":"012033","resident_ref":"A-0002","channel":"sms","to":"+819012345678","lang":"ja",` +
				`"notices":[],"body":"在留カードの期限は2027年3月31日です https://kigen.example/m/abc","tick_date":"2027-01-30","created_at":"2027-01-30T00:00:05Z"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t, nil)
			rc, err := send(t.Context(), s, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(notify.Receipt{Provider: "outbox", ProviderMessageID: fmt.Sprintf("outbox-%d", tt.msg.msg.ID)}, rc); diff != "" {
				t.Errorf("receipt (-want +got):\n%s", diff)
			}
			lines := readLines(t, s.Path())
			if diff := cmp.Diff([]string{tt.want}, lines); diff != "" {
				t.Errorf("line (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSender_Send_Refused(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	bad := emailMessage(1)
	bad.msg.Subject = ""
	_, err := send(t.Context(), s, bad)
	if !notify.IsPermanent(err) {
		t.Errorf("invalid message: err = %v, want permanent", err)
	}
	// A wrapper that did not pass the record on: its line would lose
	// half its fields.
	_, err = s.Send(t.Context(), emailMessage(4).msg)
	if !notify.IsPermanent(err) {
		t.Errorf("message without its record: err = %v, want permanent", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = send(ctx, s, emailMessage(2))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("cancelled: err = %v, want retryable", err)
	}
	s.Close()
	_, err = send(t.Context(), s, emailMessage(3))
	if err == nil || notify.IsPermanent(err) {
		t.Errorf("closed: err = %v, want retryable", err)
	}
	if b, _ := os.ReadFile(s.Path()); len(b) != 0 {
		t.Errorf("file = %q, want empty", b)
	}
}

// TestSender_Concurrent: 8 goroutines × 50 messages through two Senders on
// one file (as two processes would) give 400 whole lines, each parseable,
// each message once.
func TestSender_Concurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	var senders [2]*outbox.Sender
	for i := range senders {
		s, err := outbox.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		senders[i] = s
	}
	const workers, perWorker = 8, 50
	long := strings.Repeat("長い本文 long body ", 300) // ~7 KB: more than one pipe buffer's atomic size
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				m := smsMessage(int64(w*perWorker + i + 1))
				if i%2 == 0 {
					m.msg.SMS = long
				}
				if _, err := send(t.Context(), senders[w%2], m); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	seen := map[int64]bool{}
	n := 0
	for sc.Scan() {
		n++
		var l struct {
			MessageID int64  `json:"message_id"`
			Body      string `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d is not JSON: %v", n, err)
		}
		if seen[l.MessageID] {
			t.Errorf("message %d written twice", l.MessageID)
		}
		seen[l.MessageID] = true
		if l.Body != long && !strings.HasPrefix(l.Body, "在留カード") {
			t.Errorf("line %d: body mangled", n)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != workers*perWorker || len(seen) != workers*perWorker {
		t.Errorf("got %d lines, %d messages; want %d", n, len(seen), workers*perWorker)
	}
}

func TestSender_LogsNoPersonalData(t *testing.T) {
	t.Parallel()
	logger, buf := logtest.New()
	s := open(t, logger)
	for _, m := range []sent{emailMessage(1), smsMessage(2)} {
		if _, err := send(t.Context(), s, m); err != nil {
			t.Fatal(err)
		}
	}
	logs := buf.String()
	if n := strings.Count(logs, "\n"); n != 2 {
		t.Errorf("%d log lines, want one per message:\n%s", n, logs)
	}
	logtest.AssertNoPersonalData(t, logs, "jane.doe", "9012345678", "A-0001", "在留", "Renew")
	if !strings.Contains(logs, `"message_id":1`) || !strings.Contains(logs, `"provider_message_id":"outbox-2"`) {
		t.Errorf("log lacks the ids:\n%s", logs)
	}
}

func TestOpen_FileMode(t *testing.T) {
	t.Parallel()
	s := open(t, nil)
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 (the outbox holds addresses)", fi.Mode().Perm())
	}
	if _, err := outbox.Open(filepath.Join(t.TempDir(), "missing", "x.jsonl"), nil); err == nil {
		t.Error("Open in a missing directory: want an error")
	}
}
