package actions

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
)

// A pool rollout has one driver, as a droplet rollout has: the journal's lock on this
// machine, the lease in the cloud on what carries its lock, fair locking when two
// rollouts of one pool start at once, and a dead driver's lease that runs out.

// longPoolMinute makes a small pool's rollout last seconds (a member's replacement takes
// 2.1s), so that a test can look at it while it runs; the tests interrupt it then.
const longPoolMinute = 100 * time.Millisecond

// onMachinePool is the case's options as a driver on host with a lease of ttl.
func (c *poolCase) onMachine(host string, ttl time.Duration) Options {
	opt := c.opt
	opt.Dir = ""
	opt.driver = &Driver{Host: host, PID: 4242}
	opt.Timing.Lease = ttl
	return opt
}

// runningPool runs r in the background until ctx ends, once it holds its lease and the
// template points at the target; it returns what Run returns.
func runningPool(t *testing.T, ctx context.Context, r *PoolRollout) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitFor(t, 10*time.Second, func() bool {
		select {
		case err := <-done:
			t.Fatalf("the run ended before the test looked at it: %v", err)
		default:
		}
		return r.lease.current() != "" && r.Status().State == StateRunning && hasIntent(r.JournalPath(), OpPoolTemplate)
	})
	return done
}

func hasIntent(path string, op Op) bool {
	recs, err := ReadJournal(path)
	return err == nil && slices.ContainsFunc(recs, func(r Record) bool { return r.Kind == KindIntent && r.Op == op })
}

// leases lists the lease tags on the droplets of the world.
func leases(t *testing.T, c *godo.Client) []string {
	t.Helper()
	var out []string
	for _, d := range snapshot(t, c).byID {
		for _, tag := range d.Tags {
			if strings.Contains(tag, ":lease:") {
				out = append(out, tag)
			}
		}
	}
	return out
}

// While a run drives a pool rollout, a second resume or rollback of its journal on the
// same machine is refused at once, naming the driver.
func TestPoolSecondDriverOnTheSameMachineIsRefused(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCaseOf(t, longPoolMinute)
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runningPool(t, ctx, r)
	for name, open := range map[string]func() (*PoolRollout, error){
		"resume":   func() (*PoolRollout, error) { return ResumePool(c.client, r.JournalPath(), c.opt) },
		"rollback": func() (*PoolRollout, error) { return RollbackPool(c.client, r.JournalPath(), c.opt) },
	} {
		_, err := open()
		var de *DrivenError
		if !errors.As(err, &de) || de.Driver.PID != os.Getpid() || de.Rollout != r.ID() {
			t.Errorf("%s while another run drives the pool rollout: %v, want it refused naming pid %d", name, err, os.Getpid())
		}
	}
	stopDriver(t, cancel, done, c.client)
}

// A second machine cannot drive a pool rollout whose lease a live driver holds: its run
// reads the lease before it changes anything and ends, naming the driver.
func TestPoolSecondMachineIsRefusedByTheLease(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCaseOf(t, longPoolMinute)
	ttl := 3 * time.Second
	optA := c.onMachine("machine-a", ttl)
	optA.Dir = t.TempDir()
	r, err := StartPool(c.client, c.plan(t), optA)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runningPool(t, ctx, r)
	copied := copyJournal(t, r.JournalPath(), t.TempDir())
	before := intents(t, copied)
	for _, open := range []func(string, Options) (*PoolRollout, error){
		func(p string, o Options) (*PoolRollout, error) { return ResumePool(c.client, p, o) },
		func(p string, o Options) (*PoolRollout, error) { return RollbackPool(c.client, p, o) },
	} {
		optB := c.onMachine("machine-b", ttl)
		optB.Dir = t.TempDir()
		x, err := open(copied, optB)
		if err != nil {
			t.Fatal(err)
		}
		err = runPool(t, x)
		var de *DrivenError
		if !errors.As(err, &de) || de.Driver.Host != "machine-a" || de.Until.IsZero() || !strings.Contains(err.Error(), "driven by machine-a") {
			t.Fatalf("a second machine's run: %v, want it refused naming machine-a and its lease", err)
		}
	}
	if n := intents(t, copied) - before; n != 0 {
		t.Errorf("the refused runs journaled %d changes", n)
	}
	stopDriver(t, cancel, done, c.client)
}

// A driver of a pool rollout that died leaves its lease: another machine takes the
// rollout over once the lease has run out, and finishes it.
func TestPoolDeadDriversLeaseRunsOut(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	ttl := 400 * time.Millisecond
	optA := c.onMachine("machine-a", ttl)
	optA.Dir = t.TempDir()
	r, err := StartPool(c.client, c.plan(t), optA)
	if err != nil {
		t.Fatal(err)
	}
	p := poolCrashPoint{"the first new member seen", 1, phaseIs(PhaseCreated)}
	r.crashAfter, _ = p.crash()
	if err := runPool(t, r); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	copied := copyJournal(t, r.JournalPath(), t.TempDir())
	refused := 0
	waitFor(t, 20*time.Second, func() bool {
		optB := c.onMachine("machine-b", ttl)
		optB.Dir = t.TempDir()
		x, xerr := ResumePool(c.client, copied, optB)
		if xerr != nil {
			err = xerr
			return true
		}
		err = runPool(t, x)
		var de *DrivenError
		if errors.As(err, &de) {
			refused++
			return false
		}
		return true
	})
	if err != nil {
		t.Fatalf("machine b's resume once the lease ran out: %v", err)
	}
	if refused == 0 {
		t.Log("the lease had run out before machine b's first try") // a loaded machine
	}
	c.check(t, c.target)
}

// Two rollouts of one pool confirmed at the same moment (both planned before either
// locked) both lock; exactly one goes on and rolls the pool, the other lifts its lock
// and stops naming it.
func TestPoolRolloutsRacingForOnePool(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	p := c.plan(t)
	var rs [2]*PoolRollout
	for i := range rs {
		var err error
		if rs[i], err = StartPool(c.client, p, c.opt); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 2)
	for _, r := range rs {
		go func() { errs <- runPool(t, r) }()
	}
	var won, lost int
	for range rs {
		err := <-errs
		var le *LockedError
		switch {
		case err == nil:
			won++
		case errors.Is(err, ErrAborted) && errors.As(err, &le) && (le.Rollout == rs[0].ID() || le.Rollout == rs[1].ID()):
			lost++
		default:
			t.Errorf("a racing rollout: %v", err)
		}
	}
	if won != 1 || lost != 1 {
		t.Fatalf("%d won and %d lost, want one each", won, lost)
	}
	c.check(t, c.target)
}

// The lock of a pool rollout whose journal is lost is not rebuilt as a droplet
// rollout (which would leave every member out and release it half rolled): recover
// refuses, naming unlock, and unlock lifts it.
func TestPoolLockIsUnlockedNotRecovered(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	// The crash comes before the template changes: once it has, the pool retires the
	// members that carry the lock, and with them the lock.
	p := poolCrashPoint{"the lock result", 1, resultOf(OpPoolLock)}
	r.crashAfter, _ = p.crash()
	if err := runPool(t, r); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	lost := c.opt
	lost.Dir = t.TempDir()
	_, err = Recover(context.Background(), c.client, r.ID(), RecoverOptions{Strategy: poolStrategy(c.env)}, lost)
	if err == nil || !strings.Contains(err.Error(), "molt unlock "+r.ID()) || !strings.Contains(err.Error(), "pool api") {
		t.Fatalf("recover of a pool rollout's lock: %v, want it refused naming molt unlock", err)
	}
	out, err := Unlock(context.Background(), c.client, r.ID(), c.opt, nil)
	if err != nil || !out.Journaled || len(out.Old) == 0 {
		t.Fatalf("unlock: %+v, %v", out, err)
	}
	for _, d := range snapshot(t, c.client).byID {
		if withMolt(d) {
			t.Errorf("droplet %s still carries a lock after the unlock: %v", d.Name, d.Tags)
		}
	}
	if sum, err := Summarize(r.JournalPath()); err != nil || sum.State != StateAborted {
		t.Errorf("the journal after the unlock: %+v, %v", sum, err)
	}
}

// A pool rollout resumed after another rollout locked the pool while it had no driver
// leaves the pool to that one: it lifts its own lock and ends, naming it, and the
// template stays as it was.
func TestResumedPoolRolloutYieldsToAnotherLock(t *testing.T) {
	t.Parallel()
	c := newSmallPoolCase(t)
	r, err := StartPool(c.client, c.plan(t), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	p := poolCrashPoint{"the lock result", 1, resultOf(OpPoolLock)}
	r.crashAfter, _ = p.crash()
	if err := runPool(t, r); !errors.Is(err, errCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	other := "molt:20250101-120000-abcd"
	for id := range c.members {
		if _, err := c.client.Tags.TagResources(context.Background(), other, &godo.TagResourcesRequest{
			Resources: dropletResources([]int{id})}); err != nil {
			t.Fatal(err)
		}
	}
	x, err := ResumePool(c.client, r.JournalPath(), c.opt)
	if err != nil {
		t.Fatal(err)
	}
	err = runPool(t, x)
	var le *LockedError
	if !errors.Is(err, ErrAborted) || !errors.As(err, &le) || le.Rollout != "20250101-120000-abcd" {
		t.Fatalf("the resumed run: %v, want it aborted naming the other rollout", err)
	}
	if hasIntent(r.JournalPath(), OpPoolTemplate) {
		t.Error("the resumed run changed the template")
	}
	for _, d := range snapshot(t, c.client).byID {
		for _, tag := range d.Tags {
			if strings.HasPrefix(tag, RolloutTag(r.ID())) {
				t.Errorf("droplet %s still carries %s", d.Name, tag)
			}
		}
	}
}

// stopDriver interrupts the pool rollout running in done and checks that it stopped as
// interrupted, leaving no lease behind.
func stopDriver(t *testing.T, cancel context.CancelFunc, done <-chan error, c *godo.Client) {
	t.Helper()
	cancel()
	if err := <-done; !errors.Is(err, ErrInterrupted) {
		t.Fatalf("the driver's run: %v, want interrupted", err)
	}
	if l := leases(t, c); len(l) != 0 {
		t.Errorf("leases left after the driver stopped: %v", l)
	}
}
