package actions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNothingToContinue is what Continue returns when the rollout waits for nobody: it
// is running (or has ended), and a continue is never kept for a checkpoint to come.
var ErrNothingToContinue = errors.New("nothing to continue")

// errPaused cuts a wait short when the operator pauses: the waiter holds at the gate,
// then starts its wait over.
var errPaused = errors.New("paused by the operator")

// control is the operator's side of a run: pause, continue, abort.
type control struct {
	mu      sync.Mutex
	paused  bool
	waiting bool // a checkpoint waits for the operator
	cont    bool // continue was given at the checkpoint that waits
	abort   *abortError
	taken   bool          // an abort or a rollback is under way: waits no longer stop for an abort
	wake    chan struct{} // closed and replaced on every change
	// failed is a pause or its end that could not be journaled: the run stops.
	failed *controlError
}

// controlError is an operator's pause (or its end) that the journal did not take: the
// journal would say the rollout runs while it is held, or the reverse, so the run stops
// (resumable) and says why.
type controlError struct{ err error }

func (e *controlError) Error() string { return "journal the operator's " + e.err.Error() }
func (e *controlError) Unwrap() error { return e.err }

func (c *control) changed() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// check returns a channel closed at the next change, and what stops a wait now: an
// abort not yet under way, or (when pausable) a pause.
func (c *control) check(pausable bool) (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.failed != nil:
		return c.wake, c.failed
	case c.abort != nil && !c.taken:
		return c.wake, c.abort
	case pausable && c.paused:
		return c.wake, errPaused
	}
	return c.wake, nil
}

// take marks an abort or a rollback as under way: later aborts are ignored.
func (c *control) take() {
	c.mu.Lock()
	c.taken = true
	c.mu.Unlock()
}

// Pause stops the rollout from starting anything new. Waits (for droplets to turn
// active, health checks, soaks, timed checkpoints) stop at once; a call in flight and
// a handover under way reach a safe point first. Health checks start over on Resume.
func (e *Executor) Pause() {
	e.ctl.mu.Lock()
	was := e.ctl.paused
	e.ctl.paused = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
	if !was {
		e.controlFailed("pause", e.showPaused("paused by the operator"))
	}
}

// Resume lets a paused rollout go on (a pause after failures accepts them).
func (e *Executor) Resume() {
	if e.unpause() {
		e.controlFailed("resume", e.showUnpaused("resumed by the operator"))
	}
}

// controlFailed stops the run when what the operator asked (what) could not be
// journaled: every wait ends, and the run ends with the error.
func (e *Executor) controlFailed(what string, err error) {
	if err == nil {
		return
	}
	e.ctl.mu.Lock()
	if e.ctl.failed == nil {
		e.ctl.failed = &controlError{err: fmt.Errorf("%s: %w", what, err)}
	}
	e.ctl.changed()
	e.ctl.mu.Unlock()
}

func (e *Executor) unpause() bool {
	e.ctl.mu.Lock()
	defer e.ctl.mu.Unlock()
	was := e.ctl.paused
	e.ctl.paused = false
	e.ctl.changed()
	return was
}

// Continue goes on from where the rollout waits for the operator: past the checkpoint
// it has reached, or out of a pause (the operator's or one after failures). When it
// waits for nobody, Continue changes nothing and returns an error wrapping
// ErrNothingToContinue that says why: a continue given early is not kept for the next
// checkpoint, so that a checkpoint always stops the rollout until someone looks.
func (e *Executor) Continue() error {
	e.ctl.mu.Lock()
	waiting, paused := e.ctl.waiting, e.ctl.paused
	if waiting || paused {
		e.ctl.cont = waiting
		e.ctl.paused = false
		e.ctl.changed()
	}
	e.ctl.mu.Unlock()
	switch {
	case paused:
		return e.showUnpaused("continued by the operator")
	case waiting:
		return nil
	}
	return e.nothingToContinue()
}

func (e *Executor) nothingToContinue() error {
	st := e.currentState()
	if st.Final() || st == StateInterrupted {
		return fmt.Errorf("%w: the rollout is %s", ErrNothingToContinue, stateWords(st))
	}
	return fmt.Errorf("%w: the rollout is %s and waits for nobody; it stops at its next checkpoint, if the plan has one",
		ErrNothingToContinue, stateWords(st))
}

func stateWords(st State) string {
	if st == StateCheckpoint {
		return "at a checkpoint"
	}
	return string(st)
}

// Abort stops the rollout at once: waits end, a call in flight finishes. With
// rollback, every replacement already made is reversed; without, replacements in
// service retire their old droplets and the others are cancelled. An abort ends a pause. Once an abort
// or a rollback is under way, further aborts are ignored.
func (e *Executor) Abort(rollback bool) {
	e.ctl.mu.Lock()
	defer e.ctl.mu.Unlock()
	if e.ctl.abort != nil || e.ctl.taken {
		return
	}
	e.ctl.abort = &abortError{rollback: rollback}
	e.ctl.paused = false
	e.ctl.changed()
}

// gate is passed before every mutating stage: it holds while paused and turns an abort
// or an interruption into an error.
func (e *Executor) gate(ctx context.Context) error {
	for {
		wake, err := e.ctl.check(true)
		switch {
		case errors.Is(err, errPaused):
		case err != nil:
			return err
		case ctx.Err() != nil:
			return ErrInterrupted
		default:
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ErrInterrupted
		}
	}
}

// stopCtx returns a context that ends when ctx does, when the operator aborts, or
// (when pausable) pauses; stopCause says which.
func (e *Executor) stopCtx(ctx context.Context, pausable bool) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancelCause(ctx)
	go func() {
		for {
			wake, err := e.ctl.check(pausable)
			if err != nil {
				cancel(err)
				return
			}
			select {
			case <-wake:
			case <-sctx.Done():
				return
			}
		}
	}()
	return sctx, func() { cancel(context.Canceled) }
}

// wait sleeps for d, or returns early: ErrInterrupted when ctx ends, the abort when the
// operator aborts, errPaused when pausable and the operator pauses.
func (e *Executor) wait(ctx context.Context, d time.Duration, pausable bool) error {
	sctx, cancel := e.stopCtx(ctx, pausable)
	defer cancel()
	return sleep(sctx, d)
}

// waitHeld waits until deadline; a pause holds it, and it goes on after the pause
// until the deadline (which may have passed by then).
func (e *Executor) waitHeld(ctx context.Context, deadline time.Time) error {
	for {
		err := e.wait(ctx, time.Until(deadline), true)
		if !errors.Is(err, errPaused) {
			return err
		}
		if err := e.gate(ctx); err != nil {
			return err
		}
	}
}

// checkpoint stops after a wave: manual waits for Continue, timed for a while. After
// the canary there is always one (manual unless --pause is a duration). A resumed
// rollout passes the checkpoint it stopped at: resuming is the operator's go-ahead.
func (e *Executor) checkpoint(ctx context.Context, w Wave) error {
	mode, wait := e.plan.Strategy.Pause.Mode, e.plan.Strategy.Pause.For.D()
	if w.Canary && mode == PauseNone {
		mode = PauseManual
	}
	if mode == PauseNone || e.atCheckpoint == w.Index {
		return nil
	}
	if err := e.gate(ctx); err != nil {
		return err // paused as the wave ended: the pause holds first
	}
	cp := CheckpointReached{At: time.Now(), Wave: w.Index, Next: w.Index + 1, Mode: mode}
	if mode == PauseTimed {
		cp.Until = cp.At.Add(wait)
	}
	e.ctl.mu.Lock()
	e.ctl.cont, e.ctl.waiting = false, true
	e.ctl.mu.Unlock()
	defer func() {
		e.ctl.mu.Lock()
		e.ctl.waiting = false
		e.ctl.mu.Unlock()
	}()
	if err := e.transition(Record{Kind: KindState, State: StateCheckpoint, Wave: w.Index, Reason: string(mode)}, cp); err != nil {
		return err
	}
	if err := e.waitCheckpoint(ctx, cp); err != nil {
		return err
	}
	return e.setState(StateRunning, fmt.Sprintf("continuing with wave %d", w.Index+2))
}

// waitCheckpoint waits for Continue, or for a timed checkpoint's time (held longer
// while the operator pauses).
func (e *Executor) waitCheckpoint(ctx context.Context, cp CheckpointReached) error {
	var timer <-chan time.Time
	if cp.Mode == PauseTimed {
		t := time.NewTimer(time.Until(cp.Until))
		defer t.Stop()
		timer = t.C
	}
	expired := false
	for {
		wake, abort := e.ctl.check(false)
		e.ctl.mu.Lock()
		cont, paused := e.ctl.cont, e.ctl.paused
		e.ctl.mu.Unlock()
		switch {
		case abort != nil:
			return abort
		case cont, expired && !paused:
			return nil
		}
		select {
		case <-wake:
		case <-timer:
			expired, timer = true, nil
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
// until the operator resumes or continues (which accepts the failures so far) or aborts.
func (e *Executor) failurePolicy(ctx context.Context) error {
	e.mu.Lock()
	n := e.failures
	e.mu.Unlock()
	reason := fmt.Sprintf("%d failed, more than --max-failures %d", n, e.plan.Strategy.MaxFailures)
	if e.plan.Strategy.OnFailure == OnFailureRollback {
		if err := e.gate(ctx); err != nil {
			return err // the operator's pause holds first; an abort decides instead
		}
		return e.rollBack(ctx, reason)
	}
	e.ctl.mu.Lock()
	e.ctl.paused = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
	if err := e.showPaused(reason); err != nil {
		return err
	}
	if err := e.gate(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	e.budget = e.failures + e.plan.Strategy.MaxFailures
	e.mu.Unlock()
	return e.recheckHealthy()
}

// recheckHealthy sends replacements that passed their health check a while ago back to
// be checked again before they go into service, journaled and published.
func (e *Executor) recheckHealthy() error {
	return e.setPhases(inPhase(e.slots, PhaseHealthy), PhaseActive, "checked again after the pause")
}

// recordFailure counts a failed replacement and reports it.
func (e *Executor) recordFailure(s *slot, step, reason string) {
	e.mu.Lock()
	e.failures++
	n, budget := e.failures, e.budget
	e.mu.Unlock()
	e.publish(Failure{At: time.Now(), Slot: s.r.Slot, Step: step, Reason: reason, Failures: n, Budget: budget})
}
