package desk_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

func TestDesk_ShowResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		v, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != "Nguyen Van An" || len(v.Contacts) != 1 || v.Contacts[0].Address != "an@example.jp" || v.Redacted {
			t.Errorf("staff view: %+v", v)
		}
		if len(v.ReachedBy) != 1 || v.ReachedBy[0] != kigen.Email || len(v.Cards) != 1 || v.Cards[0].DaysLeft != 67 ||
			v.Cards[0].Next != (desk.NextNotice{On: today, Stage: kigen.D90}) {
			t.Errorf("staff view: reached by %v, cards %+v; want email, d90 today", v.ReachedBy, v.Cards)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.view",
			MunicipalityID: b.aID, ResidentRef: "R-1"})

		// An operator sees the resident by reference only: no name, no
		// address anywhere in what the API would serialize.
		v, err = b.d.ShowResident(ctx, b.operator, desk.ResidentParams{Municipality: "012033", Ref: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(v)
		if !v.Redacted || v.Name != "" || v.Contacts[0].Address != "" || strings.Contains(string(js), "Nguyen") ||
			strings.Contains(string(js), "@") || !strings.Contains(string(js), `"ref":"R-1"`) {
			t.Errorf("operator view shows personal data: %s", js)
		}
		b.checkLast(t, before, 2, store.AuditEntry{ActorID: "cli:ops", ActorRole: "operator", Action: "resident.view_ref",
			MunicipalityID: b.aID, ResidentRef: "R-1"})

		// A resident of another municipality is not found, exactly as one
		// that does not exist; nothing is audited.
		_, err = b.d.ShowResident(ctx, b.staffB, desk.ResidentParams{Ref: "R-1"})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
		_, err = b.d.ShowResident(ctx, b.staffB, desk.ResidentParams{Ref: "R-404"})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-404" in 131016 千代田区`)
		_, err = b.d.ShowResident(ctx, b.staffB, desk.ResidentParams{Municipality: "012033", Ref: "R-1"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
		_, err = b.d.ShowResident(ctx, b.staffB, desk.ResidentParams{Municipality: "999999", Ref: "R-1"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "999999"`)
		_, err = b.d.ShowResident(ctx, b.operator, desk.ResidentParams{Ref: "R-1"})
		checkErr(t, err, kigen.EINVALID, "municipality: give the code of the municipality")

		// A resident sees themself, and no one else.
		self := auth.Actor{ID: "resident:1", Role: auth.Resident, MunicipalityID: b.aID, MunicipalityCode: "012033", ResidentRef: "R-1"}
		if v, err := b.d.ShowResident(ctx, self, desk.ResidentParams{Ref: "R-1"}); err != nil || v.Name == "" {
			t.Errorf("a resident's own view: %+v, %v", v, err)
		}
		_, err = b.d.ShowResident(ctx, self, desk.ResidentParams{Ref: "R-2"})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-2" in 012033 小樽市`)
		if n := b.count(t); n != before+3 {
			t.Errorf("%d audit entries, want %d: refused views are not audited", n, before+3)
		}

		// A reference is read as an import reads it: trimmed, full width
		// folded.
		for _, ref := range []string{"R-1 ", "\tR-1", "Ｒ－１"} {
			if v, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: ref}); err != nil || v.Ref != "R-1" {
				t.Errorf("ShowResident(%q) = %+v, %v; want R-1", ref, v, err)
			}
		}
		// A My Number typed for a reference is refused, and a reference of
		// 12 digits or more is never echoed.
		for _, ref := range []string{"123456789018", "1234.5678.9018", "１２３４ ５６７８ ９０１８"} {
			_, err = b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: ref})
			checkErr(t, err, kigen.EINVALID, "the reference "+kigen.MyNumberReason)
		}
		_, err = b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "1234567890123"})
		checkErr(t, err, kigen.ENOTFOUND, "no resident with that reference (not shown: it has 12 or more digits) in 012033 小樽市")
		_, err = b.d.EraseResident(ctx, b.staffA, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: "R-1234-5678-9012"}})
		checkErr(t, err, kigen.ENOTFOUND, "no resident with that reference (not shown: it has 12 or more digits) in 012033 小樽市")
	})
}

func TestDesk_RecordApplied(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		p := desk.AppliedParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}}
		for _, tt := range []struct {
			on, want string
		}{
			{"2026-11-26", "on: 2026-11-26 is in the future"},
			{"2027-02-01", "on: 2027-02-01 is in the future"},
		} {
			p.On = kigen.MustParseISODate(tt.on)
			_, err := b.d.RecordApplied(ctx, b.staffA, p)
			checkErr(t, err, kigen.EINVALID, tt.want)
		}
		_, err := b.d.RecordApplied(ctx, b.operator, desk.AppliedParams{ResidentParams: desk.ResidentParams{Municipality: "012033", Ref: "R-1"}})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the operator role may not resident.applied")
		_, err = b.d.RecordApplied(ctx, b.staffB, p)
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
		if n := b.count(t); n != before {
			t.Errorf("%d audit entries after refusals, want %d", n, before)
		}

		p.On = kigen.MustParseISODate("2026-10-20")
		res, err := b.d.RecordApplied(ctx, b.staffA, p)
		if err != nil {
			t.Fatal(err)
		}
		want := desk.AppliedResult{Ref: "R-1", On: p.On, Card: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2027-01-31"),
			SpecialPeriodNoticeOn: kigen.MustParseISODate("2027-02-01"), StayUntil: kigen.MustParseISODate("2027-03-31"), Early: true}
		if *res != want {
			t.Errorf("applied: %+v, want %+v", *res, want)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.applied",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "residence_card expiring on 2027-01-31: applied on 2026-10-20"})
		v, err := b.d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil || v.Cards[0].RenewalAppliedOn != p.On || v.Cards[0].Next != (desk.NextNotice{On: want.SpecialPeriodNoticeOn, Stage: kigen.SpecialPeriod}) {
			t.Errorf("after applied: %+v, %v", v.Cards, err)
		}
	})
}

func TestDesk_EraseResident(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		p := desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}, DryRun: true}
		res, err := b.d.EraseResident(ctx, b.adminA, p)
		want := desk.EraseResult{Municipality: "012033", MunicipalityName: "小樽市", Ref: "R-1", Contacts: 1, Cards: 1}
		if err != nil || *res != want {
			t.Errorf("dry run: %+v, %v; want %+v", res, err, want)
		}
		if n := b.count(t); n != before {
			t.Errorf("a dry run wrote %d audit entries", n-before)
		}
		_, err = b.d.EraseResident(ctx, b.staffB, desk.EraseParams{ResidentParams: desk.ResidentParams{Ref: "R-1"}})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)

		p.DryRun = false
		if res, err = b.d.EraseResident(ctx, b.adminA, p); err != nil || !res.Erased {
			t.Fatalf("erase: %+v, %v", res, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "cli:alice", ActorRole: "admin", Action: "resident.erase",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "1 contacts, 1 cards"})
		_, err = b.d.ShowResident(ctx, b.adminA, desk.ResidentParams{Ref: "R-1"})
		checkErr(t, err, kigen.ENOTFOUND, fmt.Sprintf("no resident %q in 012033 小樽市", "R-1"))
		// The log still says who erased R-1.
		if es := b.entries(t, store.AuditFilter{MunicipalityID: b.aID, ResidentRef: "R-1", Action: "resident.erase"}); len(es) != 1 {
			t.Errorf("erase entries for R-1: %+v", es)
		}
	})
}

// TestDesk_ShowResident_Messages: each notice shows the real state of the
// messages carrying it — planned, waiting (a failed attempt, or an SMS
// before 09:00), sent, delivered, failed, unknown, dropped — never "sent"
// for a message still planned.
func TestDesk_ShowResident_Messages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r, err := b.s.GetResidentByRef(ctx, b.aID, "R-1")
		if err != nil {
			t.Fatal(err)
		}
		cards, err := b.s.ListCards(ctx, b.aID, r.ID)
		if err != nil || len(cards) != 1 {
			t.Fatalf("cards of R-1: %v, %v", cards, err)
		}
		var notices []int64
		for _, st := range []kigen.Stage{kigen.D90, kigen.D60, kigen.D30, kigen.D14, kigen.D7, kigen.D3, kigen.D1} {
			n := &kigen.Notice{CardID: cards[0].ID, ExpiresOn: cards[0].ExpiresOn, Stage: st, TickDate: today}
			if err := b.s.CreateNotice(ctx, b.aID, n); err != nil {
				t.Fatal(err)
			}
			notices = append(notices, n.ID)
		}
		// message makes a message on ch carrying notice i, in state st,
		// with deliveries in these states.
		message := func(i int, ch kigen.Channel, st kigen.MessageState, deliveries ...kigen.DeliveryState) {
			m := &kigen.Message{MunicipalityID: b.aID, ResidentID: r.ID, Channel: ch, TickDate: today, State: st, NoticeIDs: []int64{notices[i]}}
			if err := b.s.CreateMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			for _, ds := range deliveries {
				if err := b.s.CreateDelivery(ctx, &kigen.Delivery{MessageID: m.ID, Provider: "outbox", State: ds}); err != nil {
					t.Fatal(err)
				}
			}
		}
		message(0, kigen.Email, kigen.MessagePlanned)
		message(0, kigen.SMS, kigen.MessagePlanned)
		message(1, kigen.Email, kigen.MessagePlanned, kigen.DeliveryFailed)
		message(2, kigen.Email, kigen.MessageSent, kigen.DeliveryFailed, kigen.DeliveryAccepted)
		message(3, kigen.Email, kigen.MessageSent, kigen.DeliveryDelivered)
		message(4, kigen.Email, kigen.MessageFailed, kigen.DeliveryBounced)
		message(5, kigen.Email, kigen.MessageUnknown, kigen.DeliveryUnknown)
		message(6, kigen.Email, kigen.MessageDropped)

		show := func(at time.Time) []string {
			d := *b.d
			d.Now = func() time.Time { return at }
			v, err := d.ShowResident(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range v.Notices {
				var ms []string
				for _, m := range n.Messages {
					ms = append(ms, string(m.Channel)+" "+m.State)
				}
				got = append(got, string(n.Stage)+": "+strings.Join(ms, ", "))
			}
			return got
		}
		want := []string{"d90: email planned, sms planned", "d60: email waiting", "d30: email sent", "d14: email delivered",
			"d7: email failed", "d3: email unknown", "d1: email dropped"}
		if got := show(time.Date(2026, 11, 25, 10, 0, 0, 0, kigen.Tokyo)); !slices.Equal(got, want) {
			t.Errorf("at 10:00:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		want[0] = "d90: email planned, sms waiting" // for 09:00
		if got := show(time.Date(2026, 11, 25, 6, 25, 0, 0, kigen.Tokyo)); !slices.Equal(got, want) {
			t.Errorf("at 06:25:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
