package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// isClientError reports a definite refusal (4xx other than 429): repeating won't help.
func isClientError(err error) bool {
	var er *godo.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	st := er.Response.StatusCode
	return st >= 400 && st < 500 && st != 429
}

// apiMessage is the API's own words for a refusal.
func apiMessage(err error) string {
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Message != "" {
		return er.Message
	}
	return err.Error()
}

// each runs fn for every slot at once and joins the errors.
func each(slots []*slot, fn func(*slot) error) error {
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// lbMove is a change of membership of one load balancer: add some, then remove others.
type lbMove struct {
	lb          string
	add, remove []int
	slots       []int
}

// lbMoves groups, per load balancer, the droplets to add and remove.
func lbMoves(slots []*slot, addID, removeID func(*slot) int) []lbMove {
	var out []lbMove
	index := map[string]int{}
	for _, s := range slots {
		for _, lb := range s.r.LBs {
			i, ok := index[lb]
			if !ok {
				i = len(out)
				index[lb] = i
				out = append(out, lbMove{lb: lb})
			}
			out[i].add = append(out[i].add, addID(s))
			out[i].remove = append(out[i].remove, removeID(s))
			out[i].slots = append(out[i].slots, s.r.Slot)
		}
	}
	return out
}

// handover puts healthy new droplets into service in place of the old ones: on each
// load balancer that lists the old by ID, add the new and then remove the old; move
// reserved IPs. Tag-based load balancers need nothing: the new droplet has their tag.
func (e *Executor) handover(ctx context.Context, slots []*slot) error {
	if len(slots) == 0 {
		return nil
	}
	if err := e.gate(ctx); err != nil {
		return err
	}
	newID := func(s *slot) int { return s.newID }
	oldID := func(s *slot) int { return s.r.Old.ID }
	for _, s := range slots {
		s.handoverBegun = true
	}
	for _, m := range lbMoves(slots, newID, oldID) {
		if err := e.moveLB(ctx, m, e.verifyLB); err != nil {
			return err
		}
	}
	for _, s := range slots {
		if s.r.ReservedIP != "" {
			if err := e.assignIP(ctx, s, s.r.ReservedIP, s.newID); err != nil {
				return err
			}
		}
	}
	leftService(slots, time.Now())
	return e.setPhases(slots, PhaseHandedOver, "")
}

// moveLB adds then removes. With verify it first reads the load balancer and changes
// only what is not so already (after a resume, or when handing back).
func (e *Executor) moveLB(ctx context.Context, m lbMove, verify bool) error {
	if verify {
		lb, err := e.getLB(ctx, m.lb)
		if isStatus(err, 404) {
			return nil // the load balancer is gone: nothing to hand over
		}
		if err != nil {
			return err
		}
		m.add = slices.DeleteFunc(m.add, func(id int) bool { return slices.Contains(lb.DropletIDs, id) })
		m.remove = slices.DeleteFunc(m.remove, func(id int) bool { return !slices.Contains(lb.DropletIDs, id) })
	}
	if len(m.add) > 0 {
		err := e.do(ctx, Record{Op: OpLBAdd, Target: m.lb, Droplets: m.add, Slots: m.slots}, mutate,
			func(c context.Context) (*godo.Response, error) {
				return e.api.c.LoadBalancers.AddDroplets(c, m.lb, m.add...)
			})
		if err != nil {
			return fmt.Errorf("add droplets %v to load balancer %s: %w", m.add, m.lb, err)
		}
	}
	if len(m.remove) == 0 {
		return nil
	}
	err := e.removeLB(ctx, m)
	if isClientError(err) {
		// Refused: the balancer or one of the droplets may be gone, or the balancer busy.
		// Whatever it still lists must go all the same.
		err = e.removeListed(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("remove droplets %v from load balancer %s: %w", m.remove, m.lb, err)
	}
	return nil
}

func (e *Executor) removeLB(ctx context.Context, m lbMove) error {
	return e.do(ctx, Record{Op: OpLBRemove, Target: m.lb, Droplets: m.remove, Slots: m.slots}, mutate,
		func(c context.Context) (*godo.Response, error) {
			return e.api.c.LoadBalancers.RemoveDroplets(c, m.lb, m.remove...)
		})
}

// removeListed reads the load balancer after a refused remove and removes again what
// it still lists of m.remove.
func (e *Executor) removeListed(ctx context.Context, m lbMove) error {
	lb, err := e.getLB(ctx, m.lb)
	if isStatus(err, 404) {
		return nil // the load balancer is gone
	}
	if err != nil {
		return err
	}
	m.remove = slices.DeleteFunc(slices.Clone(m.remove), func(id int) bool { return !slices.Contains(lb.DropletIDs, id) })
	if len(m.remove) == 0 {
		return nil
	}
	return e.removeLB(ctx, m)
}

func (e *Executor) getLB(ctx context.Context, id string) (*godo.LoadBalancer, error) {
	var lb *godo.LoadBalancer
	err := e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		lb, resp, err = e.api.c.LoadBalancers.Get(c, id)
		return resp, err
	})
	return lb, err
}

// assignIP points a reserved IP at a droplet, unless it already does. A move still under
// way (sent before a crash that came before its end was seen) is waited for first: until
// it ends the address says where it pointed, not where it is going, and a hand-back that
// believed it would be overtaken by the move it meant to undo.
func (e *Executor) assignIP(ctx context.Context, s *slot, ip string, droplet int) error {
	cur, err := e.idleIP(ctx, ip)
	if err != nil {
		return fmt.Errorf("read reserved IP %s: %w", ip, err)
	}
	if cur.Droplet != nil && cur.Droplet.ID == droplet {
		return nil
	}
	var action *godo.Action
	err = e.do(ctx, Record{Op: OpIPAssign, Target: ip, Droplets: []int{droplet}, Slots: []int{s.r.Slot}}, mutate,
		func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			action, resp, err = e.api.c.ReservedIPActions.Assign(c, ip, droplet)
			return resp, err
		})
	if err == nil {
		// The move is asynchronous: the old droplet must not go before the address has.
		err = e.awaitAction(ctx, action, func(c context.Context, id int) (*godo.Action, *godo.Response, error) {
			return e.api.c.ReservedIPActions.Get(c, ip, id)
		})
	} else if isClientError(err) || transient(nil, err) {
		// A move the API carried out but answered with an error makes its retry meet the
		// address busy with that very move: once it is idle, it says where it points.
		err = e.settledIP(ctx, ip, droplet, err)
	}
	if err != nil {
		return fmt.Errorf("move reserved IP %s to droplet %d: %w", ip, droplet, err)
	}
	return nil
}

func (e *Executor) readIP(ctx context.Context, ip string) (*godo.ReservedIP, error) {
	var cur *godo.ReservedIP
	err := e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		cur, resp, err = e.api.c.ReservedIPs.Get(c, ip)
		return resp, err
	})
	return cur, err
}

// idleIP reads a reserved IP once no move is under way on it (or the active timeout has
// passed: the assign then meets the API's own refusal of a busy address).
func (e *Executor) idleIP(ctx context.Context, ip string) (*godo.ReservedIP, error) {
	deadline := time.Now().Add(e.plan.Strategy.ActiveTimeout.D())
	for {
		cur, err := e.readIP(ctx, ip)
		if err != nil || !cur.Locked || time.Now().After(deadline) {
			return cur, err
		}
		if err := sleep(ctx, e.opt.Timing.PollMin); err != nil {
			return nil, err
		}
	}
}

// settledIP waits for the reserved IP's pending event to end, and returns nil when it
// then points at droplet, else callErr (the assign that failed).
func (e *Executor) settledIP(ctx context.Context, ip string, droplet int, callErr error) error {
	deadline := time.Now().Add(e.plan.Strategy.ActiveTimeout.D())
	for {
		cur, err := e.readIP(ctx, ip)
		switch {
		case err != nil:
			return errors.Join(callErr, err)
		case !cur.Locked:
			if cur.Droplet != nil && cur.Droplet.ID == droplet {
				return nil
			}
			return callErr
		case time.Now().After(deadline):
			return callErr
		}
		if err := sleep(ctx, e.opt.Timing.PollMin); err != nil {
			return errors.Join(callErr, err)
		}
	}
}

// soak keeps new droplets in service for --min-ready, then checks them once more; one
// that fails is handed back and fails.
func (e *Executor) soak(ctx context.Context, slots []*slot) error {
	if len(slots) == 0 {
		return nil
	}
	if d := e.plan.Strategy.MinReady.D(); d > 0 {
		// Time paused is time in service too: a pause holds the soak, not restarts it.
		if err := e.waitHeld(ctx, time.Now().Add(d)); err != nil {
			return err
		}
	}
	var soaked []*slot
	for _, s := range slots {
		if e.plan.Strategy.Health.Kind != HealthNone && e.plan.Strategy.MinReady > 0 {
			ok, detail, err := e.probeOnce(ctx, s.newIP)
			if err != nil {
				return err
			}
			if !ok {
				if err := e.fail(ctx, s, "soak", "failed its health check while soaking: "+detail); err != nil {
					return err
				}
				continue
			}
		}
		soaked = append(soaked, s)
	}
	return e.setPhases(soaked, PhaseSoaked, "")
}

// probeOnce probes a droplet once; an abort or an interruption cuts the probe short
// and returns as an error, not as a failed probe.
func (e *Executor) probeOnce(ctx context.Context, ip string) (ok bool, detail string, err error) {
	ctx, cancel := e.stopCtx(ctx, false)
	defer cancel()
	ok, _, detail = e.probe(ctx, ip)
	if ctx.Err() != nil {
		return false, "", stopCause(ctx)
	}
	return ok, detail, nil
}

// handBack returns service to the old droplets (or their restorations): add them back
// to the load balancers and remove the new ones, move reserved IPs back, and give a
// kept old droplet back the tags of tag-based load balancers.
func (e *Executor) handBack(ctx context.Context, slots []*slot, backID func(*slot) int) error {
	newID := func(s *slot) int { return s.newID }
	for _, m := range lbMoves(slots, backID, newID) {
		if err := e.moveLB(ctx, m, true); err != nil {
			return err
		}
	}
	for _, s := range slots {
		if s.r.ReservedIP != "" {
			if err := e.assignIP(ctx, s, s.r.ReservedIP, backID(s)); err != nil {
				return err
			}
		}
	}
	return e.retagKept(ctx, slots, backID)
}

// retagKept gives back tag-based load balancer tags to droplets that lost them.
func (e *Executor) retagKept(ctx context.Context, slots []*slot, backID func(*slot) int) error {
	for _, tag := range tagLBTags(slots) {
		var ids []int
		for _, s := range slots {
			if (s.kept || s.untagged) && slices.Contains(s.r.TagLBs, tag) && backID(s) == s.r.Old.ID {
				ids = append(ids, s.r.Old.ID)
			}
		}
		if len(ids) > 0 {
			if err := e.tagDroplets(ctx, OpTag, tag, ids); err != nil {
				return err
			}
		}
	}
	return nil
}

func tagLBTags(slots []*slot) []string {
	var out []string
	for _, s := range slots {
		for _, t := range s.r.TagLBs {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// keepOld powers the old droplets off, out of tag-based load balancers since
// readyToRetire, and keeps them.
func (e *Executor) keepOld(ctx context.Context, slots []*slot) error {
	err := each(slots, func(s *slot) error {
		return e.step(s, "retire", s.r.Old.ID, func() error { return e.powerOff(ctx, s) })
	})
	if err != nil {
		return err
	}
	for _, s := range slots {
		s.kept = true
	}
	return e.setPhases(slots, PhaseDone, "old droplet powered off and kept")
}

// untagLB takes droplets out of the tag-based load balancers of tag.
func (e *Executor) untagLB(ctx context.Context, tag string, ids []int) error {
	err := e.do(ctx, Record{Op: OpUntag, Target: tag, Droplets: ids}, mutate, func(c context.Context) (*godo.Response, error) {
		return e.api.c.Tags.UntagResources(c, tag, &godo.UntagResourcesRequest{Resources: dropletResources(ids)})
	})
	if err != nil && !isStatus(err, 404) {
		return fmt.Errorf("take droplets %v out of load balancer tag %s: %w", ids, tag, err)
	}
	return nil
}

// powerOff powers the old droplet off; one already off (a 422) is fine.
func (e *Executor) powerOff(ctx context.Context, s *slot) error {
	err := e.do(ctx, Record{Op: OpPowerOff, Slots: []int{s.r.Slot}, Droplets: []int{s.r.Old.ID}}, mutate,
		func(c context.Context) (*godo.Response, error) {
			_, resp, err := e.api.c.DropletActions.PowerOff(c, s.r.Old.ID)
			return resp, err
		})
	if err != nil && !isStatus(err, 422) {
		return fmt.Errorf("power off droplet %d: %w", s.r.Old.ID, err)
	}
	return e.awaitStatus(ctx, s.r.Old.ID, "off")
}

// awaitStatus polls a droplet until it has the status (power actions are asynchronous).
func (e *Executor) awaitStatus(ctx context.Context, id int, status string) error {
	deadline := time.Now().Add(e.plan.Strategy.ActiveTimeout.D())
	for {
		var d *godo.Droplet
		err := e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			d, resp, err = e.api.c.Droplets.Get(c, id)
			return resp, err
		})
		switch {
		case err != nil:
			return fmt.Errorf("read droplet %d: %w", id, err)
		case d.Status == status:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("droplet %d is %s, not %s, after %s", id, d.Status, status, e.plan.Strategy.ActiveTimeout)
		}
		if err := sleep(ctx, e.opt.Timing.PollMin); err != nil {
			return err
		}
	}
}

// release lifts the lock: the rollout's tag goes, except from old droplets kept for a
// fast rollback, which stay locked until the rollout is finalised. listed is what the
// sweep found carrying the tag (nil: not listed yet).
func (e *Executor) release(ctx context.Context, listed []godo.Droplet) error {
	var kept []int
	for _, s := range e.slots {
		if s.kept && s.phase == PhaseDone {
			kept = append(kept, s.r.Old.ID)
		}
	}
	tag := RolloutTag(e.id)
	if len(kept) == 0 {
		err := e.do(ctx, Record{Op: OpRelease, Target: tag}, mutate, func(c context.Context) (*godo.Response, error) {
			return e.api.c.Tags.Delete(c, tag)
		})
		if err != nil && !isStatus(err, 404) {
			return fmt.Errorf("remove the lock tag %s: %w", tag, err)
		}
		return nil
	}
	return e.untagExcept(ctx, tag, kept, listed)
}

// untagExcept removes tag from every droplet carrying it but the ones kept; found is
// what carries it, listed here when nil.
func (e *Executor) untagExcept(ctx context.Context, tag string, keep []int, found []godo.Droplet) error {
	if found == nil {
		var err error
		if found, err = e.api.listByTag(ctx, tag); err != nil {
			return err
		}
	}
	var ids []int
	for _, d := range found {
		if !slices.Contains(keep, d.ID) {
			ids = append(ids, d.ID)
		}
	}
	for chunk := range slices.Chunk(ids, tagBatch) {
		err := e.do(ctx, Record{Op: OpRelease, Target: tag, Droplets: chunk}, mutate, func(c context.Context) (*godo.Response, error) {
			return e.api.c.Tags.UntagResources(c, tag, &godo.UntagResourcesRequest{Resources: dropletResources(chunk)})
		})
		if err != nil {
			return fmt.Errorf("remove the lock tag %s: %w", tag, err)
		}
	}
	return nil
}
