package testparallel

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

var atStart string // -test.parallel as TestMain found it

func TestMain(m *testing.M) {
	flag.Parse()
	atStart = flag.Lookup("test.parallel").Value.String()
	os.Exit(m.Run())
}

// TestAtLeast: raised unless given on the command line, never lowered.
// (It changes the flag: not parallel.)
func TestAtLeast(t *testing.T) {
	f := flag.Lookup("test.parallel")
	t.Cleanup(func() { f.Value.Set(atStart) })
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })

	AtLeast(runtime.GOMAXPROCS(0) + 3)
	want := strconv.Itoa(runtime.GOMAXPROCS(0) + 3)
	if given {
		want = atStart
	}
	if got := f.Value.String(); got != want {
		t.Errorf("after AtLeast(GOMAXPROCS+3): -test.parallel=%s, want %s (given on the command line: %t)", got, want, given)
	}
	f.Value.Set(atStart)
	AtLeast(1)
	if got := f.Value.String(); got != atStart {
		t.Errorf("after AtLeast(1): -test.parallel=%s, want %s", got, atStart)
	}
}
