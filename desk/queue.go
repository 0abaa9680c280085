package desk

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// QueueActionParams name an operator's change to River's job queue through
// River UI (web/ops.River): the call and the jobs it names.
type QueueActionParams struct {
	// Call is River UI's API call, its method and path below the API
	// ("POST jobs/cancel", "PUT queues/default/pause").
	Call string
	// JobIDs are the River jobs the call names; none for a queue's.
	JobIDs []int64
}

// QueueAction authorizes and audits (auth.QueueManage: operators) a change
// River UI is about to make to the job queue: cancel, retry or delete jobs,
// pause, resume or update a queue. River UI makes it in River's own
// transaction once this returns nil: the entry records what the operator
// asked, and a refused or failed audit stops the call. The detail names
// the call and job IDs only (jobs carry message IDs, never personal data).
func (d *Desk) QueueAction(ctx context.Context, a auth.Actor, p QueueActionParams) error {
	call := strings.TrimSpace(p.Call)
	if call == "" || len(call) > 200 || strings.ContainsAny(call, "\r\n") {
		return kigen.FieldErrorf("call", "River UI's call must be a method and a path of one line, up to 200 characters")
	}
	err := d.do(ctx, a, auth.QueueManage, func(_ store.Tx, e *store.AuditEntry) error {
		if err := auth.Authorize(a, auth.QueueManage, 0); err != nil {
			return err
		}
		e.Detail = "River UI: " + call
		if len(p.JobIDs) > 0 {
			ids := make([]string, len(p.JobIDs))
			for i, id := range p.JobIDs {
				ids[i] = strconv.FormatInt(id, 10)
			}
			e.Detail += fmt.Sprintf(" (job %s)", strings.Join(ids, ", "))
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.logger().Info("queue action", slog.String("actor", a.ID), slog.String("call", call), slog.Int("jobs", len(p.JobIDs)))
	return nil
}
