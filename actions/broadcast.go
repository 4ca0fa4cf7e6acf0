package actions

import (
	"context"
	"sync"
)

// maxQueue is how far a subscriber may fall behind before its backlog is replaced by a
// snapshot: a slow SSH session must never hold the executor up.
const maxQueue = 4096

// Broadcaster fans events out to any number of subscribers, who may join at any time.
// It keeps the current Status, so that a subscriber joining late starts from a Snapshot.
// Publishing never blocks.
type Broadcaster struct {
	mu     sync.Mutex
	status Status
	subs   map[*subscriber]struct{}
	closed bool
}

// NewBroadcaster starts from a status (usually NewStatus of the plan).
func NewBroadcaster(initial Status) *Broadcaster {
	return &Broadcaster{status: initial, subs: map[*subscriber]struct{}{}}
}

type subscriber struct {
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	out    chan Event
	done   chan struct{}
	closed bool // no more events will be queued
}

// Publish folds e into the status and queues it for every subscriber.
func (b *Broadcaster) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.status.Apply(e)
	for s := range b.subs {
		s.push(e, b.status)
	}
}

// Status returns a copy of the current status.
func (b *Broadcaster) Status() Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status.Clone()
}

// Subscribe returns a channel of events, starting with a Snapshot of the current status,
// and a function to leave. The channel is closed after the last event once the
// broadcaster is closed, or when the subscriber leaves. A subscriber that may stop
// reading before the broadcaster closes must leave: SubscribeContext does it when its
// context ends.
func (b *Broadcaster) Subscribe() (<-chan Event, func()) {
	s := &subscriber{wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	b.mu.Lock()
	s.queue = []Event{Snapshot{Status: b.status.Clone()}}
	if b.closed {
		s.closed = true
	} else {
		b.subs[s] = struct{}{}
	}
	b.mu.Unlock()
	go s.deliver()
	s.signal()
	var once sync.Once
	leave := func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.done)
		})
	}
	return s.out, leave
}

// SubscribeContext is Subscribe that also leaves when ctx ends (a session that drops, a
// program that quits), so that no subscriber outlives whoever reads it.
func (b *Broadcaster) SubscribeContext(ctx context.Context) (<-chan Event, func()) {
	ch, leave := b.Subscribe()
	stop := context.AfterFunc(ctx, leave)
	return ch, func() {
		stop()
		leave()
	}
}

// Close delivers what is queued and then closes every subscriber's channel.
func (b *Broadcaster) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		s.close()
	}
	b.subs = map[*subscriber]struct{}{}
}

func (s *subscriber) push(e Event, now Status) {
	s.mu.Lock()
	if len(s.queue) >= maxQueue {
		s.queue = []Event{Snapshot{Status: now.Clone()}}
	} else {
		s.queue = append(s.queue, e)
	}
	s.mu.Unlock()
	s.signal()
}

// close marks that no more events will be queued: deliver closes the channel once the
// queue is empty.
func (s *subscriber) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliver hands queued events to the channel in order until the end.
func (s *subscriber) deliver() {
	defer close(s.out)
	for {
		s.mu.Lock()
		batch, closed := s.queue, s.closed
		s.queue = nil
		s.mu.Unlock()
		for _, e := range batch {
			select {
			case s.out <- e:
			case <-s.done:
				return
			}
		}
		if closed && len(batch) == 0 {
			return
		}
		if len(batch) == 0 {
			select {
			case <-s.wake:
			case <-s.done:
				return
			}
		}
	}
}

// subscribers counts the subscribers (tests).
func (b *Broadcaster) subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
