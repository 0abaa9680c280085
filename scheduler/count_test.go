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
