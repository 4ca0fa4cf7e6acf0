package actions

import (
	"context"
	"fmt"

	"github.com/molt-sh/molt/fleet"
)

// A pool rollout is steered as a droplet rollout is (the cockpit and `molt serve` hold
// either through one interface), but it has no pause and no checkpoint: nothing in
// DigitalOcean's API holds a pool's replacement (docs/engine.md, "Autoscale pools"), so
// Pause changes nothing and Pausable says so; the one way to stop the pool's change is
// Abort with a rollback, which puts the template back.

// PoolRequest is a pool rollout as a cockpit stages it: the pool by name, the image to
// roll it onto, and the health check (with the active timeout) of the strategy; the
// strategy's other fields do not apply to a pool.
type PoolRequest struct {
	Pool     string
	Target   fleet.Version
	Strategy Strategy
}

// noPauseWhy says why a pool rollout cannot be paused or continued.
const noPauseWhy = "a pool rollout has no pause and no checkpoint: nothing holds a pool's replacement; abort it with a rollback to put the template back"

// Pausable reports whether Pause can hold the rollout: never for a pool rollout.
func (r *PoolRollout) Pausable() bool { return false }

// Pause changes nothing: nothing holds a pool's replacement. A cockpit offers no pause
// for a rollout whose Pausable is false.
func (r *PoolRollout) Pause() {}

// Resume changes nothing: a pool rollout is never paused.
func (r *PoolRollout) Resume() {}

// Continue says why there is nothing to continue: a pool rollout waits for nobody.
func (r *PoolRollout) Continue() error {
	return fmt.Errorf("%w: %s", ErrNothingToContinue, noPauseWhy)
}

// Note journals that op asked for action on the rollout (who steered it, for the
// record), as a droplet rollout's Note does.
func (r *PoolRollout) Note(op Operator, action string) error {
	_, err := r.j.Append(Record{Kind: KindControl, Op: Op(action), Operator: &op})
	return err
}

// SubscribeContext is Subscribe that also leaves when ctx ends.
func (r *PoolRollout) SubscribeContext(ctx context.Context) (<-chan Event, func()) {
	return r.b.SubscribeContext(ctx)
}

// Pausable reports whether Pause can hold the rollout: a droplet rollout always can.
func (e *Executor) Pausable() bool { return true }
