package actions

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// writeFixturesEnv names the directory TestWriteJournalFixtures writes journals of this
// version of molt to, as fixtures for the versions after it (a relative path is taken
// from actions/, where the test runs):
//
//	MOLT_WRITE_JOURNAL_FIXTURES=testdata/journal-v2 go test ./actions -run TestWriteJournalFixtures
//
// A directory that holds anything already is refused: the journals of a released
// version are what later versions must keep reading, and are never written again.
const writeFixturesEnv = "MOLT_WRITE_JOURNAL_FIXTURES"

// fixtureHealthPort is the health port of the fixtures' simulator. It is in their
// plans, so a test that resumes one serves health there; no other test uses it, so no
// other simulator on the machine holds the fixtures' addresses on it.
const fixtureHealthPort = 18291

// fixtureOperator runs the fixtures' rollouts; fixtureSteerer steers the shared one.
var (
	fixtureOperator = Operator{User: "test", Host: "host"}
	fixtureSteerer  = Operator{User: "alice", Host: "cockpit", Key: "SHA256:fixture"}
)

// fixtureRun is a small rollout (three web servers of one region behind an ID-based
// load balancer) on a simulator that saves its world to a file.
type fixtureRun struct {
	env   *dosimtest.Env
	world string
	plan  Plan
	opt   Options
}

func newFixtureRun(t *testing.T, retire, pause string, surge, canary int) *fixtureRun {
	t.Helper()
	world := filepath.Join(t.TempDir(), "world.json")
	env := startSim(t, dosim.Config{HealthPort: fixtureHealthPort, StatePath: world})
	st := testStrategy(env, surge)
	st.Canary = canary
	var err error
	if st.Retire, err = ParseRetire(retire); err != nil {
		t.Fatal(err)
	}
	if st.Pause, err = ParsePause(pause); err != nil {
		t.Fatal(err)
	}
	target := image(t, env.Client, "web-1.6.0")
	var three []fleet.Server
	for _, s := range servers(t, env.Client, "role:web", "env:prod") {
		if s.Region == "nyc3" && s.Image.ImageID != target.ImageID && len(three) < 3 {
			three = append(three, s)
		}
	}
	in, err := Gather(context.Background(), env.Client, "three web servers", three, target, st)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	op := fixtureOperator
	opt := Options{Dir: t.TempDir(), Timing: testTiming(), Operator: &op, Version: "journal fixture"}
	return &fixtureRun{env: env, world: world, plan: p, opt: opt}
}

// run applies the plan; watch, when set, sees every event and may steer the run.
func (f *fixtureRun) run(t *testing.T, watchFn func(e *Executor, ev Event, cancel context.CancelFunc)) (*Executor, error) {
	t.Helper()
	e, err := Start(f.env.Client, f.plan, f.opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wait := func() {}
	if watchFn != nil {
		wait = watch(e, func(ev Event) { watchFn(e, ev, cancel) })
	}
	err = e.Run(ctx)
	wait()
	return e, err
}

// save copies the journal (and, with world, the simulator's world once its actions
// have settled) into dir as name.jsonl and name.world.json.
func (f *fixtureRun) save(t *testing.T, dir, name, journal string, world bool) {
	t.Helper()
	copyFile(t, journal, filepath.Join(dir, name+".jsonl"))
	if world {
		time.Sleep(200 * time.Millisecond)
		copyFile(t, f.world, filepath.Join(dir, name+".world.json"))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteJournalFixtures(t *testing.T) {
	dir := os.Getenv(writeFixturesEnv)
	if dir == "" {
		t.Skip("set " + writeFixturesEnv + "=DIR to write journals of this version as fixtures")
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Fatalf("%s holds fixtures already; those of a released version are never written again", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(*testing.T, string){
		"finished":    writeFinished,
		"interrupted": writeInterrupted,
		"rolledback":  writeRolledBack,
		"kept":        writeKept,
		"finalised":   writeFinalised,
		"controlled":  writeControlled,
		"aborted":     writeAborted,
	} {
		t.Run(name, func(t *testing.T) { write(t, dir) })
	}
}

// writeFinished: three replacements, two waves, old droplets destroyed; done.
func writeFinished(t *testing.T, dir string) {
	f := newFixtureRun(t, "destroy", "none", 2, 0)
	e, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, dir, "finished", e.JournalPath(), true)
}

// writeInterrupted: one replacement at a time, interrupted (a signal) once the first is
// done; resumable.
func writeInterrupted(t *testing.T, dir string) {
	f := newFixtureRun(t, "destroy", "none", 1, 0)
	var once sync.Once
	e, err := f.run(t, func(_ *Executor, ev Event, cancel context.CancelFunc) {
		if pc, ok := ev.(PhaseChanged); ok && pc.Phase == PhaseDone {
			once.Do(cancel)
		}
	})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("run: %v, want interrupted", err)
	}
	f.save(t, dir, "interrupted", e.JournalPath(), true)
}

// writeRolledBack: the image turns unhealthy once the first replacement is done; the
// second fails its health check, past --max-failures 0, and the rollout is rolled back.
func writeRolledBack(t *testing.T, dir string) {
	f := newFixtureRun(t, "destroy", "none", 1, 0)
	var once sync.Once
	e, err := f.run(t, func(_ *Executor, ev Event, _ context.CancelFunc) {
		if pc, ok := ev.(PhaseChanged); ok && pc.Phase == PhaseDone {
			once.Do(func() { _ = f.env.Sim.SetImageFlags(f.plan.Target.ImageID, true, false) })
		}
	})
	if !errors.Is(err, ErrRolledBack) {
		t.Fatalf("run: %v, want rolled back", err)
	}
	f.save(t, dir, "rolledback", e.JournalPath(), false)
}

// writeKept: --retire keep; done, the old droplets powered off and kept, not finalised.
func writeKept(t *testing.T, dir string) {
	f := newFixtureRun(t, "keep", "none", 2, 0)
	e, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, dir, "kept", e.JournalPath(), true)
}

// writeFinalised: --retire keep, done, then resumed: the kept droplets are destroyed.
func writeFinalised(t *testing.T, dir string) {
	f := newFixtureRun(t, "keep", "none", 2, 0)
	e, err := f.run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Resume(f.env.Client, e.JournalPath(), f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(t, r); err != nil {
		t.Fatalf("finalise: %v", err)
	}
	f.save(t, dir, "finalised", e.JournalPath(), false)
}

// writeControlled: a canary, then a manual checkpoint; an operator of a shared run
// pauses it while the canary is created, resumes it, and continues at the checkpoint.
func writeControlled(t *testing.T, dir string) {
	f := newFixtureRun(t, "destroy", "manual", 1, 1)
	var pause, resume sync.Once
	e, err := f.run(t, func(e *Executor, ev Event, _ context.CancelFunc) {
		switch ev := ev.(type) {
		case PhaseChanged:
			if ev.Phase == PhaseCreated {
				pause.Do(func() { steer(t, e, "pause", e.Pause) })
			}
		case StateChanged:
			if ev.State == StatePaused {
				resume.Do(func() { steer(t, e, "resume", e.Resume) })
			}
		case CheckpointReached:
			steer(t, e, "continue", func() { _ = e.Continue() })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	f.save(t, dir, "controlled", e.JournalPath(), false)
}

// writeAborted: a canary, then at the checkpoint an operator aborts, keeping what is in
// service.
func writeAborted(t *testing.T, dir string) {
	f := newFixtureRun(t, "destroy", "manual", 1, 1)
	e, err := f.run(t, func(e *Executor, ev Event, _ context.CancelFunc) {
		if _, ok := ev.(CheckpointReached); ok {
			steer(t, e, "abort, keep", func() { e.Abort(false) })
		}
	})
	if !errors.Is(err, ErrAborted) {
		t.Fatalf("run: %v, want aborted", err)
	}
	f.save(t, dir, "aborted", e.JournalPath(), false)
}

// steer journals a control action by fixtureSteerer, as molt serve does, and applies it.
func steer(t *testing.T, e *Executor, action string, apply func()) {
	if err := e.Note(fixtureSteerer, action); err != nil {
		t.Errorf("note %s: %v", action, err)
	}
	apply()
}
