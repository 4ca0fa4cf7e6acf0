package ui

import (
	"slices"
	"sync"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// A rollout's lock tag goes on before its first wave and comes off when it ends, with no
// action in the feed: the cockpit tells the loader its servers are stale at both, once
// each, so that the next refresh reads their tags again.
func TestRunTellsTheLoaderItsServersTagsChanged(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	var mu sync.Mutex
	var told [][]int
	m := loaded(t, demoServers(t), 120, 40, func(d *Deps) {
		d.Stale = func(ids []int) { mu.Lock(); defer mu.Unlock(); told = append(told, ids) }
	})
	m, _ = liveAt(t, m, plan, midRollout(plan)) // two waves started
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.Done{At: fixedNow, State: actions.StateDone, Replaced: 19}})
	var old, made []int
	for _, r := range plan.Replacements() {
		old = append(old, r.Old.ID)
	}
	for _, s := range m.live.status.Slots {
		if s.NewID != 0 {
			made = append(made, s.NewID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case len(made) == 0:
		t.Fatal("the run made no droplet by its events; the test needs some")
	case len(told) != 2:
		t.Fatalf("told stale %d times; want twice (the first wave, the end)", len(told))
	case !slices.Equal(told[0], old):
		t.Errorf("at the first wave, told %v; want the plan's %d old droplets", told[0], len(old))
	case !slices.Equal(told[1], append(old, made...)):
		t.Errorf("at the end, told %v; want the old droplets and the %d made", told[1], len(made))
	}
}
