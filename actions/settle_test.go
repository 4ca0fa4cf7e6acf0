package actions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// leftBehind lists the droplets carrying one of the rollout's create tags that are no
// replacement's new droplet, and those carrying its lock tag.
func leftBehind(t *testing.T, env *dosimtest.Env, e *Executor) (strays, locked []godo.Droplet) {
	t.Helper()
	tracked := map[int]bool{}
	for _, sl := range e.Status().Slots {
		tracked[sl.NewID] = true
	}
	for _, d := range snapshot(t, env.Client).byID {
		for _, tag := range d.Tags {
			switch {
			case tag == RolloutTag(e.ID()):
				locked = append(locked, d)
			case strings.HasPrefix(tag, RolloutTag(e.ID())+":g") && !tracked[d.ID]:
				strays = append(strays, d)
			}
		}
	}
	return strays, locked
}

// lateRollout runs a one-wave rollout whose first create is answered 500 and committed
// lateDelay later: after the rollout would have released its lock.
func lateRollout(t *testing.T, settle, late time.Duration) (*dosimtest.Env, *Executor, error) {
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 3), "role:web", "env:prod")
	p.Waves = p.Waves[:1]
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, Late: true, Delay: late, Count: 1}); err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	opt.Timing.Settle = settle
	e := start(t, env, p, opt)
	return env, e, run(t, e)
}

// A create answered 500 that the API commits after the rollout has ended its
// replacements is not forgotten: the rollout stays finishing until the settle period has
// passed, then sweeps it, and only then lifts its lock (case 3 of issue 11: four
// duplicates carried the rollout's tags, and its lock stayed for ever).
func TestCreateCommittedLateIsSweptBeforeTheLockGoes(t *testing.T) {
	t.Parallel()
	// The late create lands after the rollout would have ended, even on a loaded machine.
	env, e, err := lateRollout(t, 3*time.Second, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	strays, locked := leftBehind(t, env, e)
	if len(strays)+len(locked) != 0 {
		t.Errorf("after the rollout: %d untracked droplets, %d still locked", len(strays), len(locked))
	}
	recs, err := ReadJournal(e.JournalPath())
	if err != nil {
		t.Fatal(err)
	}
	finishing, destroyed := false, 0
	for _, r := range recs {
		finishing = finishing || r.Kind == KindState && r.State == StateFinishing && r.Final == StateDone
		if r.Kind == KindIntent && (r.Op == OpDestroyStray || r.Op == OpDestroyDuplicate) {
			destroyed++
		}
	}
	if !finishing || destroyed == 0 {
		t.Errorf("journal: finishing %v, %d strays destroyed; want finishing and the late droplets destroyed", finishing, destroyed)
	}
	if s, _ := Summarize(e.JournalPath()); s.State != StateDone {
		t.Errorf("the rollout is %s, want done", s.State)
	}
}

// Droplets committed after the rollout ended (no settle period here) carry its lock
// again: resuming the done rollout sweeps them instead of refusing, and lifts the lock.
func TestResumeOfADoneRolloutSweepsWhatCameLate(t *testing.T) {
	t.Parallel()
	env, e, err := lateRollout(t, -1, 2*time.Second) // after the end, even on a loaded machine
	if err != nil {
		t.Fatal(err)
	}
	waitLocked(t, env, e.ID()) // the late create has landed
	x, err := Resume(env.Client, e.JournalPath(), testOptions(t))
	if err != nil {
		t.Fatalf("resume of a done rollout with droplets left behind: %v", err)
	}
	if err := run(t, x); err != nil {
		t.Fatal(err)
	}
	if strays, locked := leftBehind(t, env, e); len(strays)+len(locked) != 0 {
		t.Errorf("after the resume: %d untracked droplets, %d still locked", len(strays), len(locked))
	}
	x, err = Resume(env.Client, e.JournalPath(), testOptions(t))
	if err == nil {
		err = run(t, x)
	}
	if !errors.Is(err, ErrNothingToResume) {
		t.Errorf("a second resume: %v, want nothing to resume", err)
	}
	if s, _ := Summarize(e.JournalPath()); s.State != StateDone {
		t.Errorf("after resuming it twice the rollout is %s, want done", s.State)
	}
}

// A later plan that meets a droplet locked by a rollout that has ended, made by one of
// its creates after its end, sweeps it (journaled in that rollout) and plans. The plan
// meets it also onto the very target the late droplet runs, where it is skipped as
// already there (D2 of the chaos findings: the same plan again did not meet the lock,
// and the duplicate stayed).
func TestPlanSweepsWhatAnEndedRolloutLeftLocked(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"web-1.5.0", "web-1.6.0"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			env, e, err := lateRollout(t, -1, 2*time.Second) // after the end, even on a loaded machine
			if err != nil {
				t.Fatal(err)
			}
			waitLocked(t, env, e.ID()) // the late create has landed
			opt := testOptions(t)
			opt.Dir = filepath.Dir(e.JournalPath())
			ctx := context.Background()
			in, err := Gather(ctx, env.Client, "tag role:web", servers(t, env.Client, "role:web"), image(t, env.Client, target), sturdyStrategy(env, 3))
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewPlan(in)
			var le *LockedError
			if !errors.As(err, &le) || le.Rollout != e.ID() {
				t.Fatalf("plan before the sweep: %v, want it locked by %s", err, e.ID())
			}
			n, err := SweepEnded(ctx, env.Client, le.Rollout, opt)
			if err != nil || n == 0 {
				t.Fatalf("sweep: %d destroyed, %v", n, err)
			}
			in, err = Gather(ctx, env.Client, "tag role:web", servers(t, env.Client, "role:web"), image(t, env.Client, target), sturdyStrategy(env, 3))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := NewPlan(in); err != nil {
				t.Errorf("plan after the sweep: %v", err)
			}
		})
	}
}

// A create answered with an error that the API commits after the rollout's last look
// at its lock tag, but before the release took that tag off everything, is left with
// no lock tag, so nothing would meet it again: the rollout looks for it by its create's
// tag once the lock is released, and destroys it (D2 of the chaos findings). The
// release's request is held up here, and the late droplet committed meanwhile.
func TestCreateCommittedDuringTheReleaseIsSwept(t *testing.T) {
	t.Parallel()
	env := startSim(t, dosim.Config{})
	p := plan(t, env.Client, "web-1.6.0", sturdyStrategy(env, 3), "role:web", "env:prod")
	p.Waves = p.Waves[:1]
	// The first create is carried out but answered 500: an unclear create, adopted.
	if _, err := env.Sim.AddFault(dosim.Fault{Method: "POST", Path: "/v2/droplets", Status: 500, After: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	opt := testOptions(t)
	opt.Timing.Settle = -1
	e := start(t, env, p, opt)
	hold, err := env.Sim.AddFault(dosim.Fault{Method: "DELETE", Path: "/v2/tags/" + RolloutTag(e.ID()), Delay: time.Second, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	late := make(chan int, 1)
	go func() { late <- commitDuring(t, env, hold.ID, e.ID(), p.Waves[0].Replacements[0]) }()
	if err := run(t, e); err != nil {
		t.Fatal(err)
	}
	id := <-late
	if id == 0 {
		t.Fatal("the late droplet was not committed during the release")
	}
	if _, _, err := env.Client.Droplets.Get(context.Background(), id); err == nil {
		t.Errorf("droplet %d, committed during the release, is still there", id)
	}
	if strays, locked := leftBehind(t, env, e); len(strays)+len(locked) != 0 {
		t.Errorf("after the rollout: %d untracked droplets, %d still locked", len(strays), len(locked))
	}
}

// commitDuring waits until the release's request is held up by fault rule hold, then
// makes the droplet a late create of the replacement's group would: its name, the lock
// and its create's tag. It returns the droplet's ID, or 0 on failure.
func commitDuring(t *testing.T, env *dosimtest.Env, hold int, id string, r Replacement) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ruleInForce(ctx, env, hold) {
		select {
		case <-ctx.Done():
			t.Error("the release never came")
			return 0
		case <-time.After(5 * time.Millisecond):
		}
	}
	req := &godo.DropletCreateRequest{Name: r.Old.Name, Region: r.Old.Region, Size: r.Old.Size,
		Image: godo.DropletCreateImage{ID: r.Old.Image.ImageID}, Tags: []string{RolloutTag(id), GroupTag(id, r.Group)}}
	d, _, err := env.Client.Droplets.Create(ctx, req)
	if err != nil {
		t.Errorf("commit the late droplet: %v", err)
		return 0
	}
	return d.ID
}

// ruleInForce reports whether the simulator still holds fault rule id (a rule with a
// count leaves once it has fired that often).
func ruleInForce(ctx context.Context, env *dosimtest.Env, id int) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/_sim/faults", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return true
	}
	defer resp.Body.Close()
	var out struct{ Faults []dosim.Fault }
	if json.NewDecoder(resp.Body).Decode(&out) != nil {
		return true
	}
	return slices.ContainsFunc(out.Faults, func(f dosim.Fault) bool { return f.ID == id })
}

// waitLocked waits until a droplet carries the rollout's lock tag.
func waitLocked(t *testing.T, env *dosimtest.Env, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ds, _, err := env.Client.Droplets.ListByTag(ctx, RolloutTag(id), nil)
		if err == nil && len(ds) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no droplet carries the lock of %s", id)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
