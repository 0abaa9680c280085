package store

import (
	"context"
	"sync"
	"time"

	"kigen"
)

// DefaultMunicipalityTTL is how long a MunicipalityCache keeps what it
// read.
const DefaultMunicipalityTTL = 2 * time.Second

// MunicipalityCache keeps the municipalities the public self-service pages
// and their jobs read, each for TTL after it was read: a sign-up reads its
// municipality on every page and in every job, and these reads were a
// tenth of a sign-up's statements. A change made through the same cache's
// owner is seen at once (Forget); one made by another process within TTL.
// Only municipalities found are kept (at most every municipality served),
// and each caller gets a copy. The zero value is ready to use; a nil
// cache reads through.
type MunicipalityCache struct {
	// TTL is how long a municipality read is kept; 0:
	// DefaultMunicipalityTTL.
	TTL time.Duration
	// Now is the clock of the TTL; nil: time.Now.
	Now func() time.Time

	mu     sync.Mutex
	byID   map[int64]cachedMunicipality
	byCode map[string]int64
}

type cachedMunicipality struct {
	m  kigen.Municipality
	at time.Time
}

func (c *MunicipalityCache) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

func (c *MunicipalityCache) ttl() time.Duration {
	if c.TTL > 0 {
		return c.TTL
	}
	return DefaultMunicipalityTTL
}

// Get returns the municipality with this ID, read through q when not kept
// (q's ErrNotFound as it is).
func (c *MunicipalityCache) Get(ctx context.Context, q Queries, id int64) (*kigen.Municipality, error) {
	if c == nil {
		return q.GetMunicipality(ctx, id)
	}
	if m, ok := c.lookup(id); ok {
		return m, nil
	}
	m, err := q.GetMunicipality(ctx, id)
	if err == nil {
		c.keep(m)
	}
	return m, err
}

// GetByCode returns the municipality with this code, read through q when
// not kept (q's ErrNotFound as it is).
func (c *MunicipalityCache) GetByCode(ctx context.Context, q Queries, code string) (*kigen.Municipality, error) {
	if c == nil {
		return q.GetMunicipalityByCode(ctx, code)
	}
	c.mu.Lock()
	id, ok := c.byCode[code]
	c.mu.Unlock()
	if ok {
		if m, ok := c.lookup(id); ok && m.Code == code {
			return m, nil
		}
	}
	m, err := q.GetMunicipalityByCode(ctx, code)
	if err == nil {
		c.keep(m)
	}
	return m, err
}

// Forget drops the municipality with this ID: its next read goes to the
// database. Call it once a change to it is committed.
func (c *MunicipalityCache) Forget(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok {
		delete(c.byCode, e.m.Code)
		delete(c.byID, id)
	}
}

// lookup returns a copy of the municipality id if kept and fresh.
func (c *MunicipalityCache) lookup(id int64) (*kigen.Municipality, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok || c.now().Sub(e.at) >= c.ttl() {
		return nil, false
	}
	m := e.m
	return &m, true
}

// keep stores a copy of m, read now.
func (c *MunicipalityCache) keep(m *kigen.Municipality) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID, c.byCode = map[int64]cachedMunicipality{}, map[string]int64{}
	}
	if old, ok := c.byID[m.ID]; ok && old.m.Code != m.Code {
		delete(c.byCode, old.m.Code)
	}
	c.byID[m.ID] = cachedMunicipality{m: *m, at: c.now()}
	c.byCode[m.Code] = m.ID
}
