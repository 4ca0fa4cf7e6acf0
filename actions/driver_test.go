package actions

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// atCheckpoint runs e in the background until it waits at its first checkpoint, and
// returns what Run returns once it ends.
func atCheckpoint(t *testing.T, e *Executor) <-chan error {
	t.Helper()
	reached := make(chan struct{})
	ch, leave := e.Subscribe()
	t.Cleanup(leave)
	go func() {
		for ev := range ch {
			if _, ok := ev.(CheckpointReached); ok {
				close(reached)
				leave()
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- run(t, e) }()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("the run ended before its checkpoint: %v", err)
	}
	return done
}

// canaryPlan is a web rollout of nyc3 with a canary: it stops at a checkpoint.
func canaryPlan(t *testing.T, env *dosimtest.Env) Plan {
	st := sturdyStrategy(env, 3)
	st.Canary = 1
	return plan(t, env.Client, "web-1.6.0", st, "role:web", "env:prod")
}

func mutations(env *dosimtest.Env) int {
	st := env.Sim.Stats()
	return st.ByMethod["POST"] + st.ByMethod["DELETE"] + st.ByMethod["PUT"]
}

// While a run drives a rollout, a second resume or rollback of its journal on the same
// machine is refused at once, naming the driver, and changes nothing (case 1 of issue 11:
// two `molt resume` at once both drove the journal).
func TestSecondDriverOnTheSameMachineIsRefused(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	e := start(t, env, canaryPlan(t, env), testOptions(t))
	done := atCheckpoint(t, e)
	before := mutations(env)
	for name, open := range map[string]func() (*Executor, error){
		"resume":   func() (*Executor, error) { return Resume(env.Client, e.JournalPath(), testOptions(t)) },
		"rollback": func() (*Executor, error) { return Rollback(env.Client, e.JournalPath(), testOptions(t)) },
	} {
		_, err := open()
		var de *DrivenError
		if !errors.As(err, &de) || de.Driver.PID != os.Getpid() || de.Rollout != e.ID() {
			t.Fatalf("%s while another run drives the rollout: %v, want it refused naming pid %d", name, err, os.Getpid())
		}
	}
	if n := mutations(env) - before; n != 0 {
		t.Errorf("the refused runs made %d changes", n)
	}
	if err := e.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJournal(e.JournalPath()); err != nil {
		t.Fatal(err)
	}
}

func onMachine(t *testing.T, host string, ttl time.Duration) Options {
	opt := testOptions(t)
	opt.driver = &Driver{Host: host, PID: 4242}
	opt.Timing.Lease = ttl
	return opt
}

// A second machine cannot drive a rollout that a live driver holds the lease of: its run
// reads the lease before changing anything and ends, naming the driver. The lease is
// renewed in the background while the driver waits at a checkpoint for longer than it
// runs.
func TestSecondMachineIsRefusedByTheLease(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	ttl := 3 * time.Second // renewed at half: well before it runs out, even on a loaded machine
	e := start(t, env, canaryPlan(t, env), onMachine(t, "machine-a", ttl))
	done := atCheckpoint(t, e)
	first := e.lease.current()
	waitFor(t, 10*time.Second, func() bool { return e.lease.current() != first }) // renewed
	copied := copyJournal(t, e.JournalPath(), t.TempDir())
	before := records(t, copied)
	for _, open := range []func(string, Options) (*Executor, error){
		func(p string, o Options) (*Executor, error) { return Resume(env.Client, p, o) },
		func(p string, o Options) (*Executor, error) { return Rollback(env.Client, p, o) },
	} {
		x, err := open(copied, onMachine(t, "machine-b", ttl))
		if err != nil {
			t.Fatal(err)
		}
		err = run(t, x)
		var de *DrivenError
		if !errors.As(err, &de) || de.Driver.Host != "machine-a" || de.Until.IsZero() {
			t.Fatalf("a second machine's run: %v, want it refused naming machine-a and its lease", err)
		}
		if !strings.Contains(err.Error(), "driven by machine-a") {
			t.Errorf("the refusal reads %q", err)
		}
	}
	if n := intents(t, copied) - intents(t, e.JournalPath()); n > 0 {
		t.Errorf("the refused runs journaled %d changes more than the driver", n)
	}
	if after := records(t, copied); after != before {
		// A refused rollback journaled "rolling_back" (and both "interrupted"): the next
		// resume on that machine would have rolled back a rollout nobody asked to.
		t.Errorf("the refused runs added %d records to their journal", after-before)
	}
	if err := e.Continue(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, d := range snapshot(t, env.Client).byID {
		for _, tag := range d.Tags {
			if strings.Contains(tag, ":lease:") {
				t.Errorf("droplet %d still carries the lease %s after the rollout", d.ID, tag)
			}
		}
	}
}

// A driver that died leaves its lease: another machine takes the rollout over once the
// lease has run out, and finishes it.
func TestDeadDriversLeaseRunsOut(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	ttl := 400 * time.Millisecond
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 3), "role:web", "env:prod")
	optA := onMachine(t, "machine-a", ttl)
	optA.crashAt = 12
	e := start(t, env, p, optA)
	if err := run(t, e); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	copied := copyJournal(t, e.JournalPath(), t.TempDir())
	var err error
	waitFor(t, 10*time.Second, func() bool {
		var x *Executor
		if x, err = Resume(env.Client, copied, onMachine(t, "machine-b", ttl)); err != nil {
			return true
		}
		err = run(t, x)
		var de *DrivenError
		return !errors.As(err, &de)
	})
	if err != nil {
		t.Fatalf("machine b's resume once the lease ran out: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("timed out waiting for a condition")
		case <-tick.C:
		}
	}
}

// records counts a journal's records.
func records(t *testing.T, path string) int {
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// intents counts the changes a journal records.
func intents(t *testing.T, path string) int {
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Kind == KindIntent {
			n++
		}
	}
	return n
}

// sturdyStrategy is testStrategy with timeouts a loaded machine (the race detector, other
// test binaries) does not run out of: these tests are about other things.
func sturdyStrategy(env *dosimtest.Env, surge int) Strategy {
	st := testStrategy(env, surge)
	st.Health.Timeout = Duration(10 * time.Second)
	st.ActiveTimeout = Duration(20 * time.Second)
	return st
}
