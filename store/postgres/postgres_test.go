package postgres_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"kigen/store"
	"kigen/store/postgres"
	"kigen/store/postgres/postgrestest"
	"kigen/store/storetest"
)

// TestStore runs the conformance suite, each case on a database of its own (postgrestest.NewStore).
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s := postgrestest.NewStore(t)
		s.Now = now
		return s
	})
}

// TestOpen_PoolSize: Open's pool is large enough for one kigen serve
// unless the URL sizes it.
func TestOpen_PoolSize(t *testing.T) {
	t.Parallel()
	url := postgrestest.URL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		url  string
		want int32
	}{
		{url, max(postgres.DefaultMaxConns, int32(runtime.NumCPU()))},
		{url + sep + "pool_max_conns=3", 3},
	} {
		s, err := postgres.Open(t.Context(), tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Pool().Config().MaxConns; got != tc.want {
			t.Errorf("MaxConns = %d, want %d", got, tc.want)
		}
		s.Close()
	}
}
