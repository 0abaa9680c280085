package scheduler

import (
	"context"
	"errors"
	"testing"

	"kigen"
	"kigen/notify"
	"kigen/notify/notifytest"
)

func TestSendCounts(t *testing.T) {
	t.Parallel()
	var observed []string
	c := &SendCounts{Observe: func(ch kigen.Channel, outcome string) { observed = append(observed, string(ch)+" "+outcome) }}
	rec := &notifytest.Recorder{}
	rec.FailNext(&notify.Error{Permanent: true}, &notify.Error{MaybeSent: true}, errors.New("connection reset"))
	s := c.Sender(kigen.SMS, rec)
	for range 4 {
		_, _ = s.Send(context.Background(), notify.Message{})
	}
	c.Add(kigen.Email, OutcomeUnknown)
	want := []string{"sms failed", "sms unknown", "sms retrying", "sms sent", "email unknown"}
	if len(observed) != len(want) {
		t.Fatalf("observed %v, want %v", observed, want)
	}
	for i := range want {
		if observed[i] != want[i] {
			t.Errorf("outcome %d: %s, want %s", i, observed[i], want[i])
		}
	}
	for _, o := range []string{OutcomeSent, OutcomeFailed, OutcomeRetrying, OutcomeUnknown} {
		if n := c.Get(kigen.SMS, o); n != 1 {
			t.Errorf("sms %s: %d, want 1", o, n)
		}
	}
	if n := c.Get(kigen.Email, OutcomeSent); n != 0 {
		t.Errorf("email sent: %d, want 0", n)
	}
}

// recordSender is a notify.RecordSender that keeps the records it gets.
type recordSender struct {
	notifytest.Recorder
	records []notify.Record
}

func (s *recordSender) SendRecord(ctx context.Context, m notify.Message, r notify.Record) (notify.Receipt, error) {
	s.records = append(s.records, r)
	return s.Send(ctx, m)
}

// TestSendCounts_PassesRecord: a counted outbox still gets each message's
// record.
func TestSendCounts_PassesRecord(t *testing.T) {
	t.Parallel()
	c := &SendCounts{}
	box := &recordSender{}
	rec := notify.Record{ResidentRef: "R-1"}
	if _, err := notify.SendWithRecord(context.Background(), c.Sender(kigen.Email, box), notify.Message{}, rec); err != nil {
		t.Fatal(err)
	}
	if len(box.records) != 1 || box.records[0].ResidentRef != "R-1" || c.Get(kigen.Email, OutcomeSent) != 1 {
		t.Errorf("records %+v, sent %d; want the record passed on and the send counted", box.records, c.Get(kigen.Email, OutcomeSent))
	}
}
