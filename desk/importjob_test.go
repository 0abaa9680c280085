package desk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"kigen/desk"
	"kigen/store"
)

// jobs records the jobs the desk inserts.
type jobs struct {
	mu   sync.Mutex
	args []river.JobArgs
}

func (j *jobs) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.args = append(j.args, args)
	return nil
}

// largeList is a resident list of n rows, R-00001…; bad, if non-zero, is
// a row (as a spreadsheet numbers it) with a date that does not exist.
func largeList(n, bad int) string {
	var sb strings.Builder
	sb.WriteString("resident_ref,name,language,email,residence_card_expires_on,consent\n")
	for i := 1; i <= n; i++ {
		date := "2027-06-30"
		if i+1 == bad {
			date = "2027-02-30"
		}
		fmt.Fprintf(&sb, "L-%05d,Person %d,en,p%d@example.jp,%s,yes\n", i, i, i, date)
	}
	return sb.String()
}

// cancelOnProgress is a store whose first progress report cancels the
// import's context: a process stopped in the middle of an import.
type cancelOnProgress struct {
	store.Store
	cancel context.CancelFunc
}

func (s cancelOnProgress) SetImportProgress(ctx context.Context, id int64, rows int) error {
	s.cancel()
	return s.Store.SetImportProgress(ctx, id, rows)
}

// TestDesk_BackgroundImport: a large file is queued (the import, its file
// and its job in one transaction, the job's args the import's ID alone),
// then run as the actor who confirmed it: all rows or none, the result
// recorded and the file deleted in the import's transaction; run again, it
// changes nothing. A small file is imported at once.
func TestDesk_BackgroundImport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		j := &jobs{}
		b.d.Jobs = j
		small, err := b.d.StartImport(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(largeList(10, 0)), FileName: "small.csv"})
		if err != nil || small.Result == nil || small.Queued != nil || small.Result.Created != 10 || len(j.args) != 0 {
			t.Fatalf("a small file: %+v, %v (jobs %v)", small, err, j.args)
		}

		list := largeList(desk.BackgroundRows+1, 0)
		before := b.count(t)
		st, err := b.d.StartImport(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(list), FileName: "large.csv"})
		if err != nil || st.Queued == nil || st.Result != nil {
			t.Fatalf("a large file: %+v, %v", st, err)
		}
		q := st.Queued
		if q.State != store.ImportRunning || !q.Background || q.Rows != desk.BackgroundRows+1 || q.Size != int64(len(list)) ||
			q.FileName != "large.csv" || q.Actor != "staff:1" {
			t.Errorf("queued: %+v", q)
		}
		if len(j.args) != 1 {
			t.Fatalf("jobs: %v", j.args)
		}
		js, _ := json.Marshal(j.args[0])
		if want := fmt.Sprintf(`{"import_id":%d}`, q.ID); string(js) != want || j.args[0].Kind() != "import" {
			t.Errorf("job args %s (%s), want %s", js, j.args[0].Kind(), want)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "import", MunicipalityID: b.aID,
			Detail: fmt.Sprintf("import %d queued: %d rows", q.ID, desk.BackgroundRows+1)})
		if _, err := b.s.GetResidentByRef(ctx, b.aID, "L-00011"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a resident of the queued file was written before its job ran: %v", err)
		}

		// A process stopped mid-import writes nothing; the job tried
		// again imports it all.
		cctx, cancel := context.WithCancel(ctx)
		stopped := *b.d
		stopped.Store = cancelOnProgress{Store: b.s, cancel: cancel}
		if err := stopped.RunImport(cctx, q.ID); err == nil {
			t.Fatal("an import cancelled mid-way returned no error")
		}
		if _, err := b.s.GetResidentByRef(ctx, b.aID, "L-00011"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an interrupted import wrote a resident: %v", err)
		}
		if r, err := b.d.GetImport(ctx, b.staffA, "", q.ID); err != nil || r.State != store.ImportRunning {
			t.Errorf("after an interruption: %+v, %v", r, err)
		}

		before = b.count(t)
		if err := b.d.RunImport(ctx, q.ID); err != nil {
			t.Fatal(err)
		}
		r, err := b.d.GetImport(ctx, b.adminA, "", q.ID)
		if err != nil || r.State != store.ImportDone || r.Created != desk.BackgroundRows-9 || r.Unchanged != 10 ||
			r.RowsDone != desk.BackgroundRows+1 || r.Encoding != "UTF-8" || r.FinishedAt == nil {
			t.Errorf("done: %+v, %v", r, err)
		}
		if _, err := b.s.GetImportUpload(ctx, q.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the file is kept after the import: %v", err)
		}
		b.checkLast(t, before, 1, store.AuditEntry{ActorID: "staff:1", ActorRole: "staff", Action: "import", MunicipalityID: b.aID,
			Detail: fmt.Sprintf("%d rows", desk.BackgroundRows+1)})
		// Run again (a job retried after its import committed): nothing.
		if err := b.d.RunImport(ctx, q.ID); err != nil || b.count(t) != before+1 {
			t.Errorf("run again: %v, %d audit entries (want %d)", err, b.count(t), before+1)
		}
	})
}

// TestDesk_BackgroundImportRefused: a large file with a bad row writes
// nothing; the import is refused with its problem listed for its result
// page, and its file deleted.
func TestDesk_BackgroundImportRefused(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		b.d.Jobs = &jobs{}
		st, err := b.d.StartImport(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(largeList(desk.BackgroundRows+10, 4000))})
		if err != nil || st.Queued == nil {
			t.Fatalf("%+v, %v", st, err)
		}
		if err := b.d.RunImport(ctx, st.Queued.ID); err != nil {
			t.Fatal(err)
		}
		r, err := b.d.GetImport(ctx, b.staffA, "", st.Queued.ID)
		if err != nil || r.State != store.ImportRefused || r.BadRows != 1 || len(r.Problems) != 1 || r.Created != 0 {
			t.Fatalf("refused: %+v, %v", r, err)
		}
		// The reason as the import in the request gives it: its English
		// text, and its catalog key and arguments for other languages.
		got := r.Problems[0]
		if got.Row != 4000 || got.Field != "residence_card_expires_on" || got.Message != `"2027-02-30" is not a date` ||
			got.Key == "" || len(got.Args) != 1 || got.Args[0] != `"2027-02-30"` {
			t.Errorf("the problem: %#v", got)
		}
		if _, err := b.s.GetResidentByRef(ctx, b.aID, "L-00001"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused file wrote a resident: %v", err)
		}
		if _, err := b.s.GetImportUpload(ctx, st.Queued.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the file is kept after the refusal: %v", err)
		}
	})
}

// TestImportWorker_Fails: an import whose job keeps failing is tried again
// by River until its last attempt, which records it failed and cancels
// the job; an attempt beyond (rescued after a crash in the last) only
// records the failure.
func TestImportWorker_Fails(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		b.d.Jobs = &jobs{}
		w := &desk.ImportWorker{Desk: b.d}
		queue := func() int64 {
			st, err := b.d.StartImport(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(largeList(desk.BackgroundRows+1, 0))})
			if err != nil {
				t.Fatal(err)
			}
			// Its file lost: every run fails.
			if err := b.s.DeleteImportUpload(ctx, st.Queued.ID); err != nil {
				t.Fatal(err)
			}
			return st.Queued.ID
		}
		job := func(id int64, attempt int) *river.Job[desk.ImportArgs] {
			return &river.Job[desk.ImportArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}, Args: desk.ImportArgs{ImportID: id}}
		}
		state := func(id int64) string {
			r, err := b.d.GetImport(ctx, b.staffA, "", id)
			if err != nil {
				t.Fatal(err)
			}
			return r.State
		}
		id := queue()
		var cancel *river.JobCancelError
		if err := w.Work(ctx, job(id, 1)); err == nil || errors.As(err, &cancel) || state(id) != store.ImportRunning {
			t.Errorf("first attempt: %v, %s; want an error to retry, running", err, state(id))
		}
		if err := w.Work(ctx, job(id, 3)); !errors.As(err, &cancel) || state(id) != store.ImportFailed {
			t.Errorf("last attempt: %v, %s; want the job cancelled, failed", err, state(id))
		}
		id = queue()
		if err := w.Work(ctx, job(id, 4)); !errors.As(err, &cancel) || state(id) != store.ImportFailed {
			t.Errorf("attempt after the last: %v, %s; want the job cancelled, failed", err, state(id))
		}
		if w.Timeout(job(id, 1)) != desk.ImportJobTimeout {
			t.Error("the worker's timeout is not ImportJobTimeout")
		}
	})
}

// watchProgress is a store that, after each progress report of an
// import, reads the import as any other connection sees it.
type watchProgress struct {
	store.Store
	mu   sync.Mutex
	seen []store.Import
}

func (s *watchProgress) SetImportProgress(ctx context.Context, id int64, rows int) error {
	err := s.Store.SetImportProgress(ctx, id, rows)
	if err == nil {
		if im, err := s.Store.GetImport(ctx, 0, id); err == nil {
			s.mu.Lock()
			s.seen = append(s.seen, *im)
			s.mu.Unlock()
		}
	}
	return err
}

// TestDesk_BackgroundImportProgress: on PostgreSQL the rows read by a
// running background import are seen outside its transaction, batch by
// batch, while it runs; on SQLite (one connection, held by the import)
// the progress writes wait for its end and change nothing then.
func TestDesk_BackgroundImportProgress(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		ctx := t.Context()
		b.d.Jobs = &jobs{}
		st, err := b.d.StartImport(ctx, b.staffA, desk.ImportParams{CSV: strings.NewReader(largeList(3*desk.BackgroundRows, 0))})
		if err != nil || st.Queued == nil {
			t.Fatalf("%+v, %v", st, err)
		}
		w := &watchProgress{Store: b.s}
		run := *b.d
		run.Store = w
		if err := run.RunImport(ctx, st.Queued.ID); err != nil {
			t.Fatal(err)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		midway := false
		for _, im := range w.seen {
			if im.State == store.ImportRunning && im.RowsDone > 0 && im.RowsDone <= im.Rows {
				midway = true
			}
			if im.State != store.ImportRunning && im.RowsDone != im.Rows {
				t.Errorf("a progress report changed a finished import: %+v", im)
			}
		}
		if strings.HasSuffix(t.Name(), "postgres") && !midway {
			t.Errorf("no progress seen while the import ran: %+v", w.seen)
		}
		if r, err := b.d.GetImport(ctx, b.staffA, "", st.Queued.ID); err != nil || r.State != store.ImportDone || r.RowsDone != 3*desk.BackgroundRows {
			t.Errorf("done: %+v, %v", r, err)
		}
	})
}
