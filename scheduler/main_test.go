package scheduler_test

import (
	"os"
	"testing"

	"kigen/internal/testparallel"
)

// TestMain runs four parallel tests at once, not one a core, unless
// -parallel says otherwise: most tests here wait rather than compute —
// River records a finished job within 250 ms, makes a rescued one
// available within 5 s, elects a leader; the rate limiters pace sends —
// and the package takes about 5 s of CPU in 40 s. Measured with -short:
// 41–48 s with 2 at once, 23 s with 4, 21–23 s with 8, with at most 24
// connections to PostgreSQL at 4.
func TestMain(m *testing.M) {
	testparallel.AtLeast(4)
	os.Exit(m.Run())
}
