package desk_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
	"kigen/store/storetest"
)

// depthQueue is a fakeQueue that can say how deep it is.
type depthQueue struct {
	*fakeQueue
	depth store.QueueDepth
}

func (q depthQueue) Depth(context.Context) (store.QueueDepth, error) { return q.depth, nil }

// TestDesk_OpsFunnel: the operator's page counts the week's messages by
// channel, provider and stage, the failures by error code, shows the
// queue's depth, each provider's last report and the municipalities
// without a contact block; staff may not look.
func TestDesk_OpsFunnel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		send := func(ch kigen.Channel, provider string, ds kigen.DeliveryState, ms kigen.MessageState, code string) {
			t.Helper()
			m := storetest.MustCreateMessage(t, ctx, b.s, b.aID, r.ID, ch, today)
			if provider != "" {
				d := storetest.MustCreateDelivery(t, ctx, b.s, m.ID, provider)
				d.State, d.ErrorCode = ds, code
				if err := b.s.UpdateDelivery(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.s.SetMessageState(ctx, m.ID, ms); err != nil {
				t.Fatal(err)
			}
		}
		send(kigen.Email, "", "", kigen.MessagePlanned, "")
		send(kigen.Email, "", "", kigen.MessageDropped, "")
		send(kigen.Email, "sendgrid", kigen.DeliveryDelivered, kigen.MessageDelivered, "")
		send(kigen.Email, "sendgrid", kigen.DeliveryBounced, kigen.MessageFailed, "550")
		send(kigen.SMS, "twilio", kigen.DeliverySending, kigen.MessagePlanned, "")
		send(kigen.SMS, "twilio", kigen.DeliveryFailed, kigen.MessagePlanned, "30008")
		send(kigen.SMS, "twilio", kigen.DeliveryFailed, kigen.MessageFailed, "21211")
		send(kigen.SMS, "twilio", kigen.DeliveryUnknown, kigen.MessageUnknown, "")
		send(kigen.SMS, "twilio", kigen.DeliveryAccepted, kigen.MessageSent, "")
		if err := b.s.RecordProviderReport(ctx, store.ProviderReport{Provider: "twilio", Status: "delivered", MessageID: 42}); err != nil {
			t.Fatal(err)
		}
		mu, err := b.s.GetMunicipality(ctx, b.aID)
		if err != nil {
			t.Fatal(err)
		}
		mu.ContactURL = "https://www.city.otaru.lg.jp/"
		if err := b.s.UpdateMunicipality(ctx, mu); err != nil {
			t.Fatal(err)
		}
		b.d.Queue = depthQueue{fakeQueue: b.q, depth: store.QueueDepth{Waiting: 3, Running: 1, Later: 2, OldestWait: 90 * time.Second}}

		before := b.count(t)
		v, err := b.d.Ops(ctx, b.operator)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			ch       kigen.Channel
			provider string
			stages   map[string]int
		}{
			{kigen.Email, "", map[string]int{"planned": 1, "dropped": 1}},
			{kigen.Email, "sendgrid", map[string]int{"delivered": 1, "bounced": 1}},
			{kigen.SMS, "twilio", map[string]int{"sending": 1, "retrying": 1, "failed": 1, "unknown": 1, "sent": 1}},
		}
		if len(v.Funnel) != len(want) {
			t.Fatalf("funnel: %+v", v.Funnel)
		}
		for i, w := range want {
			f := v.Funnel[i]
			got := stages(f.Week)
			if f.Channel != w.ch || f.Provider != w.provider || !cmp.Equal(got, w.stages) || f.Day != f.Week {
				t.Errorf("funnel row %d = %+v, want %s %q %v over the day and the week", i, f, w.ch, w.provider, w.stages)
			}
		}
		wantFail := []struct {
			provider, code string
			state          kigen.DeliveryState
		}{{"sendgrid", "550", kigen.DeliveryBounced}, {"twilio", "21211", kigen.DeliveryFailed}, {"twilio", "30008", kigen.DeliveryFailed}}
		if len(v.Failures) != len(wantFail) {
			t.Fatalf("failures: %+v", v.Failures)
		}
		for i, w := range wantFail {
			f := v.Failures[i]
			if f.Provider != w.provider || f.ErrorCode != w.code || f.State != w.state || f.Day != 1 || f.Week != 1 {
				t.Errorf("failure %d = %+v, want %+v once", i, f, w)
			}
		}
		if v.Queue == nil || v.Queue.Waiting != 3 || v.Queue.OldestWait != 90*time.Second {
			t.Errorf("queue: %+v", v.Queue)
		}
		if len(v.Reports) != 1 || v.Reports[0].Provider != "twilio" || v.Reports[0].Status != "delivered" || v.Reports[0].At.IsZero() {
			t.Errorf("reports: %+v", v.Reports)
		}
		if len(v.NoContact) != 1 || v.NoContact[0].Code != "131016" || v.NoContact[0].Name != "千代田区" {
			t.Errorf("municipalities without a contact block: %+v", v.NoContact)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: b.operator.ID, ActorRole: string(auth.Operator), Action: string(auth.OpsView)})

		// A week later, nothing of it is in the windows.
		b.d.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
		v, err = b.d.Ops(ctx, b.operator)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Funnel) != 0 || len(v.Failures) != 0 {
			t.Errorf("a week later: funnel %+v, failures %+v", v.Funnel, v.Failures)
		}
		_, err = b.d.Ops(ctx, b.staffA)
		checkErr(t, err, kigen.EUNAUTHORIZED, "the staff role may not ops.view")
	})
}

// stages returns the stages with a count.
func stages(f desk.FunnelStages) map[string]int {
	out := map[string]int{}
	for k, n := range map[string]int{"planned": f.Planned, "sending": f.Sending, "retrying": f.Retrying, "sent": f.Sent,
		"delivered": f.Delivered, "failed": f.Failed, "bounced": f.Bounced, "unknown": f.Unknown, "dropped": f.Dropped} {
		if n != 0 {
			out[k] = n
		}
	}
	return out
}
