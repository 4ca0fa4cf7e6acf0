package ui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// testEngine drives package actions against a test simulator, as the program's wiring
// does against the API, with clocks scaled down.
type testEngine struct {
	env *dosimtest.Env
	dir string
	// gathers counts the reads of what planning needs.
	gathers atomic.Int32
}

func (e *testEngine) options() actions.Options {
	return actions.Options{Dir: e.dir, Operator: &actions.Operator{User: "ops", Host: "bastion"},
		Timing: actions.Timing{PollMin: 5 * time.Millisecond, RetryBase: 5 * time.Millisecond,
			RetryMax: 50 * time.Millisecond, AdoptDelay: 5 * time.Millisecond, CallTimeout: 5 * time.Second, Attempts: 8}}
}

func (e *testEngine) Gather(ctx context.Context, req PlanRequest) (actions.PlanInput, error) {
	e.gathers.Add(1)
	all := req.Strategy
	all.LB, all.ReservedIP = "auto", "auto"
	in, err := actions.Gather(ctx, e.env.Client, req.Selection, req.Servers, req.Target, all)
	in.Strategy = req.Strategy
	in.ProvisionTime = 20 * time.Millisecond
	in.SameImage = actions.IsCurrentImage(req.Target) // as the engine's Gather does
	return in, err
}

func (e *testEngine) Start(ctx context.Context, plan actions.Plan) (Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) { return actions.Start(e.env.Client, plan, e.options()) })
}

func (e *testEngine) Resume(ctx context.Context, id string) (Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) {
		return actions.Resume(e.env.Client, actions.JournalPath(e.dir, id), e.options())
	})
}

func (e *testEngine) Rollback(ctx context.Context, id string) (Run, error) {
	return e.run(ctx, func() (*actions.Executor, error) {
		return actions.Rollback(e.env.Client, actions.JournalPath(e.dir, id), e.options())
	})
}

func (e *testEngine) run(ctx context.Context, open func() (*actions.Executor, error)) (Run, error) {
	x, err := open()
	if err != nil {
		return nil, err
	}
	go func() { _ = x.Run(ctx) }()
	return x, nil
}

// world is a demo simulator with the UI's dependencies wired to it.
type world struct {
	env    *dosimtest.Env
	engine *testEngine
	deps   Deps
}

// newWorld starts a demo simulator and wires a UI to it: live loads, images, engine,
// a journal directory of its own, and a fast strategy.
func newWorld(t *testing.T) *world { return newWorldAt(t, nil) }

// newWorldAt is newWorld on a fixed clock (nil: the real one), with the machine's
// addresses normalised out of what the UI reads, for golden views.
func newWorldAt(t *testing.T, now func() time.Time) *world {
	t.Helper()
	return newWorldOn(t, dosimtest.Start(t, dosim.Config{Now: now}), now)
}

// newWorldOn wires a UI to the simulator env, as newWorldAt does.
func newWorldOn(t *testing.T, env *dosimtest.Env, now func() time.Time) *world {
	t.Helper()
	w := &world{env: env, engine: &testEngine{env: env, dir: t.TempDir()}}
	st := actions.DefaultStrategy()
	st.Health = actions.HealthCheck{Kind: "http", Port: env.Sim.HealthPort(), Path: "/healthz",
		Interval: actions.Duration(5 * time.Millisecond), ProbeTimeout: actions.Duration(time.Second),
		Timeout: actions.Duration(2 * time.Second), Threshold: 2}
	st.ActiveTimeout = actions.Duration(5 * time.Second)
	st.Drain = actions.Duration(2 * time.Millisecond)
	st.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}}
	w.deps = Deps{
		Load: func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
			servers, err := fleet.Load(ctx, env.Client, fleet.LoadOptions{OnProgress: progress})
			if now != nil {
				normalise(servers)
			}
			return servers, err
		},
		Images: func(ctx context.Context) ([]fleet.Version, error) {
			ims, _, err := env.Client.Images.ListUser(ctx, nil)
			out := make([]fleet.Version, len(ims))
			for i := range ims {
				out[i] = fleet.VersionFromImage(&ims[i])
			}
			return out, err
		},
		Engine: w.engine, Strategy: &st, JournalDir: w.engine.dir,
		Demo: true, Now: time.Now, RefreshEvery: -1,
	}
	if now != nil {
		w.deps.Now = now
	}
	return w
}
