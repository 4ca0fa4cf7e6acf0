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
	var want []int
	for _, r := range plan.Replacements() {
		want = append(want, r.Old.ID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(told) != 2 || !slices.Equal(told[0], want) || !slices.Equal(told[1], want) {
		t.Fatalf("told stale %v; want the plan's %d old droplets twice (the first wave, the end)", told, len(want))
	}
}
