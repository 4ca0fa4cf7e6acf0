package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// rollBack reverses the rollout: replacements not yet in service are cancelled, then
// those in service are reversed, most recent wave first. The old droplet comes back
// (powered on if it was kept) or is re-created from its previous image, is health
// checked, takes its place back, and the new one is destroyed. Aborts are ignored from
// here on; a pause holds it between steps.
func (e *Executor) rollBack(ctx context.Context, reason string) error {
	e.ctl.take()
	if err := e.setState(StateRollingBack, reason); err != nil {
		return err
	}
	if err := e.cancelInFlight(ctx); err != nil {
		return err
	}
	stay := e.irreversible()
	unsaid := slices.DeleteFunc(slices.Clone(stay), func(s *slot) bool { return s.reason == irreversibleReason })
	if err := e.setPhases(unsaid, PhaseDone, irreversibleReason); err != nil {
		return err
	}
	for w := len(e.plan.Waves) - 1; w >= 0; w-- {
		slots := inPhase(e.waveSlots(w), PhaseHandedOver, PhaseSoaked, PhaseDraining, PhaseDone, PhaseRollingBack)
		slots = slices.DeleteFunc(slots, func(s *slot) bool { return slices.Contains(stay, s) })
		if err := e.rollBackWave(ctx, slots); err != nil {
			return err
		}
	}
	e.rollbackReason = reason
	if err := e.endRollout(ctx, StateRolledBack); err != nil {
		return err
	}
	return &RollbackError{Reason: reason}
}

// irreversibleReason is journaled with a replacement a rollback leaves on the target.
const irreversibleReason = "stays on the target: its old droplet is gone and the image it ran is unknown, so it cannot be re-created"

// irreversible are the replacements in service that no rollback can reverse: the old
// droplet is gone and the image it ran is unknown (a journal rebuilt from the cloud's
// tags of droplets that a molt before ImageTag made).
func (e *Executor) irreversible() []*slot {
	var out []*slot
	for _, s := range e.served() {
		if s.restored == 0 && s.r.Old.ID == 0 && s.r.Old.Image.ImageID == 0 {
			out = append(out, s)
		}
	}
	return out
}

// IrreversibleError refuses a rollback that could not restore some servers (see
// Executor.irreversible); nothing was changed, and resuming finishes the rollout.
type IrreversibleError struct {
	Rollout string
	Servers []string
}

// Error names the servers and the way forward.
func (e *IrreversibleError) Error() string {
	return fmt.Sprintf("rollout %s cannot be rolled back: the old droplets of %s are gone and the image they ran is unknown "+
		"(the journal was rebuilt from the cloud's tags, which do not say it); nothing was changed: finish the rollout with `molt resume %s`",
		e.Rollout, strings.Join(e.Servers, ", "), e.Rollout)
}

// reversible refuses, with an *IrreversibleError, a rollback that some replacements in
// service cannot take.
func (e *Executor) reversible() error {
	stay := e.irreversible()
	if len(stay) == 0 {
		return nil
	}
	err := &IrreversibleError{Rollout: e.id}
	for _, s := range stay {
		err.Servers = append(err.Servers, s.r.Old.Name)
	}
	return err
}

// cancelInFlight stops replacements that never went into service: their new droplets
// are destroyed and their old ones stay. One whose handover was cut short (by an abort
// or an interruption) is handed back first.
func (e *Executor) cancelInFlight(ctx context.Context) error {
	if err := e.adoptUnclear(ctx); err != nil {
		return err
	}
	slots := inPhase(e.slots, PhasePending, PhaseCreated, PhaseActive, PhaseHealthy)
	for _, s := range slots {
		if s.handoverBegun && s.newID != 0 {
			if err := e.handBack(ctx, []*slot{s}, func(s *slot) int { return s.r.Old.ID }); err != nil {
				return err
			}
		}
	}
	removable, err := e.readyToRemove(ctx, slots)
	if err != nil {
		return err
	}
	for _, s := range slots {
		if slices.Contains(removable, s) {
			if err := e.destroy(ctx, s, OpDestroyNew, s.newID); err != nil {
				return err
			}
		}
		if err := e.setPhase(s, PhaseCancelled, "stopped before going into service"); err != nil {
			return err
		}
	}
	return nil
}

// adoptUnclear takes, before replacements are cancelled, the droplets that creates
// with an unclear result made and that were not adopted yet (an abort came first), so
// that they are destroyed with the rest rather than left untracked.
func (e *Executor) adoptUnclear(ctx context.Context) error {
	var todo []*slot
	var last time.Time
	for _, s := range inPhase(e.slots, PhasePending) {
		if !s.unclear.IsZero() {
			todo = append(todo, s)
			if s.unclear.After(last) {
				last = s.unclear
			}
		}
	}
	if len(todo) == 0 {
		return nil
	}
	// Give the last create the time to commit that createGroup would have given it.
	if err := sleep(ctx, time.Until(last.Add(e.opt.Timing.AdoptDelay))); err != nil {
		return err
	}
	for _, group := range byGroup(todo) {
		if err := e.adopt(ctx, group); err != nil {
			return err
		}
	}
	return nil
}

// rollBackWave reverses the replacements of one wave together.
func (e *Executor) rollBackWave(ctx context.Context, slots []*slot) error {
	if len(slots) == 0 {
		return nil
	}
	if err := e.gate(ctx); err != nil {
		return err
	}
	present, err := e.rolloutDroplets(ctx)
	if err != nil {
		return err
	}
	for _, s := range slots {
		if err := e.restore(ctx, s, present); err != nil {
			return err
		}
	}
	ips, err := e.awaitRestored(ctx, slots)
	if err != nil {
		return err
	}
	err = each(slots, func(s *slot) error {
		return e.step(s, "health", s.restored, func() error { return e.awaitHealthy(ctx, s, s.restored, ips[s.restored]) })
	})
	if err != nil {
		return fmt.Errorf("roll back: a restored droplet is not healthy, so the new ones stay in service: %w", err)
	}
	if err := e.handBack(ctx, slots, func(s *slot) int { return s.restored }); err != nil {
		return err
	}
	removable, err := e.readyToRemove(ctx, slots)
	if err != nil {
		return err
	}
	for _, s := range slots {
		reason := fmt.Sprintf("new droplet %d left in place: it failed its identity check", s.newID)
		if slices.Contains(removable, s) {
			if err := e.moveVolumes(ctx, s, s.newID, s.restored); err != nil {
				return err
			}
			if err := e.destroy(ctx, s, OpDestroyNew, s.newID); err != nil {
				return err
			}
			reason = ""
		}
		if err := e.setPhase(s, PhaseRolledBack, reason); err != nil {
			return err
		}
	}
	return nil
}

// rolloutDroplets lists the droplets carrying the rollout's tag, by ID.
func (e *Executor) rolloutDroplets(ctx context.Context) (map[int]godo.Droplet, error) {
	list, err := e.api.listByTag(ctx, RolloutTag(e.id))
	if err != nil {
		return nil, err
	}
	out := map[int]godo.Droplet{}
	for _, d := range list {
		out[d.ID] = d
	}
	return out, nil
}

// restore brings back the old droplet of a slot: it is still there (powered on if it
// was kept), or it is re-created from its previous image.
func (e *Executor) restore(ctx context.Context, s *slot, present map[int]godo.Droplet) error {
	if _, ok := present[s.restored]; s.restored != 0 && !ok {
		// Restored before, by the journal, and no longer listed by the rollout's tag: if
		// it is gone (destroyed while it started), it is made again.
		d, err := e.api.getDroplet(ctx, s.restored)
		if err != nil {
			return err
		}
		if d == nil {
			s.restored = 0
		}
	}
	if s.restored == 0 {
		if _, ok := present[s.r.Old.ID]; ok {
			s.restored = s.r.Old.ID
		}
	}
	if s.restored == 0 {
		if err := e.step(s, "recreate", 0, func() error { return e.recreate(ctx, s) }); err != nil {
			return err
		}
	} else if d, ok := present[s.restored]; ok && d.Status == "off" {
		if err := e.step(s, "power_on", s.restored, func() error { return e.powerOn(ctx, s) }); err != nil {
			return err
		}
	}
	return e.setPhase(s, PhaseRollingBack, "")
}

func (e *Executor) powerOn(ctx context.Context, s *slot) error {
	err := e.do(ctx, Record{Op: OpPowerOn, Slots: []int{s.r.Slot}, Droplets: []int{s.restored}}, mutate,
		func(c context.Context) (*godo.Response, error) {
			_, resp, err := e.api.c.DropletActions.PowerOn(c, s.restored)
			return resp, err
		})
	if err != nil && !isStatus(err, 422) {
		return fmt.Errorf("power on droplet %d: %w", s.restored, err)
	}
	return nil
}

// recreate builds the old server again from its previous image, with the same care as
// any create: tagged, never repeated blindly, adopted after an unclear result.
func (e *Executor) recreate(ctx context.Context, s *slot) error {
	tag := RollbackGroupTag(e.id, s.r.Slot)
	image := s.r.Old.Image
	for try := 0; try < maxCreateTries; try++ {
		rec := Record{Op: OpRecreate, Wave: s.wave, Slots: []int{s.r.Slot}, Names: []string{s.r.Old.Name}, Target: tag}
		var d *godo.Droplet
		e.createSent = true
		err := e.do(ctx, rec, create, func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			d, resp, err = e.api.c.Droplets.Create(c, e.createRequest(s.r, tag, image.ImageID))
			return resp, err
		})
		var unclear *unclearError
		switch {
		case err == nil:
			s.restored = d.ID
			return nil
		case errors.As(err, &unclear):
			if err := sleep(ctx, e.opt.Timing.AdoptDelay); err != nil {
				return err
			}
			if err := e.adoptRestored(ctx, s, tag); err != nil || s.restored != 0 {
				return err
			}
		case isClientError(err):
			return fmt.Errorf("re-create %s from image %s: %s", s.r.Old.Name, versionName(image), apiMessage(err))
		default:
			return err
		}
	}
	return fmt.Errorf("re-create %s: the API kept failing", s.r.Old.Name)
}

// adoptRestored takes a re-creation an unclear create made, destroying duplicates.
func (e *Executor) adoptRestored(ctx context.Context, s *slot, tag string) error {
	found, err := e.api.listByTag(ctx, tag)
	if err != nil {
		return err
	}
	for _, d := range found {
		switch {
		case s.restored == 0:
			s.restored = d.ID
		case d.ID != s.restored:
			if err := e.destroy(ctx, s, OpDestroyDuplicate, d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// awaitRestored polls the rollout's droplets until every restored one is active, and
// returns their public IPs.
func (e *Executor) awaitRestored(ctx context.Context, slots []*slot) (map[int]string, error) {
	deadline := time.Now().Add(e.plan.Strategy.ActiveTimeout.D())
	ips := map[int]string{}
	poweredOn := map[int]bool{}
	missed := map[int]int{}
	for {
		present, err := e.rolloutDroplets(ctx)
		if err != nil {
			return nil, err
		}
		waiting := 0
		for _, s := range slots {
			d, ok := present[s.restored]
			if !ok {
				// Not listed by the rollout's tag: someone destroyed it, or took the tag off.
				// Twice in a row (a listing can lag a create), it is read by ID: gone ends
				// the wait at once rather than at the active timeout.
				if missed[s.restored]++; missed[s.restored] >= 2 {
					got, err := e.api.getDroplet(ctx, s.restored)
					if err != nil {
						return nil, err
					}
					if got == nil {
						return nil, fmt.Errorf("roll back: the restored droplet %d of %s is gone: it was destroyed while it started "+
							"(rolling back again makes it anew)", s.restored, s.r.Old.Name)
					}
					d, ok = *got, true
				}
			} else {
				missed[s.restored] = 0
			}
			switch {
			case ok && d.Locked:
				// An action still runs on it (a power off sent before a crash or an
				// abort): its state says nothing yet.
			case ok && d.Status == "active":
				ips[s.restored], _ = d.PublicIPv4()
				continue
			case ok && d.Status == "off" && !poweredOn[s.restored]:
				// A power off sent before a crash or an abort ended after restore looked.
				poweredOn[s.restored] = true
				if err := e.step(s, "power_on", s.restored, func() error { return e.powerOn(ctx, s) }); err != nil {
					return nil, err
				}
			}
			waiting++
		}
		if waiting == 0 {
			return ips, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("roll back: %d restored droplets are not active after %s", waiting, e.plan.Strategy.ActiveTimeout)
		}
		if err := e.waitHeld(ctx, time.Now().Add(e.opt.Timing.PollMin)); err != nil {
			return nil, err
		}
	}
}

// abort ends the rollout without rolling back: replacements not in service are
// cancelled, and those in service retire their old droplets.
func (e *Executor) abort(ctx context.Context) error {
	if err := e.cancelInFlight(ctx); err != nil {
		return err
	}
	serving := inPhase(e.slots, PhaseHandedOver, PhaseSoaked, PhaseDraining)
	if err := e.setPhases(inPhase(serving, PhaseHandedOver, PhaseDraining), PhaseSoaked, "kept in service by the abort"); err != nil {
		return err
	}
	if err := e.retireNow(ctx, serving); err != nil {
		return err
	}
	if err := e.endRollout(ctx, StateAborted); err != nil {
		return err
	}
	return ErrAborted
}
