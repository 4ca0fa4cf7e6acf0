//go:build !unix

package actions

import "os"

// lockFile is a no-op where flock does not exist: the cloud lease alone keeps a second
// driver out there.
func lockFile(f *os.File) error { return nil }

// processAlive cannot tell here: every process counts as alive, so only a lease's
// expiry frees it.
func processAlive(pid int) bool { return true }
