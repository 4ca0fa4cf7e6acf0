package actions

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// A droplet that leaves its load balancers, or loses its reserved IP, may still be
// answering requests that reached it before: Strategy.Drain leaves it running that long
// before it is powered off or destroyed. The drain runs from when it left: an old
// droplet leaves load balancers that list it by ID and its reserved IP at the handover,
// so a soak (--min-ready) at least as long covers the drain; it leaves tag-based load
// balancers only when molt untags it, just before it retires, so its drain follows
// that. A droplet in no load balancer and with no reserved IP has nothing to drain.
// Every wait ends with the identity check, so that what is changed next is what the
// check saw.

// drains reports whether a replacement's droplets serve through something they leave
// (load balancers, tag-based load balancers, a reserved IP).
func drains(s *slot) bool { return len(s.r.LBs) > 0 || len(s.r.TagLBs) > 0 || s.r.ReservedIP != "" }

// leftService notes when the old droplets of slots left their load balancers and
// reserved IPs (the handover), for their drain.
func leftService(slots []*slot, at time.Time) {
	for _, s := range slots {
		s.safe.oldLeft = at
	}
}

// readyToRetire takes the old droplets of slots (soaked: their replacements are in
// service) to where they may be retired: the draining phase, the drain since the
// handover, the identity check, then out of tag-based load balancers, a drain and the
// check again. It returns the slots whose old droplet may be retired; the others were
// left alone (done, their old droplet in place).
func (e *Executor) readyToRetire(ctx context.Context, slots []*slot) ([]*slot, error) {
	for _, s := range slots {
		if s.safe.oldAlone && s.phase != PhaseDone {
			// Left alone before a crash cut its phase short: it is done all the same.
			if err := e.setPhase(s, PhaseDone, fmt.Sprintf("old droplet %d left in place", s.r.Old.ID)); err != nil {
				return nil, err
			}
		}
	}
	d := e.plan.Strategy.Drain.D()
	draining := slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return !drains(s) || s.safe.oldAlone })
	if d > 0 && len(draining) > 0 {
		if err := e.setPhases(draining, PhaseDraining, ""); err != nil {
			return nil, err
		}
		byID := slices.DeleteFunc(slices.Clone(draining), func(s *slot) bool { return len(s.r.TagLBs) > 0 })
		if err := e.waitHeld(ctx, drainedAt(byID, d, func(s *slot) time.Time { return s.safe.oldLeft })); err != nil {
			return nil, err
		}
	}
	ok, err := e.confirm(ctx, slots, oldSide)
	if err != nil {
		return nil, err
	}
	if d <= 0 && e.plan.Strategy.Retire.Mode != RetireKeep {
		return ok, nil // destroyed in its tag-based load balancers: nothing to drain
	}
	untagged, err := e.untagOld(ctx, ok)
	if err != nil || len(untagged) == 0 || d <= 0 {
		return ok, err
	}
	if err := e.waitHeld(ctx, time.Now().Add(d)); err != nil {
		return nil, err
	}
	return e.confirm(ctx, ok, oldSide)
}

// drainedAt is when the last of slots has drained for d since it left (left gives
// when); a slot with no time noted (it left in a run that is over) drains from now.
func drainedAt(slots []*slot, d time.Duration, left func(*slot) time.Time) time.Time {
	var last time.Time
	for _, s := range slots {
		at := left(s)
		if at.IsZero() {
			at = time.Now()
		}
		if at.After(last) {
			last = at
		}
	}
	return last.Add(d)
}

// untagOld takes old droplets out of tag-based load balancers before they retire, so
// that none sends traffic to a droplet going away. It returns those it untagged.
func (e *Executor) untagOld(ctx context.Context, slots []*slot) ([]*slot, error) {
	var done []*slot
	for _, tag := range tagLBTags(slots) {
		var ids []int
		for _, s := range slots {
			if slices.Contains(s.r.TagLBs, tag) {
				ids = append(ids, s.r.Old.ID)
				s.untagged = true
				if !slices.Contains(done, s) {
					done = append(done, s)
				}
			}
		}
		if err := e.untagLB(ctx, tag, ids); err != nil {
			return nil, err
		}
	}
	leftService(done, time.Now())
	return done, nil
}

// inService reports whether a replacement's new droplet was put into service (handed
// over, at least in part), so that taking it out again drains it.
func inService(s *slot) bool {
	return s.handoverBegun || slices.Contains([]Phase{PhaseHandedOver, PhaseSoaked, PhaseDraining, PhaseDone, PhaseRollingBack}, s.phase)
}

// readyToRemove takes the new droplets of slots, just handed back (or never in
// service), to where they may be destroyed: those that were in service drain (out of
// tag-based load balancers too, with a drain again), and every one passes the identity
// check. It returns the slots whose new droplet may be destroyed, detached or untagged.
func (e *Executor) readyToRemove(ctx context.Context, slots []*slot) ([]*slot, error) {
	slots = slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return s.newID == 0 })
	d := e.plan.Strategy.Drain.D()
	served := slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return !inService(s) || !drains(s) || s.safe.newAlone })
	now := time.Now()
	for _, s := range served {
		s.safe.newLeft = now
	}
	if err := e.drainNew(ctx, served, d); err != nil {
		return nil, err
	}
	ok, err := e.confirm(ctx, slots, newSide)
	if err != nil {
		return nil, err
	}
	tagged := slices.DeleteFunc(slices.Clone(ok), func(s *slot) bool { return !slices.Contains(served, s) || len(s.r.TagLBs) == 0 })
	if len(tagged) == 0 || d <= 0 {
		return ok, nil
	}
	for _, tag := range tagLBTags(tagged) {
		var ids []int
		for _, s := range tagged {
			if slices.Contains(s.r.TagLBs, tag) {
				ids = append(ids, s.newID)
			}
		}
		if err := e.untagLB(ctx, tag, ids); err != nil {
			return nil, err
		}
	}
	for _, s := range tagged {
		s.safe.newLeft = time.Now()
	}
	if err := e.drainNew(ctx, tagged, d); err != nil {
		return nil, err
	}
	return e.confirm(ctx, ok, newSide)
}

// drainNew waits until the new droplets of slots have drained for d since they left
// service, shown as the step "drain" of each.
func (e *Executor) drainNew(ctx context.Context, slots []*slot, d time.Duration) error {
	if d <= 0 || len(slots) == 0 {
		return nil
	}
	start := time.Now()
	for _, s := range slots {
		e.publish(StepStarted{At: start, Slot: s.r.Slot, Step: "drain", Droplet: s.newID})
	}
	err := e.waitHeld(ctx, drainedAt(slots, d, func(s *slot) time.Time { return s.safe.newLeft }))
	for _, s := range slots {
		fin := StepFinished{At: time.Now(), Slot: s.r.Slot, Step: "drain", Droplet: s.newID, Took: Duration(time.Since(start))}
		if err != nil {
			fin.Err = err.Error()
		}
		e.publish(fin)
	}
	return err
}
