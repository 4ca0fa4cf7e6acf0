package actions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// LockedError is a refusal: selected droplets belong to another rollout.
type LockedError struct {
	Rollout string
	Servers []string
}

// Error names the other rollout and some of the servers it holds.
func (e *LockedError) Error() string {
	return fmt.Sprintf("rollout %s holds %s; wait for it to finish, or resume, roll back or finalise it",
		e.Rollout, listNames(e.Servers, 3))
}

// check runs the checks that must pass before any change.
func check(in PlanInput, todo []fleet.Server) error {
	checks := []func(PlanInput, []fleet.Server) error{checkLocks, checkImage, checkRegions, checkDisk, checkLimit}
	if in.SameImage {
		checks = []func(PlanInput, []fleet.Server) error{checkLocks, checkLimit} // the image checks are skips (sameImageSkip)
	}
	for _, c := range checks {
		if err := c(in, todo); err != nil {
			return err
		}
	}
	return nil
}

// checkLocks refuses a selection that holds a droplet another rollout locks: one to
// replace, or one skipped as already on the target (a new droplet of a rollout under
// way, or one that a create of an ended rollout made after its end, which carries its
// lock again and which the caller's sweep of the ended rollout destroys). Only old
// droplets a done rollout keeps powered off (--retire keep) hold its lock legitimately.
func checkLocks(in PlanInput, _ []fleet.Server) error {
	for _, s := range in.Servers {
		if id := lockOf(s); id != "" {
			e := &LockedError{Rollout: id}
			for _, o := range in.Servers {
				if lockOf(o) == id {
					e.Servers = append(e.Servers, o.Name)
				}
			}
			return e
		}
	}
	return nil
}

// lockOf is the rollout that holds a server against a new plan, or "".
func lockOf(s fleet.Server) string {
	if s.Status == "off" {
		return "" // kept by a done rollout for a fast rollback
	}
	return LockOf(s.Tags)
}

func checkImage(in PlanInput, todo []fleet.Server) error {
	t := in.Target
	if t.ImageID == 0 {
		return fmt.Errorf("no target image: name one with --to")
	}
	if t.Status != "" && t.Status != "available" {
		return fmt.Errorf("image %s is %s, not available; pick another with --to", versionName(t), t.Status)
	}
	return nil
}

func checkRegions(in PlanInput, todo []fleet.Server) error {
	var missing []string
	for _, s := range todo {
		if !slices.Contains(in.Target.Regions, s.Region) && !slices.Contains(missing, s.Region) {
			missing = append(missing, s.Region)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	return fmt.Errorf("image %s is not available in %s; copy it there or leave those servers out of the selection",
		versionName(in.Target), strings.Join(missing, ", "))
}

func checkDisk(in PlanInput, todo []fleet.Server) error {
	var small []string
	for _, s := range todo {
		if s.Disk > 0 && s.Disk < in.Target.MinDiskSize && !slices.Contains(small, s.Size) {
			small = append(small, s.Size)
		}
	}
	if len(small) == 0 {
		return nil
	}
	return fmt.Errorf("image %s needs a %d GB disk, larger than size %s has; resize those servers first",
		versionName(in.Target), in.Target.MinDiskSize, strings.Join(small, ", "))
}

// checkLimit: a rollout needs room for the droplets in flight at once, or, when old
// droplets are kept, for a new droplet per replacement.
func checkLimit(in PlanInput, todo []fleet.Server) error {
	if in.Account.DropletLimit <= 0 || len(todo) == 0 {
		return nil
	}
	need := min(max(in.Strategy.Surge, in.Strategy.Canary), len(todo))
	if in.Strategy.Retire.Mode == RetireKeep {
		need = len(todo)
	}
	room := in.Account.DropletLimit - in.Account.Droplets
	if need <= room {
		return nil
	}
	return fmt.Errorf("the account's droplet limit (%d, %d in use) leaves room for %d new droplets, and this rollout needs %d at once; lower --surge or raise the limit",
		in.Account.DropletLimit, in.Account.Droplets, max(room, 0), need)
}

// warnings are what the operator should know but that do not stop the plan.
func warnings(in PlanInput, p Plan) []string {
	var w []string
	if in.Strategy.Launch.Source == "" {
		w = append(w, "DigitalOcean does not return user data or SSH keys, and none were given: new droplets get neither (use --user-data and --ssh-key, or a launch template)")
	}
	if in.Strategy.Health.Kind == HealthNone {
		w = append(w, "no health check: new droplets go into service as soon as they are active")
	}
	for _, lb := range p.LBs {
		if lb.Tag != "" {
			w = append(w, fmt.Sprintf("load balancer %s picks droplets by tag %s: new droplets join it as soon as they are active, before molt's health check", lb.Name, lb.Tag))
		}
	}
	if n := goneSources(p); n > 0 && in.Strategy.Retire.Mode == RetireDestroy {
		w = append(w, fmt.Sprintf("the previous image of %d servers no longer exists: they cannot be rolled back once replaced (use --retire keep)", n))
	}
	if e := p.Estimate; e.APICalls > 0 && in.Rate.Remaining > 0 && e.APICalls > in.Rate.Remaining {
		w = append(w, fmt.Sprintf("this rollout needs about %d API calls and %d remain this hour: it will wait for the rate limit", e.APICalls, in.Rate.Remaining))
	}
	return w
}

func goneSources(p Plan) int {
	n := 0
	for _, r := range p.Replacements() {
		if r.Old.Image.Status == "deleted" {
			n++
		}
	}
	return n
}

func listNames(names []string, most int) string {
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}
