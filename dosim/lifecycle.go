package dosim

import (
	"errors"
	"strconv"
	"time"
)

// actionEffects apply what an action does to the world once it completes, by action type.
// They run under s.mu. Files serving other resources add their own.
var actionEffects = map[string]func(s *Sim, a *Action){}

// startAction records an in-progress action and schedules its completion after delay.
func (s *Sim) startAction(typ, resourceType string, resourceID int, region string, params map[string]string, delay time.Duration) *Action {
	s.w.NextAction++
	now := s.now()
	a := &Action{
		ID: s.w.NextAction, Status: "in-progress", Type: typ, StartedAt: now, DoneAt: now.Add(delay),
		ResourceID: resourceID, ResourceType: resourceType, Region: region, Params: params,
	}
	s.w.addAction(a)
	if typ != "create" {
		s.scheduleAction(a)
	}
	return a
}

// recordAction records an action that completed at once, at the given time: a destroy,
// or a change from a seed's history.
func (s *Sim) recordAction(typ, resourceType string, resourceID int, region string, at time.Time) *Action {
	s.w.NextAction++
	done := at
	a := &Action{ID: s.w.NextAction, Status: "completed", Type: typ, StartedAt: at, CompletedAt: &done, DoneAt: at,
		ResourceID: resourceID, ResourceType: resourceType, Region: region}
	s.w.addAction(a)
	return a
}

func (s *Sim) scheduleAction(a *Action) {
	s.schedule(actionTimer(a.ID), a.DoneAt, func() { s.completeAction(a, "completed") })
}

// completeAction ends an action and applies its effect. Runs under s.mu.
func (s *Sim) completeAction(a *Action, status string) {
	if a.Status != "in-progress" {
		return
	}
	if a.locks() {
		if s.w.busy[a.ResourceID]--; s.w.busy[a.ResourceID] <= 0 {
			delete(s.w.busy, a.ResourceID)
		}
	}
	t := s.now()
	a.Status, a.CompletedAt = status, &t
	if status == "completed" {
		if fx, ok := actionEffects[a.Type]; ok {
			fx(s, a)
		}
	}
}

// schedule runs fn under s.mu at the given time (at once if it has passed).
func (s *Sim) schedule(key string, at time.Time, fn func()) {
	if old, ok := s.timers[key]; ok {
		old.Stop()
	}
	s.timers[key] = time.AfterFunc(max(0, time.Until(at)), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		delete(s.timers, key)
		fn()
		s.saveStateLocked()
	})
}

func (s *Sim) unschedule(key string) {
	if t, ok := s.timers[key]; ok {
		t.Stop()
		delete(s.timers, key)
	}
}

func actionTimer(id int) string { return "action:" + strconv.Itoa(id) }

// scheduleActivation moves a new droplet to active at its ReadyAt (or at once, if that
// has passed), unless its image is stuck; SetImageFlags schedules it again on release.
func (s *Sim) scheduleActivation(d *Droplet) {
	if s.stuck(d) {
		return
	}
	s.schedule(dropletKey(d.ID), d.ReadyAt, func() { s.activate(d.ID) })
}

// stuck reports whether a droplet's image holds it in "new".
func (s *Sim) stuck(d *Droplet) bool {
	im, ok := s.w.Images[d.ImageID]
	return ok && im.Stuck
}

func (s *Sim) activate(id int) {
	d, ok := s.w.Droplets[id]
	if !ok || d.Status != "new" || s.stuck(d) {
		return
	}
	d.Status = "active"
	s.openHealth(d)
	if a, ok := s.w.Actions[d.CreateAction]; ok {
		s.completeAction(a, "completed")
	}
	if d.Pool != "" {
		s.poolMemberUp(d)
	}
}

// openHealth opens a droplet's health listener. A full hub is said once, by
// HealthNotice, rather than once per droplet.
func (s *Sim) openHealth(d *Droplet) {
	if err := s.health.open(d.ID, d.PublicIP); err != nil && !errors.Is(err, errHealthFull) {
		s.logf("%v", err)
	}
}

// resumeLifecycle restarts timers and listeners for a world just seeded or loaded. When
// the open-file limit cannot give every active droplet a listener, the seeded ones (in ID
// order) leave a reserve for the droplets a rollout creates, which are the ones probed.
func (s *Sim) resumeLifecycle() {
	reserve := seedReserve(s.cfg.HealthListeners)
	for _, d := range s.w.sortedDroplets(nil) {
		switch d.Status {
		case "new":
			s.scheduleActivation(d)
		case "active":
			if s.health.room() > reserve {
				s.openHealth(d)
			}
		}
	}
	for _, a := range s.w.Actions {
		if a.Status == "in-progress" && a.Type != "create" {
			s.scheduleAction(a)
		}
	}
	for _, lb := range s.w.LoadBalancers {
		s.scheduleLB(lb)
	}
	for _, p := range s.w.Pools {
		s.schedulePool(p, s.now())
	}
}

// locks reports whether an action locks its droplet: one in progress on a droplet, other
// than the create that DigitalOcean runs while the droplet is "new" and unlocked.
func (a *Action) locks() bool {
	return a.ResourceType == "droplet" && a.Status == "in-progress" && a.Type != "create"
}

// locked reports whether a droplet has an action in progress, as DigitalOcean's `locked`.
func (w *world) locked(dropletID int) bool { return w.busy[dropletID] > 0 }
