package desk

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"kigen"
	"kigen/auth"
	"kigen/store"
)

// A confirmed import of a large file runs in the background, as a River
// job, instead of in the request: a file of more than BackgroundRows data
// rows or more than BackgroundBytes bytes. Below that an import takes a
// few seconds at most (about 1,000 rows a second on SQLite with the
// re-planning, more on PostgreSQL), which a browser waits for; above it the
// request would outlive proxies' timeouts and a clerk's patience.
const (
	BackgroundRows  = 5000
	BackgroundBytes = 1 << 20
)

// ImportJobTimeout is how long a background import may run. River's
// rescuer leaves a running job alone until then, so it is also how soon
// after a crash an interrupted import is tried again.
const ImportJobTimeout = 30 * time.Minute

// importAttempts is how many times a background import is tried; then it
// is recorded failed. Its job gets one attempt more (ImportArgs's
// MaxAttempts), which only records the failure: an import rescued after a
// crash in its last attempt still ends failed rather than running for ever.
const importAttempts = 3

// JobInserter is what background imports need of the job queue
// (scheduler.Queue): insert a job in the store's transaction tx, so that it
// commits with the import it runs.
type JobInserter interface {
	InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs) error
}

// ImportArgs is the job of a background import. It carries the import's ID
// only: the file waits in the store (store.ImportQueries' upload) and is
// deleted when the import ends.
type ImportArgs struct {
	ImportID int64 `json:"import_id"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "import" }

// InsertOpts implements river.JobArgsWithInsertOpts: one job an import.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: importAttempts + 1, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ImportWorker works background imports (RunImport). Its Desk needs only
// the store, the clock and the logger.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	Desk *Desk
}

// Timeout implements river.Worker: ImportJobTimeout.
func (w *ImportWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return ImportJobTimeout }

// Work implements river.Worker. An import that fails for a reason of the
// database's or the process's is tried again (River's retries; the import
// is one transaction and rows upsert, so a second run writes the same);
// the last attempt records the failure and cancels the job.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	id := job.Args.ImportID
	if job.Attempt > importAttempts {
		if err := w.Desk.failImport(ctx, id); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("import %d: interrupted %d times", id, importAttempts))
	}
	err := w.Desk.RunImport(ctx, id)
	if err != nil && job.Attempt >= importAttempts {
		if ferr := w.Desk.failImport(ctx, id); ferr != nil {
			return errors.Join(err, ferr)
		}
		return river.JobCancel(err)
	}
	return err
}

// InBackground reports whether a confirmed import of a file of size bytes
// and rows data rows runs in the background (BackgroundRows,
// BackgroundBytes).
func InBackground(size, rows int) bool { return size > BackgroundBytes || rows > BackgroundRows }

// countRows counts the data rows of a CSV file (the header aside), without
// reading their values: in UTF-8 or Shift_JIS alike, since Shift_JIS never
// uses the bytes of a comma, a quote or a line end inside a character. A
// file that is not CSV counts what could be read; the import says why.
func countRows(data []byte) int {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
	n := 0
	for {
		if _, err := r.Read(); err != nil {
			break
		}
		n++
	}
	return max(0, n-1)
}

// ImportStart is what StartImport did: a small file imported at once
// (Result), or a large one queued (Queued).
type ImportStart struct {
	Result *ImportResult
	Queued *ImportRecord
}

// StartImport imports a confirmed file (p.DryRun false): at once, as
// Import does, when it is small, or, when it is large (InBackground) and
// the desk has a job queue (Jobs), as a background job. Then the actor's
// right to import is checked now and recorded with the import (who, as
// whom), the file is kept in the store until the import ends, and the
// import, its file and its job are written in one transaction with an
// audit entry. RunImport does the rest. Background imports take the
// default options (Region, IgnoreUnknownColumns and FallbackLanguage
// empty): a file that needs others is imported at once.
func (d *Desk) StartImport(ctx context.Context, a auth.Actor, p ImportParams) (*ImportStart, error) {
	if p.DryRun {
		return nil, kigen.FieldErrorf("dry_run", "a dry run is Import's; StartImport imports")
	}
	data, err := io.ReadAll(p.CSV)
	if err != nil {
		return nil, err
	}
	rows := countRows(data)
	if d.Jobs == nil || !InBackground(len(data), rows) || p.Region != "" || p.IgnoreUnknownColumns || p.FallbackLanguage != "" {
		p.CSV = bytes.NewReader(data)
		res, err := d.Import(ctx, a, p)
		if err != nil {
			return nil, err
		}
		return &ImportStart{Result: res}, nil
	}
	mu, err := scope(ctx, d.Store, a, auth.Import, p.Municipality, "")
	if err != nil {
		return nil, err
	}
	h := d.newHistory(a, mu, p, true)
	h.im.Size, h.im.Rows = int64(len(data)), rows
	err = d.do(ctx, a, auth.Import, func(tx store.Tx, e *store.AuditEntry) error {
		if err := tx.CreateImport(ctx, h.im); err != nil {
			return err
		}
		if err := tx.CreateImportUpload(ctx, h.im.ID, data); err != nil {
			return err
		}
		if err := d.Jobs.InsertTx(ctx, tx, ImportArgs{ImportID: h.im.ID}); err != nil {
			return err
		}
		e.MunicipalityID, e.Detail = mu.ID, fmt.Sprintf("import %d queued: %d rows", h.im.ID, rows)
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.logger().Info("import queued", slog.Int64("import_id", h.im.ID), slog.Int64("municipality_id", mu.ID), slog.Int("rows", rows))
	return &ImportStart{Queued: importRecord(mu, h.im)}, nil
}

// RunImport runs the background import id, as the actor who confirmed it
// (their rights were checked then): every row in one transaction which
// also records the result and deletes the kept file, or, for a file
// refused, the refusal and its problems. An import no longer running
// (done, refused, failed: a job run again after its import committed) is
// left alone, so a second run changes nothing. Any other error writes
// nothing and is returned, for the job to try again.
//
// Progress (rows read) is written to the import's row as the batches go,
// outside the import's transaction. On SQLite, whose one connection the
// import holds, those writes wait until it ends: its progress page shows
// the start and the end.
func (d *Desk) RunImport(ctx context.Context, id int64) error {
	im, err := d.Store.GetImport(ctx, 0, id)
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	if im.State != store.ImportRunning {
		return nil
	}
	mu, err := d.Store.GetMunicipality(ctx, im.MunicipalityID)
	if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	data, err := d.Store.GetImportUpload(ctx, id)
	if err != nil {
		return fmt.Errorf("import %d: its file: %w", id, err)
	}
	a := auth.Actor{ID: im.ActorID, Role: auth.Role(im.ActorRole), MunicipalityID: mu.ID, MunicipalityCode: mu.Code}
	h := &history{im: im, now: d.now, background: true}
	report, stop := d.progressWriter(id)
	// Not store.LongWrite: the job runs inside kigen serve's own queue,
	// which a hand-over of SQLite's writer would stop and wait for.
	start := time.Now()
	_, err = d.importFile(ctx, a, mu, bytes.NewReader(data), ImportParams{}, "", h, report)
	stop()
	if isRefusal(err) {
		err = d.Store.InTx(ctx, func(tx store.Tx) error { return h.finish(ctx, tx) })
		if err == nil {
			d.logger().Info("import refused", slog.Int64("import_id", id), slog.Int("problems", im.BadRows))
		}
		return err
	} else if err != nil {
		return fmt.Errorf("import %d: %w", id, err)
	}
	d.logger().Info("import done", slog.Int64("import_id", id), slog.Int("rows", im.Rows), slog.Duration("took", time.Since(start)))
	return nil
}

// failImport records the background import id failed, and deletes its
// file: nothing of it was written. An import that ended already is left
// as it is.
func (d *Desk) failImport(ctx context.Context, id int64) error {
	return d.Store.InTx(ctx, func(tx store.Tx) error {
		im, err := tx.GetImport(ctx, 0, id)
		if err != nil || im.State != store.ImportRunning {
			return err
		}
		im.State, im.FinishedAt = store.ImportFailed, d.now()
		h := &history{im: im, now: d.now, background: true}
		d.logger().Warn("import failed", slog.Int64("import_id", id))
		return h.finish(ctx, tx)
	})
}

// progressWriter writes the rows read of a running import as they are
// reported, outside the import's transaction, keeping only the latest
// report when the writes fall behind. stop ends it, abandoning a write
// that waits.
func (d *Desk) progressWriter(id int64) (report func(rows int), stop func()) {
	ch := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := range ch {
			if err := d.Store.SetImportProgress(ctx, id, n); err != nil && ctx.Err() == nil {
				d.logger().Warn("import progress", slog.Int64("import_id", id), slog.String("err", err.Error()))
			}
		}
	})
	report = func(n int) {
		select {
		case <-ch: // an older report not written yet
		default:
		}
		select {
		case ch <- n:
		default:
		}
	}
	return report, func() {
		cancel()
		close(ch)
		wg.Wait()
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
