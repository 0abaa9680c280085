package desk_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"kigen"
	"kigen/auth"
	"kigen/desk"
	"kigen/store"
)

// TestDesk_ImportHistory: every import is recorded — confirmed, dry run,
// refused, refused dry run — with who, the file's name, size and
// encoding and the counts, and none of the file's personal data; staff
// and admins of the municipality list it, paged, newest first; another
// municipality and operators may not.
func TestDesk_ImportHistory(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		dry := "resident_ref,name,language,email\nR-3,Tanaka Hanako,en,hanako@example.jp\nR-1,Nguyen Van An,en,an@example.jp\n"
		if _, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(dry), DryRun: true,
			FileName: `C:\Users\clerk\住民一覧.csv`}); err != nil {
			t.Fatal(err)
		}
		bad := "resident_ref,name,language\nR-4,Kim Ji-woo,xx\n"
		if _, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(bad), FileName: "bad.csv"}); err == nil {
			t.Fatal("a bad row imported")
		}
		if _, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(bad), DryRun: true, FileName: "bad.csv"}); err == nil {
			t.Fatal("a bad row passed the dry run")
		}
		if _, err := b.d.Import(ctx, b.staffB, desk.ImportParams{CSV: strings.NewReader("resident_ref,language\nB-2,ko\n"),
			FileName: "b.csv"}); err != nil {
			t.Fatal(err)
		}

		page, err := b.d.ListImports(ctx, b.staffA, desk.ImportListParams{})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			actor, file, state                     string
			size                                   int64
			rows, created, updated, unchanged, bad int
		}
		var got []row
		for _, r := range page.Imports {
			got = append(got, row{r.Actor, r.FileName, r.State, r.Size, r.Rows, r.Created, r.Updated, r.Unchanged, r.BadRows})
			if r.Municipality != "012033" || r.Encoding != "UTF-8" || r.FinishedAt == nil || r.Background {
				t.Errorf("import %d: %+v", r.ID, r)
			}
		}
		want := []row{
			{"staff:1", "bad.csv", store.ImportDryRun, int64(len(bad)), 1, 0, 0, 0, 1},
			{"staff:1", "bad.csv", store.ImportRefused, int64(len(bad)), 1, 0, 0, 0, 1},
			{"staff:1", "住民一覧.csv", store.ImportDryRun, int64(len(dry)), 2, 1, 1, 0, 0},
			{"cli:alice", "", store.ImportDone, int64(len(residents)), 2, 2, 0, 0, 0},
		}
		if len(got) != len(want) {
			t.Fatalf("history of A:\n got %+v\nwant %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("history of A, entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		// Nothing of the files' rows is kept.
		js, _ := json.Marshal(page)
		for _, pd := range []string{"Tanaka", "hanako@", "Nguyen", "an@example", "Kim", "R-3", "R-4"} {
			if strings.Contains(string(js), pd) {
				t.Errorf("the history holds %q: %s", pd, js)
			}
		}

		// Paged, newest first.
		first, err := b.d.ListImports(ctx, b.adminA, desk.ImportListParams{Limit: 3})
		if err != nil || len(first.Imports) != 3 || first.Next != first.Imports[2].ID {
			t.Fatalf("first page: %+v, %v", first, err)
		}
		next, err := b.d.ListImports(ctx, b.adminA, desk.ImportListParams{Limit: 3, Before: first.Next})
		if err != nil || len(next.Imports) != 1 || next.Next != 0 || next.Imports[0].State != store.ImportDone {
			t.Fatalf("second page: %+v, %v", next, err)
		}
		_, err = b.d.ListImports(ctx, b.adminA, desk.ImportListParams{Limit: 101})
		checkErr(t, err, kigen.EINVALID, "limit: give a page size from 1 to 100, not 101")

		// B sees its own only; A's import is not found for B; operators
		// may not look; a read-only token may.
		pb, err := b.d.ListImports(ctx, b.staffB, desk.ImportListParams{})
		if err != nil || len(pb.Imports) != 1 || pb.Imports[0].FileName != "b.csv" || pb.Imports[0].Municipality != "131016" {
			t.Errorf("history of B: %+v, %v", pb, err)
		}
		_, err = b.d.GetImport(ctx, b.staffB, "", page.Imports[0].ID)
		checkErr(t, err, kigen.ENOTFOUND, "no import "+itoa(page.Imports[0].ID)+" in 131016 千代田区")
		_, err = b.d.ListImports(ctx, b.staffB, desk.ImportListParams{Municipality: "012033"})
		checkErr(t, err, kigen.ENOTFOUND, `no municipality "012033"`)
		_, err = b.d.ListImports(ctx, b.operator, desk.ImportListParams{Municipality: "012033"})
		checkErr(t, err, kigen.EUNAUTHORIZED, "the operator role may not import.view")
		reader := auth.Actor{ID: "token:9:crm", Role: auth.Staff, MunicipalityID: b.aID, MunicipalityCode: "012033", ReadOnly: true}
		if _, err := b.d.ListImports(ctx, reader, desk.ImportListParams{}); err != nil {
			t.Errorf("a read-only token: %v", err)
		}
		got1, err := b.d.GetImport(ctx, b.staffA, "", page.Imports[1].ID)
		if err != nil || got1.State != store.ImportRefused || got1.Problems != nil {
			t.Errorf("GetImport(refused, in the request): %+v, %v", got1, err)
		}
	})
}

// cancelReader cancels a context once it is read: a client gone while its
// file is read.
type cancelReader struct {
	r      *strings.Reader
	cancel context.CancelFunc
}

func (c cancelReader) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}

// TestDesk_ImportFailedRecorded: an import in the request that fails for a
// reason not the file's (here its request cancelled) writes nothing of the
// file and is recorded failed.
func TestDesk_ImportFailedRecorded(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx, cancel := context.WithCancel(t.Context())
		_, err := b.d.Import(ctx, b.staffA, desk.ImportParams{CSV: cancelReader{strings.NewReader("resident_ref,language\nR-9,en\n"), cancel},
			FileName: "gone.csv"})
		if err == nil {
			t.Fatal("a cancelled import returned no error")
		}
		if _, err := b.s.GetResidentByRef(t.Context(), b.aID, "R-9"); err == nil {
			t.Error("a cancelled import wrote a resident")
		}
		page, err := b.d.ListImports(t.Context(), b.staffA, desk.ImportListParams{Limit: 1})
		if err != nil || len(page.Imports) != 1 || page.Imports[0].State != store.ImportFailed || page.Imports[0].FileName != "gone.csv" {
			t.Errorf("history: %+v, %v", page, err)
		}
	})
}
