package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/ui"
)

// poolMinute is a minute of the simulated pools here: a member's replacement takes 420ms.
const poolMinute = 20 * time.Millisecond

// poolCockpit is what a cockpit drives a pool rollout through: the engine as the UI
// holds it (ui.Engine) and its pool methods.
type poolCockpit interface {
	ui.Engine
	GatherPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlanInput, error)
	PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error)
	StartPool(ctx context.Context, plan actions.PoolPlan) (ui.Run, error)
}

var _ poolCockpit = local{}

// poolEngine is an engine on the demo with its api pool, on short pool minutes; more
// engines on the same journals (other cockpits) come from poolEngineOn.
func poolEngine(t *testing.T) (*Engine, *dosimtest.Env) {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{DemoExtras: true, PoolMinute: poolMinute, RatePerMinute: 1 << 20, RatePerHour: 1 << 30})
	return poolEngineOn(t, env, filepath.Join(t.TempDir(), "rollouts")), env
}

func poolEngineOn(t *testing.T, env *dosimtest.Env, dir string) *Engine {
	t.Helper()
	e, err := New(Options{Client: env.Client, PoolMinute: poolMinute, Actions: actions.Options{Dir: dir, Version: "test",
		Timing: actions.Timing{PollMin: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond,
			CallTimeout: 5 * time.Second, Attempts: 8}}})
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
	return e
}

// apiRequest stages the api pool onto api-1.1.0, with a health check against the
// simulator.
func apiRequest(t *testing.T, env *dosimtest.Env) actions.PoolRequest {
	t.Helper()
	target, err := actions.ResolveImage(t.Context(), env.Client, "api-1.1.0")
	if err != nil {
		t.Fatal(err)
	}
	st := actions.DefaultStrategy()
	st.Health = actions.HealthCheck{Kind: "http", Port: env.Sim.HealthPort(), Path: "/healthz", Interval: actions.Duration(5 * time.Millisecond),
		ProbeTimeout: actions.Duration(time.Second), Timeout: actions.Duration(10 * time.Second), Threshold: 1, FailThreshold: 3}
	return actions.PoolRequest{Pool: "api", Target: target, Strategy: st}
}

// untilEvent waits until r sends an event that matches, or the run ends first (a failure).
func untilEvent(t *testing.T, r ui.Run, what string, match func(actions.Event) bool) {
	t.Helper()
	events, leave := r.Subscribe()
	defer leave()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the run ended before %s", what)
			}
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatalf("no %s within 30s", what)
		}
	}
}

func healthyMember(ev actions.Event) bool {
	pc, ok := ev.(actions.PhaseChanged)
	return ok && pc.Phase == actions.PhaseHealthy
}

// A cockpit plans a pool rollout and starts it through the engine, as it does a droplet
// rollout; the run offers no pause (nothing holds a pool), says why there is nothing to
// continue, and an abort with a rollback puts the template back and ends with the pool
// back on its image.
func TestCockpitRollsAPoolAndAbortsWithRollback(t *testing.T) {
	t.Parallel()
	e, env := poolEngine(t)
	cockpit := e.Local().(poolCockpit)
	in, err := cockpit.GatherPool(t.Context(), apiRequest(t, env))
	if err != nil {
		t.Fatal(err)
	}
	p, err := actions.NewPoolPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Replaced != 4 || p.Minute.D() != poolMinute || p.Estimate.Duration.D() != 4*actions.PoolStep(10, poolMinute)-10*poolMinute {
		t.Fatalf("plan: %d replaced, minute %s, estimate %s", p.Replaced, p.Minute, p.Estimate.Duration)
	}
	run, err := cockpit.StartPool(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	r := run.(*Run)
	if pp, ok := r.Pool(); !ok || pp.Pool.Name != "api" || r.Pausable() || len(r.Plan().Replacements()) != 4 {
		t.Errorf("the run: pool %v (%v), pausable %v, %d replacements", pp.Pool.Name, ok, r.Pausable(), len(r.Plan().Replacements()))
	}
	if err := r.Continue(); !errors.Is(err, actions.ErrNothingToContinue) {
		t.Errorf("continue: %v, want nothing to continue", err)
	}
	untilEvent(t, r, "a new member checked healthy", healthyMember)
	r.Abort(true)
	<-r.Done()
	if st := r.Status(); st.State != actions.StateRolledBack {
		t.Fatalf("the run ended %s, want rolled back", st.State)
	}
	pools, err := fleet.ReadPools(t.Context(), env.Client)
	if err != nil {
		t.Fatal(err)
	}
	if c := pools[0].Census(membersOf(t, env, pools[0])); pools[0].Template.Name != "api-1.0.0" || c.Behind != 0 || len(pools[0].Members) != 4 {
		t.Errorf("after the rollback: template %s, %d members, %d behind", pools[0].Template.Name, len(pools[0].Members), c.Behind)
	}
	if _, err := e.Rollback(r.ID(), nil, ""); err == nil {
		t.Error("a rolled back pool rollout was rolled back again")
	}
}

// membersOf reads the pool's members as servers.
func membersOf(t *testing.T, env *dosimtest.Env, p fleet.Pool) []fleet.Server {
	t.Helper()
	all, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:api"})
	if err != nil {
		t.Fatal(err)
	}
	var out []fleet.Server
	for _, s := range all {
		if p.HasMember(s.ID) {
			out = append(out, s)
		}
	}
	return out
}

// A pool rollout interrupted when its cockpit closes is resumed by the next cockpit on
// the same journals (the engine tells a pool's journal from a droplet rollout's); while
// that one drives it, a third is told who does.
func TestCockpitResumesAPoolRollout(t *testing.T) {
	t.Parallel()
	first, env := poolEngine(t)
	p, err := first.PlanPool(t.Context(), apiRequest(t, env))
	if err != nil {
		t.Fatal(err)
	}
	r, err := first.StartPool(p, nil, "alice")
	if err != nil {
		t.Fatal(err)
	}
	untilEvent(t, r, "the first new member", func(ev actions.Event) bool {
		pc, ok := ev.(actions.PhaseChanged)
		return ok && pc.Phase == actions.PhaseCreated
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := r.Status().State; st != actions.StateInterrupted {
		t.Fatalf("after the cockpit closed the run is %s, want interrupted", st)
	}
	second := poolEngineOn(t, env, first.JournalDir())
	resumed, err := second.Resume(r.ID(), nil, "bob")
	if err != nil {
		t.Fatal(err)
	}
	third := poolEngineOn(t, env, first.JournalDir())
	var de *actions.DrivenError
	if _, err := third.Resume(r.ID(), nil, "carol"); !errors.As(err, &de) {
		t.Errorf("a third cockpit's resume: %v, want it told who drives the rollout", err)
	}
	<-resumed.Done()
	if st := resumed.Status(); st.State != actions.StateDone || st.Count(actions.PhaseDone) != 4 {
		t.Errorf("the resumed run ended %s with %d replaced (%s), want done with 4", st.State, st.Count(actions.PhaseDone),
			lastReason(t, second.JournalDir(), r.ID()))
	}
	if _, ok := resumed.Pool(); !ok {
		t.Errorf("the resumed run of %s is not a pool rollout", r.ID())
	}
}

// A cockpit's droplet plan of a selection holding the api pool's members leaves every one
// of them out, whatever the cockpit knew of pools: the engine plans as the CLI does.
func TestCockpitPlanLeavesPoolMembersOut(t *testing.T) {
	t.Parallel()
	e, env := poolEngine(t)
	servers, err := fleet.Load(t.Context(), env.Client, fleet.LoadOptions{Tag: "role:api"})
	if err != nil {
		t.Fatal(err)
	}
	req := apiRequest(t, env)
	st := req.Strategy
	st.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}}
	in, err := e.Local().Gather(t.Context(), ui.PlanRequest{Selection: "api", Servers: servers, Target: req.Target, Strategy: st})
	if err != nil {
		t.Fatal(err)
	}
	p, err := actions.NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Replacements()) != 0 || len(p.Skipped) != 4 {
		t.Fatalf("the plan replaces %d and leaves %d out, want 0 and the 4 members", len(p.Replacements()), len(p.Skipped))
	}
	for _, s := range p.Skipped {
		if s.Reason != "member of pool api: roll the pool instead" {
			t.Errorf("skipped %s: %q", s.Server.Name, s.Reason)
		}
	}
}

// Stopping the engine (molt serve's shutdown) does not pause a pool rollout, which nothing
// holds, nor wait the grace for it: it is interrupted at once, resumable, with no pause
// journaled, and listed as under way.
func TestStopInterruptsAPoolRolloutWithoutPausing(t *testing.T) {
	t.Parallel()
	e, env := poolEngine(t)
	p, err := e.PlanPool(t.Context(), apiRequest(t, env))
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.StartPool(p, nil, "alice")
	if err != nil {
		t.Fatal(err)
	}
	untilEvent(t, r, "the pool's first progress", func(ev actions.Event) bool {
		_, ok := ev.(actions.PoolProgress)
		return ok
	})
	start := time.Now()
	underWay, err := e.Stop(t.Context(), time.Minute, actions.Operator{User: "ops"}, "restart")
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the stop took %s: it waited the grace for a pool rollout", took)
	}
	if len(underWay) != 1 || underWay[0] != r.ID() || r.Status().State != actions.StateInterrupted {
		t.Errorf("under way %v, the run %s; want it listed and interrupted", underWay, r.Status().State)
	}
	recs, err := actions.ReadJournal(actions.JournalPath(e.JournalDir(), r.ID()))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Kind == actions.KindControl {
			t.Errorf("the journal notes a control nobody could apply: %+v", rec)
		}
	}
}

// lastReason is the reason of the last state record of rollout id's journal.
func lastReason(t *testing.T, dir, id string) string {
	t.Helper()
	recs, err := actions.ReadJournal(actions.JournalPath(dir, id))
	if err != nil {
		return err.Error()
	}
	reason := ""
	for _, r := range recs {
		if r.Kind == actions.KindState || r.Kind == actions.KindEnd {
			reason = r.Reason
		}
	}
	return reason
}
