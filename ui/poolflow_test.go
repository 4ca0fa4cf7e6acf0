package ui

import (
	"context"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// poolMinute is how long a minute of the pool's documented timings lasts in these
// tests: the api pool's cooldown of 10 minutes takes 100ms.
const poolMinute = 10 * time.Millisecond

// newPoolWorld is newWorld on the demo with its api pool, whose minutes are short, the
// loads reading the pools as the inventory does (Deps.Pools).
func newPoolWorld(t *testing.T) *world {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{DemoExtras: true, PoolMinute: poolMinute})
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
