package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"kigen/store"
)

func TestInterpretError(t *testing.T) {
	t.Parallel()
	other := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want error
	}{
		{name: "NoRows", err: fmt.Errorf("scan: %w", pgx.ErrNoRows), want: store.ErrNotFound},
		{name: "UniqueViolation", err: &pgconn.PgError{Code: "23505"}, want: store.ErrConflict},
		{name: "ForeignKeyViolation", err: &pgconn.PgError{Code: "23503"}, want: store.ErrNotFound},
		{name: "OtherPgError", err: &pgconn.PgError{Code: "23514"}, want: nil},
		{name: "Other", err: other, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := interpretError(tt.err)
			if tt.want == nil {
				if got != tt.err {
					t.Errorf("interpretError(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if !errors.Is(got, tt.want) {
				t.Errorf("interpretError(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if errors.Is(got, store.ErrConflict) && errors.Is(got, store.ErrNotFound) {
				t.Errorf("interpretError(%v) = %v: both sentinels", tt.err, got)
			}
		})
	}
}
