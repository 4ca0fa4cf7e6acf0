package actions

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The health gate of a pool rollout: molt probes each new member from where it runs, as
// the health check says, one goroutine per member beside the watch (which keeps reading
// the pool meanwhile); a member that fails (an error answered too often, no pass within
// the timeout, or never active) rolls the pool back. The pool does not wait for molt:
// it retires an old member a cooldown after its replacement came, so a check that
// takes longer judges a member already in service (the plan warns).

// verdict is what a member's health check found: passed, or failed with why.
type verdict struct {
	id     int
	ok     bool
	reason string
}

// judges runs the health checks of the new members, and hands their verdicts to the watch.
type judges struct {
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	verdicts chan verdict
}

func newJudges(ctx context.Context) *judges {
	ctx, cancel := context.WithCancel(ctx)
	return &judges{ctx: ctx, cancel: cancel, verdicts: make(chan verdict)}
}

// stop ends every check under way and waits for them.
func (j *judges) stop() {
	j.cancel()
	j.wg.Wait()
}

// judging are the new members still waiting for a verdict.
func (r *PoolRollout) judging() []*memberWatch {
	var out []*memberWatch
	for _, m := range r.newMembers() {
		if !m.gone && !m.healthy && !m.failed {
			out = append(out, m)
		}
	}
	return out
}

// gate fails a new member still new after the active timeout, passes an active one when
// there is no health check, and starts the check of every other active one.
func (r *PoolRollout) gate(j *judges) error {
	for _, m := range r.judging() {
		switch {
		case m.status != "active" && time.Since(m.seen) > r.plan.ActiveTimeout.D():
			return r.fail(m, fmt.Sprintf("still new after %s", r.plan.ActiveTimeout))
		case m.status != "active" || m.ip == "" || m.checking:
		case r.plan.Health.Kind == HealthNone:
			if err := r.pass(m); err != nil {
				return err
			}
		default:
			m.checking = true
			id, ip, slot, since := m.id, m.ip, r.slotNumber(m.id), m.activeAt
			j.wg.Go(func() {
				v := r.check(j.ctx, id, ip, slot, since)
				select {
				case j.verdicts <- v:
				case <-j.ctx.Done():
				}
			})
		}
	}
	return nil
}

// take applies a verdict.
func (r *PoolRollout) take(v verdict) error {
	m := r.members[v.id]
	switch {
	case m == nil || m.gone:
		return nil
	case v.ok:
		return r.pass(m)
	}
	return r.fail(m, v.reason)
}

// check probes a member until the health check judges it, or ctx ends (no verdict).
func (r *PoolRollout) check(ctx context.Context, id int, ip string, slot int, activeAt time.Time) verdict {
	h := r.plan.Health
	if sleep(ctx, time.Until(activeAt.Add(h.Grace.D()))) != nil {
		return verdict{id: id}
	}
	deadline := activeAt.Add(h.Grace.D() + h.Timeout.D())
	passes, fails := 0, 0
	for {
		ok, answered, addr, detail := Probe(ctx, r.health, h, ip)
		if ctx.Err() != nil {
			return verdict{id: id} // the probe was cut short: it says nothing
		}
		passes, fails = tally(passes, fails, ok, answered && h.Kind == HealthHTTP)
		r.publish(HealthProbe{At: time.Now(), Slot: slot, Droplet: id, Addr: addr, OK: ok, Detail: detail, Passes: passes})
		switch {
		case passes >= h.Threshold:
			return verdict{id: id, ok: true}
		case h.FailThreshold > 0 && fails >= h.FailThreshold:
			return verdict{id: id, reason: fmt.Sprintf("unhealthy: %d probes in a row answered %s", fails, detail)}
		case !time.Now().Add(h.Interval.D()).Before(deadline):
			return verdict{id: id, reason: fmt.Sprintf("not healthy after %s (last probe: %s)", h.Timeout, detail)}
		}
		if sleep(ctx, h.Interval.D()) != nil {
			return verdict{id: id}
		}
	}
}

// slotNumber is the replacement a member is paired with, or -1.
func (r *PoolRollout) slotNumber(id int) int {
	if s := r.slotOf(id); s != nil {
		return s.n
	}
	return -1
}

// pass records a member that passed the check.
func (r *PoolRollout) pass(m *memberWatch) error {
	m.healthy = true
	s := r.slotOf(m.id)
	if s == nil {
		return nil
	}
	s.newIP = m.ip
	if err := r.setPhase(s, PhaseHealthy, ""); err != nil {
		return err
	}
	return r.follow(s)
}

// fail records a member that failed the check, and makes the rollout roll back.
func (r *PoolRollout) fail(m *memberWatch, reason string) error {
	m.failed = true
	n := r.slotNumber(m.id)
	if s := r.slotOf(m.id); s != nil {
		if err := r.setPhase(s, PhaseFailed, reason); err != nil {
			return err
		}
	}
	r.publish(Failure{At: time.Now(), Slot: n, Step: "health", Reason: reason, Failures: 1})
	return &gateFailure{reason: fmt.Sprintf("new member %s (droplet %d) failed molt's health check: %s", m.name, m.id, reason)}
}
