package desk_test

import (
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/store"
)

// TestDesk_Resubscribe: staff switch back on a channel the resident opted
// out of, because they asked in person: the contact is usable again, the
// cards are planned again, and it is audited; a re-import with consent
// alone never does it (docs/domain.md §11.17).
func TestDesk_Resubscribe(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		optOut := func() {
			t.Helper()
			cs, err := b.s.ListContacts(ctx, b.aID, r.ID)
			if err != nil || len(cs) != 1 {
				t.Fatalf("contacts of R-1: %v, %v", cs, err)
			}
			cs[0].OptedOut = true
			if err := b.s.UpsertContact(ctx, b.aID, cs[0]); err != nil {
				t.Fatal(err)
			}
			if err := store.Replan(ctx, b.s, b.aID, r.ID, today); err != nil {
				t.Fatal(err)
			}
		}
		optOut()
		// The one-click unsubscribe stands against a re-import that says
		// consent=yes again.
		if _, err := b.d.Import(ctx, b.adminA, desk.ImportParams{CSV: strings.NewReader(residents)}); err != nil {
			t.Fatal(err)
		}
		v, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil || len(v.ReachedBy) != 0 || !v.Contacts[0].OptedOut {
			t.Fatalf("after the opt-out and a re-import: %+v, %v; want unreachable, opted out", v, err)
		}

		before := b.count(t)
		res, err := b.d.Resubscribe(ctx, b.staffA, desk.ResubscribeParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, Channel: kigen.Email})
		if err != nil {
			t.Fatal(err)
		}
		if res.Ref != "R-1" || len(res.ReachedBy) != 1 || res.ReachedBy[0] != kigen.Email || res.Note != "" {
			t.Errorf("Resubscribe = %+v; want R-1 reached by email, nothing more to say", res)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.resubscribe",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "email back on: the resident asked in person"})
		v, err = b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil || len(v.ReachedBy) != 1 || v.Contacts[0].OptedOut || v.Cards[0].Next.None != "" {
			t.Errorf("after Resubscribe: %+v, %v; want reached by email, a next notice", v, err)
		}

		// Refused, and not audited: nothing to undo, no such channel or
		// address, another municipality's resident, an operator.
		p := func(ref string, ch kigen.Channel) desk.ResubscribeParams {
			return desk.ResubscribeParams{ResidentParams: desk.ResidentParams{Ref: ref}, Channel: ch}
		}
		before = b.count(t)
		_, err = b.d.Resubscribe(ctx, b.staffA, p("R-1", kigen.Email))
		checkErr(t, err, kigen.EINVALID, "resident R-1 has not opted out of email: nothing to switch back on")
		_, err = b.d.Resubscribe(ctx, b.staffA, p("R-1", kigen.SMS))
		checkErr(t, err, kigen.EINVALID, "resident R-1 has no sms address: enter one first (kigen import)")
		_, err = b.d.Resubscribe(ctx, b.staffA, p("R-1", "fax"))
		checkErr(t, err, kigen.EINVALID, `channel: "fax" is not a channel: email or sms`)
		_, err = b.d.Resubscribe(ctx, b.staffB, p("R-1", kigen.Email))
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
		_, err = b.d.Resubscribe(ctx, b.operator, desk.ResubscribeParams{ResidentParams: desk.ResidentParams{Municipality: "012033", Ref: "R-1"}, Channel: kigen.Email})
		if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("an operator resubscribing: %v, want unauthorized", err)
		}
		if n := b.count(t); n != before {
			t.Errorf("%d audit entries after refusals, want %d", n, before)
		}

		// An address that failed stays unusable: said so.
		optOut()
		cs, _ := b.s.ListContacts(ctx, b.aID, r.ID)
		cs[0].Failed = true
		if err := b.s.UpsertContact(ctx, b.aID, cs[0]); err != nil {
			t.Fatal(err)
		}
		res, err = b.d.Resubscribe(ctx, b.adminA, p("R-1", kigen.Email))
		if err != nil || !res.AddressFailed || len(res.ReachedBy) != 0 || !strings.Contains(res.Note, "failed earlier") {
			t.Errorf("Resubscribe of a failed address = %+v, %v; want it said, and still unreachable", res, err)
		}
	})
}
