package serve

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/molt-sh/molt/fleet"
)

// gatedLoad is a fleet source that holds every read until release, counting reads.
type gatedLoad struct {
	reads   atomic.Int32
	started chan struct{}
	release chan struct{}
}

func newGatedLoad() *gatedLoad {
	return &gatedLoad{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (g *gatedLoad) load(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
	g.reads.Add(1)
	g.started <- struct{}{}
	progress(1, 2)
	select {
	case <-g.release:
		return []fleet.Server{{ID: 1, Name: "web-1"}}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestSessionsShareOneFleetRead(t *testing.T) {
	g := newGatedLoad()
	l := newSharedLoader(g.load)
	read := l.read
	var wg sync.WaitGroup
	var progressed atomic.Int32
	results := make([][]fleet.Server, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			results[i], err = read(context.Background(), func(int, int) { progressed.Add(1) })
			if err != nil {
				t.Error(err)
			}
		}()
	}
	<-g.started
	waitUntil(t, "the sessions to join the read", func() bool { return l.waiting() == 3 })
	close(g.release)
	wg.Wait()
	if n := g.reads.Load(); n != 1 {
		t.Fatalf("three sessions reading at once made %d reads, want 1", n)
	}
	for i, r := range results {
		if len(r) != 1 || r[0].Name != "web-1" {
			t.Fatalf("session %d read %+v", i, r)
		}
	}
	if _, err := read(context.Background(), nil); err != nil || g.reads.Load() != 2 {
		t.Fatalf("a read after the shared one ended: %v, %d reads; want a fresh read", err, g.reads.Load())
	}
}

func TestALeavingSessionDoesNotCancelTheSharedRead(t *testing.T) {
	g := newGatedLoad()
	l := newSharedLoader(g.load)
	read := l.read
	leaving, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := read(leaving, nil)
		left <- err
	}()
	<-g.started
	stayed := make(chan error, 1)
	go func() {
		servers, err := read(context.Background(), nil)
		if err == nil && len(servers) != 1 {
			err = errors.New("no servers")
		}
		stayed <- err
	}()
	waitUntil(t, "the second session to join", func() bool { return l.waiting() == 2 })
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("the leaving session got %v, want its cancellation", err)
	}
	close(g.release)
	if err := <-stayed; err != nil {
		t.Fatalf("the session that stayed: %v", err)
	}
}
