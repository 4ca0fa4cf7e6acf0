package actions

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// Two operators confirm rollouts of overlapping selections at the same moment, on an
// API slow enough that both tag before either lists: exactly one goes on (the older,
// unless the younger listed before the older tagged and went on first), the other stops
// naming it, having lifted its own lock (case 2 of issue 11: both stopped, each naming
// the other).
func TestTwoOperatorsAtOnceExactlyOneProceeds(t *testing.T) {
	t.Parallel()
	for _, latency := range []time.Duration{0, 20 * time.Millisecond, 60 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			t.Parallel()
			env := startSim(t, dosim.Config{Latency: latency})
			all := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 5), "role:web")
			prod := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 5), "role:web", "env:prod")
			all.Waves, prod.Waves = all.Waves[:1], prod.Waves[:1] // enough to overlap
			if !overlap(all, prod) {
				t.Fatal("the first waves do not overlap")
			}
			xs := []*Executor{start(t, env, all, testOptions(t)), start(t, env, prod, testOptions(t))}
			if xs[0].ID() == xs[1].ID() {
				t.Skip("both rollouts drew the same ID")
			}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, x := range xs {
				wg.Go(func() { errs[i] = run(t, x) })
			}
			wg.Wait()
			winner, loser := 0, 1
			if errs[0] != nil {
				winner, loser = 1, 0
			}
			if errs[winner] != nil {
				t.Fatalf("neither rollout went on: %v; %v", errs[0], errs[1])
			}
			var le *LockedError
			late := strings.Contains(fmt.Sprint(errs[loser]), "could not be locked, nothing was changed") // it came after the winner retired a droplet
			if !errors.Is(errs[loser], ErrAborted) || !late && (!errors.As(errs[loser], &le) || le.Rollout != xs[winner].ID()) {
				t.Fatalf("rollout %s: %v, want it stopped naming %s, which went on", xs[loser].ID(), errs[loser], xs[winner].ID())
			}
			for _, d := range snapshot(t, env.Client).byID {
				for _, tag := range d.Tags {
					if strings.HasPrefix(tag, RolloutTag(xs[loser].ID())) {
						t.Errorf("droplet %d still carries the loser's tag %s", d.ID, tag)
					}
				}
			}
			if n := xs[loser].Status().Count(PhaseDone); n != 0 {
				t.Errorf("the loser replaced %d servers", n)
			}
		})
	}
}

func overlap(a, b Plan) bool {
	for _, r := range a.Replacements() {
		for _, o := range b.Replacements() {
			if r.Old.ID == o.Old.ID {
				return true
			}
		}
	}
	return false
}
