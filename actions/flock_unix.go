//go:build unix

package actions

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f, without waiting: errLockHeld when another open
// file (this process's or another's) holds it. The kernel lifts it when f is closed or
// the process dies, however it dies.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLockHeld
		}
		return err
	}
}

// processAlive reports whether a process with this ID runs on this machine.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
