// Package testparallel lets a package whose tests mostly wait — on timers,
// rate limits, the database — run more of them at once than go test's
// default of one a core. It is for tests only.
package testparallel

import (
	"flag"
	"runtime"
	"strconv"
)

// AtLeast makes the test binary run up to n parallel tests at once (its
// -test.parallel) when that is more than the default, GOMAXPROCS, unless
// the command line gave -parallel. Call it from TestMain, before m.Run.
func AtLeast(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && n > runtime.GOMAXPROCS(0) {
		_ = flag.Set("test.parallel", strconv.Itoa(n)) // registered by testing before TestMain
	}
}
