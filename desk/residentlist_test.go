package desk_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/roster"
	"kigen/store"
	"kigen/store/storetest"
)

// listAll reads every page of p (pages of limit) and returns the refs,
// failing on a page longer than the limit.
func listAll(t *testing.T, b *bundle, p desk.ListResidentsParams, limit int) []string {
	t.Helper()
	var refs []string
	p.Limit = limit
	for range 100 {
		l, err := b.d.ListResidents(t.Context(), b.staffA, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Residents) > limit {
			t.Fatalf("page of %d, limit %d", len(l.Residents), limit)
		}
		for _, r := range l.Residents {
			refs = append(refs, r.Ref)
		}
		if l.Next == "" {
			return refs
		}
		p.Cursor = l.Next
	}
	t.Fatal("paging does not end")
	return nil
}

// register registers residents for the list tests in A: come
// from the import.
func registerMany(t *testing.T, b *bundle) {
	t.Helper()
	for _, p := range []desk.RegisterParams{
		{Ref: "R-3", ResidentFields: desk.ResidentFields{Name: ptr("グエン・ヴァン・ビン"), Language: ptr("vi"), Phone: ptr("090-1234-5678"), Consent: ptr("yes"),
			ResidenceCard: ptr("2027-06-30"), MyNumberCard: ptr("2026-12-20")}},
		{Ref: "R-10", ResidentFields: desk.ResidentFields{Name: ptr("Maria 100%_Santos"), Language: ptr("pt"), Status: ptr("permanent"),
			Email: ptr("santos@example.jp"), Consent: ptr("yes"), ResidenceCard: ptr("2026-12-10")}},
		{Ref: "S-1", ResidentFields: desk.ResidentFields{Name: ptr("Li Wei"), Language: ptr("zh-CN")}},
	} {
		if _, err := b.d.RegisterResident(t.Context(), b.staffA, p); err != nil {
			t.Fatal(err)
		}
	}
	// B has its own R-1 and a resident found by every search of A's:
	// none of it may show in A's lists.
	for _, ref := range []string{"R-1", "R-99"} {
		if _, err := b.d.RegisterResident(t.Context(), b.staffB, desk.RegisterParams{Ref: ref, ResidentFields: desk.ResidentFields{
			Name: ptr("Maria Nguyen"), Language: ptr("vi"), Email: ptr("an@example.jp"), ResidenceCard: ptr("2026-12-01")}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDesk_ListResidents(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		registerMany(t, b)
		for _, tt := range []struct {
			name string
			p    desk.ListResidentsParams
			want []string
		}{
			{"all", desk.ListResidentsParams{}, []string{"R-1", "R-10", "R-2", "R-3", "S-1"}},
			{"ref prefix", desk.ListResidentsParams{Ref: "R-1"}, []string{"R-1", "R-10"}},
			{"ref prefix full width", desk.ListResidentsParams{Ref: "Ｒ－１"}, []string{"R-1", "R-10"}},
			{"name any case", desk.ListResidentsParams{Name: "MARIA"}, []string{"R-10", "R-2"}},
			{"name with % and _", desk.ListResidentsParams{Name: "0%_s"}, []string{"R-10"}},
			{"name kana", desk.ListResidentsParams{Name: "ヴァン"}, []string{"R-3"}},
			{"email as the import reads it", desk.ListResidentsParams{Email: "AN@Example.JP"}, nil},
			{"email", desk.ListResidentsParams{Email: "an@EXAMPLE.jp"}, []string{"R-1"}},
			{"phone", desk.ListResidentsParams{Phone: "+81 90 1234 5678"}, []string{"R-3"}},
			{"search email", desk.ListResidentsParams{Search: "santos@example.jp"}, []string{"R-10"}},
			{"search phone", desk.ListResidentsParams{Search: "090-1234-5678"}, []string{"R-3"}},
			{"search ref", desk.ListResidentsParams{Search: "s-"}, nil},
			{"search ref or name", desk.ListResidentsParams{Search: "S"}, []string{"R-10", "R-2", "S-1"}},
			{"language", desk.ListResidentsParams{Language: "ポルトガル語"}, []string{"R-10", "R-2"}},
			{"status", desk.ListResidentsParams{Status: "permanent"}, []string{"R-10"}},
			{"expiring within 30", desk.ListResidentsParams{ExpiringWithin: 30}, []string{"R-10", "R-3"}},
			{"expiring within 90", desk.ListResidentsParams{ExpiringWithin: 90}, []string{"R-1", "R-10", "R-3"}},
			{"gap open", desk.ListResidentsParams{GapOpen: true}, []string{"R-3"}},
			{"unreachable", desk.ListResidentsParams{Unreachable: true}, []string{"R-2", "S-1"}},
			{"combined", desk.ListResidentsParams{Ref: "R", ExpiringWithin: 30, Language: "vi"}, []string{"R-3"}},
		} {
			for _, limit := range []int{1, 2, 100} {
				if got := listAll(t, b, tt.p, limit); !slices.Equal(got, tt.want) {
					t.Errorf("%s, pages of %d: %q, want %q", tt.name, limit, got, tt.want)
				}
			}
		}

		before := b.count(t)
		l, err := b.d.ListResidents(ctx, b.staffA, desk.ListResidentsParams{Ref: "R-3"})
		if err != nil {
			t.Fatal(err)
		}
		want := desk.ResidentItem{Ref: "R-3", Name: "グエン・ヴァン・ビン", Language: kigen.Vietnamese, Status: kigen.FixedPeriod,
			SoonestExpiry: kigen.MustParseISODate("2026-12-20"), DaysLeft: 25, GapOpen: true, Source: store.SourceStaff}
		if len(l.Residents) != 1 || l.Residents[0] != want || l.Next != "" {
			t.Errorf("R-3: %+v, want %+v", l.Residents, want)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.list",
			MunicipalityID: b.aID, Detail: "ref: 1 shown"})

		// B's staff see only B's residents, whatever they search.
		l, err = b.d.ListResidents(ctx, b.staffB, desk.ListResidentsParams{Search: "R-"})
		if err != nil || len(l.Residents) != 2 || l.Residents[0].Ref != "R-1" || l.Residents[0].Name != "Maria Nguyen" {
			t.Errorf("B's list: %+v, %v", l, err)
		}
		_, err = b.d.ListResidents(ctx, b.staffB, desk.ListResidentsParams{Municipality: "012033"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
		// Operators do not browse residents.
		_, err = b.d.ListResidents(ctx, b.operator, desk.ListResidentsParams{Municipality: "012033"})
		if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("operator: %v, want unauthorized", err)
		}
		for _, tt := range []struct {
			p     desk.ListResidentsParams
			field string
		}{
			{desk.ListResidentsParams{Cursor: "nonsense!"}, "cursor"},
			{desk.ListResidentsParams{Limit: 101}, "limit"},
			{desk.ListResidentsParams{ExpiringWithin: -1}, "expiring_within"},
			{desk.ListResidentsParams{Email: "nope"}, "email"},
			{desk.ListResidentsParams{Language: "klingon"}, "language"},
			{desk.ListResidentsParams{Search: "123456789018"}, "search"},
		} {
			_, err := b.d.ListResidents(ctx, b.staffA, tt.p)
			if ke := (*kigen.Error)(nil); kigen.ErrorCode(err) != kigen.EINVALID || !errorField(err, tt.field) {
				t.Errorf("%+v: %v (%T), want invalid %s", tt.p, err, ke, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), "123456789018") {
				t.Errorf("My Number echoed: %v", err)
			}
		}
	})
}

func errorField(err error, field string) bool {
	return strings.HasPrefix(err.Error(), field+":")
}

// TestDesk_ListResidentsPaging pages through more residents than a page
// holds, with refs whose order is bytewise: no duplicate, no gap.
func TestDesk_ListResidentsPaging(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		var csvText strings.Builder
		csvText.WriteString("resident_ref,language\n")
		var want []string
		for i := range 250 {
			ref := fmt.Sprintf("P-%d", i)
			if i%7 == 0 {
				ref = fmt.Sprintf("p-%d", i) // lower case after upper, bytewise
			}
			fmt.Fprintf(&csvText, "%s,en\n", ref)
			want = append(want, ref)
		}
		if _, err := b.d.Import(t.Context(), b.adminA, desk.ImportParams{CSV: strings.NewReader(csvText.String())}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "R-1", "R-2")
		slices.Sort(want)
		for _, limit := range []int{100, 33} {
			if got := listAll(t, b, desk.ListResidentsParams{}, limit); !slices.Equal(got, want) {
				t.Errorf("pages of %d: %d refs, want %d in order", limit, len(got), len(want))
			}
		}
	})
}

func TestDesk_Today(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		registerMany(t, b)
		r1 := mustResident(t, b, b.aID, "R-1")
		for _, st := range []kigen.MessageState{kigen.MessageSent, kigen.MessageSent, kigen.MessageFailed, kigen.MessagePlanned} {
			m := storetest.MustCreateMessage(t, ctx, b.s, b.aID, r1.ID, kigen.Email, today)
			if err := b.s.SetMessageState(ctx, m.ID, st); err != nil {
				t.Fatal(err)
			}
		}
		before := b.count(t)
		v, err := b.d.Today(ctx, b.staffA, desk.TodayParams{})
		if err != nil {
			t.Fatal(err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "municipality.today", MunicipalityID: b.aID})
		if v.SentToday != 2 || v.Failed7d != 1 {
			t.Errorf("messages: %+v", v)
		}
		// Each count is the length of the list behind it.
		for _, c := range []struct {
			name string
			n    int
			p    desk.ListResidentsParams
		}{
			{"unreachable", v.Unreachable, desk.ListResidentsParams{Unreachable: true}},
			{"gaps", v.GapsOpen, desk.ListResidentsParams{GapOpen: true}},
			{"expiring 30", v.Expiring30, desk.ListResidentsParams{ExpiringWithin: 30}},
			{"expiring 90", v.Expiring90, desk.ListResidentsParams{ExpiringWithin: 90}},
		} {
			if got := listAll(t, b, c.p, 100); len(got) != c.n || c.n == 0 {
				t.Errorf("%s: Today counts %d, the list has %d (%q)", c.name, c.n, len(got), got)
			}
		}
		// The unreachable count is the follow-up list's residents with no channel.
		fl, err := b.d.Followup(ctx, b.staffA, desk.FollowupParams{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, it := range fl.Unreachable {
			if it.Reason != desk.ReasonMessageFailed {
				n++
			}
		}
		if n != v.Unreachable {
			t.Errorf("follow-up lists %d unreachable, Today counts %d", n, v.Unreachable)
		}
		_, err = b.d.Today(ctx, b.operator, desk.TodayParams{Municipality: "012033"})
		if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("operator: %v", err)
		}
		_, err = b.d.Today(ctx, b.staffB, desk.TodayParams{Municipality: "012033"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
	})
}

func TestDesk_ListMessages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		r1 := mustResident(t, b, b.aID, "R-1")
		cards, _ := b.s.ListCards(ctx, b.aID, r1.ID)
		n := storetest.MustCreateNotice(t, ctx, b.s, b.aID, cards[0].ID, cards[0].ExpiresOn, kigen.D90)
		m := storetest.MustCreateMessage(t, ctx, b.s, b.aID, r1.ID, kigen.Email, today, n.ID)
		d := storetest.MustCreateDelivery(t, ctx, b.s, m.ID, "sendgrid")
		d.State, d.ErrorReason = kigen.DeliveryFailed, "mailbox full"
		if err := b.s.UpdateDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := b.s.SetMessageState(ctx, m.ID, kigen.MessageFailed); err != nil {
			t.Fatal(err)
		}
		before := b.count(t)
		ms, err := b.d.ListMessages(ctx, b.staffA, desk.ResidentParams{Ref: "R-1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].ID != m.ID || ms[0].State != desk.MessageFailed || ms[0].Error != "mailbox full" || ms[0].UpdatedAt.IsZero() ||
			len(ms[0].Notices) != 1 || ms[0].Notices[0] != (desk.MessageNotice{Card: kigen.ResidenceCard, ExpiresOn: cards[0].ExpiresOn, Stage: kigen.D90}) {
			t.Errorf("messages: %+v", ms)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.view",
			MunicipalityID: b.aID, ResidentRef: "R-1", Detail: "messages: 1"})
		_, err = b.d.ListMessages(ctx, b.staffB, desk.ResidentParams{Ref: "R-1"})
		checkErr(t, err, kigen.ENOTFOUND, `no resident "R-1" in 131016 千代田区`)
	})
}

func TestDesk_ExportResidents(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		for ref, name := range map[string]string{"X-1": "=HYPERLINK(\"http://evil\")", "X-2": "@SUM(A1)", "X-3": "-2+3", "X-4": "\tTab", "X-5": "+cmd"} {
			if _, err := b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: ref, ResidentFields: desk.ResidentFields{Name: ptr(name), Language: ptr("en")}}); err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
		}
		if _, err := b.d.UpdateResident(ctx, b.staffA, desk.UpdateParams{ResidentParams: desk.ResidentParams{Ref: "R-2"},
			ResidentFields: desk.ResidentFields{Phone: ptr("+81 90-1234-5678")}}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		before := b.count(t)
		res, err := b.d.ExportResidents(ctx, b.staffA, desk.ExportParams{}, &buf)
		if err != nil || res.Rows != 7 {
			t.Fatalf("export: %+v, %v", res, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "resident.export",
			MunicipalityID: b.aID, Detail: "7 residents"})
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		header := make([]string, len(roster.Columns))
		for i, c := range roster.Columns {
			header[i] = string(c)
		}
		if !slices.Equal(rows[0], header) {
			t.Errorf("header %q, want the import's %q", rows[0], header)
		}
		names := map[string]string{}
		for _, r := range rows[1:] {
			names[r[0]] = r[1]
			for _, cell := range r {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("cell %q of %s starts a formula", cell, r[0])
				}
			}
		}
		if names["X-1"] != `'=HYPERLINK("http://evil")` || names["X-2"] != "'@SUM(A1)" || names["X-3"] != "'-2+3" || names["X-5"] != "'+cmd" {
			t.Errorf("names: %q", names)
		}
		if want := []string{"R-1", "Nguyen Van An", "vi", "an@example.jp", "", "fixed_period", "2027-01-31", "", "", "", "yes", ""}; !slices.Equal(rows[1], want) {
			t.Errorf("R-1: %q, want %q", rows[1], want)
		}
		if rows[2][0] != "R-2" || rows[2][4] != "09012345678" {
			t.Errorf("R-2's phone: %q, want as dialled in Japan", rows[2])
		}
		for in, want := range map[string]string{"+14155550100": "'+14155550100", "-1": "'-1", "\rx": "'\rx", "a=b": "a=b", "": ""} {
			if got := desk.SafeCell(in); got != want {
				t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
			}
		}
		// The import reads the file back.
		buf.Reset()
		if _, err := b.d.ExportResidents(ctx, b.staffA, desk.ExportParams{}, &buf); err != nil {
			t.Fatal(err)
		}
		if _, err := b.d.Import(ctx, b.adminA, desk.ImportParams{CSV: &buf, DryRun: true}); err != nil {
			t.Errorf("import of the export: %v", err)
		}
		_, err = b.d.ExportResidents(ctx, b.operator, desk.ExportParams{Municipality: "012033"}, &buf)
		if kigen.ErrorCode(err) != kigen.EUNAUTHORIZED {
			t.Errorf("operator: %v", err)
		}
	})
}

func TestDesk_ExportFollowup(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		if _, err := b.d.RegisterResident(ctx, b.staffA, desk.RegisterParams{Ref: "=1+1", ResidentFields: desk.ResidentFields{Language: ptr("en")}}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res, err := b.d.ExportFollowup(ctx, b.staffA, desk.FollowupParams{}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], desk.FollowupColumns) || res.Rows != len(rows)-1 {
			t.Errorf("header %q, %d rows, result %+v", rows[0], len(rows)-1, res)
		}
		found := false
		for _, r := range rows[1:] {
			if r[0] == desk.SectionUnreachable && r[1] == "'=1+1" && r[2] == desk.ReasonNoContact {
				found = true
			}
		}
		if !found {
			t.Errorf("no safe row for =1+1: %q", rows)
		}
	})
}
