package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// loadRun is a fleet load running in its own goroutine: progress arrives on one
// channel (the latest count wins when the UI is slow), the result on the other.
type loadRun struct {
	gen      int
	progress chan loadProgress
	result   chan loadResult

	// mu guards last, the newest progress: the count and a wait may be told from
	// different goroutines.
	mu   sync.Mutex
	last loadProgress
}

// startLoad reads the fleet in the background and returns the Cmd that reports on it.
func startLoad(ctx context.Context, gen int, load func(context.Context, func(int, int)) ([]fleet.Server, error)) tea.Cmd {
	run := &loadRun{gen: gen, progress: make(chan loadProgress, 1), result: make(chan loadResult, 1)}
	return func() tea.Msg {
		go func() {
			servers, err := load(withWaitNotice(ctx, run.waiting), run.report)
			run.result <- loadResult{servers: servers, err: err}
		}()
		return run.next()
	}
}

// report keeps only the newest count in the channel, so the loader never blocks.
func (r *loadRun) report(done, total int) {
	r.mu.Lock()
	r.last.done, r.last.total = done, total
	r.mu.Unlock()
	r.send()
}

// waiting tells of a wait of d the loader starts now (rate limited).
func (r *loadRun) waiting(d time.Duration) {
	r.mu.Lock()
	r.last.wait = d
	r.last.waits++
	r.mu.Unlock()
	r.send()
}

// send puts the newest progress in the channel, replacing any not taken yet.
func (r *loadRun) send() {
	r.mu.Lock()
	p := r.last
	r.mu.Unlock()
	for {
		select {
		case r.progress <- p:
			return
		default:
		}
		select {
		case <-r.progress:
		default:
		}
	}
}

// next waits for the load's next report.
func (r *loadRun) next() tea.Msg {
	select {
	case res := <-r.result:
		return fleetLoadedMsg{gen: r.gen, servers: res.servers, err: res.err}
	case p := <-r.progress:
		return fleetProgressMsg{gen: r.gen, done: p.done, total: p.total, wait: p.wait, waits: p.waits, load: r}
	}
}

// wait is the Cmd that waits for the next report of a running load.
func (r *loadRun) wait() tea.Cmd { return r.next }

// refreshAfter arms the periodic refresh of generation gen.
func refreshAfter(d time.Duration, gen int) tea.Cmd {
	if d <= 0 {
		return nil
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return refreshTickMsg{gen: gen} })
}
