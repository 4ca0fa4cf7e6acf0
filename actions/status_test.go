package actions

import (
	"context"
	"sync"
	"testing"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// firstSnapshot subscribes to e and returns the snapshot it starts with.
func firstSnapshot(t *testing.T, e *Executor) Status {
	t.Helper()
	ch, leave := e.Subscribe()
	defer leave()
	snap, ok := (<-ch).(Snapshot)
	if !ok {
		t.Fatal("a subscription does not start with a snapshot")
	}
	return snap.Status
}

// TestLateSubscriberSeesWhenTheRunStarted: a subscriber that joins after RolloutStarted
// still learns from its snapshot when the run started, and the rest RolloutStarted said.
func TestLateSubscriberSeesWhenTheRunStarted(t *testing.T) {
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
	e := start(t, env, p, testOptions(t))
	if st := firstSnapshot(t, e); st.Started.IsZero() || st.Journal != e.JournalPath() {
		t.Errorf("before Run the snapshot says started %v, journal %q", st.Started, st.Journal)
	}
	var started RolloutStarted
	late := make(chan Status, 1)
	var once sync.Once
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case RolloutStarted:
			started = ev
		case PhaseChanged:
			if ev.Phase == PhaseDone {
				once.Do(func() { late <- firstSnapshot(t, e) })
			}
		}
	})
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	wait()
	st := <-late
	if !st.Started.Equal(started.At) || st.Journal != started.Journal || st.Selection != started.Selection ||
		st.Target != started.Target || st.Resumed {
		t.Errorf("a late snapshot has started %v, journal %q, %s -> %s, resumed %v; RolloutStarted had %+v",
			st.Started, st.Journal, st.Selection, st.Target, st.Resumed, started)
	}
}

// TestResumedSnapshotsStartFromTheJournal: the first snapshot of a resume or a rollback
// shows the replacements as the journal left them, not the bare plan.
func TestResumedSnapshotsStartFromTheJournal(t *testing.T) {
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
	opt := testOptions(t)
	first := start(t, env, p, opt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := watch(first, func(ev Event) {
		if pc, ok := ev.(PhaseChanged); ok && pc.Phase == PhaseDone && pc.Slot == p.Waves[0].Replacements[0].Slot {
			cancel()
		}
	})
	mustErr(t, first.Run(ctx), ErrInterrupted)
	wait()
	was := first.Status()
	for _, name := range []string{"rollback", "resume"} {
		reopen := map[string]func(*godo.Client, string, Options) (*Executor, error){"rollback": Rollback, "resume": Resume}[name]
		e, err := reopen(env.Client, first.JournalPath(), opt)
		if err != nil {
			t.Fatal(err)
		}
		st := firstSnapshot(t, e)
		if st.State != StateInterrupted || st.Count(PhaseDone) != was.Count(PhaseDone) || st.Count(PhaseDone) == 0 {
			t.Errorf("%s: the first snapshot is %s with %d done; the journal has interrupted with %d done",
				name, st.State, st.Count(PhaseDone), was.Count(PhaseDone))
		}
		for i, sl := range st.Slots {
			if sl.Phase == PhaseDone && sl.NewID != was.Slots[i].NewID {
				t.Errorf("%s: slot %d done on droplet %d, the journal says %d", name, sl.Slot, sl.NewID, was.Slots[i].NewID)
			}
		}
		if name == "resume" {
			if err := run(t, e); err != nil {
				t.Fatal(err)
			}
			if st := e.Status(); !st.Resumed || st.Started.Before(was.Started) || st.Count(PhaseDone) != 19 {
				t.Errorf("after the resumed run: resumed %v, started %v, %d done", st.Resumed, st.Started, st.Count(PhaseDone))
			}
			continue
		}
		e.j.Close() // looked at, not run
	}
}
