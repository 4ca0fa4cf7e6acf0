package actions

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// control is the operator's side of a run: pause, continue at a checkpoint, abort.
type control struct {
	mu     sync.Mutex
	paused bool
	cont   bool
	abort  *abortError
	wake   chan struct{} // closed and replaced on every change
}

func (c *control) changed() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// Pause stops the rollout from starting anything new; what is in flight reaches a safe
// point (no droplet is left half handed over) and waits.
func (e *Executor) Pause() {
	e.ctl.mu.Lock()
	e.ctl.paused = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
	_ = e.setState(StatePaused, "paused by the operator")
}

// Resume lets a paused rollout go on.
func (e *Executor) Resume() {
	e.ctl.mu.Lock()
	was := e.ctl.paused
	e.ctl.paused = false
	e.ctl.changed()
	e.ctl.mu.Unlock()
	if was {
		_ = e.setState(StateRunning, "resumed by the operator")
	}
}

// Continue goes on from a checkpoint (after the canary, or between waves).
func (e *Executor) Continue() {
	e.ctl.mu.Lock()
	e.ctl.cont = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
}

// Abort stops the rollout. With rollback, every replacement already made is reversed;
// without, replacements in service are finished and the others cancelled.
func (e *Executor) Abort(rollback bool) {
	e.ctl.mu.Lock()
	e.ctl.abort = &abortError{rollback: rollback}
	e.ctl.changed()
	e.ctl.mu.Unlock()
}

// gate is passed before every mutating stage: it holds while paused and turns an abort
// or an interruption into an error.
func (e *Executor) gate(ctx context.Context) error {
	for {
		e.ctl.mu.Lock()
		abort, paused, wake := e.ctl.abort, e.ctl.paused, e.ctl.wake
		e.ctl.mu.Unlock()
		switch {
		case abort != nil:
			return abort
		case ctx.Err() != nil:
			return ErrInterrupted
		case !paused:
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ErrInterrupted
		}
	}
}

// checkpoint stops after a wave: manual waits for Continue, timed for a while. After
// the canary there is always one (manual unless --pause is a duration). A resumed
// rollout passes the checkpoint it stopped at: resuming is the operator's go-ahead.
func (e *Executor) checkpoint(ctx context.Context, w Wave) error {
	mode, wait := e.plan.Strategy.Pause.Mode, e.plan.Strategy.Pause.For.D()
	if w.Canary && mode == "none" {
		mode = "manual"
	}
	if mode == "none" || e.atCheckpoint == w.Index {
		return nil
	}
	cp := CheckpointReached{At: time.Now(), Wave: w.Index, Next: w.Index + 1, Mode: mode}
	if mode == "timed" {
		cp.Until = cp.At.Add(wait)
	}
	e.ctl.mu.Lock()
	e.ctl.cont = false
	e.ctl.mu.Unlock()
	e.mu.Lock()
	e.state = StateCheckpoint
	e.mu.Unlock()
	if _, err := e.j.Append(Record{Kind: "state", State: StateCheckpoint, Wave: w.Index, Reason: mode}); err != nil {
		return err
	}
	e.publish(cp)
	if err := e.waitCheckpoint(ctx, cp); err != nil {
		return err
	}
	return e.setState(StateRunning, fmt.Sprintf("continuing with wave %d", w.Index+2))
}

func (e *Executor) waitCheckpoint(ctx context.Context, cp CheckpointReached) error {
	var timer <-chan time.Time
	if cp.Mode == "timed" {
		t := time.NewTimer(time.Until(cp.Until))
		defer t.Stop()
		timer = t.C
	}
	for {
		e.ctl.mu.Lock()
		cont, abort, wake := e.ctl.cont, e.ctl.abort, e.ctl.wake
		e.ctl.mu.Unlock()
		switch {
		case abort != nil:
			return abort
		case cont:
			return nil
		}
		select {
		case <-wake:
		case <-timer:
			return nil
		case <-ctx.Done():
			return ErrInterrupted
		}
	}
}

// overBudget reports whether failures have passed --max-failures.
func (e *Executor) overBudget() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failures > e.budget
}

// failurePolicy applies --on-failure once failures pass the budget: roll back, or pause
// until the operator resumes (which accepts the failures so far) or aborts.
func (e *Executor) failurePolicy(ctx context.Context) error {
	e.mu.Lock()
	n := e.failures
	e.mu.Unlock()
	reason := fmt.Sprintf("%d failed, more than --max-failures %d", n, e.plan.Strategy.MaxFailures)
	if e.plan.Strategy.OnFailure == "rollback" {
		return e.rollBack(ctx, reason)
	}
	e.ctl.mu.Lock()
	e.ctl.paused = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
	if err := e.setState(StatePaused, reason); err != nil {
		return err
	}
	if err := e.gate(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	e.budget = e.failures + e.plan.Strategy.MaxFailures
	e.mu.Unlock()
	e.recheckHealthy()
	return nil
}

// recheckHealthy sends replacements that passed their health check a while ago back to
// be checked again before they go into service.
func (e *Executor) recheckHealthy() {
	for _, s := range e.slots {
		if s.phase == PhaseHealthy {
			s.phase = PhaseActive
		}
	}
}

// recordFailure counts a failed replacement and reports it.
func (e *Executor) recordFailure(s *slot, step, reason string) {
	e.mu.Lock()
	e.failures++
	n, budget := e.failures, e.budget
	e.mu.Unlock()
	e.publish(Failure{At: time.Now(), Slot: s.r.Slot, Step: step, Reason: reason, Failures: n, Budget: budget})
}
