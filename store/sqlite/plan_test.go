package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"kigen"
)

// TestListDueCards_UsesIndex checks that the tick reads due cards through
// the partial index cards_due, not by scanning every card: with 2,000
// cards, most with no next notice and the rest due in the future,
// EXPLAIN QUERY PLAN of the very SQL ListDueCards runs must name the index.
func TestListDueCards_UsesIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "kigen.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	today := kigen.MustParseISODate("2027-04-01")
	err = s.inTx(ctx, func(q queries) error {
		m := &kigen.Municipality{Code: "012033", Name: "小樽市"}
		if err := q.CreateMunicipality(ctx, m); err != nil {
			return err
		}
		for i := range 2000 {
			r := &kigen.Resident{MunicipalityID: m.ID, Ref: fmt.Sprintf("r%d", i),
				Language: kigen.English, Status: kigen.FixedPeriod}
			if _, err := q.UpsertResident(ctx, r); err != nil {
				return err
			}
			c := &kigen.Card{ResidentID: r.ID, Kind: kigen.ResidenceCard, ExpiresOn: today.AddDays(400 + i)}
			if i%10 == 0 { // one card in ten has a notice ahead, none is due today
				c.NextNoticeOn = today.AddDays(1 + i)
			}
			if err := q.UpsertCard(ctx, m.ID, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}

	rows, err := s.DB().QueryContext(ctx, `EXPLAIN QUERY PLAN `+listDueCardsSQL, today, 500)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	t.Logf("EXPLAIN QUERY PLAN ListDueCards:\n%s", text)
	if !strings.Contains(text, "cards_due") {
		t.Errorf("the plan does not use the index cards_due")
	}
	if !strings.Contains(text, "COVERING INDEX cards_due") {
		t.Errorf("the index cards_due cannot answer ListDueCards alone (migration 005 includes each card's municipality and resident)")
	}
	if strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("the plan sorts; the index order should serve ORDER BY")
	}

	due, err := s.ListDueCards(ctx, today.AddDays(30), 500)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 3 { // i = 0, 10, 20: next notice on today+1, +11, +21
		t.Errorf("ListDueCards(today+30) returned %d cards, want 3", len(due))
	}
}
