package sqlite

import (
	"path/filepath"
	"testing"
	"time"
)

// TestMigration010_MunicipalityNames: a municipality stored before 010
// gets its kind from its name, and its Latin name loses the kind it held
// ("Otaru City" → "Otaru"; "Chuo Ward, Sapporo City" → "Chuo"); a Latin
// name that was the Japanese one is none.
func TestMigration010_MunicipalityNames(t *testing.T) {
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
	var m010 string
	for _, m := range ms {
		if m.version == 10 {
			m010 = m.sql
			break
		}
		if _, err := db.ExecContext(ctx, m.sql); err != nil {
			t.Fatalf("migration %d: %v", m.version, err)
		}
	}
	now := formatTime(time.Now())
	for _, r := range [][3]string{
		{"012033", "小樽市", "Otaru City"}, {"011011", "札幌市中央区", "Chuo Ward, Sapporo City"}, {"013951", "ニセコ町", "Niseko Town"},
		{"014087", "余市町", "余市町"}, {"015717", "西興部村", "Nishiokoppe Village"}, {"131016", "千代田区", "Chiyoda"},
	} {
		if _, err := db.ExecContext(ctx, `INSERT INTO municipalities (code, name, name_latin, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			r[0], r[1], r[2], now, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, m010); err != nil {
		t.Fatalf("migration 010: %v", err)
	}
	want := map[string][2]string{"012033": {"市", "Otaru"}, "011011": {"区", "Chuo"}, "013951": {"町", "Niseko"},
		"014087": {"町", ""}, "015717": {"村", "Nishiokoppe"}, "131016": {"区", "Chiyoda"}}
	rows, err := db.QueryContext(ctx, `SELECT code, kind, name_latin FROM municipalities`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, kind, latin string
		if err := rows.Scan(&code, &kind, &latin); err != nil {
			t.Fatal(err)
		}
		if w := want[code]; kind != w[0] || latin != w[1] {
			t.Errorf("%s: kind %q, name_latin %q; want %q, %q", code, kind, latin, w[0], w[1])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
