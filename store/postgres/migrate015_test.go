package postgres_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kigen/store/postgres/postgrestest"
)

// TestMigration015_ResidentFlags: residents stored before 015 get their
// unreachable and gap_open flags from their contacts and cards.
func TestMigration015_ResidentFlags(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, _ := postgrestest.NewSchemaPool(t)
	files, err := filepath.Glob("migrations/*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	var m015 string
	for _, f := range files {
		sql, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "015_resident_flags.up.sql" {
			m015 = string(sql)
			break
		}
		if _, err := pool.Exec(ctx, string(sql)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if m015 == "" {
		t.Fatal("no migration 015_resident_flags")
	}
	for _, q := range migration015Fixture {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := pool.Exec(ctx, m015); err != nil {
		t.Fatalf("migration 015: %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT ref, unreachable, gap_open FROM residents`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][2]bool{}
	for rows.Next() {
		var ref string
		var u, g bool
		if err := rows.Scan(&ref, &u, &g); err != nil {
			t.Fatal(err)
		}
		got[ref] = [2]bool{u, g}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(migration015Want, got); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}
}

// migration015Fixture are the rows stored before 015: A reachable by
// email, with a renewal gap; B permanent (its My Number card behind is no
// gap), its only contact without consent; C with no contact; D choosing
// SMS, which it opted out of (its email is not used instead).
var migration015Fixture = []string{
	`INSERT INTO municipalities (id, code, name, name_latin, created_at, updated_at) VALUES (1, '012033', '小樽市', 'Otaru', now(), now())`,
	`INSERT INTO residents (id, municipality_id, ref, name, language, status, channel, created_at, updated_at) VALUES
	 (1, 1, 'A', 'a', 'en', 'fixed_period', '', now(), now()), (2, 1, 'B', 'b', 'en', 'permanent', '', now(), now()),
	 (3, 1, 'C', 'c', 'en', 'fixed_period', '', now(), now()), (4, 1, 'D', 'd', 'en', 'fixed_period', 'sms', now(), now())`,
	`INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at) VALUES
	 (1, 1, 'email', 'a@example.com', true, false, false, now(), now()), (1, 2, 'sms', '+819012345678', false, false, false, now(), now()),
	 (1, 4, 'email', 'd@example.com', true, false, false, now(), now()), (1, 4, 'sms', '+819012345679', true, true, false, now(), now())`,
	`INSERT INTO cards (municipality_id, resident_id, kind, expires_on, created_at, updated_at) VALUES
	 (1, 1, 'residence_card', '2030-01-01', now(), now()), (1, 1, 'mynumber_card', '2028-01-01', now(), now()),
	 (1, 2, 'residence_card', '2030-01-01', now(), now()), (1, 2, 'mynumber_card', '2028-01-01', now(), now()),
	 (1, 4, 'residence_card', '2030-01-01', now(), now()), (1, 4, 'mynumber_card', '2031-01-01', now(), now())`,
}

var migration015Want = map[string][2]bool{"A": {false, true}, "B": {true, false}, "C": {true, false}, "D": {true, false}}
