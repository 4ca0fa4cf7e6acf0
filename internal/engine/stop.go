package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
)

// Stop refuses new rollouts and pauses the running ones, noting in each journal that op
// paused it and why: each stops starting anything new and brings what is in flight to a
// safe point. Pool rollouts, which nothing holds, are not paused nor waited for. After
// grace (or once every paused run has returned) the runs are interrupted,
// which journals them as resumable. It returns the rollouts that were under way (not
// paused, nor waiting at a checkpoint for a person) and waits for the runs to return
// until ctx ends.
func (e *Engine) Stop(ctx context.Context, grace time.Duration, op actions.Operator, why string) (underWay []string, err error) {
	var paused []*Run
	for _, r := range e.refuseNew() {
		switch r.Status().State {
		case actions.StateRunning, actions.StateRollingBack:
			underWay = append(underWay, r.ID())
		}
		if !r.Pausable() {
			continue // a pool rollout: nothing holds the pool; it is interrupted below
		}
		if err := r.Note(op, "pause: "+why); err != nil {
			e.opt.Log.Warn("control not journaled", "rollout", r.ID(), "err", err)
		}
		r.Pause()
		paused = append(paused, r)
		e.opt.Log.Info("paused for the stop", "rollout", r.ID())
	}
	awaitRuns(paused, grace)
	return underWay, e.Close(ctx)
}

// Close refuses new rollouts and interrupts the running ones where they are (journaled,
// resumable), then waits for them to return until ctx ends.
func (e *Engine) Close(ctx context.Context) error {
	e.refuseNew()
	e.cancel()
	stopped := make(chan struct{})
	go func() { e.wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rollouts still stopping: %s (their journals let molt resume them)", runIDs(e.Running()))
	}
}

// refuseNew makes the engine start nothing more and returns what runs.
func (e *Engine) refuseNew() []*Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopping = true
	return append([]*Run(nil), e.runs...)
}

// awaitRuns waits until every run has returned or grace has passed.
func awaitRuns(runs []*Run, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for _, r := range runs {
		select {
		case <-r.done:
		case <-t.C:
			return
		}
	}
}

func runIDs(runs []*Run) string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID()
	}
	return strings.Join(ids, ", ")
}
