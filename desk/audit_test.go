package desk_test

import (
	"testing"

	"kigen"
	"kigen/desk"
)

func TestDesk_ListAudit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		if _, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-2"}); err != nil {
			t.Fatal(err)
		}
		es, err := b.d.ListAudit(ctx, b.adminA, desk.AuditParams{ResidentRef: "R-2"})
		if err != nil || len(es) != 1 || es[0].ActorID != "staff:1" || es[0].Action != "resident.view" {
			t.Errorf("R-2's log: %+v, %v", es, err)
		}
		// A's log holds A's entries only: the import, not B's creation.
		es, err = b.d.ListAudit(ctx, b.adminA, desk.AuditParams{})
		if err != nil || len(es) != 3 || es[2].Action != "municipality.create" || es[1].Action != "import" {
			t.Errorf("A's log: %+v, %v", es, err)
		}
		_, err = b.d.ListAudit(ctx, b.staffA, desk.AuditParams{})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the staff role may not audit.view")
		_, err = b.d.ListAudit(ctx, b.adminA, desk.AuditParams{Municipality: "131016"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "131016"`)
	})
}
