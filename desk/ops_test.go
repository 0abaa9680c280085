package desk_test

import (
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// TestDesk_Ops: an operator sees the last tick and today's messages by
// channel and state; staff and admins may not look; the look is audited.
func TestDesk_Ops(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		v, err := b.d.Ops(ctx, b.operator)
		if err != nil {
			t.Fatal(err)
		}
		if v.Tick != nil || len(v.Messages) != 0 || v.Date != today {
			t.Fatalf("before any tick: %+v", v)
		}
		start := time.Date(2026, 11, 25, 6, 0, 0, 0, kigen.Tokyo)
		tk := &store.Tick{Date: today, StartedAt: start}
		if err := b.s.CreateTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
		tk.FinishedAt, tk.Notices, tk.Messages = start.Add(90*time.Second), 3, 1
		if err := b.s.FinishTick(ctx, tk); err != nil {
			t.Fatal(err)
		}
		b.unknownSend(t)
		before := b.count(t)
		v, err = b.d.Ops(ctx, b.operator)
		if err != nil {
			t.Fatal(err)
		}
		if v.Tick == nil || v.Tick.Duration != 90*time.Second || v.Tick.Notices != 3 || v.Tick.Messages != 1 || !v.Tick.StartedAt.Equal(start) {
			t.Errorf("tick: %+v", v.Tick)
		}
		if len(v.Messages) != 1 || v.Messages[0].Channel != kigen.Email || v.Messages[0].State != kigen.MessageUnknown ||
			v.Messages[0].Delivery != kigen.DeliveryUnknown || v.Messages[0].N != 1 {
			t.Errorf("messages: %+v", v.Messages)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: b.operator.ID, ActorRole: string(auth.Operator), Action: string(auth.OpsView)})
		for _, a := range []auth.Actor{b.staffA, b.adminA} {
			_, err := b.d.Ops(ctx, a)
			checkErr(t, err, kigen.EUNAUTHORIZED, "the "+string(a.Role)+" role may not ops.view")
		}
	})
}
