package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kigen"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
	"kigen/store/storetest"
)

// TestListDueCards_Plan checks that a tick reads the due cards through the
// partial index cards_due, never by scanning every card, and that the
// index alone can answer it.
func TestListDueCards_Plan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, m := newStoreWithMunicipality(t)
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
			plan := explain(t, pool, postgres.ListDueCardsSQL, "'"+due+"', 1000", "plan_cache_mode = "+tt.mode)
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
	t.Run("IndexOnly", func(t *testing.T) {
		plan := explainOnly(t, pool, postgres.ListDueCardsSQL, "'"+due+"', 1000")
		if !strings.Contains(plan, "Index Only Scan using cards_due") {
			t.Errorf("the index cards_due cannot answer ListDueCards alone (migration 006 includes each card's municipality and resident)")
		}
	})
}

// explain returns the plan of query, prepared and then run with args, on
// one connection with these settings (SET).
func explain(t *testing.T, pool *pgxpool.Pool, query, args string, settings ...string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, set := range settings {
		if _, err := conn.Exec(ctx, "SET "+set); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.Exec(ctx, "RESET ALL")
	if _, err := conn.Exec(ctx, "PREPARE kigen_explained AS "+query); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DEALLOCATE kigen_explained")
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE kigen_explained("+args+")")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	t.Logf("plan:\n%s", plan)
	return plan
}

// explainOnly is explain with every way of reading a table priced out
// (enable_* off; PostgreSQL 15 prices index-only scans out with
// enable_indexscan too). What remains cheapest is an index-only scan
// wherever an index holds every column the query needs: this tells whether
// an index can answer alone, whatever the visibility map of a table not
// yet vacuumed makes the planner prefer.
func explainOnly(t *testing.T, pool *pgxpool.Pool, query, args string) string {
	t.Helper()
	return explain(t, pool, query, args, "enable_indexscan = off", "enable_bitmapscan = off", "enable_seqscan = off")
}

// TestListHoldings_Plan checks that indexes alone can answer the tick's
// reads: each resident, contact and card from the unique key it is looked
// up by (migration 007), and the stages sent for each card from the
// notices' unique index (migration 006).
func TestListHoldings_Plan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, m := newStoreWithMunicipality(t)
	pool := s.Pool()
	// 2,000 residents, each with an email and a phone, two cards and three
	// notices on each.
	if _, err := pool.Exec(ctx, `INSERT INTO residents (municipality_id, ref, language, status, created_at, updated_at)
SELECT $1, 'r' || g, 'en', 'fixed_period', now(), now() FROM generate_series(1, 2000) AS g`, m.ID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, created_at, updated_at)
SELECT r.municipality_id, r.id, ch.channel, r.ref || ch.suffix, true, now(), now()
FROM residents r CROSS JOIN (VALUES ('email', '@example.com'), ('sms', '-phone')) AS ch(channel, suffix)`,
		`INSERT INTO cards (municipality_id, resident_id, kind, expires_on, created_at, updated_at)
SELECT r.municipality_id, r.id, k.kind, date '2027-12-31', now(), now()
FROM residents r CROSS JOIN (VALUES ('residence_card'), ('mynumber_card')) AS k(kind)`,
		`INSERT INTO notices (municipality_id, card_id, card_kind, expires_on, stage, tick_date, created_at)
SELECT c.municipality_id, c.id, c.kind, c.expires_on, st.stage, date '2027-10-01', now()
FROM cards c CROSS JOIN (VALUES ('d90'), ('d60'), ('d30')) AS st(stage)`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// Vacuumed, as autovacuum keeps the tables (migration 007): the
	// visibility map lets an index that holds every column answer alone,
	// and the planner then prefers it to the table.
	for _, table := range []string{"residents", "contacts", "cards", "notices"} {
		if _, err := pool.Exec(ctx, `VACUUM ANALYZE `+table); err != nil {
			t.Fatal(err)
		}
	}
	keys := fmt.Sprintf("ARRAY[%d::bigint, %[1]d], ARRAY[5::bigint, 6]", m.ID)
	for _, tt := range []struct {
		read, query string
		want        []string // index-only scans the plan must have
	}{
		{"residents", postgres.HoldingResidentsSQL, []string{"Index Only Scan using residents_municipality_id_id_key on residents"}},
		{"contacts", postgres.HoldingContactsSQL, []string{"Index Only Scan using contacts_resident_id_channel_key on contacts"}},
		{"cards", postgres.HoldingCardsSQL, []string{"Index Only Scan using cards_resident_id_kind_key on cards",
			"Index Only Scan using notices_card_key on notices"}},
	} {
		t.Run(tt.read, func(t *testing.T) {
			// The nested loop over the keys the tick's batches make (the
			// tables are too small here for the planner to choose it).
			plan := explain(t, pool, tt.query, keys, "enable_seqscan = off", "enable_bitmapscan = off",
				"enable_mergejoin = off", "enable_hashjoin = off", "enable_material = off")
			for _, w := range tt.want {
				if !strings.Contains(plan, w) {
					t.Errorf("the plan has no %q: an index cannot answer ListHoldings' read of %s alone", w, tt.read)
				}
			}
		})
	}
}

// TestSentStages_Stored checks that a card carries the stages recorded for
// it (migration 007), which ListHoldings reads instead of the notices.
func TestSentStages_Stored(t *testing.T) {
	t.Parallel()
	s := postgrestest.NewStore(t)
	storetest.StoredStages(t, s, func(cardID int64) (string, error) {
		var got string
		err := s.Pool().QueryRow(context.Background(),
			`SELECT coalesce(sent_for::text, 'stale') || ' ' || coalesce(sent_stages, '-') FROM cards WHERE id = $1`, cardID).Scan(&got)
		return got, err
	})
}
