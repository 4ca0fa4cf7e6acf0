package actions

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// lateDelay is when the API commits a create it answered with an error: after molt
// listed the group's tag (AdoptDelay, 5 ms, after the answer) and created again, and
// well before the rollout's end (12 replacements, surge 5: three waves of provisioning
// and health checks).
const lateDelay = 60 * time.Millisecond

// A create answered 500 (or dropped) at once whose droplets the API commits only after
// molt has listed the group's tag and created again leaves droplets nobody tracks (a
// create-multiple of the first wave's five, the web servers on web-1.5.0: one create
// makes droplets of one old image). The rollout finds them by its lock tag
// before releasing the lock and destroys them.
func TestLateCommittedCreateIsSwept(t *testing.T) {
	for name, f := range map[string]dosim.Fault{
		"500":     {Method: "POST", Path: "/v2/droplets", Status: 500, Late: true, Delay: lateDelay, Count: 1},
		"dropped": {Method: "POST", Path: "/v2/droplets", Drop: true, Late: true, Delay: lateDelay, Count: 1},
	} {
		t.Run(name, func(t *testing.T) {
			env := startSim(t, dosim.Config{})
			before := snapshot(t, env.Client)
			p := planOn(t, env, "web-1.5.0", "web-1.6.0", testStrategy(env, 5))
			want := len(p.Replacements())
			if _, err := env.Sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			created := env.Sim.Stats().DropletsCreated
			e := start(t, env, p, testOptions(t))
			var strays []StrayDestroyed
			wait := watch(e, func(ev Event) {
				if s, ok := ev.(StrayDestroyed); ok {
					strays = append(strays, s)
				}
			})
			began := time.Now()
			if err := run(t, e); err != nil {
				t.Fatal(err)
			}
			wait()
			if took := time.Since(began); took < 2*lateDelay {
				t.Fatalf("the rollout took %v: too short for the late create (%v) to land before its end", took, lateDelay)
			}
			recs, err := ReadJournal(e.JournalPath())
			if err != nil {
				t.Fatal(err)
			}
			late := 0 // the names of the create that was answered with an error
			for _, r := range recs {
				if r.Kind == KindIntent && r.Op == OpCreate && late == 0 {
					late = len(r.Names)
				}
			}
			if n := env.Sim.Stats().DropletsCreated - created; late < 2 || n != want+late {
				t.Errorf("%d droplets created, want %d replacements and the %d the late create made", n, want, late)
			}
			after := snapshot(t, env.Client)
			if len(after.byID) != len(before.byID) {
				t.Errorf("fleet has %d droplets, had %d", len(after.byID), len(before.byID))
			}
			st := e.Status()
			if n := st.Count(PhaseDone); n != want {
				t.Errorf("%d replaced, want %d", n, want)
			}
			tracked := map[int]bool{}
			for _, sl := range st.Slots {
				tracked[sl.NewID] = true
			}
			for _, d := range after.byID {
				for _, tag := range d.Tags {
					if strings.HasPrefix(tag, RolloutTag(e.ID())+":") && !tracked[d.ID] {
						t.Errorf("droplet %d (%s) carries %s and is no replacement's new droplet", d.ID, d.Name, tag)
					}
				}
			}
			unclear, intents, results := 0, map[int]Record{}, 0
			for _, r := range recs {
				switch {
				case r.Kind == KindResult && r.Op == OpCreate && r.Unclear:
					unclear++
				case r.Kind == KindIntent && r.Op == OpDestroyStray:
					intents[r.Seq] = r
				case r.Kind == KindResult && r.Op == OpDestroyStray && r.Err == "":
					if _, ok := intents[r.Ref]; ok {
						results++
					}
				}
			}
			if unclear != 1 || len(intents) != late || results != late {
				t.Errorf("journal: %d unclear creates, %d stray destroys intended, %d done; want 1, %d, %d", unclear, len(intents), results, late, late)
			}
			if len(strays) != late {
				t.Errorf("%d stray_destroyed events, want %d", len(strays), late)
			}
			slots := map[int]bool{}
			for _, s := range strays {
				r, ok := intents[0], false
				for _, in := range intents {
					if in.Droplets[0] == s.Droplet {
						r, ok = in, true
					}
				}
				if !ok || s.Err != "" || s.Slot < 0 || r.Slots[0] != s.Slot || slots[s.Slot] || tracked[s.Droplet] {
					t.Errorf("event %+v does not match a journaled destroy of an untracked droplet (%+v)", s, r)
				}
				slots[s.Slot] = true
			}
		})
	}
}

// A create answered 500 whose droplets the API commits while molt is down (it crashed
// after creating again, at every record around that point) leaves them for the resume,
// which finds them by the rollout's tag and destroys the ones nothing tracks.
func TestLateCommittedCreateIsSweptOnResume(t *testing.T) {
	t.Parallel()
	for k := 6; k <= 12; k++ {
		t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
			c := newCrashCase(t, "destroy")
			if _, err := c.env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, Late: true, Delay: lateDelay, Count: 1}); err != nil {
				t.Fatal(err)
			}
			created := c.env.Sim.Stats().DropletsCreated
			path, crashed := c.crashAt(t, k, "")
			if !crashed {
				t.Fatalf("no crash at record %d", k)
			}
			waitLanded(t, c.env.Sim, created+2) // the late create-multiple of two
			c.resume(t, path)
			c.check(t, path, false)
		})
	}
}

// planOn plans the web servers on image from onto target.
func planOn(t *testing.T, env *dosimtest.Env, from, target string, st Strategy) Plan {
	t.Helper()
	var on []fleet.Server
	for _, s := range servers(t, env.Client, "role:web") {
		if s.Image.Name == from {
			on = append(on, s)
		}
	}
	in, err := Gather(context.Background(), env.Client, "web servers on "+from, on, image(t, env.Client, target), st)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitLanded waits until the simulator has created n droplets in all.
func waitLanded(t *testing.T, sim *dosim.Sim, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for sim.Stats().DropletsCreated < n {
		if time.Now().After(deadline) {
			t.Fatalf("the late create never landed: %d droplets created, want %d", sim.Stats().DropletsCreated, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
