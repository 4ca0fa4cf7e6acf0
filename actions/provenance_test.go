package actions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
)

// lostAfterRetire runs the crash case until its first old droplet is destroyed, then
// loses the journal: what the cloud holds is all there is.
func lostAfterRetire(t *testing.T) (*crashCase, string) {
	t.Helper()
	c := newCrashCase(t, "destroy")
	c.plan.Strategy.Health.Timeout = Duration(10 * time.Second) // no failure on a loaded machine
	c.plan.Strategy.ActiveTimeout = Duration(20 * time.Second)
	path := c.crashAfter(t, func(r Record) bool { return r.Kind == KindResult && r.Op == OpRetire && r.Err == "" })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	return c, rolloutOfPath(path)
}

// crashAfter starts the rollout and crashes it right after the first journal record
// that matches; it returns the journal's path.
func (c *crashCase) crashAfter(t *testing.T, match func(Record) bool) string {
	t.Helper()
	opt := c.opt
	opt.crashAfter = match
	e, err := Start(c.env.Client, c.plan, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.run(t, e); !errors.Is(err, errCrashed) {
		t.Fatalf("the rollout did not crash where asked: %v", err)
	}
	return e.JournalPath()
}

// recoverLost rebuilds the journal of a lost rollout from the cloud.
func (c *crashCase) recoverLost(t *testing.T, id string) string {
	t.Helper()
	ro := RecoverOptions{Strategy: c.plan.Strategy, Target: fmt.Sprint(c.plan.Target.ImageID)}
	path, err := Recover(context.Background(), c.env.Client, id, ro, c.opt)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	return path
}

// After the journal is lost once old droplets were destroyed, the journal rebuilt from
// the cloud knows the image each ran (its new droplet says so from birth), so a rollback
// re-creates them and ends with every server back on its image (D1 of the chaos
// findings: the rebuild knew "an unknown image", the rollback's re-create was refused,
// and every resume failed the same way: a dead end holding the lock).
func TestRecoveredRollbackRecreatesDestroyedOldDroplets(t *testing.T) {
	t.Parallel()
	c, id := lostAfterRetire(t)
	path := c.recoverLost(t, id)
	steps, err := PreviewRollback(path)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	recreated := 0
	for _, st := range steps {
		if !st.Fast {
			recreated++
			if st.Recreate != "web-1.4.0" {
				t.Errorf("%s is re-created from %q, want the image it ran, web-1.4.0", st.Name, st.Recreate)
			}
		}
	}
	if recreated == 0 {
		t.Fatalf("no step re-creates a destroyed old droplet: %+v", steps)
	}
	e, err := Rollback(c.env.Client, path, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.run(t, e); !RolledBackAsAsked(err) {
		t.Fatalf("rollback after recover: %v", err)
	}
	c.checkRecovered(t, true)
}

// A new droplet that does not say what its old droplet ran (made by a molt before the
// image tag) leaves that replacement irreversible: the rollback is refused before it
// changes anything, naming the server and the way forward, and resume finishes the
// rollout.
func TestRecoveredWithoutImageRefusesRollbackAndResumes(t *testing.T) {
	t.Parallel()
	c, id := lostAfterRetire(t)
	untagImages(t, c, id)
	path := c.recoverLost(t, id)
	before := snapshot(t, c.env.Client)
	var irr *IrreversibleError
	if _, err := PreviewRollback(path); !errors.As(err, &irr) {
		t.Fatalf("preview: %v, want it refused", err)
	}
	if _, err := Rollback(c.env.Client, path, c.opt); !errors.As(err, &irr) || len(irr.Servers) == 0 ||
		!strings.Contains(err.Error(), "molt resume "+id) {
		t.Fatalf("rollback: %v, want it refused naming the servers and resume", err)
	}
	if after := snapshot(t, c.env.Client); len(after.byID) != len(before.byID) {
		t.Fatalf("the refused rollback changed the fleet: %d droplets, %d before", len(after.byID), len(before.byID))
	}
	e, err := Resume(c.env.Client, path, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.run(t, e); err != nil {
		t.Fatalf("resume after the refusal: %v", err)
	}
	c.checkRecovered(t, false)
}

// untagImages takes the image tags off the rollout's droplets, as a molt before them
// made its droplets.
func untagImages(t *testing.T, c *crashCase, id string) {
	t.Helper()
	ctx := context.Background()
	tagged, _, err := c.env.Client.Droplets.ListByTag(ctx, RolloutTag(id), &godo.ListOptions{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range tagged {
		if image := imageOfTags(id, d.Tags); image != 0 {
			req := &godo.UntagResourcesRequest{Resources: dropletResources([]int{d.ID})}
			if _, err := c.env.Client.Tags.UntagResources(ctx, ImageTag(id, image), req); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A rollback that failures start (not the operator) in a rollout whose replacements
// cannot all be reversed reverses the others and leaves those on the target, saying
// why, instead of failing at the re-create for ever.
func TestRollbackOnFailureLeavesIrreversibleReplacementsOnTheTarget(t *testing.T) {
	t.Parallel()
	c, id := lostAfterRetire(t)
	untagImages(t, c, id)
	c.plan.Strategy.Health.FailThreshold = 2 // the unhealthy target fails at once
	path := c.recoverLost(t, id)
	if err := c.env.Sim.SetImageFlags(c.plan.Target.ImageID, true, false); err != nil {
		t.Fatal(err)
	}
	e, err := Resume(c.env.Client, path, c.opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.run(t, e); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("resume onto an unhealthy target: %v, want it rolled back", err)
	}
	stayed := 0
	for _, sl := range e.Status().Slots {
		if sl.Phase == PhaseDone {
			stayed++
		}
	}
	recs, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	said := 0
	for _, r := range recs {
		if r.Kind == KindPhase && r.Reason == irreversibleReason {
			said++
		}
	}
	if stayed == 0 || said != stayed {
		t.Errorf("%d replacements stayed on the target, %d journaled why", stayed, said)
	}
	for _, d := range snapshot(t, c.env.Client).byID {
		if withMolt(d) {
			t.Errorf("droplet %d (%s) still carries a lock tag: %v", d.ID, d.Name, d.Tags)
		}
	}
}

// The image tag keeps to DigitalOcean's tag rules (letters, digits, colons, dashes and
// underscores, at most 255 characters) and reads back; other tags of the rollout are
// no image tag.
func TestImageTag(t *testing.T) {
	id := "20261130-142539-0746"
	valid := regexp.MustCompile(`^[A-Za-z0-9:_-]{1,255}$`)
	tag := ImageTag(id, 2147483647)
	if !valid.MatchString(tag) {
		t.Errorf("%q is not a DigitalOcean tag", tag)
	}
	for _, tc := range []struct {
		tags []string
		want int
	}{
		{[]string{"role:web", RolloutTag(id), GroupTag(id, 3), tag}, 2147483647},
		{[]string{GroupTag(id, 3), RollbackGroupTag(id, 1), leaseTagName(id, time.UnixMilli(1), Driver{Host: "h", PID: 9})}, 0},
		{[]string{ImageTag("20261130-142539-0747", 5), "molt:" + id + ":i-5", "molt:" + id + ":ix"}, 0},
	} {
		if got := imageOfTags(id, tc.tags); got != tc.want {
			t.Errorf("imageOfTags(%v) = %d, want %d", tc.tags, got, tc.want)
		}
	}
}

// workerMove is a rollout of the prod workers with their volumes (--move-volumes),
// crashed right after its first volume's detach.
func workerMove(t *testing.T) (*dosimtest.Env, Strategy, map[string]string, string) {
	t.Helper()
	env := startSim(t, dosim.Config{})
	holders := volumeHolders(t, env.Client)
	st := testStrategy(env, 2)
	st.MoveVolumes = true
	st.Health.Timeout, st.ActiveTimeout = Duration(10*time.Second), Duration(20*time.Second) // a loaded machine
	c := &crashCase{env: env, plan: plan(t, env.Client, "worker-2.2.0", st, "role:worker", "env:prod"), opt: testOptions(t)}
	path := c.crashAfter(t, func(r Record) bool { return r.Kind == KindResult && r.Op == OpVolumeDetach && r.Err == "" })
	return env, st, holders, path
}

// A crash between a volume's detach from its old droplet and its attach to the new one
// leaves it attached to nothing; with the journal lost too, only the tag the move put on
// the volume says whose it is. The rebuilt journal moves it on (even when recover is not
// told --move-volumes again), and the tag goes as the rollout ends (the chaos suite's
// seed 179: the volume stayed on nothing).
func TestRecoveredRolloutFinishesAVolumeMove(t *testing.T) {
	t.Parallel()
	env, st, holders, path := workerMove(t)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	st.MoveVolumes = false // the operator forgot it
	opt := testOptions(t)
	got, err := Recover(context.Background(), env.Client, rolloutOfPath(path), RecoverOptions{Strategy: st}, opt)
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	e, err := Resume(env.Client, got, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(t, e); err != nil {
		t.Fatalf("resume after recover: %v", err)
	}
	moved := volumeHolders(t, env.Client)
	for vol, was := range holders {
		if name, _, _ := strings.Cut(was, "@"); moved[vol] != name+"@worker-2.2.0" {
			t.Errorf("volume %s is on %q, want the new %s", vol, moved[vol], name)
		}
	}
	vols, _, err := env.Client.Storage.ListVolumes(context.Background(), &godo.ListVolumeParams{ListOptions: &godo.ListOptions{PerPage: 200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vols {
		for _, tag := range v.Tags {
			if strings.HasPrefix(tag, "molt:") {
				t.Errorf("volume %s still carries %s", v.Name, tag)
			}
		}
	}
}
