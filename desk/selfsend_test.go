package desk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kigen"
	"kigen/desk"
	"kigen/notify"
	"kigen/notify/outbox"
	"kigen/scheduler"
	"kigen/store"
)

// outboxLine is what the test reads of an outbox line.
type outboxLine struct {
	Channel      string `json:"channel"`
	To           string `json:"to"`
	Lang         string `json:"lang"`
	Municipality string `json:"municipality"`
	ResidentRef  string `json:"resident_ref"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
}

// selfQueue runs b's self-service sends through the real queue and
// worker into an outbox file, whose path it returns, with the number of
// sends the worker counted.
func (b *selfBundle) selfQueue(t *testing.T) (*scheduler.Queue, string, *atomic.Int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	ob, err := outbox.Open(path, &outbox.Opts{Now: b.d.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	var sent atomic.Int64
	w := &scheduler.SelfSendWorker{Store: b.s, Senders: map[kigen.Channel]notify.Sender{kigen.Email: ob, kigen.SMS: ob},
		PublicURL: "https://kigen.example/", Now: b.d.Now, Logger: slog.New(slog.DiscardHandler),
		Sent: func(kigen.Channel) { sent.Add(1) }}
	q, err := scheduler.NewQueue(b.s, scheduler.QueueConfig{SelfSend: w, TestOnly: true, Logger: slog.New(slog.DiscardHandler),
		FetchPollInterval: 20 * time.Millisecond, MaxWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}
	b.d.Self.Queue = q
	return q, path, &sent
}

func workSelf(t *testing.T, q *scheduler.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := q.WorkUntilIdle(ctx); err != nil {
		t.Fatalf("WorkUntilIdle: %v", err)
	}
}

func readOutbox(t *testing.T, path string) []outboxLine {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []outboxLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l outboxLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestSelfSend_Outbox: the confirmation goes out through the queue, in
// the resident's language: by SMS the code, by email the link to the
// confirmation page; a fresh link carries the page's address; each works.
func TestSelfSend_Outbox(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		q, path, sent := b.selfQueue(t)
		st, err := b.d.StartSignup(ctx, vietSignup("090-1234-5678"))
		if err != nil {
			t.Fatal(err)
		}
		workSelf(t, q)
		lines := readOutbox(t, path)
		if len(lines) != 1 || lines[0].Channel != "sms" || lines[0].To != "+819012345678" || lines[0].Lang != "vi" ||
			lines[0].Municipality != "012033" || !strings.HasPrefix(lines[0].Body, "Mã Kigen: ") {
			t.Fatalf("outbox %+v", lines)
		}
		code := regexp.MustCompile(`[0-9]{6}`).FindString(lines[0].Body)
		c, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: code})
		if err != nil {
			t.Fatalf("the code of the outbox (%q): %v", code, err)
		}

		p := vietSignup("")
		p.Email, p.Language = "new@example.jp", "en"
		if _, err := b.d.StartSignup(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := b.d.RequestLink(ctx, desk.LinkParams{Municipality: "012033", Address: "090-1234-5678"}); err != nil {
			t.Fatal(err)
		}
		workSelf(t, q)
		lines = readOutbox(t, path)
		if len(lines) != 3 || sent.Load() != 3 {
			t.Fatalf("%d lines, %d counted: %+v", len(lines), sent.Load(), lines)
		}
		var email, link outboxLine
		for _, l := range lines[1:] {
			if l.Channel == "email" {
				email = l
			} else {
				link = l
			}
		}
		i := strings.Index(email.Body, "https://kigen.example/r/012033/confirm/")
		if email.Subject != "Kigen: confirm your sign-up" || !strings.Contains(email.Body, "Otaru City") || i < 0 {
			t.Fatalf("email %+v", email)
		}
		token := strings.Fields(email.Body[i+len("https://kigen.example/r/012033/confirm/"):])[0]
		if ce, err := b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: token}); err != nil || ce.Ref == "" {
			t.Fatalf("the link of the outbox: %+v %v", ce, err)
		}
		j := strings.Index(link.Body, "https://kigen.example/me/")
		if link.Channel != "sms" || j < 0 {
			t.Fatalf("link %+v", link)
		}
		a, err := b.d.ResidentActor(ctx, strings.Fields(link.Body[j+len("https://kigen.example/me/"):])[0])
		if err != nil || a.ResidentRef != c.Ref {
			t.Fatalf("the page's link of the outbox: %+v %v", a, err)
		}
		// Sent once: the jobs ran, the rows say so, nothing goes again.
		workSelf(t, q)
		if n := len(readOutbox(t, path)); n != 3 {
			t.Errorf("%d lines after a second run, want 3", n)
		}
	})
}

// TestSignup_Pump is a scripted SMS-pumping attempt: 500 sign-ups by SMS
// in one municipality from 250 numbers and 100 client addresses. Nothing
// beyond the limits goes out: the outbox holds exactly the daily SMS
// budget, every other attempt is refused (locked) and stored nothing.
func TestSignup_Pump(t *testing.T) {
	t.Parallel()
	const budget = 40
	for _, tc := range []struct {
		name   string
		limits desk.SignupLimits
		want   int
	}{
		{"sms budget", desk.SignupLimits{SMSBudget: budget}, budget},
		{"per municipality", desk.SignupLimits{PerMunicipality: 25, SMSBudget: 1000}, 25},
		{"per client and number", desk.SignupLimits{PerClient: 2, PerAddress: 1, SMSBudget: 1000, PerMunicipality: 1000}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eachSelf(t, tc.limits, func(t *testing.T, b *selfBundle) {
				ctx := t.Context()
				q, path, sent := b.selfQueue(t)
				accepted, refused := 0, 0
				for i := range 500 {
					p := vietSignup(fmt.Sprintf("090-1%03d-%04d", i%250, i%250))
					p.Client = fmt.Sprintf("203.0.113.%d", i%100)
					_, err := b.d.StartSignup(ctx, p)
					switch kigen.ErrorCode(err) {
					case "":
						accepted++
					case kigen.ELOCKED:
						refused++
					default:
						t.Fatalf("attempt %d: %v", i, err)
					}
				}
				workSelf(t, q)
				lines := readOutbox(t, path)
				if len(lines) != tc.want || accepted != tc.want || refused != 500-tc.want || sent.Load() != int64(tc.want) {
					t.Errorf("%d SMS in the outbox, %d accepted, %d refused, %d counted: want %d sent", len(lines), accepted, refused, sent.Load(), tc.want)
				}
				n, err := b.s.CountSignups(ctx, store.SignupFilter{Since: b.now.Add(-time.Hour)})
				if err != nil || n != tc.want {
					t.Errorf("%d sign-ups stored (%v), want %d", n, err, tc.want)
				}
			})
		})
	}
}

// TestSelfForget: once expired, a sign-up's address and fields are
// forgotten, and the row goes after two days; a confirmation that was
// never typed is then gone.
func TestSelfForget(t *testing.T) {
	t.Parallel()
	eachSelf(t, desk.SignupLimits{}, func(t *testing.T, b *selfBundle) {
		ctx := t.Context()
		st, err := b.d.StartSignup(ctx, vietSignup("090-1234-5678"))
		if err != nil {
			t.Fatal(err)
		}
		s := b.last(t)
		w := &scheduler.SelfForgetWorker{Store: b.s, Now: func() time.Time { return b.now }}
		forget := func() {
			t.Helper()
			if err := w.Work(ctx, &river.Job[scheduler.SelfForgetArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
				t.Fatal(err)
			}
		}
		forget()
		if got, err := b.s.GetSignup(ctx, s.ID); err != nil || got.Address == "" {
			t.Fatalf("a fresh sign-up was forgotten: %+v %v", got, err)
		}
		b.now = b.now.Add(desk.CodeLifetime + time.Minute)
		forget()
		got, err := b.s.GetSignup(ctx, s.ID)
		if err != nil || got.Address != "" || got.Fields != "" || got.State != store.SignupExpired {
			t.Fatalf("an expired sign-up: %+v %v", got, err)
		}
		b.now = b.now.Add(scheduler.SelfKeep)
		forget()
		if _, err := b.s.GetSignup(ctx, s.ID); err == nil {
			t.Error("a sign-up older than two days is still there")
		}
		_, err = b.d.ConfirmSignup(ctx, desk.ConfirmParams{Token: st.Handle, Code: b.code(t, s)})
		wantSelfCode(t, err, kigen.ENOTFOUND)
	})
}
