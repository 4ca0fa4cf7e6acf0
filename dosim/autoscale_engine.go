package dosim

import (
	"fmt"
	"time"
)

// How a pool changes, as DigitalOcean documents it: one change at a time, then the
// cooldown (10 minutes for a fixed-size pool) before the next. A pool short of members
// creates them (SCALE_UP); one with too many shuts the extra ones down and destroys them
// 60 seconds later (SCALE_DOWN); one whose template changed replaces its members on the
// old template one at a time (CONFIGURATION_CHANGE): it creates the new droplet, lets it
// boot for the cooldown, then retires an old one the same way. Nothing in the API pauses
// this; docs/dosim.md says what a client can do instead. Config.PoolMinute scales the
// minutes, so that tests replace a member in milliseconds.

// poolWork is the change a pool has under way.
type poolWork struct {
	Event    int       `json:"event"` // index in the pool's History
	Kind     string    `json:"kind"`  // scale_up, scale_down or replace
	Start    time.Time `json:"start"`
	Creating []int     `json:"creating,omitempty"`
	Old      int       `json:"old,omitempty"` // replace: the member to retire once the new one is up
	Retiring []int     `json:"retiring,omitempty"`
	RetireAt time.Time `json:"retire_at,omitempty"`
}

// desired is how many members the pool keeps: its target, or its current number held
// between min and max (utilization sits at the targets, so nothing else moves it).
func (p *Pool) desired() int {
	if p.Config.Target > 0 {
		return p.Config.Target
	}
	return min(max(len(p.Members), p.Config.Min), p.Config.Max)
}

// schedulePool ticks the pool at a time; a pool has one timer, and each tick sets the next.
func (s *Sim) schedulePool(p *Pool, at time.Time) {
	s.schedule("pool:"+p.ID, at, func() {
		if cur, ok := s.w.Pools[p.ID]; ok && cur == p {
			s.tickPool(p)
		}
	})
}

// tickPool moves a pool on: finishes its deletion, advances the change under way, or
// starts the next one once the cooldown is over. Runs under s.mu.
func (s *Sim) tickPool(p *Pool) {
	now := s.now()
	if p.Status == "deleting" {
		s.finishPoolDelete(p, now)
		return
	}
	busy := p.Work != nil || now.Before(p.NextChange) || s.startChange(p, now)
	if !busy {
		return // nothing to do until the pool or its members change
	}
	if p.Work != nil {
		if next, done := s.advanceWork(p, now); !done {
			s.schedulePool(p, next)
			return
		}
	}
	s.schedulePool(p, p.NextChange) // the cooldown, then a look for the next change
}

// startChange starts the change the pool needs, if any, and reports whether it did.
func (s *Sim) startChange(p *Pool, now time.Time) bool {
	cur, want := len(p.Members), p.desired()
	switch {
	case cur < want:
		s.poolCreate(p, now, "scale_up", "SCALE_UP", want-cur, want)
	case cur > want:
		p.Work = &poolWork{Event: s.poolEvent(p, now, "SCALE_DOWN", cur, want), Kind: "scale_down", Start: now}
		s.retire(p, now, s.retirees(p, cur-want)...)
	case s.outdated(p) != 0:
		old := s.outdated(p)
		s.poolCreate(p, now, "replace", "CONFIGURATION_CHANGE", 1, cur)
		if p.Work != nil {
			p.Work.Old = old
		}
	default:
		return false
	}
	return true
}

// poolCreate starts a change that creates n members; when the account cannot hold them
// the change ends at once in error, and is tried again after the cooldown.
func (s *Sim) poolCreate(p *Pool, now time.Time, kind, reason string, n, want int) {
	ev := s.poolEvent(p, now, reason, len(p.Members), want)
	ids, err := s.createMembers(p, n)
	if err != nil {
		s.endEvent(p, ev, now, err.Error())
		p.NextChange = now.Add(s.cooldown(p))
		return
	}
	p.Work = &poolWork{Event: ev, Kind: kind, Start: now, Creating: ids}
}

// advanceWork moves the change under way; it returns when to look again, or done.
func (s *Sim) advanceWork(p *Pool, now time.Time) (time.Time, bool) {
	w := p.Work
	if len(w.Retiring) > 0 {
		if now.Before(w.RetireAt) {
			return w.RetireAt, false
		}
		for _, id := range w.Retiring {
			if d, ok := s.w.Droplets[id]; ok {
				s.removeDroplet(d)
			}
		}
		return s.finishWork(p, now)
	}
	if w.Kind == "replace" && len(w.Creating) == 0 {
		s.endEvent(p, w.Event, now, "the new member was destroyed before it replaced an old one")
		p.Work, p.NextChange = nil, now.Add(s.cooldown(p))
		return now, true
	}
	if next, up := s.membersUp(w.Creating, now); !up {
		return next, false
	}
	if w.Kind != "replace" || w.Old == 0 {
		return s.finishWork(p, now)
	}
	if booted := w.Start.Add(s.cooldown(p)); now.Before(booted) {
		return booted, false // the new member boots for the cooldown before an old one goes
	}
	if d, ok := s.w.Droplets[w.Old]; !ok || d.PoolTemplate == templateKey(p.Template) {
		// Gone, or current again: the template it was made from was put back meanwhile.
		// The pool is a member over its size, and its next change retires the extra one.
		return s.finishWork(p, now)
	}
	s.retire(p, now, w.Old)
	return w.RetireAt, false
}

func (s *Sim) finishWork(p *Pool, now time.Time) (time.Time, bool) {
	s.endEvent(p, p.Work.Event, now, "")
	p.Work, p.NextChange = nil, now.Add(s.cooldown(p))
	return now, true
}

// membersUp reports whether new members are active; if not, when to look again (their
// activation ticks the pool sooner, and a stuck image is polled).
func (s *Sim) membersUp(ids []int, now time.Time) (time.Time, bool) {
	next, up := now.Add(s.cfg.PoolMinute), true
	for _, id := range ids {
		d, ok := s.w.Droplets[id]
		if !ok || d.Status == "active" {
			continue
		}
		up = false
		if d.ReadyAt.After(now) {
			next = minTime(next, d.ReadyAt)
		}
	}
	return next, up
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// retire shuts members down now and has them destroyed a minute later (DigitalOcean's
// graceful shutdown: 60 seconds between the shutdown and the destroy).
func (s *Sim) retire(p *Pool, now time.Time, ids ...int) {
	for _, id := range ids {
		if d, ok := s.w.Droplets[id]; ok && d.Status == "active" && !s.w.locked(id) {
			s.startAction("shutdown", "droplet", d.ID, d.Region, nil, s.cfg.ActionDelay)
		}
	}
	p.Work.Retiring, p.Work.RetireAt = ids, now.Add(s.cfg.PoolMinute)
}

// retirees picks n members to retire: those on an older template first, then the newest.
func (s *Sim) retirees(p *Pool, n int) []int {
	var old, current []int
	for _, id := range p.Members {
		if d, ok := s.w.Droplets[id]; ok && d.PoolTemplate != templateKey(p.Template) {
			old = append(old, id)
		} else {
			current = append([]int{id}, current...)
		}
	}
	return append(old, current...)[:n]
}

// outdated is the oldest member on an older template, or 0.
func (s *Sim) outdated(p *Pool) int {
	for _, id := range p.Members {
		if d, ok := s.w.Droplets[id]; ok && d.PoolTemplate != templateKey(p.Template) {
			return id
		}
	}
	return 0
}

// createMembers makes n droplets from the pool's template, named after it.
func (s *Sim) createMembers(p *Pool, n int) ([]int, error) {
	if len(s.w.Droplets)+n > s.w.DropletLimit {
		return nil, fmt.Errorf("creating this/these droplet(s) will exceed your droplet limit")
	}
	t := p.Template
	im, ok := s.w.Images[t.ImageID]
	if !ok || im.Status != "available" {
		return nil, fmt.Errorf("the template's image %s is no longer available", t.Image)
	}
	req := &createRequest{Size: t.Size, Tags: t.Tags, IPv6: t.IPv6, UserData: t.UserData, VPCUUID: t.VPCUUID,
		Monitoring: t.WithDropletAgent}
	base := t.Name
	if base == "" {
		base = p.Name
	}
	var ids []int
	for range n {
		d := s.newDroplet(fmt.Sprintf("%s-%s", base, randomHex(3)), req, createSpec{image: im, region: t.Region})
		d.Pool, d.PoolTemplate = p.ID, templateKey(t)
		p.Members = append(p.Members, d.ID)
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// poolEvent opens a history event and returns its index.
func (s *Sim) poolEvent(p *Pool, now time.Time, reason string, current, desired int) int {
	p.History = append(p.History, PoolEvent{ID: historyID(now, len(p.History)), Current: current, Desired: desired,
		Reason: reason, Status: "in_progress", CreatedAt: now, UpdatedAt: now})
	return len(p.History) - 1
}

func (s *Sim) endEvent(p *Pool, i int, now time.Time, errReason string) {
	e := &p.History[i]
	e.Status, e.UpdatedAt = "success", now
	if errReason != "" {
		e.Status, e.ErrorReason = "error", errReason
	}
}

// poolLost forgets a member that was destroyed; the pool makes up for it after its
// cooldown, as a fixed-size pool keeps its number.
func (s *Sim) poolLost(d *Droplet) {
	p, ok := s.w.Pools[d.Pool]
	if !ok {
		return
	}
	p.Members = removeInt(p.Members, d.ID)
	if w := p.Work; w != nil {
		w.Creating = removeInt(w.Creating, d.ID)
	}
	s.schedulePool(p, s.now())
}

// poolMemberUp lets a pool waiting for a new member go on at once.
func (s *Sim) poolMemberUp(d *Droplet) {
	if p, ok := s.w.Pools[d.Pool]; ok && p.Work != nil {
		s.schedulePool(p, s.now())
	}
}

// finishPoolDelete removes a pool once its deletion is due: its members become plain
// droplets, or are destroyed with it.
func (s *Sim) finishPoolDelete(p *Pool, now time.Time) {
	if now.Before(p.DeleteAt) {
		s.schedulePool(p, p.DeleteAt)
		return
	}
	delete(s.w.Pools, p.ID)
	s.unschedule("pool:" + p.ID)
	for _, id := range p.Members {
		d, ok := s.w.Droplets[id]
		if !ok {
			continue
		}
		d.Pool = ""
		if p.Dangerous {
			s.removeDroplet(d)
		}
	}
}
