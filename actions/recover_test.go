package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
)

// A rollout whose state directory is lost mid-way is rebuilt from the cloud's tags, and
// the rebuilt journal resumes (or rolls back) with every guarantee: the fleet as large
// as before, one droplet per server, every server on its target (or back on its
// source), no lock left and load balancers listing as many droplets as before (case 6
// of issue 11: after the loss nothing but deleting the lock by hand helped, and that
// left duplicates outside the load balancers).
func TestLostJournalIsRecoveredFromTheCloud(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		retire   string
		rollback bool
	}{{"destroy", false}, {"keep", false}, {"keep", true}} {
		n := boundaries(t, tc.retire, false)
		for k := 4; k < n; k += 3 {
			t.Run(fmt.Sprintf("%s rollback=%v record %d", tc.retire, tc.rollback, k), func(t *testing.T) {
				t.Parallel()
				c := newCrashCase(t, tc.retire)
				c.plan.Strategy.Health.Timeout = Duration(10 * time.Second) // no failure on a loaded machine
				c.plan.Strategy.ActiveTimeout = Duration(20 * time.Second)
				path, crashed := c.crashAt(t, k, "")
				if !crashed {
					t.Skip("the rollout ended before the crash")
				}
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				ro := RecoverOptions{Strategy: c.plan.Strategy, Target: fmt.Sprint(c.plan.Target.ImageID)}
				got, err := Recover(context.Background(), c.env.Client, rolloutOfPath(path), ro, c.opt)
				if err != nil {
					t.Fatalf("recover: %v", err)
				}
				if s, err := Summarize(got); err != nil || !s.Recovered {
					t.Fatalf("the recovered journal: %+v, %v", s, err)
				}
				open := Resume
				if tc.rollback {
					open = Rollback
				}
				e, err := open(c.env.Client, got, c.opt)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.run(t, e); err != nil && !(tc.rollback && RolledBackAsAsked(err)) {
					t.Fatalf("run after recover: %v", err)
				}
				c.checkRecovered(t, tc.rollback)
			})
		}
	}
}

// A rollout onto the image each server runs (molt apply --to current), its journal
// lost, is recovered as one, from the tag its new droplets carry: resumed or rolled
// back, every server ends on the image it ran, not on the image of the first new
// droplet found. Before any new droplet, the cloud cannot say so: recover then asks for
// the target, and --to current (SameImage) gives it.
func TestLostSameImageJournalIsRecovered(t *testing.T) {
	t.Parallel()
	first := newCrashCaseOnto(t, "destroy", "")
	images := map[int]bool{}
	for _, id := range first.source {
		images[id] = true
	}
	if len(images) < 2 {
		t.Fatalf("the case's servers run %d images; want several, so that one target would be wrong", len(images))
	}
	path, _ := first.crashAt(t, 0, "")
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	for k := 2; k < len(recs); k += 5 {
		for _, rollback := range []bool{false, true} {
			t.Run(fmt.Sprintf("rollback=%v record %d", rollback, k), func(t *testing.T) {
				t.Parallel()
				c := newCrashCaseOnto(t, "destroy", "")
				c.plan.Strategy.Health.Timeout = Duration(10 * time.Second) // no failure on a loaded machine
				c.plan.Strategy.ActiveTimeout = Duration(20 * time.Second)
				path, crashed := c.crashAt(t, k, "")
				if !crashed {
					t.Skip("the rollout ended before the crash")
				}
				locked, made := rolloutDropletsOf(t, c.env.Client, path)
				if !locked {
					t.Skip("no droplet carries the lock: nothing to recover")
				}
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				ro := RecoverOptions{Strategy: c.plan.Strategy}
				got, err := Recover(context.Background(), c.env.Client, rolloutOfPath(path), ro, c.opt)
				if made != (err == nil) {
					t.Fatalf("recover with new droplets made %v: %v", made, err)
				}
				if !made {
					ro.SameImage = true
					if got, err = Recover(context.Background(), c.env.Client, rolloutOfPath(path), ro, c.opt); err != nil {
						t.Fatalf("recover onto the image each runs: %v", err)
					}
				}
				if s, err := Summarize(got); err != nil || !s.Recovered || s.To != CurrentImage.Name {
					t.Fatalf("the recovered journal: %+v, %v", s, err)
				}
				open := Resume
				if rollback {
					open = Rollback
				}
				e, err := open(c.env.Client, got, c.opt)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.run(t, e); err != nil && !(rollback && RolledBackAsAsked(err)) {
					t.Fatalf("run after recover: %v", err)
				}
				c.checkRecovered(t, rollback)
			})
		}
	}
}

// rolloutDropletsOf reports whether a droplet carries the lock of the rollout at path,
// and whether one carries a create tag of it (the rollout made it).
func rolloutDropletsOf(t *testing.T, c *godo.Client, path string) (locked, made bool) {
	t.Helper()
	id := rolloutOfPath(path)
	found, _, err := c.Droplets.ListByTag(context.Background(), RolloutTag(id), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	e := &Executor{id: id}
	return len(found) > 0, slices.ContainsFunc(found, func(d godo.Droplet) bool { _, _, ok := e.createdBy(d); return ok })
}

// checkRecovered checks the fleet after a recovered rollout ended.
func (c *crashCase) checkRecovered(t *testing.T, rolledBack bool) {
	t.Helper()
	after := snapshot(t, c.env.Client)
	if want := len(c.before.byID) + keptCount(c, rolledBack)*len(c.source); len(after.byID) != want {
		t.Errorf("fleet has %d droplets, want %d", len(after.byID), want)
	}
	names := map[string]int{}
	for id, d := range after.byID {
		names[d.Name]++
		if withMolt(d) && !(keptCount(c, rolledBack) == 1 && d.Status == "off") {
			t.Errorf("droplet %d (%s) still carries a lock tag: %v", id, d.Name, d.Tags)
		}
		want := c.plan.Target.ImageID
		if rolledBack || c.plan.SameImage { // back, or onto the image it ran: its source
			want = c.source[d.Name]
		}
		if c.source[d.Name] != 0 && d.Status == "active" && d.Image.ID != want {
			t.Errorf("server %s runs image %d, want %d", d.Name, d.Image.ID, want)
		}
	}
	for name := range c.source {
		if n := names[name]; n != 1+keptCount(c, rolledBack) {
			t.Errorf("%d droplets are named %s", n, name)
		}
	}
	for i, lb := range after.lbs {
		if lb.Tag != "" {
			continue
		}
		if len(lb.DropletIDs) != len(c.before.lbs[i].DropletIDs) {
			t.Errorf("load balancer %s lists %d droplets, listed %d", lb.Name, len(lb.DropletIDs), len(c.before.lbs[i].DropletIDs))
		}
		for _, id := range lb.DropletIDs {
			if d, ok := after.byID[id]; !ok || d.Status != "active" {
				t.Errorf("load balancer %s lists droplet %d, which is gone or not active", lb.Name, id)
			}
		}
	}
}

// Unlock lifts the lock of a rollout nobody drives and says what it leaves behind; it
// refuses while a live driver holds the lease.
func TestUnlock(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	e := start(t, env, canaryPlan(t, env), onMachine(t, "machine-a", time.Minute))
	done := atCheckpoint(t, e)
	opt := onMachine(t, "machine-b", time.Minute)
	if _, err := Unlock(context.Background(), env.Client, e.ID(), opt, nil); !isDriven(err) {
		t.Fatalf("unlock while driven: %v, want it refused", err)
	}
	e.Abort(false)
	<-done
	c := newCrashCase(t, "destroy")
	path, crashed := c.crashAt(t, 12, "")
	if !crashed {
		t.Fatal("no crash")
	}
	other := startSim(t, dosim.Config{HealthPort: -1})
	var mismatch *AccountMismatchError
	if _, err := Unlock(context.Background(), other.Client, rolloutOfPath(path), c.opt, nil); !errors.As(err, &mismatch) {
		t.Fatalf("unlock on another account: %v, want it refused", err)
	}
	if s, _ := Summarize(path); s.State.Final() {
		t.Fatalf("the refused unlock ended the rollout (%s)", s.State)
	}
	got, err := Unlock(context.Background(), c.env.Client, rolloutOfPath(path), c.opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Old) == 0 || len(got.Made) == 0 || !got.Journaled {
		t.Errorf("unlock left %d old and %d new droplets, journaled %v", len(got.Old), len(got.Made), got.Journaled)
	}
	for _, d := range snapshot(t, c.env.Client).byID {
		if withMolt(d) {
			t.Errorf("droplet %d still carries a lock: %v", d.ID, d.Tags)
		}
	}
	if s, _ := Summarize(path); s.State != StateAborted {
		t.Errorf("the unlocked rollout is %s, want aborted", s.State)
	}
}

func isDriven(err error) bool {
	var de *DrivenError
	return errors.As(err, &de)
}
