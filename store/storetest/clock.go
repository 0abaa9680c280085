package storetest

import (
	"sync"
	"testing"
	"time"

	"kigen/store"
)

// Clock is the fake clock Run gives each case's store: every reading is
// one microsecond after the one before (as a real clock moves on between
// two writes; PostgreSQL keeps microseconds), and Advance moves it on
// further. A case that wants an update stamped clearly after the row's
// creation advances the clock instead of sleeping, so the suite neither
// waits nor depends on the machine's timer.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock whose first reading is start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's reading, then moves it on by a microsecond.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(time.Microsecond)
	return t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clockStart is the first reading of every case's clock.
var clockStart = time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)

// clockStep is how far a case advances the clock before a write whose
// UpdatedAt it expects to move.
const clockStep = 5 * time.Millisecond

// clocks holds the Clock of each store Run made, for advance.
var clocks sync.Map // store.Store → *Clock

// advance moves the clock of s on by clockStep.
func advance(t *testing.T, s store.Store) {
	t.Helper()
	c, ok := clocks.Load(s)
	if !ok {
		t.Fatalf("storetest: the store %T has no clock of the suite's (made outside Run?)", s)
	}
	c.(*Clock).Advance(clockStep)
}
