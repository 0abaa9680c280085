package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kigen"
	"kigen/store"
)

// countingMunicipalities is a store.Queries that serves municipalities from
// a map and counts the reads.
type countingMunicipalities struct {
	store.Queries
	ms    map[int64]kigen.Municipality
	reads int
}

func (q *countingMunicipalities) GetMunicipality(_ context.Context, id int64) (*kigen.Municipality, error) {
	q.reads++
	m, ok := q.ms[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &m, nil
}

func (q *countingMunicipalities) GetMunicipalityByCode(_ context.Context, code string) (*kigen.Municipality, error) {
	q.reads++
	for _, m := range q.ms {
		if m.Code == code {
			return &m, nil
		}
	}
	return nil, store.ErrNotFound
}

// TestMunicipalityCache: a municipality read is kept for the TTL, by ID
// and by code alike, each caller getting its own copy; after the TTL, or
// once forgotten, it is read again; one not found is never kept; a nil
// cache reads through.
func TestMunicipalityCache(t *testing.T) {
	ctx := t.Context()
	q := &countingMunicipalities{ms: map[int64]kigen.Municipality{1: {ID: 1, Code: "012033", Name: "小樽市"}}}
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	c := &store.MunicipalityCache{TTL: 2 * time.Second, Now: func() time.Time { return now }}
	read := func(what string, get func() (*kigen.Municipality, error), wantReads int) *kigen.Municipality {
		t.Helper()
		m, err := get()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if q.reads != wantReads {
			t.Errorf("%s: %d reads of the database in all, want %d", what, q.reads, wantReads)
		}
		return m
	}
	byID := func() (*kigen.Municipality, error) { return c.Get(ctx, q, 1) }
	byCode := func() (*kigen.Municipality, error) { return c.GetByCode(ctx, q, "012033") }

	m := read("first read by code", byCode, 1)
	m.Name = "changed by a caller"
	if m := read("by ID, kept", byID, 1); m.Name != "小樽市" {
		t.Errorf("kept municipality's name %q: a caller's change reached the cache", m.Name)
	}
	read("by code, kept", byCode, 1)

	q.ms[1] = kigen.Municipality{ID: 1, Code: "012033", Name: "おたる"}
	now = now.Add(1900 * time.Millisecond)
	if m := read("within the TTL", byCode, 1); m.Name != "小樽市" {
		t.Errorf("within the TTL: %q, want the kept name", m.Name)
	}
	now = now.Add(200 * time.Millisecond)
	if m := read("after the TTL", byCode, 2); m.Name != "おたる" {
		t.Errorf("after the TTL: %q, want the new name", m.Name)
	}
	q.ms[1] = kigen.Municipality{ID: 1, Code: "012033", Name: "小樽"}
	c.Forget(1)
	if m := read("forgotten", byID, 3); m.Name != "小樽" {
		t.Errorf("after Forget: %q, want the new name", m.Name)
	}

	for range 2 {
		if _, err := c.GetByCode(ctx, q, "999999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown code: %v, want ErrNotFound", err)
		}
	}
	if q.reads != 5 {
		t.Errorf("an unknown code read %d times in all, want every time (not kept)", q.reads-3)
	}
	var none *store.MunicipalityCache
	read("nil cache", func() (*kigen.Municipality, error) { return none.Get(ctx, q, 1) }, 6)
	read("nil cache again", func() (*kigen.Municipality, error) { return none.Get(ctx, q, 1) }, 7)
}
