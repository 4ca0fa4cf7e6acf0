package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// poolDemo is the demo with its extras (the pets and the api pool of four members on
// its template image api-1.0.0, api-1.1.0 built since), read once on the fixed clock.
var poolDemo struct {
	sync.Once
	servers []fleet.Server
	pools   []fleet.Pool
	err     error
}

func poolDemoFleet(t *testing.T) ([]fleet.Server, []fleet.Pool) {
	t.Helper()
	poolDemo.Do(func() {
		env := dosimtest.Start(t, dosim.Config{Now: clock, DemoExtras: true})
		ctx := context.Background()
		if poolDemo.servers, poolDemo.err = fleet.Load(ctx, env.Client, fleet.LoadOptions{}); poolDemo.err != nil {
			return
		}
		if poolDemo.pools, poolDemo.err = fleet.ReadPools(ctx, env.Client); poolDemo.err != nil {
			return
		}
		fleet.MarkMembers(poolDemo.servers, poolDemo.pools)
		normalise(poolDemo.servers)
	})
	if poolDemo.err != nil {
		t.Fatalf("load the demo fleet with its pool: %v", poolDemo.err)
	}
	return slices.Clone(poolDemo.servers), poolDemo.pools
}

// loadedWithPools is loaded with the demo's pool, as the CLI wires Deps.Pools.
func loadedWithPools(t *testing.T, w, h int) Model {
	t.Helper()
	servers, pools := poolDemoFleet(t)
	return loaded(t, servers, w, h, func(d *Deps) { d.Pools = func() []fleet.Pool { return pools } })
}

// toPool moves the cursor to the first line of pool name.
func toPool(t *testing.T, m Model, name string) Model {
	t.Helper()
	i := m.fleet.list.rows.header("pool:" + name + ":0")
	if i < 0 {
		t.Fatalf("no line for pool %s in the fleet list", name)
	}
	m.fleet.list.cursor = i
	m.fleet.follow(m.common)
	return m
}

// The pool shows under its role: status, size, cooldown, template, members by image;
// its members are marked ⧉ in their rows.
func TestFleetShowsThePool(t *testing.T) {
	t.Parallel()
	m := toPool(t, loadedWithPools(t, 120, 40), "api")
	got := screen(m)
	for _, want := range []string{"⧉ pool api", "active · fixed 4 · cooldown 10m · 4 members",
		"template api-1.0.0 ×4 · ✓ none behind", "api-1.0.0 ×4 (template)"} {
		if !strings.Contains(got, want) {
			t.Errorf("the fleet view lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "⧉ api-"); n != 4 {
		t.Errorf("%d member rows marked ⧉, want 4:\n%s", n, got)
	}
}

func TestGoldenPoolFleet(t *testing.T) {
	t.Parallel()
	for _, sz := range sizes {
		t.Run(fmt.Sprintf("fleet_pool_%dx%d", sz.w, sz.h), func(t *testing.T) {
			golden.RequireEqual(t, []byte(screen(toPool(t, loadedWithPools(t, sz.w, sz.h), "api"))))
		})
	}
}

// poolStageModel is the pool stage of the api pool at w x h on the fixed clock, planned
// against a simulator on that clock, after keys.
func poolStageModel(t *testing.T, w, h int, keys ...string) Model {
	t.Helper()
	env := dosimtest.Start(t, dosim.Config{Now: clock, DemoExtras: true})
	servers, pools := poolDemoFleet(t)
	m := loaded(t, servers, w, h, func(d *Deps) {
		d.Pools = func() []fleet.Pool { return pools }
		d.Engine = poolEngine{&testEngine{env: env, dir: t.TempDir()}, time.Minute}
		d.Images = func(ctx context.Context) ([]fleet.Version, error) {
			ims, _, err := env.Client.Images.ListUser(ctx, &godo.ListOptions{PerPage: 200})
			out := make([]fleet.Version, len(ims))
			for i := range ims {
				out[i] = fleet.VersionFromImage(&ims[i])
			}
			return out, err
		}
		st := actions.DefaultStrategy()
		d.Strategy = &st
	})
	return pressSettle(t, toPool(t, m, "api"), keys...)
}

func TestGoldenPoolStage(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		keys []string
	}{{"pick", []string{"s"}}, {"plan", []string{"s", "enter"}}, {"confirm", []string{"s", "enter", "enter"}}} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("pool_stage_%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				golden.RequireEqual(t, []byte(screen(poolStageModel(t, sz.w, sz.h, sc.keys...))))
			})
		}
	}
}

// A refresh that finds the droplets as they were still shows what changed in a pool.
func TestFleetShowsAPoolThatChangedAlone(t *testing.T) {
	t.Parallel()
	servers, pools := poolDemoFleet(t)
	now := slices.Clone(pools)
	m := loaded(t, servers, 120, 40, func(d *Deps) { d.Pools = func() []fleet.Pool { return now } })
	now = slices.Clone(pools)
	now[0].Status = "error"
	m = send(t, m, fleetLoadedMsg{gen: m.common.load.gen, servers: m.common.servers})
	if got := screen(m); !strings.Contains(got, "⧉ pool api  error · fixed 4") {
		t.Fatalf("the pool's new status is not shown:\n%s", got)
	}
}
