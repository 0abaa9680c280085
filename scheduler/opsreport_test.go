package scheduler_test

import (
	"errors"
	"testing"
	"time"

	"kigen"
	"kigen/notify"
	"kigen/scheduler"
	"kigen/store"
)

// TestSink_RecordsProviderReport: a report that applies to a send is
// recorded as its provider's last (the operators' page); one about another
// send is not.
func TestSink_RecordsProviderReport(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, s store.Store) {
		f := newFixture(t, s, "sendgrid", kigen.Email)
		sink := &scheduler.Sink{Store: s, Now: func() time.Time { return now }}
		err := sink.ApplyEvent(t.Context(), notify.Event{MessageID: f.tenant.Message.ID, Provider: "sendgrid", ProviderMessageID: "pm-1",
			Status: notify.StatusDelivered})
		if err != nil {
			t.Fatal(err)
		}
		err = sink.ApplyEvent(t.Context(), notify.Event{MessageID: f.tenant.Message.ID, Provider: "sendgrid", ProviderMessageID: "pm-other",
			Status: notify.StatusBounced})
		if !errors.Is(err, notify.ErrOtherSend) {
			t.Fatalf("a report about another send: %v", err)
		}
		got, err := s.ListProviderReports(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Provider != "sendgrid" || got[0].Status != "delivered" || got[0].MessageID != f.tenant.Message.ID || got[0].At.IsZero() {
			t.Errorf("ListProviderReports = %+v, want sendgrid's delivered report", got)
		}
	})
}
