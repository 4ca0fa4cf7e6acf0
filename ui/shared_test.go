package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// sharedRun is a run of another session, as molt serve hands it over: a broadcaster
// that nobody drives, so its status stays running.
type sharedRun struct {
	id string
	b  *actions.Broadcaster
}

func newSharedRun(id string) *sharedRun {
	plan := actions.Plan{Selection: "web", Target: fleet.Version{Name: "web-1.6.0"}}
	return &sharedRun{id: id, b: actions.NewBroadcaster(actions.NewStatus(id, plan))}
}

func (r *sharedRun) ID() string                                { return r.id }
func (r *sharedRun) Plan() actions.Plan                        { return actions.Plan{Selection: "web"} }
func (r *sharedRun) Subscribe() (<-chan actions.Event, func()) { return r.b.Subscribe() }
func (r *sharedRun) Pause()                                    {}
func (r *sharedRun) Resume()                                   {}
func (r *sharedRun) Continue() error                           { return nil }
func (r *sharedRun) Abort(bool)                                {}

func firstLine(m Model) string { return strings.SplitN(screen(m), "\n", 2)[0] }

func TestPresenceShortensToFitTheHeader(t *testing.T) {
	servers := demoServers(t)
	m := loaded(t, servers, 120, 40)
	m = send(t, m, PresenceMsg{Users: []string{"alice", "bob", "victor (viewer)"}})
	if h := firstLine(m); !strings.Contains(h, "on: alice, bob, victor (viewer)") {
		t.Fatalf("a wide header should name everyone connected: %q", h)
	}
	m = loaded(t, servers, 80, 24)
	m = send(t, m, PresenceMsg{Users: []string{"alice", "bob", "victor (viewer)", "carol", "dave"}})
	h := firstLine(m)
	if !strings.Contains(h, "on: alice") || !strings.Contains(h, " +") {
		t.Fatalf("a narrow header should name the first people and count the rest: %q", h)
	}
	if m = send(t, m, PresenceMsg{}); strings.Contains(firstLine(m), "on:") {
		t.Fatalf("without a shared cockpit the header names nobody: %q", firstLine(m))
	}
}

func TestWatchFollowsARunStartedElsewhere(t *testing.T) {
	servers := demoServers(t)
	m := loaded(t, servers, 120, 40)
	run := newSharedRun("20260314-092653-ab12")
	m = send(t, m, PresenceMsg{Users: []string{"alice", "bob"}, StartedBy: map[string]string{run.id: "alice"}})
	m = send(t, m, WatchMsg{Run: run, Kind: "rollout"})
	if m.Screen() != ScreenLive {
		t.Fatalf("on the fleet list a run started elsewhere shows live, screen is %v", m.Screen())
	}
	if s := screen(m); !strings.Contains(s, run.id) || !strings.Contains(s, "by alice") {
		t.Fatalf("the live view should name the rollout and who started it:\n%s", s)
	}
	other := newSharedRun("20260314-092700-cd34")
	m = send(t, m, WatchMsg{Run: other, Kind: "rollout"})
	if m.live.run.ID() != run.id {
		t.Fatalf("a UI following a running rollout switched to %s", m.live.run.ID())
	}
}

func TestWatchLeavesTheMatrixWhereItIs(t *testing.T) {
	m := loaded(t, demoServers(t), 120, 40)
	m = press(t, m, "m")
	m = send(t, m, WatchMsg{Run: newSharedRun("20260314-092653-ab12"), Kind: "rollout"})
	if m.Screen() != ScreenMatrix || !m.live.running() {
		t.Fatalf("screen %v, following %v; want the matrix kept and the run followed", m.Screen(), m.live.running())
	}
}

func TestSharedSessionQuitsWithoutAsking(t *testing.T) {
	m := loaded(t, demoServers(t), 120, 40, func(d *Deps) { d.Shared = true })
	m = send(t, m, WatchMsg{Run: newSharedRun("20260314-092653-ab12"), Kind: "rollout"})
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q in a shared session should quit at once: the rollout runs in the server")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q in a shared session should quit at once: the rollout runs in the server")
	}
}
