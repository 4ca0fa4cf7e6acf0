//go:build !unix

package dosim

// openFileLimit knows no open-file limit outside Unix.
func openFileLimit() (soft, hard uint64, ok bool) { return 0, 0, false }
