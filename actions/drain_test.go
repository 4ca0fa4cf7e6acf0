package actions

import (
	"slices"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
)

// drainRecords are, per old droplet, when it left service (its handover, or its untag
// from a tag-based load balancer), whether it drained as a phase, and when its retire
// was sent.
type drained struct {
	left, retired time.Time
	draining      bool
}

func drainRecords(t *testing.T, path string) map[int]*drained {
	t.Helper()
	recs := mustRead(t, path)
	p := recs[0].Header.Plan
	byID := map[int]*drained{}
	oldOf := map[int]int{}
	for _, r := range p.Replacements() {
		byID[r.Old.ID] = &drained{}
		oldOf[r.Slot] = r.Old.ID
	}
	for _, r := range recs {
		switch {
		case r.Kind == KindPhase && r.Phase == PhaseHandedOver:
			byID[oldOf[r.Slots[0]]].left = r.At
		case r.Kind == KindPhase && r.Phase == PhaseDraining:
			byID[oldOf[r.Slots[0]]].draining = true
		case r.Kind == KindIntent && r.Op == OpUntag:
			for _, id := range r.Droplets {
				if d, ok := byID[id]; ok {
					d.left = r.At
				}
			}
		case r.Kind == KindIntent && (r.Op == OpRetire || r.Op == OpPowerOff):
			for _, id := range r.Droplets { // a wave's delete by tag names every droplet
				byID[id].retired = r.At
			}
		}
	}
	return byID
}

// TestDrainBetweenLeavingServiceAndRetiring: an old droplet is destroyed (web, by-ID
// load balancers) or powered off (workers, a tag-based load balancer) no sooner than
// the drain after it left service, in a phase of its own.
func TestDrainBetweenLeavingServiceAndRetiring(t *testing.T) {
	t.Parallel()
	const drain = 150 * time.Millisecond
	for _, tc := range []struct{ role, retire string }{{"web", "destroy"}, {"worker", "keep"}, {"worker", "destroy"}} {
		t.Run(tc.role+"/"+tc.retire, func(t *testing.T) {
			t.Parallel()
			env := startSim(t, dosim.Config{})
			st := patient(testStrategy(env, 4))
			st.Drain = Duration(drain)
			st.Retire, _ = ParseRetire(tc.retire)
			p := plan(t, env.Client, map[string]string{"web": "web-1.6.0", "worker": "worker-2.2.0"}[tc.role], st, "role:"+tc.role, "env:prod")
			e, err := apply(t, env.Client, p, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			for id, d := range drainRecords(t, e.JournalPath()) {
				if d.left.IsZero() || d.retired.IsZero() || !d.draining {
					t.Errorf("droplet %d: left service %v, retired %v, drained as a phase %v", id, d.left, d.retired, d.draining)
				} else if took := d.retired.Sub(d.left); took < drain {
					t.Errorf("droplet %d retired %s after it left service, before its drain of %s", id, took, drain)
				}
			}
		})
	}
}

// A drain of zero is no drain: no draining phase, and tag-based load balancers are not
// untagged before a destroy.
func TestNoDrain(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	st := patient(testStrategy(env, 4))
	st.Drain = 0
	p := plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod")
	e, err := apply(t, env.Client, p, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mustRead(t, e.JournalPath()) {
		if r.Phase == PhaseDraining || r.Op == OpUntag {
			t.Errorf("with no drain the journal has %+v", r)
		}
	}
}

func TestEstimateCountsTheDrain(t *testing.T) {
	t.Parallel()
	byID := Replacement{LBs: []string{"lb-1"}}
	byTag := Replacement{TagLBs: []string{"lb:web"}}
	alone := Replacement{}
	for _, tc := range []struct {
		name            string
		drain, minReady time.Duration
		wave            []Replacement
		want            time.Duration
	}{
		{"by ID, no soak", 10 * time.Second, 0, []Replacement{byID}, 10 * time.Second},
		{"by ID, a shorter soak", 10 * time.Second, 4 * time.Second, []Replacement{byID}, 6 * time.Second},
		{"by ID, a longer soak covers it", 10 * time.Second, time.Minute, []Replacement{byID}, 0},
		{"by tag: after the soak", 10 * time.Second, time.Minute, []Replacement{byTag}, 10 * time.Second},
		{"both", 10 * time.Second, 4 * time.Second, []Replacement{byID, byTag}, 16 * time.Second},
		{"nothing to drain from", 10 * time.Second, 0, []Replacement{alone}, 0},
		{"no drain", 0, 0, []Replacement{byID, byTag}, 0},
	} {
		st := DefaultStrategy()
		st.Drain, st.MinReady = Duration(tc.drain), Duration(tc.minReady)
		if got := drainTime(st, Wave{Replacements: tc.wave}); got != tc.want {
			t.Errorf("%s: drain time %s, want %s", tc.name, got, tc.want)
		}
	}
	in := input(server(1, "web-a", "nyc3", v14), server(2, "web-b", "nyc3", v14))
	in.LBs = []LB{{ID: "lb-1", Name: "web", DropletIDs: []int{1, 2}}}
	in.Strategy.Drain = 0
	without, _ := NewPlan(in)
	in.Strategy.Drain = Duration(10 * time.Second)
	with, _ := NewPlan(in)
	if d := with.Estimate.Duration.D() - without.Estimate.Duration.D(); d != 20*time.Second {
		t.Errorf("a 10s drain adds %s to two waves, want 20s", d)
	}
	if !slices.ContainsFunc(with.Replacements(), func(r Replacement) bool { return len(r.LBs) > 0 }) {
		t.Error("the replacements hand over no load balancer")
	}
}
