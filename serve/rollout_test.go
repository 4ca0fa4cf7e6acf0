package serve

import (
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/molt-sh/molt/actions"
)

// stageWeb filters the fleet to the web role, selects it, stages it onto web-1.6.0
// with a surge of 10 (19 servers, two waves), and starts it.
func stageWeb(tm *terminal) {
	tm.t.Helper()
	tm.waitFor(0, "newest 1.2.0")
	m := tm.mark()
	tm.send("/", "role:web", "\r")
	tm.waitFor(m, "filter: role:web")
	m = tm.mark()
	tm.send("g", " ", "s")
	// The picker's header shows before the images arrive, and Enter on the empty list
	// does nothing: wait for a row ("none of them on it", "2 of 19 already on it").
	tm.waitFor(m, "Pick the image", "on it")
	tm.send("\r", strings.Repeat("+", 9))
	// Enter opens the confirmation once the last plan is in; until then it does nothing.
	tm.until("\r", "to start", "2 waves ·")
	tm.send("web", "\r")
}

// onlyRun waits for the engine to run exactly one rollout and returns its ID.
func (ts *testServer) onlyRun(t *testing.T) string {
	t.Helper()
	var ids []string
	waitUntil(t, "a rollout to run", func() bool {
		ids = ts.rollouts(t)
		return len(ids) > 0
	})
	if len(ids) != 1 {
		t.Fatalf("%d rollouts started, want 1: %v", len(ids), ids)
	}
	return ids[0]
}

// settled waits until nothing runs in the engine.
func (ts *testServer) settled(t *testing.T) {
	t.Helper()
	waitUntil(t, "the rollouts to end", func() bool { return len(ts.engine.Running()) == 0 })
}

func lastState(recs []actions.Record) actions.State {
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Kind == "end" || recs[i].Kind == "state" {
			return recs[i].State
		}
	}
	return ""
}

func controls(recs []actions.Record) []actions.Record {
	var out []actions.Record
	for _, r := range recs {
		if r.Kind == "control" {
			out = append(out, r)
		}
	}
	return out
}

func TestRolloutOutlivesTheSessionThatStartedIt(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	watcher := ts.open(t, "victor", ts.victor, 120, 40)
	watcher.waitFor(0, "newest 1.2.0")
	starter := ts.open(t, "alice", ts.alice, 80, 24)
	stageWeb(starter)
	id := ts.onlyRun(t)
	starter.waitFor(0, id, "checkpoint after wave 1")
	watcher.waitFor(0, id)
	watcher.repaintUntil(120, 40, "by alice", "on: victor (viewer), alice")
	starter.close()
	waitUntil(t, "alice's session to end", func() bool { return ts.srv.Sessions() == 1 })
	if n := len(ts.engine.Running()); n != 1 {
		t.Fatalf("%d rollouts run after the session that started it dropped, want 1", n)
	}

	again := ts.open(t, "alice", ts.alice, 80, 24)
	again.waitFor(0, id, "checkpoint after wave 1")
	m := watcher.mark()
	again.send("c")
	watcher.waitFor(m, "finished: done · 19 replaced")
	ts.settled(t)
	recs := ts.journal(t, id)
	if st := lastState(recs); st != actions.StateDone {
		t.Fatalf("the rollout ended %q, want done", st)
	}
	op := recs[0].Header.Operator
	if op.User != "alice" || op.Key != gossh.FingerprintSHA256(ts.alice.PublicKey()) || op.KeyComment != "alice@laptop" {
		t.Fatalf("the journal names %+v as the operator, want alice and her key", op)
	}
}

func withCheckpoint(o *options) { o.checkpoint = true }

func TestOperatorsSteerASharedRolloutAndAreJournaled(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	second := ts.open(t, "bob", ts.alice, 80, 24)
	second.waitFor(0, "newest 1.2.0")
	starter := ts.open(t, "alice", ts.alice, 80, 24)
	stageWeb(starter)
	id := ts.onlyRun(t)
	second.waitFor(0, "checkpoint after wave 1")
	m := starter.mark()
	second.send("p")
	starter.waitFor(m, "rollout paused")
	m = starter.mark()
	second.send("p")
	starter.waitFor(m, "rollout at a checkpoint: resumed") // resumed, it still waits there
	starter.send("c")
	second.waitFor(0, "finished: done · 19 replaced")
	ts.settled(t)

	got := controls(ts.journal(t, id))
	want := []struct{ op, user string }{{"pause", "bob"}, {"resume", "bob"}, {"continue", "alice"}}
	if len(got) != len(want) {
		t.Fatalf("journaled controls %+v, want %v", got, want)
	}
	for i, r := range got {
		if string(r.Op) != want[i].op || r.Operator == nil || r.Operator.User != want[i].user ||
			r.Operator.Key != gossh.FingerprintSHA256(ts.alice.PublicKey()) || r.Operator.SSHConnection == "" {
			t.Fatalf("control %d journaled as %q by %+v, want %q by %s with alice's key and the connection",
				i, r.Op, r.Operator, want[i].op, want[i].user)
		}
	}
}

func TestViewerCannotReachAnyMutatingKey(t *testing.T) {
	ts := startServer(t, withCheckpoint)
	viewer := ts.open(t, "victor", ts.victor, 80, 24)
	viewer.waitFor(0, "READ-ONLY", "newest 1.2.0")
	m := viewer.mark()
	viewer.send("g", " ", "s", "R", "?")
	viewer.waitFor(m, "Rollouts")
	if s := viewer.since(m); strings.Contains(s, "Pick the image") {
		t.Fatalf("a viewer reached staging:\n%s", tail(s, 2000))
	}
	viewer.send("?")

	operator := ts.open(t, "alice", ts.alice, 80, 24)
	stageWeb(operator)
	id := ts.onlyRun(t)
	viewer.waitFor(0, "checkpoint after wave 1")
	m = viewer.mark()
	viewer.send("p", "c", "A", "r", "k", "b", "R", "?")
	viewer.waitFor(m, "Rollout")
	operator.send("c")
	viewer.waitFor(0, "finished: done · 19 replaced")
	ts.settled(t)

	recs := ts.journal(t, id)
	for _, r := range controls(recs) {
		if r.Operator == nil || r.Operator.User != "alice" || r.Op != "continue" {
			t.Fatalf("a viewer's key reached the engine: %q by %+v", r.Op, r.Operator)
		}
	}
	for _, r := range recs {
		if r.Kind == "state" && r.State == actions.StatePaused {
			t.Fatalf("a viewer paused the rollout: %+v", r)
		}
	}
	if ids := ts.rollouts(t); !slices.Equal(ids, []string{id}) {
		t.Fatalf("rollouts %v, want only the operator's %s", ids, id)
	}
}
