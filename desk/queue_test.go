package desk_test

import (
	"testing"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

// TestDesk_QueueAction: an operator's change to the job queue through
// River UI is audited with the call and job IDs; staff and admins may not;
// a call of several lines is refused. Both stores.
func TestDesk_QueueAction(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		if err := b.d.QueueAction(ctx, b.operator, desk.QueueActionParams{Call: "POST jobs/cancel", JobIDs: []int64{7, 9}}); err != nil {
			t.Fatal(err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: b.operator.ID, ActorRole: string(auth.Operator), Action: string(auth.QueueManage),
			Detail: "River UI: POST jobs/cancel (job 7, 9)"})
		if err := b.d.QueueAction(ctx, b.operator, desk.QueueActionParams{Call: "PUT queues/default/pause"}); err != nil {
			t.Fatal(err)
		}
		b.checkLast(t, before, 2, store.AuditEntry{ActorID: b.operator.ID, ActorRole: string(auth.Operator), Action: string(auth.QueueManage),
			Detail: "River UI: PUT queues/default/pause"})
		for _, a := range []auth.Actor{b.staffA, b.adminA} {
			err := b.d.QueueAction(ctx, a, desk.QueueActionParams{Call: "POST jobs/cancel", JobIDs: []int64{7}})
			checkErr(t, err, kigen.EUNAUTHORIZED, "the "+string(a.Role)+" role may not queue.manage")
		}
		err := b.d.QueueAction(ctx, b.operator, desk.QueueActionParams{Call: "POST jobs/cancel\r\nX: y"})
		if kigen.ErrorCode(err) != kigen.EINVALID {
			t.Errorf("a call of two lines: %v, want EINVALID", err)
		}
		if n := b.count(t); n != before+2 {
			t.Errorf("%d audit entries, want %d: a refused action writes none", n, before+2)
		}
	})
}
