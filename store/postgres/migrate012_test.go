package postgres_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"kigen/store/postgres/postgrestest"
)

// TestMigration012_MunicipalityNames: a municipality stored before 012
// gets its kind from its name, and its Latin name loses the kind it held
// ("Otaru City" → "Otaru"; "Chuo Ward, Sapporo City" → "Chuo"); a Latin
// name that was the Japanese one is none.
func TestMigration012_MunicipalityNames(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, _ := postgrestest.NewSchemaPool(t)
	files, err := filepath.Glob("migrations/*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	var m012 string
	for _, f := range files {
		sql, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "012_municipality_names.up.sql" {
			m012 = string(sql)
			break
		}
		if _, err := pool.Exec(ctx, string(sql)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if m012 == "" {
		t.Fatal("no migration 012_municipality_names")
	}
	for _, r := range [][3]string{
		{"012033", "小樽市", "Otaru City"}, {"011011", "札幌市中央区", "Chuo Ward, Sapporo City"}, {"013951", "ニセコ町", "Niseko Town"},
		{"014087", "余市町", "余市町"}, {"015717", "西興部村", "Nishiokoppe Village"}, {"131016", "千代田区", "Chiyoda"},
	} {
		if _, err := pool.Exec(ctx, `INSERT INTO municipalities (code, name, name_latin, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, m012); err != nil {
		t.Fatalf("migration 012: %v", err)
	}
	want := map[string][2]string{"012033": {"市", "Otaru"}, "011011": {"区", "Chuo"}, "013951": {"町", "Niseko"},
		"014087": {"町", ""}, "015717": {"村", "Nishiokoppe"}, "131016": {"区", "Chiyoda"}}
	rows, err := pool.Query(ctx, `SELECT code, kind, name_latin FROM municipalities`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var code, kind, latin string
		if err := rows.Scan(&code, &kind, &latin); err != nil {
			t.Fatal(err)
		}
		n++
		if w := want[code]; kind != w[0] || latin != w[1] {
			t.Errorf("%s: kind %q, name_latin %q; want %q, %q", code, kind, latin, w[0], w[1])
		}
	}
	if err := rows.Err(); err != nil || n != len(want) {
		t.Fatalf("%d rows, %v", n, err)
	}
}
