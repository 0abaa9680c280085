package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"kigen"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
)

// TestListDueCards_Plan checks that a tick reads the due cards through the
// partial index cards_due, never by scanning every card.
func TestListDueCards_Plan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := postgrestest.NewStore(t)
	m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
	if err := s.CreateMunicipality(ctx, m); err != nil {
		t.Fatal(err)
	}
	pool := s.Pool()

	// 5,000 residents with 4 cards each: 20,000 cards. Every 400th card
	// (50) is due on or before 2027-04-01; of the rest, half have no next
	// notice and half one later in the year.
	const due = "2027-04-01"
	if _, err := pool.Exec(ctx, `INSERT INTO residents (municipality_id, ref, language, status, created_at, updated_at)
SELECT $1, 'r' || g, 'en', 'fixed_period', now(), now() FROM generate_series(1, 5000) AS g`, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO cards (municipality_id, resident_id, kind, expires_on, next_notice_on, created_at, updated_at)
SELECT r.municipality_id, r.id, k.kind, date '2027-12-31',
       CASE WHEN (r.id * 4 + k.n) % 400 = 0 THEN date '2027-04-01' - ((r.id % 30)::int)
            WHEN (r.id * 4 + k.n) % 2 = 0 THEN NULL
            ELSE date '2027-04-02' + ((r.id % 200)::int)
       END,
       now(), now()
FROM residents r
CROSS JOIN (VALUES (0, 'residence_card'), (1, 'integrated_card'), (2, 'mynumber_card'), (3, 'mynumber_cert')) AS k(n, kind)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE cards`); err != nil {
		t.Fatal(err)
	}

	var total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM cards`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListDueCards(ctx, kigen.MustParseISODate(due), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if total != 20000 || len(got) != 50 {
		t.Fatalf("%d cards, %d due; want 20000, 50", total, len(got))
	}

	// pgx prepares statements, and PostgreSQL may switch a prepared
	// statement to a generic plan (no parameter values) after five runs:
	// both plans must use the index.
	tests := []struct {
		name string
		mode string // plan_cache_mode
	}{
		{name: "Custom", mode: "force_custom_plan"},
		{name: "Generic", mode: "force_generic_plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+tt.mode); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(ctx, "RESET plan_cache_mode")
			if _, err := conn.Exec(ctx, "PREPARE kigen_due AS "+postgres.ListDueCardsSQL); err != nil {
				t.Fatal(err)
			}
			defer conn.Exec(ctx, "DEALLOCATE kigen_due")
			rows, err := conn.Query(ctx, "EXPLAIN EXECUTE kigen_due('"+due+"', 1000)")
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			t.Logf("plan:\n%s", plan)
			if !strings.Contains(plan, "Index Scan using cards_due") &&
				!strings.Contains(plan, "Index Only Scan using cards_due") &&
				!strings.Contains(plan, "Bitmap Index Scan on cards_due") {
				t.Errorf("ListDueCards does not read through the index cards_due")
			}
			if strings.Contains(plan, "Seq Scan on cards") {
				t.Errorf("ListDueCards scans every card")
			}
		})
	}
}
