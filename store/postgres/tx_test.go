package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"kigen"
	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
)

// TestStore_InTx_Duplicate checks what the scheduler relies on: a duplicate
// notice (or municipality code) inside a transaction is ErrConflict and does
// not abort the transaction, which goes on and commits.
func TestStore_InTx_Duplicate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, m := newStoreWithMunicipality(t)
	r := &kigen.Resident{MunicipalityID: m.ID, Ref: "A1", Language: kigen.English, Status: kigen.FixedPeriod}
	if _, err := s.UpsertResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	c := &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2027-06-30")}
	if err := s.UpsertCard(ctx, m.ID, c); err != nil {
		t.Fatal(err)
	}
	n := kigen.Notice{CardID: c.ID, ExpiresOn: c.ExpiresOn, Stage: kigen.D90, TickDate: kigen.MustParseISODate("2027-04-01")}
	first := n
	if err := s.CreateNotice(ctx, m.ID, &first); err != nil {
		t.Fatal(err)
	}

	err := s.InTx(ctx, func(tx store.Tx) error {
		dup := n
		if err := tx.CreateNotice(ctx, m.ID, &dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateNotice(duplicate) = %v, want ErrConflict", err)
		}
		if err := tx.CreateMunicipality(ctx, &kigen.Municipality{Code: m.Code, Name: "x"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateMunicipality(duplicate) = %v, want ErrConflict", err)
		}
		other := n
		other.CardID = c.ID + 1000
		if err := tx.CreateNotice(ctx, m.ID, &other); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreateNotice(no such card) = %v, want ErrNotFound", err)
		}
		next := n
		next.Stage = kigen.D60
		return tx.CreateNotice(ctx, m.ID, &next)
	})
	if err != nil {
		t.Fatalf("InTx = %v, want the transaction to commit", err)
	}
	notices, err := s.ListNotices(ctx, m.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 2 {
		t.Errorf("%d notices, want 2", len(notices))
	}
}

// TestStore_InTx_Panic checks that a panic in fn rolls back and goes on.
func TestStore_InTx_Panic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := postgrestest.NewStore(t)
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want the panic to go on", p)
			}
		}()
		_ = s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateMunicipality(ctx, &kigen.Municipality{Code: "012033", Name: "小樽市"}); err != nil {
				t.Error(err)
			}
			panic("boom")
		})
	}()
	if _, err := s.GetMunicipalityByCode(ctx, "012033"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetMunicipalityByCode after a panic = %v, want ErrNotFound", err)
	}
	// The connection went back to the pool usable.
	if err := s.Ping(ctx); err != nil {
		t.Error(err)
	}
}

// TestStore_Now checks that timestamps come from Now, in UTC, truncated to
// the microsecond PostgreSQL keeps, and that dates round-trip (the zero
// Date as NULL).
func TestStore_Now(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := postgrestest.NewStore(t)
	now := time.Date(2027, 4, 1, 9, 0, 0, 123456789, kigen.Tokyo)
	s.Now = func() time.Time { return now }

	m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
	if err := s.CreateMunicipality(ctx, m); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2027, 4, 1, 0, 0, 0, 123456000, time.UTC)
	if m.CreatedAt != want || m.UpdatedAt != want {
		t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v", m.CreatedAt, m.UpdatedAt, want)
	}
	got, err := s.GetMunicipality(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt != want || got.CreatedAt.Location() != time.UTC {
		t.Errorf("GetMunicipality.CreatedAt = %v, want %v", got.CreatedAt, want)
	}

	r := &kigen.Resident{MunicipalityID: m.ID, Ref: "A1", Language: kigen.English, Status: kigen.FixedPeriod}
	if _, err := s.UpsertResident(ctx, r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		card kigen.Card
	}{
		{name: "Dates", card: kigen.Card{Kind: kigen.ResidenceCard, ExpiresOn: kigen.MustParseISODate("2028-02-29"),
			RenewalAppliedOn: kigen.MustParseISODate("2027-12-01"), NextNoticeOn: kigen.MustParseISODate("1999-12-31")}},
		{name: "ZeroDates", card: kigen.Card{Kind: kigen.MyNumberCard, ExpiresOn: kigen.MustParseISODate("2030-01-01")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.card
			c.ResidentID = r.ID
			if err := s.UpsertCard(ctx, m.ID, &c); err != nil {
				t.Fatal(err)
			}
			cards, err := s.ListCards(ctx, m.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range cards {
				if got.Kind == c.Kind {
					if diff := cmp.Diff(&c, got); diff != "" {
						t.Errorf("ListCards (-want +got):\n%s", diff)
					}
					return
				}
			}
			t.Errorf("card %s not listed", c.Kind)
		})
	}
}

// newStoreWithMunicipality returns a new store on a database of its own, with
// one municipality.
func newStoreWithMunicipality(t *testing.T) (*postgres.Store, *kigen.Municipality) {
	t.Helper()
	s := postgrestest.NewStore(t)
	m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
	if err := s.CreateMunicipality(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return s, m
}
