package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// poolMinute is how long a minute of the pool's documented timings lasts in these
// tests: the api pool's cooldown of 10 minutes takes 100ms.
const poolMinute = 10 * time.Millisecond

// newPoolWorld is newWorld on the demo with its api pool, whose minutes are short, the
// loads reading the pools as the inventory does (Deps.Pools).
func newPoolWorld(t *testing.T) *world { return newPoolWorldAt(t, poolMinute) }

// newPoolWorldAt is newPoolWorld with the pool's minute lasting minute.
func newPoolWorldAt(t *testing.T, minute time.Duration) *world {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{DemoExtras: true, PoolMinute: minute, RatePerMinute: 1 << 20, RatePerHour: 1 << 20}) // a short pool minute polls far faster than 250 a minute
	w := newWorldOn(t, env, nil)
	var pools []fleet.Pool
	w.deps.Load = func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
		servers, err := fleet.Load(ctx, env.Client, fleet.LoadOptions{OnProgress: progress})
		if err != nil {
			return nil, err
		}
		if pools, err = fleet.ReadPools(ctx, env.Client); err != nil {
			return nil, err
		}
		fleet.MarkMembers(servers, pools)
		return servers, nil
	}
	w.deps.Pools = func() []fleet.Pool { return pools }
	w.deps.Images = func(ctx context.Context) ([]fleet.Version, error) { // the pets' backups fill a first page
		ims, _, err := env.Client.Images.ListUser(ctx, &godo.ListOptions{PerPage: 200})
		out := make([]fleet.Version, len(ims))
		for i := range ims {
			out[i] = fleet.VersionFromImage(&ims[i])
		}
		return out, err
	}
	return w
}

// stageAPI selects the api role and stages it as droplets onto api-1.1.0.
func stageAPI(t *testing.T, tm *driver) {
	t.Helper()
	waitFor(t, tm, "⧉ pool api")
	keys(tm, "/")
	tm.typeText("role:api")
	keys(tm, "enter", "g", "space", "s")
	waitFor(t, tm, "Pick the image", "api-1.1.0")
	keys(tm, "enter")
}

// A droplet rollout of the pool's members leaves them out, saying why.
func TestFlowStagingPoolMembersLeavesThemOut(t *testing.T) {
	t.Parallel()
	w := newPoolWorld(t)
	tm := drive(t, New(w.deps), 120, 40)
	stageAPI(t, tm)
	waitFor(t, tm, "Nothing to replace", "skipped: 4 members of pool api: roll the pool instead")
}

// poolEngine is testEngine that rolls pools too, as the program's engines do.
type poolEngine struct {
	*testEngine
	minute time.Duration
}

func (e poolEngine) PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error) {
	in, err := actions.GatherPool(ctx, e.env.Client, req.Pool, req.Target, req.Strategy, e.minute)
	if err != nil {
		return actions.PoolPlan{}, err
	}
	return actions.NewPoolPlan(in)
}

func (e poolEngine) StartPool(ctx context.Context, plan actions.PoolPlan) (Run, error) {
	x, err := actions.StartPool(e.env.Client, plan, e.options())
	if err != nil {
		return nil, err
	}
	go func() { _ = x.Run(ctx) }()
	return x, nil
}

// stagePoolAPI puts the cursor on the api pool and stages it onto api-1.1.0, up to the
// plan.
func stagePoolAPI(t *testing.T, tm *driver) {
	t.Helper()
	waitFor(t, tm, "⧉ pool api")
	keys(tm, "g", "j", "s")
	waitFor(t, tm, "Roll the pool api", "api-1.1.0")
	keys(tm, "enter")
	waitFor(t, tm, "4 of 4 members to replace", "no pause")
}

// The api pool staged onto api-1.1.0 is rolled to the end, the live view following it.
func TestFlowPoolRolloutFinishes(t *testing.T) {
	t.Parallel()
	w := newPoolWorld(t)
	w.deps.Engine = poolEngine{w.engine, poolMinute}
	tm := drive(t, New(w.deps), 120, 40)
	stagePoolAPI(t, tm)
	keys(tm, "enter")
	waitFor(t, tm, "Roll pool api onto api-1.1.0?")
	tm.typeText("api")
	keys(tm, "enter")
	waitFor(t, tm, "finished: done")
	m := finalModel(t, tm)
	if log := strings.Join(logTexts(m.live), "\n"); !strings.Contains(log, "pool api: 4 of 4 on api-1.1.0, 0 behind") {
		t.Fatalf("the log does not show the pool on its new image:\n%s", log)
	}
	if s := screen(m); !strings.Contains(s, "the pool replaces its members") || strings.Contains(s, "waves planned") {
		t.Errorf("the summary should say the pool replaces its members, not count waves:\n%s", s)
	}
}

// A pool rollout aborted with a rollback puts the template back and says so; the live
// view offers no pause for it, and p says why.
func TestFlowPoolRolloutAbortRestoresTheTemplate(t *testing.T) {
	t.Parallel()
	w := newPoolWorldAt(t, 100*time.Millisecond) // a member every second: time to abort
	w.deps.Engine = poolEngine{w.engine, 100 * time.Millisecond}
	tm := drive(t, New(w.deps), 80, 24)
	stagePoolAPI(t, tm)
	keys(tm, "enter")
	tm.typeText("api")
	keys(tm, "enter")
	s := tm.waitText("pool api: ", "A abort")
	if strings.Contains(barOf(s), "pause") {
		t.Errorf("the key bar offers a pause for a pool rollout: %s", barOf(s))
	}
	keys(tm, "p")
	waitFor(t, tm, "no pause")
	keys(tm, "A", "down", "enter")
	waitFor(t, tm, "finished: rolled back")
	pools, err := fleet.ReadPools(t.Context(), w.env.Client)
	if err != nil || len(pools) != 1 || pools[0].Template.Name != "api-1.0.0" {
		t.Fatalf("after the rollback the template is not api-1.0.0: %+v, %v", pools, err)
	}
}
