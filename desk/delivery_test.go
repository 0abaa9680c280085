package desk_test

import (
	"errors"
	"strconv"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/store"
	"kigen/store/storetest"
)

// unknownSend records a message to R-1 of A and a delivery of it whose
// outcome is unknown, as a crash mid-call leaves them.
func (b *bundle) unknownSend(t *testing.T) (*kigen.Message, *kigen.Delivery) {
	t.Helper()
	ctx := t.Context()
	r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
	if err != nil {
		t.Fatal(err)
	}
	msg := storetest.MustCreateMessage(t, ctx, b.s, b.aID, r.ID, kigen.Email, today)
	dl := storetest.MustCreateDelivery(t, ctx, b.s, msg.ID, "outbox")
	dl.State = kigen.DeliveryUnknown
	if err := b.s.UpdateDelivery(ctx, dl); err != nil {
		t.Fatal(err)
	}
	if err := b.s.SetMessageState(ctx, msg.ID, kigen.MessageUnknown); err != nil {
		t.Fatal(err)
	}
	return msg, dl
}

// states returns a delivery's and its message's states.
func (b *bundle) states(t *testing.T, deliveryID int64) (kigen.DeliveryState, kigen.MessageState) {
	t.Helper()
	dl, err := b.s.GetDelivery(t.Context(), deliveryID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := b.s.GetMessage(t.Context(), dl.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	return dl.State, msg.State
}

func TestDesk_ResendDelivery(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		msg, dl := b.unknownSend(t)
		before := b.count(t)

		// Another municipality's delivery is not found, as one that does
		// not exist.
		_, err := b.d.ResendDelivery(ctx, b.staffB, desk.DeliveryParams{ID: dl.ID})
		checkErr(t, err, kigen.ENOTFOUND, "no delivery "+itoa(dl.ID))
		_, err = b.d.ResendDelivery(ctx, b.staffB, desk.DeliveryParams{ID: 987654})
		checkErr(t, err, kigen.ENOTFOUND, "no delivery 987654")
		// The queue fails: the whole action rolls back, its audit entry too.
		b.q.fail = errors.New("queue down")
		if _, err := b.d.ResendDelivery(ctx, b.operator, desk.DeliveryParams{ID: dl.ID}); err == nil || kigen.ErrorCode(err) != kigen.EINTERNAL {
			t.Errorf("resend with the queue down: %v, want an internal error", err)
		}
		if ds, ms := b.states(t, dl.ID); ds != kigen.DeliveryUnknown || ms != kigen.MessageUnknown || b.count(t) != before {
			t.Errorf("after a failed resend: %s, %s, %d audit entries; want unknown, unknown, %d", ds, ms, b.count(t), before)
		}
		b.q.fail = nil

		res, err := b.d.ResendDelivery(ctx, b.operator, desk.DeliveryParams{ID: dl.ID})
		want := desk.SettleResult{DeliveryID: dl.ID, MessageID: msg.ID, DeliveryState: kigen.DeliveryFailed, MessageState: kigen.MessagePlanned}
		if err != nil || *res != want || len(b.q.resent) != 1 || b.q.resent[0] != [2]int64{msg.ID, dl.ID} {
			t.Errorf("resend: %+v, %v, queued %v", res, err, b.q.resent)
		}
		if ds, ms := b.states(t, dl.ID); ds != kigen.DeliveryFailed || ms != kigen.MessagePlanned {
			t.Errorf("after resend: %s, %s", ds, ms)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "delivery.settle",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "delivery " + itoa(dl.ID) + " of message " + itoa(msg.ID) + ": resend"})
		_, err = b.d.ResendDelivery(ctx, b.operator, desk.DeliveryParams{ID: dl.ID})
		checkErr(t, err, kigen.ECONFLICT, "delivery "+itoa(dl.ID)+" is failed: only an unknown send is settled by hand")
	})
}

func TestDesk_ResolveDelivery(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		_, sent := b.unknownSend(t)
		_, lost := b.unknownSend(t)
		before := b.count(t)
		if _, err := b.d.ResolveDelivery(ctx, b.staffA, desk.ResolveParams{ID: sent.ID, Sent: true}); err != nil {
			t.Fatal(err)
		}
		if ds, ms := b.states(t, sent.ID); ds != kigen.DeliveryAccepted || ms != kigen.MessageSent {
			t.Errorf("resolved sent: %s, %s", ds, ms)
		}
		res, err := b.d.ResolveDelivery(ctx, b.staffA, desk.ResolveParams{ID: lost.ID})
		if err != nil || res.DeliveryState != kigen.DeliveryFailed || res.MessageState != kigen.MessageFailed {
			t.Errorf("resolved not sent: %+v, %v", res, err)
		}
		if ds, ms := b.states(t, lost.ID); ds != kigen.DeliveryFailed || ms != kigen.MessageFailed {
			t.Errorf("resolved not sent: %s, %s", ds, ms)
		}
		b.checkLast(t, before, 2, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "delivery.settle",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "delivery " + itoa(lost.ID) + " of message " + itoa(res.MessageID) + ": failed"})
		_, err = b.d.ResolveDelivery(ctx, b.staffA, desk.ResolveParams{ID: lost.ID, Sent: true})
		checkErr(t, err, kigen.ECONFLICT, "delivery "+itoa(lost.ID)+" is failed: only an unknown send is settled by hand")
	})
}

func TestDesk_RetryMessage(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		msg, _ := b.unknownSend(t)
		if err := b.s.SetMessageState(ctx, msg.ID, kigen.MessagePlanned); err != nil {
			t.Fatal(err)
		}
		before := b.count(t)
		_, err := b.d.RetryMessage(ctx, b.operator, desk.RetryParams{MessageID: msg.ID})
		checkErr(t, err, kigen.ECONFLICT, "message "+itoa(msg.ID)+" is planned and its delivery was not given up: only a send the queue gave up on is retried")
		b.q.givenUp = []int64{msg.ID}
		_, err = b.d.RetryMessage(ctx, b.staffB, desk.RetryParams{MessageID: msg.ID})
		checkErr(t, err, kigen.ENOTFOUND, "no message "+itoa(msg.ID))
		_, err = b.d.RetryMessage(ctx, b.staffB, desk.RetryParams{MessageID: 987654})
		checkErr(t, err, kigen.ENOTFOUND, "no message 987654")
		if n := b.count(t); n != before {
			t.Errorf("refused retries wrote %d audit entries", n-before)
		}
		if _, err := b.d.RetryMessage(ctx, b.operator, desk.RetryParams{MessageID: msg.ID}); err != nil || len(b.q.enqueued) != 1 {
			t.Errorf("retry: %v, queued %v", err, b.q.enqueued)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "delivery.retry",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "message " + itoa(msg.ID) + ": queued again"})
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
