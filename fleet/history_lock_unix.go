//go:build unix

package fleet

import (
	"os"
	"syscall"
)

// locked runs fn holding an exclusive lock on the history's lock file, so that appends
// and rewrites by several molt processes of one account take turns.
func (h *History) locked(fn func() error) error {
	f, err := os.OpenFile(h.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
