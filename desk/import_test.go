package desk_test

import (
	"errors"
	"strings"
	"testing"

	"kigen"
	"kigen/desk"
	"kigen/store"
)

func TestDesk_Import(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		es := b.entries(t, store.AuditFilter{Action: "import"})
		if len(es) != 1 || es[0].MunicipalityID != b.aID || es[0].ActorID != "cli:alice" || es[0].Detail != "2 rows" {
			t.Errorf("the setup's import entry: %+v", es)
		}
		before := b.count(t)
		residentsOf := func() int {
			t.Helper()
			rs, err := b.s.ListResidents(ctx, store.ResidentFilter{MunicipalityID: b.aID})
			if err != nil {
				t.Fatal(err)
			}
			return len(rs)
		}

		// Bad rows: every one reported, nothing written, nothing audited.
		_, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(
			"resident_ref,language,mynumber_card_expires_on\nR-3,en,2027-03-31\nR-4,en,2027-02-30\nR-5,xx,\n")})
		var refused *desk.RefusedError
		if !errors.As(err, &refused) || kigen.ErrorCode(err) != kigen.EINVALID || len(refused.Rows) != 2 ||
			refused.Rows[0].Error() != `row 3: mynumber_card_expires_on: "2027-02-30" is not a date` || refused.Rows[1].Field != "language" {
			t.Errorf("bad rows: %v (%+v)", err, refused)
		}
		// A file that is no resident list: a refusal too, with every
		// problem of its header.
		for _, tt := range []struct{ csv, want string }{
			{"", "the file is empty: its first row must be the header"},
			{"resident_ref,foo,bar\n", `header: column "foo" is unknown (use --ignore-unknown-columns to skip it)` + "\n" +
				`header: column "bar" is unknown (use --ignore-unknown-columns to skip it)` + "\n" +
				"header: required column language is missing"},
		} {
			_, err = b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(tt.csv)})
			var lines []string
			if errors.As(err, &refused) {
				for _, r := range refused.Rows {
					lines = append(lines, r.Error())
				}
			}
			if got := strings.Join(lines, "\n"); kigen.ErrorCode(err) != kigen.EINVALID || got != tt.want || refused.Total != len(lines) ||
				!refused.Refused || refused.Municipality != "012033" {
				t.Errorf("file %q: %v, rows:\n%s\nwant:\n%s", tt.csv, err, got, tt.want)
			}
		}
		// A bad fallback language is a bad parameter.
		_, err = b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(residents), FallbackLanguage: "fr"})
		checkErr(t, err, kigen.EINVALID, `fallback_language: "fr" is not a language Kigen writes in (ja, ja-easy, en, zh, ko, es, pt, th, ne, id, vi, tl)`)
		// A dry run counts and writes nothing.
		res, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader("resident_ref,language\nR-3,en\n"), DryRun: true})
		if err != nil || !res.DryRun || res.Created != 1 || res.Encoding != "UTF-8" {
			t.Errorf("dry run: %+v, %v", res, err)
		}
		// Another municipality's staff, and an operator, may not.
		_, err = b.d.Import(ctx, b.staffB, desk.ImportParams{Municipality: "012033", CSV: strings.NewReader(residents)})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
		_, err = b.d.Import(ctx, b.operator, desk.ImportParams{Municipality: "012033", CSV: strings.NewReader(residents)})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the operator role may not import")
		if n, rs := b.count(t), residentsOf(); n != before || rs != 2 {
			t.Errorf("after refused imports and a dry run: %d audit entries (want %d), %d residents (want 2)", n, before, rs)
		}

		res, err = b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader("resident_ref,language,phone\nR-3,ミャンマー語,090-1234-5678\n"),
			FallbackLanguage: "English"})
		if err != nil || res.Created != 1 || res.Municipality != "012033" || res.MunicipalityName != "小樽市" || res.WarningsTotal != 1 ||
			res.Warnings[0].Row != 2 || res.Warnings[0].Field != "language" ||
			res.Warnings[0].Message != `"ミャンマー語" is not a language Kigen writes in: messages go out in en, the fallback language` {
			t.Errorf("import with a fallback language: %+v, %v", res, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "import", MunicipalityID: b.aID, Detail: "1 rows"})
	})
}

func TestDesk_Followup(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		before := b.count(t)
		list, err := b.d.Followup(ctx, b.staffA, desk.FollowupParams{})
		if err != nil || list.Municipality != "012033" || list.Date != today ||
			len(list.Unreachable) != 1 || list.Unreachable[0] != (desk.UnreachableItem{Ref: "R-2", Reason: desk.ReasonNoConsent}) {
			t.Errorf("followup: %+v, %v", list, err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "followup.view", MunicipalityID: b.aID,
			Detail: "1 unreachable, 0 stale, 0 unknown, 0 given up"})
		if list, err := b.d.Followup(ctx, b.operator, desk.FollowupParams{Municipality: "131016"}); err != nil || len(list.Unreachable) != 0 {
			t.Errorf("operator's followup of B: %+v, %v", list, err)
		}
		_, err = b.d.Followup(ctx, b.staffB, desk.FollowupParams{Municipality: "012033"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
		if n := b.count(t); n != before+2 {
			t.Errorf("%d audit entries, want %d", n, before+2)
		}
	})
}
