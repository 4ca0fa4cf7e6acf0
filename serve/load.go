package serve

import (
	"context"
	"slices"
	"sync"

	"github.com/molt-sh/molt/fleet"
)

// loadFunc reads the fleet, reporting pages read of pages in all.
type loadFunc = func(ctx context.Context, progress func(done, total int)) ([]fleet.Server, error)

// sharedLoader makes one fleet view for every session: reads asked for while one is
// under way join it instead of starting another, so that many sessions refreshing at
// once cost the account's rate budget one read.
type sharedLoader struct {
	load loadFunc

	mu  sync.Mutex
	cur *flight
}

func newSharedLoader(load loadFunc) *sharedLoader { return &sharedLoader{load: load} }

// waiting is how many sessions wait for the read under way.
func (l *sharedLoader) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return 0
	}
	return l.cur.waiters
}

// flight is one read of the fleet and the sessions waiting for it; waiters and
// progress are guarded by the loader's mutex.
type flight struct {
	done    chan struct{}
	servers []fleet.Server
	err     error
	cancel  context.CancelFunc

	waiters  int
	progress []func(done, total int)
}

// read joins the read under way, or starts one, and waits for it or for ctx.
func (l *sharedLoader) read(ctx context.Context, progress func(done, total int)) ([]fleet.Server, error) {
	f := l.join(progress)
	defer l.leave(f)
	select {
	case <-f.done:
		return slices.Clone(f.servers), f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *sharedLoader) join(progress func(done, total int)) *flight {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.cur
	if f == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f = &flight{done: make(chan struct{}), cancel: cancel}
		l.cur = f
		go l.fly(ctx, f)
	}
	f.waiters++
	if progress != nil {
		f.progress = append(f.progress, progress)
	}
	return f
}

// leave stops waiting for f; when nobody waits any more an unfinished read is
// cancelled, and the next read starts afresh.
func (l *sharedLoader) leave(f *flight) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f.waiters--
	if f.waiters > 0 {
		return
	}
	if l.cur == f {
		l.cur = nil
	}
	f.cancel()
}

// fly reads the fleet and publishes the result to its waiters.
func (l *sharedLoader) fly(ctx context.Context, f *flight) {
	f.servers, f.err = l.load(ctx, l.reporter(f))
	l.mu.Lock()
	if l.cur == f {
		l.cur = nil
	}
	l.mu.Unlock()
	f.cancel()
	close(f.done)
}

// reporter passes a read's progress on to everyone waiting for it.
func (l *sharedLoader) reporter(f *flight) func(done, total int) {
	return func(done, total int) {
		l.mu.Lock()
		fns := slices.Clone(f.progress)
		l.mu.Unlock()
		for _, fn := range fns {
			fn(done, total)
		}
	}
}
