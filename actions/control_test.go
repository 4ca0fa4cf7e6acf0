package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// runAsync runs e in the background; the channel gets Run's error.
func runAsync(ctx context.Context, e *Executor) <-chan error {
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return done
}

// within waits for ch to close or deliver, failing the test after d.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s after %s", what, d)
	}
	var zero T
	return zero
}

// untracked lists the droplets that are new since before and that the journal at
// path does not know.
func untracked(t *testing.T, env *dosimtest.Env, before world, path string) []int {
	t.Helper()
	tracked, _ := journaled(t, path)
	var out []int
	for id := range snapshot(t, env.Client).byID {
		if _, old := before.byID[id]; !old && !tracked[id] {
			out = append(out, id)
		}
	}
	return out
}

// TestAbortDuringALongHealthWaitIsPrompt stops a rollout whose new droplets will never
// pass their health check, with a timeout of a minute: an abort or an interruption
// must end the wait at once, judge nobody, and leave the fleet as it was.
func TestAbortDuringALongHealthWaitIsPrompt(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(e *Executor, cancel context.CancelFunc)
		want error
	}{
		{"abort and roll back", func(e *Executor, _ context.CancelFunc) { e.Abort(true) }, ErrRolledBack},
		{"abort and keep", func(e *Executor, _ context.CancelFunc) { e.Abort(false) }, ErrAborted},
		{"interrupt", func(_ *Executor, cancel context.CancelFunc) { cancel() }, ErrInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			before := snapshot(t, env.Client)
			st := testStrategy(env, 3)
			st.Health.Timeout = Duration(time.Minute)
			st.AllowDowngrade = true // web-1.6.0-broken is a pre-release of 1.6.0, which two of them run
			p := plan(t, env.Client, "web-1.6.0-broken", st, "role:web")
			opt := testOptions(t)
			e := start(t, env, p, opt)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stoppedAt := make(chan time.Time, 1)
			var once sync.Once
			wait := watch(e, func(ev Event) {
				if pr, ok := ev.(HealthProbe); ok && !pr.OK {
					once.Do(func() {
						stoppedAt <- time.Now()
						tc.stop(e, cancel)
					})
				}
			})
			err := e.Run(ctx)
			took := time.Since(within(t, stoppedAt, time.Second, "failed probe"))
			wait()
			mustErr(t, err, tc.want)
			t.Logf("%s: Run returned %s after it", tc.name, took.Round(time.Millisecond))
			if took > 1500*time.Millisecond {
				t.Errorf("Run returned %s after the %s; want well within the minute's health timeout", took, tc.name)
			}
			if n := e.Status().Failures; n != 0 {
				t.Errorf("%d failures counted: a health check cut short judges nobody", n)
			}
			if ids := untracked(t, env, before, e.JournalPath()); len(ids) > 0 {
				t.Errorf("droplets %v exist and the journal does not know them", ids)
			}
			if tc.want == ErrInterrupted {
				rollback(t, env.Client, e.JournalPath(), opt)
			}
			sameFleet(t, env.Client, before, p)
		})
	}
}

// TestPauseMidWaveHoldsThenResumeGoesOn pauses while the second wave's droplets are
// being made: nothing starts (not even a poll) while paused, the fleet never serves with
// fewer healthy servers than at the start, and Resume takes the rollout to its end.
func TestPauseMidWaveHoldsThenResumeGoesOn(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{RatePerMinute: 5000, Provision: 300 * time.Millisecond})
	sampler := env.NewClient(t, env.Token, false)
	initial, err := healthyInService(context.Background(), env, sampler)
	if err != nil || initial == 0 {
		t.Fatalf("capacity at the start: %d, %v", initial, err)
	}
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
	e := start(t, env, p, testOptions(t))
	paused := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var calls []time.Time
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case PhaseChanged:
			if ev.Phase == PhaseCreated && slotWave(p, ev.Slot) == 1 {
				once.Do(func() { e.Pause(); close(paused) })
			}
		case APICall:
			mu.Lock()
			calls = append(calls, ev.At)
			mu.Unlock()
		}
	})
	stop := make(chan struct{})
	lowest := sampleCapacity(t, env, initial, stop)
	done := runAsync(context.Background(), e)
	within(t, paused, 10*time.Second, "pause")
	time.Sleep(100 * time.Millisecond) // what was in flight reaches its safe point
	from, stats := time.Now(), env.Sim.Stats()
	time.Sleep(700 * time.Millisecond) // the new droplets turn active meanwhile
	to := time.Now()
	if st := e.Status(); st.State != StatePaused {
		t.Errorf("state %s while paused", st.State)
	}
	if after := env.Sim.Stats(); after.DropletsCreated != stats.DropletsCreated || after.DropletsDeleted != stats.DropletsDeleted {
		t.Errorf("droplets were created or destroyed while paused")
	}
	e.Resume()
	if err := within(t, done, 30*time.Second, "end of the run"); err != nil {
		t.Fatal(err)
	}
	wait()
	for _, at := range calls {
		if at.After(from) && at.Before(to) {
			t.Errorf("an API call started at %s, while the rollout was paused", at.Format("15:04:05.000"))
		}
	}
	if n := e.Status().Count(PhaseDone); n != 19 {
		t.Errorf("%d replaced after the resume, want 19", n)
	}
	close(stop)
	if low := <-lowest; low < initial {
		t.Errorf("capacity fell to %d healthy servers in service, from %d", low, initial)
	}
}

func slotWave(p Plan, slot int) int {
	for _, w := range p.Waves {
		for _, r := range w.Replacements {
			if r.Slot == slot {
				return w.Index
			}
		}
	}
	return -1
}

// sampleCapacity samples the healthy servers in service until stop is closed, then
// sends the lowest count seen.
func sampleCapacity(t *testing.T, env *dosimtest.Env, initial int, stop <-chan struct{}) <-chan int {
	sampler := env.NewClient(t, env.Token, false)
	lowest := make(chan int, 1)
	go func() {
		low := initial
		for {
			if n, err := healthyInService(context.Background(), env, sampler); err == nil {
				low = min(low, n)
			}
			select {
			case <-stop:
				lowest <- low
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return lowest
}

// TestTimedPauseBetweenWaves waits --pause between waves and goes on by itself.
func TestTimedPauseBetweenWaves(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 5)
	st.Pause, _ = ParsePause("200ms")
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	var mu sync.Mutex
	var cps []CheckpointReached
	started := map[int]time.Time{}
	wait := watch(e, func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case CheckpointReached:
			cps = append(cps, ev)
		case WaveStarted:
			started[ev.Wave] = ev.At
		}
	})
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	wait()
	if len(cps) != len(p.Waves)-1 {
		t.Fatalf("%d checkpoints for %d waves, want one between each two", len(cps), len(p.Waves))
	}
	for _, cp := range cps {
		if cp.Mode != PauseTimed || cp.Until.Sub(cp.At) != 200*time.Millisecond {
			t.Errorf("checkpoint %+v, want a timed one of 200ms", cp)
		}
		if next := started[cp.Next]; next.Before(cp.Until) {
			t.Errorf("wave %d started %s before its pause ended", cp.Next+1, cp.Until.Sub(next))
		}
	}
}

// TestPauseHoldsATimedCheckpoint: a pause at a timed checkpoint holds past its time;
// Resume goes on.
func TestPauseHoldsATimedCheckpoint(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 10)
	st.Pause, _ = ParsePause("50ms")
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	reached := make(chan struct{})
	var once sync.Once
	var second sync.Map
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case CheckpointReached:
			once.Do(func() { e.Pause(); close(reached) })
		case WaveStarted:
			second.Store(ev.Wave, ev.At)
		}
	})
	done := runAsync(context.Background(), e)
	within(t, reached, 10*time.Second, "checkpoint")
	time.Sleep(300 * time.Millisecond)
	if _, ok := second.Load(1); ok {
		t.Fatal("the second wave started while the rollout was paused at its checkpoint")
	}
	if st := e.Status(); st.State != StatePaused || st.Checkpoint == nil {
		t.Errorf("state %s, checkpoint %v; want paused at the checkpoint", st.State, st.Checkpoint)
	}
	e.Resume()
	if err := within(t, done, 30*time.Second, "end of the run"); err != nil {
		t.Fatal(err)
	}
	wait()
}

// TestOnFailurePauseWaitsForTheOperator: past --max-failures with --on-failure pause the
// rollout stops and waits; Continue goes on (accepting the failures), an abort with
// rollback puts the fleet back as it was.
func TestOnFailurePauseWaitsForTheOperator(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		decide func(t *testing.T, e *Executor, env *dosimtest.Env, p Plan)
		want   error
	}{
		{"continue", func(t *testing.T, e *Executor, env *dosimtest.Env, p Plan) {
			if err := env.Sim.SetImageFlags(p.Target.ImageID, false, false); err != nil {
				t.Fatal(err)
			}
			if err := e.Continue(); err != nil {
				t.Fatalf("continue at a failure pause: %v", err)
			}
		}, nil},
		{"abort and roll back", func(t *testing.T, e *Executor, _ *dosimtest.Env, _ Plan) { e.Abort(true) }, ErrRolledBack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			before := snapshot(t, env.Client)
			st := testStrategy(env, 3)
			st.OnFailure, st.MaxFailures = OnFailurePause, 0
			p := plan(t, env.Client, "web-1.6.0", st, "role:web")
			if err := env.Sim.SetImageFlags(p.Target.ImageID, true, false); err != nil {
				t.Fatal(err)
			}
			e := start(t, env, p, testOptions(t))
			paused := make(chan StateChanged, 1)
			var once sync.Once
			wait := watch(e, func(ev Event) {
				if sc, ok := ev.(StateChanged); ok && sc.State == StatePaused {
					once.Do(func() { paused <- sc })
				}
			})
			done := runAsync(context.Background(), e)
			if sc := within(t, paused, 10*time.Second, "pause"); !strings.Contains(sc.Reason, "--max-failures") {
				t.Errorf("paused because %q, want the failures named", sc.Reason)
			}
			stats := env.Sim.Stats()
			time.Sleep(300 * time.Millisecond)
			if now := env.Sim.Stats(); now.DropletsCreated != stats.DropletsCreated || e.Status().State != StatePaused {
				t.Fatalf("state %s, %d droplets created while paused; want it to wait", e.Status().State,
					now.DropletsCreated-stats.DropletsCreated)
			}
			tc.decide(t, e, env, p)
			err := within(t, done, 30*time.Second, "end of the run")
			wait()
			if tc.want == nil && err != nil {
				t.Fatal(err)
			}
			mustErr(t, err, tc.want)
			if tc.want == nil {
				if st := e.Status(); st.Count(PhaseFailed) != 3 || st.Count(PhaseDone) != 16 {
					t.Errorf("%d failed, %d replaced; want the first wave's 3 failed and the other 16 replaced",
						st.Count(PhaseFailed), st.Count(PhaseDone))
				}
				return
			}
			sameFleet(t, env.Client, before, p)
		})
	}
}

// TestContinueIsRefusedWhenNothingWaits: a continue given before the canary's checkpoint
// is refused, not kept: the checkpoint still stops the rollout.
func TestContinueIsRefusedWhenNothingWaits(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 4)
	st.Canary = 1
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	early := make(chan error, 1)
	reached := make(chan struct{})
	var first, cp sync.Once
	wait := watch(e, func(ev Event) {
		switch ev := ev.(type) {
		case PhaseChanged:
			if ev.Phase == PhaseCreated {
				first.Do(func() { early <- e.Continue() })
			}
		case CheckpointReached:
			cp.Do(func() { close(reached) })
		}
	})
	done := runAsync(context.Background(), e)
	if err := within(t, early, 10*time.Second, "early continue"); !errors.Is(err, ErrNothingToContinue) {
		t.Errorf("continue during the canary: %v, want ErrNothingToContinue", err)
	}
	within(t, reached, 10*time.Second, "checkpoint")
	time.Sleep(200 * time.Millisecond)
	if st := e.Status(); st.State != StateCheckpoint || st.Count(PhaseDone) != 1 {
		t.Fatalf("state %s with %d done: the early continue was kept", st.State, st.Count(PhaseDone))
	}
	if err := e.Continue(); err != nil {
		t.Fatalf("continue at the checkpoint: %v", err)
	}
	if err := within(t, done, 30*time.Second, "end of the run"); err != nil {
		t.Fatal(err)
	}
	wait()
	if err := e.Continue(); !errors.Is(err, ErrNothingToContinue) || !strings.Contains(err.Error(), "done") {
		t.Errorf("continue after the end: %v, want a refusal saying it is done", err)
	}
	recs, _ := ReadJournal(e.JournalPath())
	if i := slices.IndexFunc(recs, func(r Record) bool { return r.Kind == KindState && r.State == StateCheckpoint }); i < 0 {
		t.Error("the journal shows no checkpoint")
	}
}

// TestAbortAfterAnUnclearCreateLeavesNothingUntracked aborts while molt waits to adopt
// what a create answered with a 500 (but committed) made: the abort does not wait for
// the retries, and the droplets it made are adopted and destroyed, not left behind.
func TestAbortAfterAnUnclearCreateLeavesNothingUntracked(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 3), "role:web")
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, After: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	opt.Timing.AdoptDelay = 300 * time.Millisecond
	e := start(t, env, p, opt)
	abortedAt := make(chan time.Time, 1)
	var once sync.Once
	wait := watch(e, func(ev Event) {
		if c, ok := ev.(APICall); ok && c.Method == "POST" && c.Status == 500 {
			once.Do(func() { abortedAt <- time.Now(); e.Abort(true) })
		}
	})
	created := env.Sim.Stats().DropletsCreated
	err := run(t, e)
	took := time.Since(within(t, abortedAt, time.Second, "unclear create"))
	wait()
	mustErr(t, err, ErrRolledBack)
	if took > time.Second {
		t.Errorf("Run returned %s after the abort", took)
	}
	if n := env.Sim.Stats().DropletsCreated - created; n == 0 {
		t.Fatal("the create with the unclear answer made nothing: the test proves nothing")
	}
	if ids := untracked(t, env, before, e.JournalPath()); len(ids) > 0 {
		t.Errorf("droplets %v exist and the journal does not know them", ids)
	}
	sameFleet(t, env.Client, before, p)
}
