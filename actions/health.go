package actions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// provisionClock learns how long droplets take to turn active, so that the first poll
// after a create usually finds them active: fewer API calls per replaced server.
//
// Until a droplet has been seen active it polls every tenth of the time elapsed (at
// most a tenth too late), or, when many waves are to come (doubling), at doubling
// intervals: about half the polls, at the price of one wave up to one provisioning time
// late, a small share of a long rollout. That gives bounds: the last time a droplet was
// seen still new (lo) and the first time one was seen active (estimate). The next
// groups' first polls halve the gap, one poll each when they find the droplets active,
// two when not, until it is within a tenth; from then on a group is polled first at the
// estimate and, when late, every tenth of the time elapsed, which raises the estimate.
//
// An estimate from before this rollout (a previous rollout's journal: guess) may be too
// long as well as too short: a group found active at its first poll says nothing about
// how much earlier it was, so while the guess holds the next group is polled first at
// half the estimate, and the estimate halves each time that finds the droplets active,
// until a droplet is seen still new; then the bounds narrow as above.
type provisionClock struct {
	mu       sync.Mutex
	estimate time.Duration // 0: not known yet
	lo       time.Duration // while narrowing: longest time a droplet was still new
	min      time.Duration
	doubling bool
	guess    bool // the estimate came from before this rollout, and nothing here bounds it from below
	down     bool // probe below the guess at the next first poll
}

// doublingWaves is how many waves must be to come for the clock to learn by doubling.
const doublingWaves = 20

// plan tells the clock how many waves are to come.
func (p *provisionClock) plan(waves int) {
	p.mu.Lock()
	p.doubling = waves >= doublingWaves
	p.mu.Unlock()
}

// narrowing reports whether the gap between the bounds is still over a tenth.
func (p *provisionClock) narrowing() bool {
	return p.lo > 0 && p.estimate-p.lo > p.estimate/10
}

// first is when to poll first after a create.
func (p *provisionClock) first() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.narrowing():
		return max((p.lo+p.estimate)/2, p.min)
	case p.down:
		return max(p.estimate/2, p.min)
	}
	return max(p.estimate, p.min)
}

// next is the wait before polling again, elapsed after the create.
func (p *provisionClock) next(elapsed time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.estimate == 0 && p.doubling:
		return max(p.min, elapsed)
	case elapsed < p.estimate:
		return max(p.min, p.estimate-elapsed) // a guess between the bounds missed
	}
	return max(p.min, elapsed/10)
}

// observe learns from a droplet seen active (or still new) elapsed after its create,
// at the first poll of its group or a later one.
func (p *provisionClock) observe(elapsed time.Duration, active, firstPoll bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !active {
		p.guess, p.down = false, false // bounded from below: no more halving
	}
	switch {
	case !active && (p.estimate == 0 || elapsed < p.estimate):
		p.lo = max(p.lo, elapsed)
	case !active:
	case p.estimate == 0, elapsed < p.estimate:
		p.estimate = elapsed
		p.down = p.guess
	case !firstPoll:
		p.estimate = elapsed // slower than the estimate: move it up to what was seen
	default:
		p.down = p.guess // found active at the guess: it may be too long
	}
	if p.estimate > 0 && !p.narrowing() {
		p.lo = 0 // narrowed to a tenth: from now on only moved up
	}
}

// probe checks a droplet once: an HTTP GET answered 2xx or 3xx, or a TCP connect.
func (e *Executor) probe(ctx context.Context, ip string) (ok bool, addr, detail string) {
	ok, _, addr, detail = e.probeAnswer(ctx, ip)
	return ok, addr, detail
}

// probeAnswer is probe that also says whether an HTTP service answered at all, so that a
// service up and answering errors can be told from one still booting.
func (e *Executor) probeAnswer(ctx context.Context, ip string) (ok, answered bool, addr, detail string) {
	return Probe(ctx, e.health, e.plan.Strategy.Health, ip)
}

// awaitHealthy probes a droplet until Threshold probes in a row pass (nil) or the
// health timeout passes (an error saying what the last probe saw). An abort or an
// interruption ends it at once, with no verdict; a pause ends it too, and the check
// starts over, grace and timeout included, once the pause ends.
func (e *Executor) awaitHealthy(ctx context.Context, s *slot, id int, ip string) error {
	if e.plan.Strategy.Health.Kind == HealthNone {
		return nil
	}
	for {
		err := e.healthCheck(ctx, s, id, ip)
		if !errors.Is(err, errPaused) {
			return err
		}
		if err := e.gate(ctx); err != nil {
			return err
		}
	}
}

// tally counts consecutive passing probes, and consecutive probes a service answered
// with an error; a probe with no answer resets both.
func tally(passes, fails int, ok, answered bool) (int, int) {
	switch {
	case ok:
		return passes + 1, 0
	case answered:
		return 0, fails + 1
	}
	return 0, 0
}

// healthCheck is one health check of a droplet, grace to verdict.
func (e *Executor) healthCheck(ctx context.Context, s *slot, id int, ip string) error {
	h := e.plan.Strategy.Health
	ctx, cancel := e.stopCtx(ctx, true)
	defer cancel()
	if err := sleep(ctx, h.Grace.D()); err != nil {
		return err
	}
	deadline := time.Now().Add(h.Timeout.D())
	passes, fails, last := 0, 0, ""
	for {
		ok, answered, addr, detail := e.probeAnswer(ctx, ip)
		if ctx.Err() != nil {
			return stopCause(ctx) // the probe was cut short: it says nothing
		}
		passes, fails = tally(passes, fails, ok, answered && h.Kind == HealthHTTP)
		last = detail
		e.publish(HealthProbe{At: time.Now(), Slot: s.r.Slot, Droplet: id, Addr: addr, OK: ok, Detail: detail, Passes: passes})
		if passes >= h.Threshold {
			return nil
		}
		if h.FailThreshold > 0 && fails >= h.FailThreshold {
			return fmt.Errorf("unhealthy: %d probes in a row answered %s", fails, last)
		}
		if !time.Now().Add(h.Interval.D()).Before(deadline) {
			return fmt.Errorf("not healthy after %s (last probe: %s)", h.Timeout, last)
		}
		if err := sleep(ctx, h.Interval.D()); err != nil {
			return err
		}
	}
}
