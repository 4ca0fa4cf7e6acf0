package actions

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// watch calls fn for every event of e from a goroutine; wait returns after the last.
func watch(e *Executor, fn func(Event)) (wait func()) {
	ch, _ := e.Subscribe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range ch {
			fn(ev)
		}
	}()
	return wg.Wait
}

func run(t *testing.T, e *Executor) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.Run(ctx)
}

func start(t *testing.T, env *dosimtest.Env, p Plan, opt Options) *Executor {
	t.Helper()
	e, err := Start(env.Client, p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sameFleet asserts that the selected servers are back as they were: the same names on
// the same images, as many droplets as before, and load balancers as large.
func sameFleet(t *testing.T, c *godo.Client, before world, p Plan) {
	t.Helper()
	after := snapshot(t, c)
	if len(after.byID) != len(before.byID) {
		t.Errorf("fleet has %d droplets, had %d", len(after.byID), len(before.byID))
	}
	images := map[string]int{}
	for _, d := range after.byID {
		images[d.Name] = d.Image.ID
	}
	for _, r := range p.Replacements() {
		if images[r.Old.Name] != r.Old.Image.ImageID {
			t.Errorf("%s runs image %d, want %d", r.Old.Name, images[r.Old.Name], r.Old.Image.ImageID)
		}
	}
	for i, lb := range after.lbs {
		if len(lb.DropletIDs) != len(before.lbs[i].DropletIDs) {
			t.Errorf("load balancer %s lists %d droplets, listed %d", lb.Name, len(lb.DropletIDs), len(before.lbs[i].DropletIDs))
		}
	}
}

func TestCanaryThenCheckpoint(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 4)
	st.Canary = 1
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	var atCheckpoint Status
	wait := watch(e, func(ev Event) {
		if cp, ok := ev.(CheckpointReached); ok && cp.Wave == 0 {
			atCheckpoint = e.Status()
			e.Continue()
		}
	})
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	wait()
	if atCheckpoint.Count(PhaseDone) != 1 || atCheckpoint.Count(PhasePending) != 18 || atCheckpoint.State != StateCheckpoint {
		t.Errorf("at the checkpoint: state %s, %d done, %d pending; want 1 done, 18 pending", atCheckpoint.State,
			atCheckpoint.Count(PhaseDone), atCheckpoint.Count(PhasePending))
	}
	if e.Status().Count(PhaseDone) != 19 {
		t.Errorf("%d replaced, want 19", e.Status().Count(PhaseDone))
	}
}

func TestUnhealthyImageRollsBackToTheFleetAsItWas(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	st := testStrategy(env, 3)
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	var once sync.Once
	wait := watch(e, func(ev Event) {
		// The first wave goes well; then the image turns bad, as a bad deploy would.
		if pc, ok := ev.(PhaseChanged); ok && pc.Phase == PhaseDone {
			once.Do(func() { _ = env.Sim.SetImageFlags(p.Target.ImageID, true, false) })
		}
	})
	err := run(t, e)
	wait()
	mustErr(t, err, ErrRolledBack)
	if n := e.Status().Count(PhaseRolledBack); n < 1 {
		t.Errorf("%d replacements rolled back, want the finished ones", n)
	}
	sameFleet(t, env.Client, before, p)
}

func TestBrokenImageFailsItsCanary(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	st := testStrategy(env, 2)
	st.Canary = 1
	st.AllowDowngrade = true // web-1.6.0-broken is a pre-release of 1.6.0, which two of them run
	p := plan(t, env.Client, "web-1.6.0-broken", st, "role:web")
	e, err := apply(t, env.Client, p, testOptions(t))
	mustErr(t, err, ErrRolledBack)
	if st := e.Status(); st.Count(PhaseFailed) != 1 || st.Count(PhaseCancelled) != 20 {
		t.Errorf("%d failed, %d cancelled; want 1 and 20", st.Count(PhaseFailed), st.Count(PhaseCancelled))
	}
	sameFleet(t, env.Client, before, p)
}

func TestFaultsAreSurvived(t *testing.T) {
	t.Parallel()
	faults := map[string][]dosim.Fault{
		"5xx bursts": {
			{Path: "/v2/*", Status: 503, Count: 4},
			{Method: "POST", Path: "/v2/droplets", Status: 500, Count: 2},
			{Method: "GET", Path: "/v2/droplets", Status: 502, Probability: prob(0.2)},
			{Path: "/v2/*", Drop: true, Probability: prob(0.05)},
		},
		"429 storm": {{Path: "/v2/*", Status: 429, Count: 3}, {Path: "/v2/*", Status: 429, Probability: prob(0.03)}},
	}
	for name, rules := range faults {
		t.Run(name, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
			for _, f := range rules {
				if _, err := env.Sim.AddFault(f); err != nil {
					t.Fatal(err)
				}
			}
			opt := testOptions(t)
			opt.Timing.Attempts = 30
			created := env.Sim.Stats().DropletsCreated
			if _, err := apply(t, env.Client, p, opt); err != nil {
				t.Fatal(err)
			}
			if n := env.Sim.Stats().DropletsCreated - created; n != 19 {
				t.Errorf("%d droplets created for 19 replacements", n)
			}
		})
	}
}

func TestCommittedCreateAnsweredWithAnErrorMakesNoDuplicate(t *testing.T) {
	for name, f := range map[string]dosim.Fault{
		"500":     {Method: "POST", Path: "/v2/droplets", Status: 500, After: true, Count: 2},
		"dropped": {Method: "POST", Path: "/v2/droplets", Drop: true, After: true, Count: 2},
	} {
		t.Run(name, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			before := snapshot(t, env.Client)
			p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
			if _, err := env.Sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			created := env.Sim.Stats().DropletsCreated
			if _, err := apply(t, env.Client, p, testOptions(t)); err != nil {
				t.Fatal(err)
			}
			if n := env.Sim.Stats().DropletsCreated - created; n != 19 {
				t.Errorf("%d droplets created for 19 replacements", n)
			}
			if after := snapshot(t, env.Client); len(after.byID) != len(before.byID) {
				t.Errorf("fleet has %d droplets, had %d", len(after.byID), len(before.byID))
			}
		})
	}
}

func TestDropletStuckInNewFails(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	st := testStrategy(env, 2)
	st.ActiveTimeout = Duration(200 * time.Millisecond)
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	if err := env.Sim.SetImageFlags(p.Target.ImageID, false, true); err != nil {
		t.Fatal(err)
	}
	e, err := apply(t, env.Client, p, testOptions(t))
	mustErr(t, err, ErrRolledBack)
	if n := e.Status().Count(PhaseFailed); n != 2 {
		t.Errorf("%d failed, want the 2 of the first wave", n)
	}
	sameFleet(t, env.Client, before, p)
}

func TestSecondRolloutIsRefusedByTheLock(t *testing.T) {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Canary = 1
	p := plan(t, env.Client, "web-1.6.0", st, "role:web")
	e := start(t, env, p, testOptions(t))
	var refused error
	wait := watch(e, func(ev Event) {
		if _, ok := ev.(CheckpointReached); ok {
			in, err := Gather(context.Background(), env.Client, "tag role:web", servers(t, env.Client, "role:web"),
				image(t, env.Client, "web-1.6.0"), st)
			if err == nil {
				_, err = NewPlan(in)
			}
			refused = err
			e.Abort(false)
		}
	})
	err := run(t, e)
	wait()
	mustErr(t, err, ErrAborted)
	var le *LockedError
	if !errors.As(refused, &le) || le.Rollout != e.ID() {
		t.Fatalf("second plan: %v, want a refusal naming rollout %s", refused, e.ID())
	}
	for _, d := range snapshot(t, env.Client).byID {
		if withMolt(d) {
			t.Errorf("droplet %d still locked after the abort", d.ID)
		}
	}
}

func prob(p float64) *float64 { return &p }
