package actions

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// crashCase is a small rollout: three web servers on web-1.4.0 behind an ID-based load
// balancer, surge 2, so that a wave holds a create-multiple (of droplets of one old
// image, as every create is) and another a single create.
type crashCase struct {
	env    *dosimtest.Env
	before world
	plan   Plan
	opt    Options
	source map[string]int // server name -> its image before the rollout
}

func newCrashCase(t *testing.T, retire string) *crashCase {
	return newCrashCaseOnto(t, retire, "web-1.6.0")
}

// newCrashCaseOnto is the case onto target, an image name, or "" for the image each
// server runs (a plan with SameImage).
func newCrashCaseOnto(t *testing.T, retire, targetName string) *crashCase {
	env := startSim(t, dosim.Config{})
	st := testStrategy(env, 2)
	st.Retire, _ = ParseRetire(retire)
	target := CurrentImage
	if targetName != "" {
		target = image(t, env.Client, targetName)
	}
	var three []fleet.Server
	for _, s := range servers(t, env.Client, "role:web", "env:prod") {
		// Onto a target, servers of one image (one create a wave, the same records every
		// run); onto the image each runs, servers of several (one target would be wrong).
		if s.Region == "nyc3" && (targetName == "" || s.Image.Name == "web-1.4.0") && len(three) < 3 {
			three = append(three, s)
		}
	}
	in, err := Gather(context.Background(), env.Client, "three web servers", three, target, st)
	if err != nil {
		t.Fatal(err)
	}
	in.SameImage = targetName == ""
	p, err := NewPlan(in)
	if err != nil {
		t.Fatal(err)
	}
	c := &crashCase{env: env, before: snapshot(t, env.Client), plan: p, opt: testOptions(t), source: map[string]int{}}
	for _, s := range three {
		c.source[s.Name] = s.Image.ImageID
	}
	return c
}

func (c *crashCase) run(t *testing.T, e *Executor) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return e.Run(ctx)
}

// crashAt starts the rollout (or, with path, a rollback of it) and crashes it right
// after journal record k. It returns the journal's path and whether the crash happened.
func (c *crashCase) crashAt(t *testing.T, k int, path string) (string, bool) {
	opt := c.opt
	opt.crashAt = k
	var e *Executor
	var err error
	if path == "" {
		e, err = Start(c.env.Client, c.plan, opt)
	} else {
		e, err = Rollback(c.env.Client, path, opt)
	}
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	err = c.run(t, e)
	crashed := errors.Is(err, errCrashed)
	if err != nil && !crashed && !errors.Is(err, ErrRolledBack) {
		t.Fatalf("run with a crash at record %d: %v", k, err)
	}
	return e.JournalPath(), crashed
}

func (c *crashCase) resume(t *testing.T, path string) {
	e, err := Resume(c.env.Client, path, c.opt)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if err := c.run(t, e); err != nil && !errors.Is(err, ErrRolledBack) {
		t.Fatalf("resumed run: %v", err)
	}
}

// check asserts what must hold after any crash and resume: the fleet as large as
// before, one droplet per server name, every droplet tracked, each server on want
// (its target, or its source after a rollback), and load balancers listing only
// droplets that passed a health check.
func (c *crashCase) check(t *testing.T, path string, rolledBack bool) {
	t.Helper()
	after := snapshot(t, c.env.Client)
	if want := len(c.before.byID) + keptCount(c, rolledBack)*len(c.source); len(after.byID) != want {
		t.Errorf("fleet has %d droplets, want %d", len(after.byID), want)
	}
	tracked, healthy := journaled(t, path)
	names := map[string]int{}
	for id, d := range after.byID {
		names[d.Name]++
		if _, old := c.before.byID[id]; !old && !tracked[id] {
			t.Errorf("droplet %d (%s) is not tracked by the journal", id, d.Name)
		}
		if withMolt(d) && !(c.plan.Strategy.Retire.Mode == RetireKeep && !rolledBack && d.Status == "off") {
			t.Errorf("droplet %d (%s) still carries a lock tag: %v", id, d.Name, d.Tags)
		}
		want, selected := c.source[d.Name], c.source[d.Name] != 0
		if !rolledBack && !c.plan.SameImage { // onto the image it ran: its source either way
			want = c.plan.Target.ImageID
		}
		if selected && d.Status == "active" && d.Image.ID != want {
			t.Errorf("server %s runs image %d, want %d", d.Name, d.Image.ID, want)
		}
	}
	for name := range c.source {
		if n := names[name]; n != 1+keptCount(c, rolledBack) {
			t.Errorf("%d droplets are named %s", n, name)
		}
	}
	c.checkLBs(t, after, healthy)
}

func keptCount(c *crashCase, rolledBack bool) int {
	if c.plan.Strategy.Retire.Mode == RetireKeep && !rolledBack {
		return 1
	}
	return 0
}

func (c *crashCase) checkLBs(t *testing.T, after world, healthy map[int]bool) {
	t.Helper()
	for i, lb := range after.lbs {
		if lb.Tag != "" {
			continue
		}
		if len(lb.DropletIDs) != len(c.before.lbs[i].DropletIDs) {
			t.Errorf("load balancer %s lists %d droplets, listed %d", lb.Name, len(lb.DropletIDs), len(c.before.lbs[i].DropletIDs))
		}
		for _, id := range lb.DropletIDs {
			_, old := c.before.byID[id]
			if _, ok := after.byID[id]; !ok || (!old && !healthy[id]) {
				t.Errorf("load balancer %s lists droplet %d, which is gone or never passed a health check", lb.Name, id)
			}
		}
	}
}

// journaled returns the droplets a journal knows, and those it saw healthy.
func journaled(t *testing.T, path string) (tracked, healthy map[int]bool) {
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	tracked, healthy = map[int]bool{}, map[int]bool{}
	for _, r := range recs {
		for _, id := range r.Droplets {
			tracked[id] = true
		}
		var restored int
		if _, err := fmt.Sscan(r.Target, &restored); err == nil && r.Kind == KindPhase {
			tracked[restored] = true
			healthy[restored] = r.Phase == PhaseRolledBack || healthy[restored]
		}
		if r.Kind == KindPhase && r.Phase == PhaseHealthy {
			healthy[r.Droplets[0]] = true
		}
	}
	return tracked, healthy
}

// boundaries counts the records of an uninterrupted run of the same case.
func boundaries(t *testing.T, retire string, rollback bool) int {
	c := newCrashCase(t, retire)
	path, _ := c.crashAt(t, 0, "")
	if rollback {
		path, _ = c.crashAt(t, 0, path)
	}
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func TestCrashAtEveryJournalBoundary(t *testing.T) {
	t.Parallel()
	for _, retire := range []string{"destroy", "keep"} {
		t.Run(retire, func(t *testing.T) {
			n := boundaries(t, retire, false)
			for k := 1; k <= n; k++ {
				t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
					c := newCrashCase(t, retire)
					path, crashed := c.crashAt(t, k, "")
					if !crashed && k < n {
						t.Fatalf("no crash at record %d of %d", k, n)
					}
					if crashed {
						c.resume(t, path)
					}
					c.check(t, path, false)
				})
			}
		})
	}
}

func TestCrashDuringRollbackAtEveryBoundary(t *testing.T) {
	t.Parallel()
	for _, retire := range []string{"destroy", "keep"} {
		t.Run(retire, func(t *testing.T) {
			applied := boundaries(t, retire, false)
			n := boundaries(t, retire, true)
			for k := applied + 1; k <= n; k++ {
				t.Run(fmt.Sprint("record ", k), func(t *testing.T) {
					c := newCrashCase(t, retire)
					path, _ := c.crashAt(t, 0, "")
					if _, crashed := c.crashAt(t, k, path); crashed {
						c.resume(t, path)
					}
					c.check(t, path, true)
				})
			}
		})
	}
}
