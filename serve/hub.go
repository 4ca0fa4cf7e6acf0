package serve

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// hub is the set of sessions: it tells each one who is connected and hands it the
// rollouts that run in the server.
type hub struct {
	engine *engine.Engine

	mu    sync.Mutex
	conns []*conn
}

// conn is one SSH session's TUI.
type conn struct {
	id  Identity
	p   *tea.Program
	eng sessionEngine
	ctx context.Context
	end context.CancelFunc
	// wake asks the session's pump to send the newest presence and runs.
	wake chan struct{}
	// lastInput is when the person last typed or resized (UnixNano), for the idle timeout.
	lastInput atomic.Int64
	// idled is set when the idle timeout ended the session.
	idled atomic.Bool
	// pumped is closed when the pump has stopped sending to the program.
	pumped chan struct{}
}

func newHub(e *engine.Engine) *hub {
	h := &hub{engine: e}
	e.OnChange(h.broadcast)
	return h
}

// join adds c and starts feeding it.
func (h *hub) join(c *conn) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	go c.pump(h)
	h.broadcast()
}

// leave removes c and stops feeding it.
func (h *hub) leave(c *conn) {
	h.mu.Lock()
	for i, o := range h.conns {
		if o == c {
			h.conns = append(h.conns[:i], h.conns[i+1:]...)
			break
		}
	}
	h.mu.Unlock()
	c.end()
	<-c.pumped
	h.broadcast()
}

// all is the sessions, in the order they joined.
func (h *hub) all() []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*conn(nil), h.conns...)
}

// broadcast wakes every session's pump; it never blocks.
func (h *hub) broadcast() {
	for _, c := range h.all() {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// presence is who is connected and who started each running rollout.
func (h *hub) presence() ui.PresenceMsg {
	msg := ui.PresenceMsg{StartedBy: map[string]string{}}
	for _, c := range h.all() {
		name := c.id.User
		if c.id.Role == RoleViewer {
			name += " (viewer)"
		}
		msg.Users = append(msg.Users, name)
	}
	for _, r := range h.engine.Running() {
		msg.StartedBy[r.ID()] = r.By
	}
	return msg
}

// quitAll asks every session's TUI to quit.
func (h *hub) quitAll() {
	for _, c := range h.all() {
		c.p.Quit()
	}
}

// pump sends the session the newest presence, and each running rollout once, until the
// session ends. Sending blocks while the program is busy, so each session has its own
// pump: a slow session never holds the others up.
func (c *conn) pump(h *hub) {
	defer close(c.pumped)
	told := map[*engine.Run]bool{}
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		}
		c.p.Send(h.presence())
		running := map[*engine.Run]bool{}
		for _, r := range h.engine.Running() {
			running[r] = true
			if !told[r] {
				c.p.Send(ui.WatchMsg{Run: c.eng.steer(r), Kind: r.Kind})
			}
		}
		told = running
	}
}

// touch records input from the person.
func (c *conn) touch() { c.lastInput.Store(time.Now().UnixNano()) }

// idleFor is how long the person has not typed.
func (c *conn) idleFor() time.Duration {
	return time.Since(time.Unix(0, c.lastInput.Load()))
}

// watchIdle ends the session after timeout without input.
func (c *conn) watchIdle(timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		idle := c.idleFor()
		if idle >= timeout {
			c.idled.Store(true)
			c.p.Quit()
			return
		}
		t.Reset(timeout - idle)
	}
}
