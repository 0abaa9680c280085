//go:build unix

package outbox

import (
	"os"
	"syscall"
)

// lock takes an exclusive advisory lock of f, held by this open file
// description, and returns its release. Every Sender on the file, in this
// process or another, takes it around an append.
func lock(f *os.File) (unlock func(), err error) {
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }, nil
}
