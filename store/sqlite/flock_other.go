//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package sqlite

import (
	"errors"
	"os"
)

// flockSupported says whether tryFlock works here: not on this system
// (Store.Handover says so).
const flockSupported = false

func tryFlock(*os.File, bool) (bool, error) { return false, errors.New("no file locks") }

func unflock(*os.File) error { return nil }
