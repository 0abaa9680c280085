package testseed

import (
	"sync"
	"testing"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v       string
		want    uint64
		set, ok bool
	}{
		{v: "12345", want: 12345, set: true, ok: true},
		{v: "18446744073709551615", want: 1<<64 - 1, set: true, ok: true},
		{v: "-1", set: true},
		{v: "abc", set: true},
	} {
		got, set, err := fromEnv(tc.v)
		if (err == nil) != tc.ok || set != tc.set || (tc.ok && got != tc.want) {
			t.Errorf("fromEnv(%q) = %d, %t, %v; want %d, %t, ok %t", tc.v, got, set, err, tc.want, tc.set, tc.ok)
		}
	}
	if _, set, err := fromEnv(""); set || err != nil {
		t.Errorf("fromEnv(\"\"): set %t, %v; want a drawn seed", set, err)
	}
}

func TestSeed_FromEnv(t *testing.T) {
	t.Setenv(Env, "42")
	if got := Seed(t); got != 42 {
		t.Errorf("Seed = %d, want 42", got)
	}
}

// TestNew: one seed and stream give the same draws; streams differ; draws
// from several goroutines at once are safe (go test -race).
func TestNew(t *testing.T) {
	t.Parallel()
	a, b, other := New(7, 1), New(7, 1), New(7, 2)
	same, differ := true, false
	for range 20 {
		x := a.Uint64()
		same = same && x == b.Uint64()
		differ = differ || x != other.Uint64()
	}
	if !same || !differ {
		t.Errorf("same seed and stream gave the same draws: %t; another stream other draws: %t", same, differ)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				a.IntN(100)
			}
		})
	}
	wg.Wait()
}
