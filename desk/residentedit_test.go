package desk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/desk"
	"kigen/store"
)

// importProblems returns the problems a dry-run import of one row with
// these columns reports, as {field, reason}.
func importProblems(t *testing.T, b *bundle, header, row string) []desk.FieldProblem {
	t.Helper()
	_, err := b.d.Import(t.Context(), b.adminA, desk.ImportParams{CSV: strings.NewReader(header + "\n" + row + "\n"), DryRun: true})
	var re *desk.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("import of %q: %v, want refused", row, err)
	}
	var out []desk.FieldProblem
	for _, r := range re.Rows {
		out = append(out, desk.FieldProblem{Field: r.Field, Reason: r.Message, Key: r.Key, Args: r.Args})
	}
	return out
}

func fieldsError(t *testing.T, err error) []desk.FieldProblem {
	t.Helper()
	var fe *desk.FieldsError
	if !errors.As(err, &fe) || kigen.ErrorCode(err) != kigen.EINVALID {
		t.Fatalf("err = %v, want a *desk.FieldsError (invalid)", err)
	}
	return fe.Problems
}

func TestDesk_RegisterResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		res, err := b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "Ｒ－３", ResidentFields: desk.ResidentFields{
			Name: ptr("Tran Thi Binh"), Language: ptr("ベトナム語"), Email: ptr("binh@Example.JP"), Phone: ptr("090-1234-5678"),
			Status: ptr("留学"), ResidenceCard: ptr("R9.3.31"), MyNumberCard: ptr("2027-01-15"), Consent: ptr("はい"), Channel: ptr("both")}})
		if err != nil {
			t.Fatal(err)
		}
		v := res.Resident
		if v.Ref != "R-3" || v.Name != "Tran Thi Binh" || v.Language != kigen.Vietnamese || len(v.Contacts) != 2 || len(v.Cards) != 2 ||
			!v.GapOpen || len(v.ReachedBy) != 2 || v.Version == "" {
			t.Errorf("registered: %+v", v)
		}
		if v.Contacts[0].Address != "binh@example.jp" || v.Contacts[1].Address != "+819012345678" {
			t.Errorf("contacts not normalised as the import does: %+v", v.Contacts)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.register",
			MunicipalityID: b.aID, ResidentRef: "R-3", Detail: "registered: 2 contacts, 2 cards"})
		// Saved with its reminders planned, as an import would.
		cards, err := b.s.ListCards(ctx, b.aID, mustResident(t, b, b.aID, "R-3").ID)
		if err != nil || len(cards) != 2 || cards[0].NextNoticeOn.IsZero() && cards[1].NextNoticeOn.IsZero() {
			t.Errorf("cards %+v (%v): want a next notice date", cards, err)
		}

		// A ref taken is a conflict; one of B is no business of A's.
		_, err = b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "R-1", ResidentFields: desk.ResidentFields{Language: ptr("en")}})
		checkErr(t, err, kigen.ECONFLICT, `resident "R-1" is already registered in 012033 小樽市: change them instead`)
		if _, err := b.d.RegisterResident(ctx, b.staffB, desk.RegisterParams{Ref: "R-1", ResidentFields: desk.ResidentFields{Language: ptr("en")}}); err != nil {
			t.Errorf("B registering its own R-1: %v", err)
		}
		// Operators do not register residents.
		_, err = b.d.RegisterResident(ctx, b.operator, desk.RegisterParams{Municipality: "012033", Ref: "R-9", ResidentFields: desk.ResidentFields{Language: ptr("en")}})
		if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("operator: %v, want unauthorized", err)
		}

		// Every bad field at once, in the import's own words; nothing saved.
		n := b.count(t)
		_, err = b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "R-4", ResidentFields: desk.ResidentFields{
			Language: ptr("klingon"), Email: ptr("not-an-address"), ResidenceCard: ptr("2027-02-30"), Consent: ptr("maybe"), Channel: ptr("sms")}})
		got := fieldsError(t, err)
		want := importProblems(t, b, "resident_ref,language,email,residence_card_expires_on,consent,channel", "R-4,klingon,not-an-address,2027-02-30,maybe,sms")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("problems differ from the import's (-import +register):\n%s", d)
		}
		if len(got) < 4 {
			t.Errorf("want every bad field, got %+v", got)
		}
		if _, err := b.s.GetResidentByRef(ctx, b.aID, "R-4"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("R-4 saved despite the problems: %v", err)
		}
		if b.count(t) != n {
			t.Error("a refused registration was audited")
		}
		// Cross-field rules of the merged resident, as the import applies them.
		_, err = b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "R-5", ResidentFields: desk.ResidentFields{
			Language: ptr("en"), Channel: ptr("email")}})
		if got := fieldsError(t, err); len(got) != 1 || got[0].Field != "channel" || got[0].Reason != "email needs an email address" {
			t.Errorf("channel without email: %+v", got)
		}
		// A My Number as the reference is refused and not echoed.
		_, err = b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "123456789018", ResidentFields: desk.ResidentFields{Language: ptr("en")}})
		if kigen.ErrorCode(err) != kigen.EINVALID || strings.Contains(err.Error(), "123456789018") {
			t.Errorf("My Number ref: %v", err)
		}
	})
}

func mustResident(t *testing.T, b *bundle, mid int64, ref string) *kigen.Resident {
	t.Helper()
	r, err := b.s.GetResidentByRef(t.Context(), mid, ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDesk_UpdateResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		v, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		before := b.count(t)
		res, err := b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, IfMatch: v.Version,
			ResidentFields: desk.ResidentFields{Phone: ptr("09011112222"), MyNumberCard: ptr("2028-05-01")}})
		if err != nil {
			t.Fatal(err)
		}
		nv := res.Resident
		if nv.Version == v.Version || nv.Name != "Nguyen Van An" || nv.Language != kigen.Vietnamese || len(nv.Contacts) != 2 || len(nv.Cards) != 2 {
			t.Errorf("after update: %+v", nv)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.update",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "fields: phone, mynumber_card_expires_on"})

		// The version read before is stale now: a second clerk's change is
		// refused, not silently applied over the first.
		_, err = b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, IfMatch: v.Version,
			ResidentFields: desk.ResidentFields{Name: ptr("Someone Else")}})
		checkErr(t, err, kigen.ECONFLICT, `resident "R-1" was changed by someone else since it was read: read it again and redo the change`)

		// An empty value clears: the phone and the card go.
		res, err = b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, IfMatch: nv.Version,
			ResidentFields: desk.ResidentFields{Phone: ptr(""), MyNumberCard: ptr("")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Resident.Contacts) != 1 || len(res.Resident.Cards) != 1 || res.Resident.Version != v.Version {
			t.Errorf("after clearing: %+v (version %s, first %s: the same content is the same version)", res.Resident, res.Resident.Version, v.Version)
		}

		// The import's problems, field by field; nothing changed.
		_, err = b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"},
			ResidentFields: desk.ResidentFields{Phone: ptr("12"), Status: ptr("tourist")}})
		got := fieldsError(t, err)
		want := importProblems(t, b, "resident_ref,language,phone,residence_status", "R-1,vi,12,tourist")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("problems differ from the import's (-import +update):\n%s", d)
		}

		// A resident of A asked for by B's staff is not found.
		_, err = b.d.UpdateResident(ctx, b.staffB, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-1"},
			ResidentFields: desk.ResidentFields{Name: ptr("x")}})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
	})
}

func TestDesk_PreviewResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		p, err := b.d.PreviewResident(ctx, b.staffA, desk.PreviewParams{Ref: "R-7", ResidentFields: desk.ResidentFields{
			Language: ptr("en"), Email: ptr("x@example.jp"), Consent: ptr("yes"), ResidenceCard: ptr("2027-03-31")}})
		if err != nil {
			t.Fatal(err)
		}
		if !p.New || len(p.ReachedBy) != 1 || len(p.Timeline.Notices) == 0 {
			t.Fatalf("preview: %+v", p)
		}
		first := p.Timeline.Notices[0]
		if first.Card != kigen.ResidenceCard || first.ExpiresOn != kigen.MustParseISODate("2027-03-31") || first.GoBy.IsZero() || first.On.Before(today) {
			t.Errorf("first notice: %+v", first)
		}
		if _, err := b.s.GetResidentByRef(ctx, b.aID, "R-7"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("preview saved R-7: %v", err)
		}
		if b.count(t) != before {
			t.Error("a preview was audited")
		}
		// Without consent nothing would be sent: the preview says so.
		p, err = b.d.PreviewResident(ctx, b.staffA, desk.PreviewParams{ResidentFields: desk.ResidentFields{
			Language: ptr("en"), Email: ptr("x@example.jp"), ResidenceCard: ptr("2027-03-31")}})
		if err != nil || len(p.ReachedBy) != 0 || len(p.Timeline.Notices) != 0 {
			t.Errorf("preview without consent: %+v, %v", p, err)
		}
		// A change to a resident stored previews the merged result.
		p, err = b.d.PreviewResident(ctx, b.staffA, desk.PreviewParams{Ref: "R-2", ResidentFields: desk.ResidentFields{Consent: ptr("yes")}})
		if err != nil || p.New || len(p.Timeline.Notices) == 0 || p.Timeline.Notices[0].ExpiresOn != kigen.MustParseISODate("2027-03-31") {
			t.Errorf("preview of R-2 with consent: %+v, %v", p, err)
		}
		// The same problems as a registration.
		_, err = b.d.PreviewResident(ctx, b.staffA, desk.PreviewParams{ResidentFields: desk.ResidentFields{Language: ptr("en"), ResidenceCard: ptr("tomorrow")}})
		if got := fieldsError(t, err); len(got) != 1 || got[0].Field != "residence_card_expires_on" {
			t.Errorf("bad date: %+v", got)
		}
	})
}

func TestDesk_AppliedUndo(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		p := desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, Undo: true}
		_, err := b.d.RecordApplied(ctx, b.staffA, p)
		checkErr(t, err, kigen.EINVALID, `resident "R-1" has no application recorded to undo`)
		if _, err := b.d.RecordApplied(ctx, b.staffA, desk.AppliedParams{ResidentParams: p.ResidentParams}); err != nil {
			t.Fatal(err)
		}
		v, _ := b.d.ShowResident(ctx, b.staffA, p.ResidentParams)
		if v.Cards[0].RenewalAppliedOn != today {
			t.Fatalf("applied not recorded: %+v", v.Cards[0])
		}
		before := b.count(t)
		res, err := b.d.RecordApplied(ctx, b.staffA, p)
		if err != nil || !res.Undone || res.On != today {
			t.Fatalf("undo: %+v, %v", res, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.applied",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "residence_card expiring on 2027-01-31: application of 2026-11-25 undone"})
		nv, _ := b.d.ShowResident(ctx, b.staffA, p.ResidentParams)
		if !nv.Cards[0].RenewalAppliedOn.IsZero() || nv.Cards[0].Next != v.Cards[0].Next && nv.Cards[0].Next.On.IsZero() {
			t.Errorf("after undo: %+v", nv.Cards[0])
		}
		_, err = b.d.RecordApplied(ctx, b.staffB, p)
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
	})
}
