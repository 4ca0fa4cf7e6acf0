//go:build unix

package dosim

import "syscall"

// openFileLimit reads the process's open-file limit. Go's runtime has already lifted
// the soft limit to (one below) the hard limit at start on Unix, so the soft limit is
// what there is.
func openFileLimit() (soft, hard uint64, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, false
	}
	return uint64(lim.Cur), uint64(lim.Max), true
}
