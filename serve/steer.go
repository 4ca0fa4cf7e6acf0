package serve

import (
	"context"
	"log/slog"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/internal/engine"
	"github.com/molt-sh/molt/ui"
)

// sessionEngine is the server's engine as one session drives it: what the session
// starts, resumes or rolls back is journaled under its identity.
type sessionEngine struct {
	e  *engine.Engine
	id Identity
	// ctx ends with the session: its subscriptions leave then.
	ctx context.Context
}

// Gather reads what planning a staged rollout needs; the session plans from it.
func (s sessionEngine) Gather(ctx context.Context, req ui.PlanRequest) (actions.PlanInput, error) {
	return s.e.Gather(ctx, req)
}

// Start begins plan in the server, not in the session: ctx only bounds the call.
func (s sessionEngine) Start(_ context.Context, plan actions.Plan) (ui.Run, error) {
	return s.drive(func(op *actions.Operator, by string) (*engine.Run, error) { return s.e.Start(plan, op, by) })
}

// Resume continues the unfinished rollout id, or joins it when it runs already.
func (s sessionEngine) Resume(_ context.Context, id string) (ui.Run, error) {
	return s.drive(func(op *actions.Operator, by string) (*engine.Run, error) { return s.e.Resume(id, op, by) })
}

// Rollback rolls rollout id back.
func (s sessionEngine) Rollback(_ context.Context, id string) (ui.Run, error) {
	return s.drive(func(op *actions.Operator, by string) (*engine.Run, error) { return s.e.Rollback(id, op, by) })
}

// GatherPool reads what planning a pool rollout needs; the session plans from it.
func (s sessionEngine) GatherPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlanInput, error) {
	return s.e.GatherPool(ctx, req)
}

// PlanPool plans a pool rollout.
func (s sessionEngine) PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error) {
	return s.e.PlanPool(ctx, req)
}

// StartPool begins a pool rollout in the server, as Start does a droplet rollout.
func (s sessionEngine) StartPool(_ context.Context, plan actions.PoolPlan) (ui.Run, error) {
	return s.drive(func(op *actions.Operator, by string) (*engine.Run, error) { return s.e.StartPool(plan, op, by) })
}

// drive starts a run for an operator's session (a viewer's is refused), as this session's
// operator, and wraps it for the session.
func (s sessionEngine) drive(run func(op *actions.Operator, by string) (*engine.Run, error)) (ui.Run, error) {
	if s.id.Role != RoleOperator {
		return nil, errViewer
	}
	op := s.id.Operator()
	r, err := serving(run(&op, s.id.User))
	return s.steer(r), err
}

// steer wraps r for this session, or is nil without a run.
func (s sessionEngine) steer(r *engine.Run) ui.Run {
	if r == nil {
		return nil
	}
	return &steer{r: r, id: s.id, log: s.e.Options().Log, ctx: s.ctx}
}

// steer is a shared run as one session steers it: every control action is journaled
// with the session's SSH user and key before it applies, and refused for viewers.
type steer struct {
	r   *engine.Run
	id  Identity
	log *slog.Logger
	ctx context.Context // the session's: nil for none
}

// ID is the rollout's ID.
func (s *steer) ID() string { return s.r.ID() }

// Plan is the plan the rollout runs.
func (s *steer) Plan() actions.Plan { return s.r.Plan() }

// Subscribe follows the run's events, from a snapshot of where it is, until the session
// ends (the UI may never leave: a dropped session's program just stops).
func (s *steer) Subscribe() (<-chan actions.Event, func()) {
	if s.ctx == nil {
		return s.r.Subscribe()
	}
	return s.r.SubscribeContext(s.ctx)
}

// Pool is a pool rollout's plan; ok is false for a droplet rollout.
func (s *steer) Pool() (actions.PoolPlan, bool) { return s.r.Pool() }

// Pausable reports whether Pause can hold the rollout (never a pool rollout).
func (s *steer) Pausable() bool { return s.r.Pausable() }

// Pause holds the rollout at its next safe point; a rollout nothing can hold (a pool
// rollout) is left alone, and nothing is journaled.
func (s *steer) Pause() {
	if s.r.Pausable() {
		s.control("pause", s.r.Pause)
	}
}

// Resume lets a paused rollout go on.
func (s *steer) Resume() { s.control("resume", s.r.Resume) }

// Continue goes on from a checkpoint or a pause; it says why when the rollout waits
// for nobody, and refuses a viewer.
func (s *steer) Continue() error {
	var err error
	if !s.control("continue", func() { err = s.r.Continue() }) {
		return errViewer
	}
	return err
}

// Abort stops the rollout, rolling back or keeping what is in service.
func (s *steer) Abort(rollback bool) {
	action := "abort, keep"
	if rollback {
		action = "abort, roll back"
	}
	s.control(action, func() { s.r.Abort(rollback) })
}

// control journals and applies a control action, and reports whether it was applied.
func (s *steer) control(action string, apply func()) bool {
	log := s.log.With("rollout", s.r.ID(), "action", action, "user", s.id.User, "key", s.id.Fingerprint)
	if s.id.Role != RoleOperator {
		log.Warn("control refused: viewer key")
		return false
	}
	if err := s.r.Note(s.id.Operator(), action); err != nil {
		log.Warn("control not journaled", "err", err)
	}
	log.Info("control")
	apply()
	return true
}
