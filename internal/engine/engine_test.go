package engine

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/ui"
)

// testEngine is an engine on a fresh demo simulator with fast timings.
func testEngine(t *testing.T, provision time.Duration) (*Engine, *dosimtest.Env) {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{Provision: provision})
	e, err := New(Options{Client: env.Client, Actions: actions.Options{Dir: filepath.Join(t.TempDir(), "rollouts"), Version: "test",
		Timing: actions.Timing{PollMin: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			AdoptDelay: 5 * time.Millisecond, CallTimeout: 5 * time.Second, Attempts: 8}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return e, env
}

// webRequest stages web's nyc3 servers onto web-1.6.0, with a health check against the
// simulator.
func webRequest(t *testing.T, env *dosimtest.Env, pause actions.Pause) ui.PlanRequest {
	t.Helper()
	all, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:web"})
	if err != nil {
		t.Fatal(err)
	}
	servers := slices.DeleteFunc(all, func(s fleet.Server) bool { return s.Region != "nyc3" || s.Image.Name == "web-1.6.0" })
	target, err := actions.ResolveImage(t.Context(), env.Client, "web-1.6.0")
	if err != nil {
		t.Fatal(err)
	}
	st := actions.DefaultStrategy()
	st.Surge, st.Pause = 4, pause
	st.Health = actions.HealthCheck{Kind: "http", Port: env.Sim.HealthPort(), Path: "/healthz", Interval: actions.Duration(5 * time.Millisecond),
		ProbeTimeout: actions.Duration(time.Second), Timeout: actions.Duration(2 * time.Second), Threshold: 2}
	st.ActiveTimeout = actions.Duration(5 * time.Second)
	st.Drain = actions.Duration(2 * time.Millisecond)
	st.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}}
	return ui.PlanRequest{Selection: "web nyc3", Servers: servers, Target: target, Strategy: st}
}

// waitState waits until r reaches state or the test's time is up.
func waitState(t *testing.T, r *Run, state actions.State) {
	t.Helper()
	events, leave := r.Subscribe()
	defer leave()
	timeout := time.After(30 * time.Second)
	for {
		if r.Status().State == state {
			return
		}
		select {
		case _, ok := <-events:
			if !ok && r.Status().State != state {
				t.Fatalf("the run ended %s, want %s", r.Status().State, state)
			}
		case <-timeout:
			t.Fatalf("the run is %s, want %s", r.Status().State, state)
		}
	}
}

// The local cockpit's engine plans, runs a rollout to its end in the background, and
// forgets it when it has ended.
func TestLocalRunsARollout(t *testing.T) {
	e, env := testEngine(t, 20*time.Millisecond)
	local := e.Local()
	in, err := local.Gather(t.Context(), webRequest(t, env, actions.Pause{Mode: "none"}))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := actions.NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	run, err := local.Start(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	r := e.Find(run.ID())
	if r == nil || r.Kind != KindRollout {
		t.Fatalf("the engine does not list the run it started: %+v", r)
	}
	<-r.Done()
	if st := r.Status().State; st != actions.StateDone {
		t.Fatalf("the rollout ended %s, want done", st)
	}
	if n := len(e.Running()); n != 0 {
		t.Fatalf("%d runs still listed after the end", n)
	}
}

// Resuming a rollout that runs in this engine joins it rather than starting a second
// driver; a rollback of it is refused with the way to do it.
func TestResumeJoinsARunningRollout(t *testing.T) {
	e, _, r := webAtCheckpoint(t)
	joined, err := e.Resume(r.ID(), nil, "bob")
	if err != nil || joined != r || len(e.Running()) != 1 {
		t.Fatalf("resume of a running rollout: %v, %d running; want to join it", err, len(e.Running()))
	}
	if _, err := e.Rollback(r.ID(), nil, "bob"); err == nil {
		t.Fatal("a rollback of a running rollout was started")
	}
}

// Stop pauses what runs and reports it as under way; afterwards nothing new starts.
func TestStopPausesAndRefusesNewRuns(t *testing.T) {
	e, env := testEngine(t, 200*time.Millisecond)
	plan, err := e.Plan(t.Context(), webRequest(t, env, actions.Pause{Mode: "none"}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Start(plan, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, r, actions.StateRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	underWay, err := e.Stop(ctx, 10*time.Millisecond, actions.CurrentOperator(), "the test stops")
	if err != nil || len(underWay) != 1 || underWay[0] != r.ID() {
		t.Fatalf("stop: %v, under way %v; want %s", err, underWay, r.ID())
	}
	if st := r.Status().State; st.Final() {
		t.Fatalf("a stopped rollout ended %s; want it resumable", st)
	}
	if _, err := e.Start(plan, nil, ""); !errors.Is(err, ErrStopping) {
		t.Fatalf("start after stop: %v, want ErrStopping", err)
	}
}

// Gather reads load balancers and reserved IPs even when the strategy leaves them alone,
// and keeps the strategy asked for: a cockpit plans again from the same input when the
// operator turns handover on.
func TestGatherReadsEverythingAPlanMayNeed(t *testing.T) {
	e, env := testEngine(t, 20*time.Millisecond)
	req := webRequest(t, env, actions.Pause{Mode: "none"})
	req.Strategy.LB, req.Strategy.ReservedIP = "none", "none"
	in, err := e.Gather(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if in.Strategy.LB != "none" || in.Strategy.ReservedIP != "none" || len(in.LBs) == 0 {
		t.Fatalf("gathered strategy lb=%s reserved-ip=%s with %d load balancers", in.Strategy.LB, in.Strategy.ReservedIP, len(in.LBs))
	}
	in.Strategy.LB = "auto"
	plan, err := actions.NewPlan(in)
	if err != nil || len(plan.LBs) == 0 {
		t.Fatalf("a plan with handover from the same input has %d load balancers (%v)", len(plan.LBs), err)
	}
}

// A cockpit stages "replace on the same image" as a request onto actions.CurrentImage:
// the engine plans each server onto the image it runs, and the rollout ends with every
// server a new droplet on its old image.
func TestSameImageThroughTheEngine(t *testing.T) {
	e, env := testEngine(t, 20*time.Millisecond)
	req := webRequest(t, env, actions.Pause{Mode: "none"})
	req.Target = actions.CurrentImage
	was := map[string]int{}
	for _, s := range req.Servers {
		was[s.Name] = s.Image.ImageID
	}
	in, err := e.Local().Gather(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := actions.NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.SameImage || len(plan.Replacements()) != len(req.Servers) {
		t.Fatalf("plan: same image %v, %d replacements of %d servers", plan.SameImage, len(plan.Replacements()), len(req.Servers))
	}
	run, err := e.Local().Start(t.Context(), plan)
	if err != nil {
		t.Fatal(err)
	}
	r := e.Find(run.ID())
	<-r.Done()
	if st := r.Status().State; st != actions.StateDone {
		t.Fatalf("the rollout ended %s, want done", st)
	}
	after, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range after {
		if id, ok := was[s.Name]; ok && (s.Image.ImageID != id || slices.ContainsFunc(req.Servers, func(o fleet.Server) bool { return o.ID == s.ID })) {
			t.Errorf("%s: droplet %d on image %d; want a new droplet on image %d", s.Name, s.ID, s.Image.ImageID, id)
		}
	}
}

// webAtCheckpoint starts alice's rollout of web with a manual pause and waits for it at
// its first checkpoint.
func webAtCheckpoint(t *testing.T) (*Engine, *dosimtest.Env, *Run) {
	t.Helper()
	e, env := testEngine(t, 20*time.Millisecond)
	plan, err := e.Plan(t.Context(), webRequest(t, env, actions.Pause{Mode: "manual"}))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Start(plan, nil, "alice")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, r, actions.StateCheckpoint)
	return e, env, r
}
