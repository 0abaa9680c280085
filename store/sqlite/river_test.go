package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"kigen"
	"kigen/store"
)

// spikeArgs is a job kind for the test; no worker runs it.
type spikeArgs struct {
	MunicipalityID int64 `json:"municipality_id"`
}

func (spikeArgs) Kind() string { return "kigen_sqlite_spike" }

// newRiverClient migrates River's tables into the store's database and
// returns an insert-only client (no queues, no workers) on it.
func newRiverClient(t *testing.T, db *sql.DB) *river.Client[*sql.Tx] {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	migrator, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatalf("River migrations: %v", err)
	}
	client, err := river.NewClient(riversqlite.New(db), &river.Config{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// TestStore_InTxRiver proves that the store's transaction is the one River
// joins through Tx.Driver: a job inserted with InsertTx or InsertManyTx
// commits and rolls back with the rows written beside it.
func TestStore_InTxRiver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustOpen(t)
	client := newRiverClient(t, s.DB())

	countJobs := func(t *testing.T) int {
		t.Helper()
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Not parallel: the subtests share the store and count its jobs.
	t.Run("Commit", func(t *testing.T) {
		m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateMunicipality(ctx, m); err != nil {
				return err
			}
			_, err := client.InsertTx(ctx, tx.Driver().(*sql.Tx), spikeArgs{MunicipalityID: m.ID}, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetMunicipality(ctx, m.ID); err != nil {
			t.Errorf("GetMunicipality after commit: %v", err)
		}
		if n := countJobs(t); n != 1 {
			t.Errorf("river_job has %d rows after commit, want 1", n)
		}
	})

	t.Run("Rollback", func(t *testing.T) {
		errAbort := errors.New("abort")
		m := &kigen.Municipality{Code: "131016", Name: "千代田区"}
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateMunicipality(ctx, m); err != nil {
				return err
			}
			if _, err := client.InsertTx(ctx, tx.Driver().(*sql.Tx), spikeArgs{MunicipalityID: m.ID}, nil); err != nil {
				return err
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx: err = %v, want %v", err, errAbort)
		}
		if _, err := s.GetMunicipalityByCode(ctx, "131016"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetMunicipalityByCode after rollback: err = %v, want ErrNotFound", err)
		}
		if n := countJobs(t); n != 1 {
			t.Errorf("river_job has %d rows after rollback, want 1 (the committed one)", n)
		}
	})

	t.Run("InsertManyTx", func(t *testing.T) {
		m := &kigen.Municipality{Code: "271004", Name: "大阪市"}
		err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateMunicipality(ctx, m); err != nil {
				return err
			}
			res, err := client.InsertManyTx(ctx, tx.Driver().(*sql.Tx), []river.InsertManyParams{
				{Args: spikeArgs{MunicipalityID: m.ID}},
				{Args: spikeArgs{MunicipalityID: m.ID}, InsertOpts: &river.InsertOpts{Priority: 2}},
			})
			if err != nil {
				return err
			}
			if len(res) != 2 {
				t.Errorf("InsertManyTx returned %d results, want 2", len(res))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countJobs(t); n != 3 {
			t.Errorf("river_job has %d rows, want 3", n)
		}
	})
}
