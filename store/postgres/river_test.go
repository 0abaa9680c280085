package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"kigen"
	"kigen/store"
	"kigen/store/postgres/postgrestest"
)

// spikeArgs is a job that is never worked: the test only inserts it.
type spikeArgs struct {
	N int `json:"n"`
}

func (spikeArgs) Kind() string { return "kigen_spike" }

// TestRiver_InsertTx checks that River jobs inserted through Tx.Driver
// commit and roll back with the rows the Store writes in that transaction.
func TestRiver_InsertTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := postgrestest.NewStore(t)
	client := newRiverClient(t, s.Pool())
	errRollback := errors.New("roll back")

	tests := []struct {
		name    string
		code    string
		jobs    int                          // inserted in the transaction
		insert  func(tx pgx.Tx, n int) error // inserts the jobs
		fnErr   error                        // returned by InTx's fn
		wantRow bool
	}{
		{
			name: "InsertTxCommit", code: "100001", jobs: 1, wantRow: true,
			insert: func(tx pgx.Tx, n int) error {
				_, err := client.InsertTx(ctx, tx, spikeArgs{N: n}, nil)
				return err
			},
		},
		{
			name: "InsertTxRollback", code: "100002", jobs: 1, fnErr: errRollback,
			insert: func(tx pgx.Tx, n int) error {
				_, err := client.InsertTx(ctx, tx, spikeArgs{N: n}, nil)
				return err
			},
		},
		{
			name: "InsertManyTxCommit", code: "100003", jobs: 2, wantRow: true,
			insert: func(tx pgx.Tx, n int) error {
				_, err := client.InsertManyTx(ctx, tx, []river.InsertManyParams{
					{Args: spikeArgs{N: n}}, {Args: spikeArgs{N: n + 1}},
				})
				return err
			},
		},
		{
			name: "InsertManyTxRollback", code: "100004", jobs: 2, fnErr: errRollback,
			insert: func(tx pgx.Tx, n int) error {
				_, err := client.InsertManyTx(ctx, tx, []river.InsertManyParams{
					{Args: spikeArgs{N: n}}, {Args: spikeArgs{N: n + 1}},
				})
				return err
			},
		},
	}
	for i, tt := range tests {
		// Sequential: each case counts the jobs of its own N.
		t.Run(tt.name, func(t *testing.T) {
			n := 100 * (i + 1)
			err := s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.CreateMunicipality(ctx, &kigen.Municipality{Code: tt.code, Name: "試験市"}); err != nil {
					return err
				}
				ptx, ok := tx.Driver().(pgx.Tx)
				if !ok {
					return fmt.Errorf("Tx.Driver() is %T, want pgx.Tx", tx.Driver())
				}
				if err := tt.insert(ptx, n); err != nil {
					return err
				}
				return tt.fnErr
			})
			if !errors.Is(err, tt.fnErr) {
				t.Fatalf("InTx = %v, want %v", err, tt.fnErr)
			}

			_, err = s.GetMunicipalityByCode(ctx, tt.code)
			if gotRow := err == nil; gotRow != tt.wantRow {
				t.Errorf("municipality exists = %v (%v), want %v", gotRow, err, tt.wantRow)
			}
			var jobs int
			err = s.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job
WHERE kind = 'kigen_spike' AND (args->>'n')::int IN ($1, $1 + 1)`, n).Scan(&jobs)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tt.wantRow {
				want = tt.jobs
			}
			if jobs != want {
				t.Errorf("%d jobs, want %d", jobs, want)
			}
		})
	}
}

// newRiverClient migrates River into the pool's schema and returns an
// insert-only client on it.
func newRiverClient(t *testing.T, pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	t.Helper()
	ctx := context.Background()
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatalf("River migrations: %v", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	return client
}
