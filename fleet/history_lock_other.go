//go:build !unix

package fleet

// locked runs fn. Without flock, molt processes of one account sharing a history can
// lose a sample to each other's rewrite; molt is built for linux and darwin.
func (h *History) locked(fn func() error) error { return fn() }
