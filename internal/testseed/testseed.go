// Package testseed gives a test that draws at random a seed that it logs
// and that can be set, so that a failure can be replayed:
//
//	KIGEN_TEST_SEED=12345 go test -run 'TestProviderFaults' ./scheduler
//
// Without KIGEN_TEST_SEED each test draws a seed of its own. The seed is
// logged with t.Logf, so `go test` shows it for a failed test (and with
// -v). A replay makes the same draws in the same order; where goroutines
// race for them (requests arriving at a fake), which request gets which
// draw may still differ. It is for tests only.
package testseed

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
)

// Env is the variable that sets the seed.
const Env = "KIGEN_TEST_SEED"

// Seed returns the seed of t's random draws: $KIGEN_TEST_SEED if set (t
// fails if it is not an unsigned integer), else a random one. It logs the
// seed, and how to replay it.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed, set, err := fromEnv(os.Getenv(Env))
	if err != nil {
		t.Fatal(err)
	}
	if set {
		t.Logf("random seed %d (from %s)", seed, Env)
	} else {
		t.Logf("random seed %d (replay with %s=%d)", seed, Env, seed)
	}
	return seed
}

// fromEnv parses the value of Env; empty draws a seed.
func fromEnv(v string) (seed uint64, set bool, err error) {
	if v == "" {
		return rand.Uint64(), false, nil
	}
	seed, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s=%q: want an unsigned integer", Env, v)
	}
	return seed, true, nil
}

// Rand returns a generator seeded with Seed(t), safe for concurrent use.
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	return New(Seed(t), 0)
}

// New returns a generator for stream of seed (several independent
// generators from one seed), safe for concurrent use.
func New(seed, stream uint64) *rand.Rand {
	return rand.New(&lockedSource{src: rand.NewPCG(seed, stream)})
}

// lockedSource makes a rand.Source safe for concurrent use: a rand.Rand
// keeps no state but its source.
type lockedSource struct {
	mu  sync.Mutex
	src rand.Source
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.Uint64()
}
