package engine

import (
	"context"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/ui"
)

// What started a run.
const (
	KindRollout  = "rollout"
	KindResume   = "resume"
	KindRollback = "rollback"
)

// rollout is what the engine runs: a droplet rollout (*actions.Executor) or a pool
// rollout (*actions.PoolRollout).
type rollout interface {
	ID() string
	Plan() actions.Plan
	JournalPath() string
	Status() actions.Status
	Subscribe() (<-chan actions.Event, func())
	SubscribeContext(ctx context.Context) (<-chan actions.Event, func())
	Pausable() bool
	Pause()
	Resume()
	Continue() error
	Abort(rollback bool)
	Note(op actions.Operator, action string) error
	Run(ctx context.Context) error
}

var (
	_ rollout = (*actions.Executor)(nil)
	_ rollout = (*actions.PoolRollout)(nil)
)

// Run is a rollout running in the engine and who started it. It is a ui.Run.
type Run struct {
	x rollout
	// Kind is KindRollout, KindResume or KindRollback.
	Kind string
	// By names who started it, for the people watching ("" for the local user).
	By   string
	done chan struct{}
}

// ID is the rollout's ID.
func (r *Run) ID() string { return r.x.ID() }

// Plan is the plan the rollout runs; a pool rollout's shows one replacement per member
// the pool replaces (actions.PoolPlan.View).
func (r *Run) Plan() actions.Plan { return r.x.Plan() }

// Pool is a pool rollout's plan; ok is false for a droplet rollout.
func (r *Run) Pool() (plan actions.PoolPlan, ok bool) {
	if p, is := r.x.(*actions.PoolRollout); is {
		return p.PoolPlan(), true
	}
	return actions.PoolPlan{}, false
}

// Pausable reports whether Pause can hold the rollout: false for a pool rollout, which
// nothing holds (a cockpit offers no pause for it).
func (r *Run) Pausable() bool { return r.x.Pausable() }

// Status is where the rollout is.
func (r *Run) Status() actions.Status { return r.x.Status() }

// Subscribe follows the run's events, from a snapshot of where it is.
func (r *Run) Subscribe() (<-chan actions.Event, func()) { return r.x.Subscribe() }

// SubscribeContext follows the run's events until ctx ends (or the run does).
func (r *Run) SubscribeContext(ctx context.Context) (<-chan actions.Event, func()) {
	return r.x.SubscribeContext(ctx)
}

// Pause holds the rollout at its next safe point (a pool rollout: nothing; see Pausable).
func (r *Run) Pause() { r.x.Pause() }

// Resume lets a paused rollout go on.
func (r *Run) Resume() { r.x.Resume() }

// Continue goes on from a checkpoint or a pause, or says why it cannot.
func (r *Run) Continue() error { return r.x.Continue() }

// Abort stops the rollout, rolling back or keeping what is in service.
func (r *Run) Abort(rollback bool) { r.x.Abort(rollback) }

// Note journals that op asked for action on the run.
func (r *Run) Note(op actions.Operator, action string) error { return r.x.Note(op, action) }

// Done is closed when the run has returned.
func (r *Run) Done() <-chan struct{} { return r.done }

// Local is the engine as a cockpit on this machine drives it: rollouts run as the user
// running molt.
func (e *Engine) Local() ui.Engine { return local{e} }

type local struct{ e *Engine }

func (l local) Gather(ctx context.Context, req ui.PlanRequest) (actions.PlanInput, error) {
	return l.e.Gather(ctx, req)
}

func (l local) Start(_ context.Context, plan actions.Plan) (ui.Run, error) {
	return AsUI(l.e.Start(plan, nil, ""))
}

func (l local) Resume(_ context.Context, id string) (ui.Run, error) {
	return AsUI(l.e.Resume(id, nil, ""))
}

func (l local) Rollback(_ context.Context, id string) (ui.Run, error) {
	return AsUI(l.e.Rollback(id, nil, ""))
}

// GatherPool reads what planning a pool rollout needs (Engine.GatherPool).
func (l local) GatherPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlanInput, error) {
	return l.e.GatherPool(ctx, req)
}

// PlanPool plans a pool rollout (Engine.PlanPool).
func (l local) PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error) {
	return l.e.PlanPool(ctx, req)
}

// StartPool begins a pool rollout in the background (Engine.StartPool).
func (l local) StartPool(_ context.Context, plan actions.PoolPlan) (ui.Run, error) {
	return AsUI(l.e.StartPool(plan, nil, ""))
}

// AsUI hands a run to the UI: no run is a nil ui.Run, not a nil *Run inside one.
func AsUI(r *Run, err error) (ui.Run, error) {
	if r == nil {
		return nil, err
	}
	return r, err
}
