package actions

import (
	"slices"
	"testing"

	"github.com/molt-sh/molt/dosim"
)

func TestFullRolloutOfARole(t *testing.T) {
	env := startSim(t, dosim.Config{})
	before := snapshot(t, env.Client)
	p := plan(t, env.Client, "web-1.6.0", testStrategy(env, 5), "role:web")
	if len(p.Replacements()) != 19 {
		t.Fatalf("plan replaces %d servers, want 19", len(p.Replacements()))
	}
	e, err := apply(t, env.Client, p, testOptions(t))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	after := snapshot(t, env.Client)
	if len(after.byID) != len(before.byID) {
		t.Errorf("fleet has %d droplets, had %d", len(after.byID), len(before.byID))
	}
	if n := after.count(p.Target.ImageID, "role:web"); n != 21 {
		t.Errorf("%d web servers on the target, want 21", n)
	}
	for _, d := range after.byID {
		if withMolt(d) {
			t.Errorf("droplet %d still carries a lock tag: %v", d.ID, d.Tags)
		}
	}
	for _, lb := range after.lbs {
		for _, id := range lb.DropletIDs {
			d, ok := after.byID[id]
			if !ok || (lb.Tag == "" && d.Image.ID != p.Target.ImageID && slices.Contains(d.Tags, "role:web")) {
				t.Errorf("load balancer %s lists droplet %d that is gone or not replaced", lb.Name, id)
			}
		}
	}
	if st := e.Status(); st.State != StateDone || st.Count(PhaseDone) != 19 {
		t.Errorf("status %s with %d done", st.State, st.Count(PhaseDone))
	}
}
