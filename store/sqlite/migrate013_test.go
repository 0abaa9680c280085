package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMigration013_ResidentFlags: residents stored before 013 get their
// unreachable and gap_open flags from their contacts and cards (the same
// residents as PostgreSQL's TestMigration015_ResidentFlags).
func TestMigration013_ResidentFlags(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	var m013 string
	for _, m := range ms {
		if m.version == 13 {
			m013 = m.sql
			break
		}
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("migration %d: %v", m.version, err)
		}
	}
	if m013 == "" {
		t.Fatal("no migration 013")
	}
	// A reachable by email, with a renewal gap; B permanent (its My Number
	// card behind is no gap), its only contact without consent; C with no
	// contact; D choosing SMS, which it opted out of.
	for _, q := range []string{
		`INSERT INTO municipalities (id, code, name, name_latin, created_at, updated_at) VALUES (1, '012033', '小樽市', 'Otaru', 'T', 'T')`,
		`INSERT INTO residents (id, municipality_id, ref, name, language, status, channel, created_at, updated_at) VALUES
		 (1, 1, 'A', 'a', 'en', 'fixed_period', '', 'T', 'T'), (2, 1, 'B', 'b', 'en', 'permanent', '', 'T', 'T'),
		 (3, 1, 'C', 'c', 'en', 'fixed_period', '', 'T', 'T'), (4, 1, 'D', 'd', 'en', 'fixed_period', 'sms', 'T', 'T')`,
		`INSERT INTO contacts (municipality_id, resident_id, channel, address, consent, opted_out, failed, created_at, updated_at) VALUES
		 (1, 1, 'email', 'a@example.com', 1, 0, 0, 'T', 'T'), (1, 2, 'sms', '+819012345678', 0, 0, 0, 'T', 'T'),
		 (1, 4, 'email', 'd@example.com', 1, 0, 0, 'T', 'T'), (1, 4, 'sms', '+819012345679', 1, 1, 0, 'T', 'T')`,
		`INSERT INTO cards (municipality_id, resident_id, kind, expires_on, created_at, updated_at) VALUES
		 (1, 1, 'residence_card', '2030-01-01', 'T', 'T'), (1, 1, 'mynumber_card', '2028-01-01', 'T', 'T'),
		 (1, 2, 'residence_card', '2030-01-01', 'T', 'T'), (1, 2, 'mynumber_card', '2028-01-01', 'T', 'T'),
		 (1, 4, 'residence_card', '2030-01-01', 'T', 'T'), (1, 4, 'mynumber_card', '2031-01-01', 'T', 'T')`,
	} {
		if _, err := db.ExecContext(ctx, strings.ReplaceAll(q, "'T'", "'2026-12-04T00:00:00Z'")); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.ExecContext(ctx, m013); err != nil {
		t.Fatalf("migration 013: %v", err)
	}
	want := map[string][2]bool{"A": {false, true}, "B": {true, false}, "C": {true, false}, "D": {true, false}}
	rows, err := db.QueryContext(ctx, `SELECT ref, unreachable, gap_open FROM residents`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var ref string
		var u, g bool
		if err := rows.Scan(&ref, &u, &g); err != nil {
			t.Fatal(err)
		}
		n++
		if w := want[ref]; [2]bool{u, g} != w {
			t.Errorf("%s: unreachable %t, gap open %t; want %t, %t", ref, u, g, w[0], w[1])
		}
	}
	if err := rows.Err(); err != nil || n != len(want) {
		t.Fatalf("%d rows, %v", n, err)
	}
}
