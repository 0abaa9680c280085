package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"kigen/store"
)

// MustCreateImport records an import, failing the test on error.
func MustCreateImport(t testing.TB, q store.Queries, im store.Import) *store.Import {
	t.Helper()
	must(t, q.CreateImport(t.Context(), &im), "CreateImport")
	return &im
}

// testCreateImportOK: an import reads back as written, every field; a zero
// CreatedAt is stamped with the store's clock; an explicit one and
// FinishedAt round-trip in UTC; another municipality's import is not found.
func testCreateImportOK(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	at := time.Date(2026, 11, 25, 0, 30, 0, 123456000, time.UTC)
	done := MustCreateImport(t, s, store.Import{MunicipalityID: a.ID, ActorID: "account:3", ActorRole: "staff",
		FileName: "住民.csv", Size: 1234, Encoding: "Shift_JIS", State: store.ImportDone, Rows: 10, RowsDone: 10,
		Created: 4, Updated: 3, Unchanged: 2, GapsOpened: 1, Warnings: 2, CreatedAt: at, FinishedAt: at.Add(time.Second)})
	dry := MustCreateImport(t, s, store.Import{MunicipalityID: a.ID, ActorID: "cli:alice", ActorRole: "admin",
		FileName: "list.csv", Size: 99, Encoding: "UTF-8", State: store.ImportDryRun, Rows: 3, BadRows: 2})
	running := MustCreateImport(t, s, store.Import{MunicipalityID: b.ID, ActorID: "token:5:crm", ActorRole: "staff",
		State: store.ImportRunning, Background: true, Rows: 6000})
	checkCreated(t, "CreateImport(no CreatedAt)", dry.CreatedAt)
	if done.ID == 0 || dry.ID == 0 || done.ID == dry.ID {
		t.Fatalf("IDs %d and %d: want two distinct IDs", done.ID, dry.ID)
	}
	for _, want := range []*store.Import{done, dry, running} {
		got, err := s.GetImport(ctx, want.MunicipalityID, want.ID)
		must(t, err, "GetImport")
		if d := diff(want, got); d != "" {
			t.Errorf("GetImport(%d) mismatch (-want +got):\n%s", want.ID, d)
		}
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("GetImport(%d): CreatedAt = %v, want UTC", want.ID, got.CreatedAt)
		}
	}
	_, err := s.GetImport(ctx, b.ID, done.ID)
	wantErr(t, err, store.ErrNotFound, "GetImport(another municipality's)")
	if got, err := s.GetImport(ctx, 0, running.ID); err != nil || got.MunicipalityID != b.ID {
		t.Errorf("GetImport(any municipality) = %v, %v; want the import of %d", got, err, b.ID)
	}
	_, err = s.GetImport(ctx, a.ID, noSuchID)
	wantErr(t, err, store.ErrNotFound, "GetImport(no such import)")
}

// testCreateImportErrNotFound: an import of no municipality is refused
// with ErrNotFound, and the refusal leaves a transaction usable.
func testCreateImportErrNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	wantErr(t, s.CreateImport(ctx, &store.Import{MunicipalityID: noSuchID, ActorID: "x", ActorRole: "staff",
		State: store.ImportDryRun}), store.ErrNotFound, "CreateImport(no such municipality)")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateImport(ctx, &store.Import{MunicipalityID: noSuchID, ActorID: "x", ActorRole: "staff",
			State: store.ImportDryRun}); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("CreateImport(no such municipality): err = %v, want ErrNotFound", err)
		}
		return tx.CreateImport(ctx, &store.Import{MunicipalityID: m.ID, ActorID: "x", ActorRole: "staff", State: store.ImportDryRun})
	})
	must(t, err, "InTx")
	got, err := s.ListImports(ctx, store.ImportFilter{MunicipalityID: m.ID})
	must(t, err, "ListImports")
	if len(got) != 1 {
		t.Errorf("ListImports: %d imports, want the 1 created after the refusal", len(got))
	}
}

// testUpdateImport: an update saves the state, the counts and FinishedAt,
// and leaves who, the file and CreatedAt as created; another
// municipality's import or none is ErrNotFound. SetImportProgress moves
// RowsDone of a running import only.
func testUpdateImport(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	im := MustCreateImport(t, s, store.Import{MunicipalityID: a.ID, ActorID: "account:1", ActorRole: "admin",
		FileName: "big.csv", Size: 2 << 20, Encoding: "UTF-8", State: store.ImportRunning, Background: true, Rows: 6000})
	must(t, s.SetImportProgress(ctx, im.ID, 2000), "SetImportProgress")
	got, err := s.GetImport(ctx, a.ID, im.ID)
	must(t, err, "GetImport")
	if got.RowsDone != 2000 {
		t.Errorf("after SetImportProgress(2000): RowsDone = %d", got.RowsDone)
	}

	want := *im
	want.State, want.RowsDone, want.Created, want.Updated, want.Unchanged, want.GapsOpened, want.Warnings =
		store.ImportDone, 6000, 5000, 900, 100, 7, 3
	want.FinishedAt = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	changed := want
	changed.ActorID, changed.FileName, changed.Size = "someone else", "other.csv", 1 // not saved
	must(t, s.UpdateImport(ctx, &changed), "UpdateImport")
	got, err = s.GetImport(ctx, a.ID, im.ID)
	must(t, err, "GetImport")
	if d := diff(&want, got); d != "" {
		t.Errorf("after UpdateImport (-want +got):\n%s", d)
	}
	// A late progress report changes nothing of a finished import.
	must(t, s.SetImportProgress(ctx, im.ID, 10), "SetImportProgress(done)")
	if got, _ := s.GetImport(ctx, a.ID, im.ID); got.RowsDone != 6000 {
		t.Errorf("SetImportProgress on a finished import: RowsDone = %d, want 6000 kept", got.RowsDone)
	}
	wantErr(t, s.SetImportProgress(ctx, noSuchID, 1), store.ErrNotFound, "SetImportProgress(no such import)")
	other := want
	other.MunicipalityID = b.ID
	wantErr(t, s.UpdateImport(ctx, &other), store.ErrNotFound, "UpdateImport(another municipality's)")
	other.MunicipalityID, other.ID = a.ID, noSuchID
	wantErr(t, s.UpdateImport(ctx, &other), store.ErrNotFound, "UpdateImport(no such import)")
}

// testListImports: newest first, one municipality's, paged by BeforeID
// and Limit.
func testListImports(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateMunicipality(t, ctx, s, "012033")
	b := MustCreateMunicipality(t, ctx, s, "131016")
	var ids []int64
	for i := range 5 {
		im := MustCreateImport(t, s, store.Import{MunicipalityID: a.ID, ActorID: "cli:a", ActorRole: "admin",
			FileName: fmt.Sprintf("%d.csv", i), State: store.ImportDryRun})
		ids = append(ids, im.ID)
		MustCreateImport(t, s, store.Import{MunicipalityID: b.ID, ActorID: "cli:b", ActorRole: "admin", State: store.ImportDryRun})
	}
	idsOf := func(ims []*store.Import) []int64 {
		out := []int64{}
		for _, im := range ims {
			if im.MunicipalityID != a.ID {
				t.Errorf("import %d of municipality %d listed for %d", im.ID, im.MunicipalityID, a.ID)
			}
			out = append(out, im.ID)
		}
		return out
	}
	page, err := s.ListImports(ctx, store.ImportFilter{MunicipalityID: a.ID, Limit: 2})
	must(t, err, "ListImports")
	if d := diff([]int64{ids[4], ids[3]}, idsOf(page)); d != "" {
		t.Errorf("first page (-want +got):\n%s", d)
	}
	page, err = s.ListImports(ctx, store.ImportFilter{MunicipalityID: a.ID, BeforeID: ids[3], Limit: 10})
	must(t, err, "ListImports")
	if d := diff([]int64{ids[2], ids[1], ids[0]}, idsOf(page)); d != "" {
		t.Errorf("next page (-want +got):\n%s", d)
	}
	all, err := s.ListImports(ctx, store.ImportFilter{})
	must(t, err, "ListImports(all)")
	if len(all) != 10 {
		t.Errorf("ListImports(no filter): %d, want 10", len(all))
	}
}

// testImportUpload: the file kept for a background import reads back
// byte for byte (a Shift_JIS file is not text to the store), one per
// import, and is deleted; its import's absence is ErrNotFound; a rolled
// back transaction keeps none.
func testImportUpload(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	im := MustCreateImport(t, s, store.Import{MunicipalityID: m.ID, ActorID: "cli:a", ActorRole: "admin", State: store.ImportRunning})
	data := []byte("resident_ref,name\r\nR-1,\x83\x65\x83\x58\x83\x67\r\n\x00\xff")
	must(t, s.CreateImportUpload(ctx, im.ID, data), "CreateImportUpload")
	wantErr(t, s.CreateImportUpload(ctx, im.ID, data), store.ErrConflict, "CreateImportUpload(twice)")
	wantErr(t, s.CreateImportUpload(ctx, noSuchID, data), store.ErrNotFound, "CreateImportUpload(no such import)")
	got, err := s.GetImportUpload(ctx, im.ID)
	must(t, err, "GetImportUpload")
	if !bytes.Equal(got, data) {
		t.Errorf("GetImportUpload = %q, want %q", got, data)
	}
	must(t, s.DeleteImportUpload(ctx, im.ID), "DeleteImportUpload")
	_, err = s.GetImportUpload(ctx, im.ID)
	wantErr(t, err, store.ErrNotFound, "GetImportUpload(deleted)")
	wantErr(t, s.DeleteImportUpload(ctx, im.ID), store.ErrNotFound, "DeleteImportUpload(deleted)")

	rollback := errors.New("roll back")
	err = s.InTx(ctx, func(tx store.Tx) error {
		im := &store.Import{MunicipalityID: m.ID, ActorID: "cli:a", ActorRole: "admin", State: store.ImportRunning}
		if err := tx.CreateImport(ctx, im); err != nil {
			return err
		}
		if err := tx.CreateImportUpload(ctx, im.ID, data); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the rollback", err)
	}
	all, err := s.ListImports(ctx, store.ImportFilter{MunicipalityID: m.ID})
	must(t, err, "ListImports")
	if len(all) != 1 {
		t.Errorf("after a rollback: %d imports, want 1", len(all))
	}
}

// testImportProblems: problems and warnings read back in the order
// stored, appended after earlier ones; an import with none has none; no
// such import is ErrNotFound.
func testImportProblems(t *testing.T, s store.Store) {
	ctx := t.Context()
	m := MustCreateMunicipality(t, ctx, s, "012033")
	im := MustCreateImport(t, s, store.Import{MunicipalityID: m.ID, ActorID: "cli:a", ActorRole: "admin", State: store.ImportRefused})
	other := MustCreateImport(t, s, store.Import{MunicipalityID: m.ID, ActorID: "cli:a", ActorRole: "admin", State: store.ImportDone})
	first := []store.ImportProblem{
		{Row: 0, Message: "the file has no header"},
		{Row: 7, Field: "residence_card_expires_on", Message: `"2027-02-30" is not a date`, Key: "date.invalid", Args: []string{`"2027-02-30"`}},
	}
	more := []store.ImportProblem{{Warning: true, Row: 3, Field: "language", Message: `"fr" is not a language Kigen writes in`}}
	must(t, s.CreateImportProblems(ctx, im.ID, first), "CreateImportProblems")
	must(t, s.CreateImportProblems(ctx, im.ID, more), "CreateImportProblems(more)")
	must(t, s.CreateImportProblems(ctx, im.ID, nil), "CreateImportProblems(none)")
	got, err := s.ListImportProblems(ctx, im.ID)
	must(t, err, "ListImportProblems")
	if d := diff(append(first, more...), got); d != "" {
		t.Errorf("ListImportProblems (-want +got):\n%s", d)
	}
	got, err = s.ListImportProblems(ctx, other.ID)
	must(t, err, "ListImportProblems(none)")
	if len(got) != 0 {
		t.Errorf("ListImportProblems(an import with none) = %v", got)
	}
	wantErr(t, s.CreateImportProblems(ctx, noSuchID, first), store.ErrNotFound, "CreateImportProblems(no such import)")
}
