package serve

import (
	"context"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/ui"
)

// sessionEngine is the server's engine as one session drives it: what the session
// starts, resumes or rolls back is journaled under its identity.
type sessionEngine struct {
	e  *Engine
	id Identity
}

// Plan plans a staged rollout.
func (s sessionEngine) Plan(ctx context.Context, req ui.PlanRequest) (actions.Plan, error) {
	return s.e.plan(ctx, req)
}

// Start begins plan in the server, not in the session: ctx only bounds the call.
func (s sessionEngine) Start(_ context.Context, plan actions.Plan) (ui.Run, error) {
	if s.id.Role != RoleOperator {
		return nil, errViewer
	}
	r, err := s.e.start(plan, s.id)
	return s.steer(r), err
}

// Resume continues the unfinished rollout id, or joins it when it runs already.
func (s sessionEngine) Resume(_ context.Context, id string) (ui.Run, error) {
	if s.id.Role != RoleOperator {
		return nil, errViewer
	}
	r, err := s.e.resume(id, s.id.Operator(), s.id.User)
	return s.steer(r), err
}

// Rollback rolls rollout id back.
func (s sessionEngine) Rollback(_ context.Context, id string) (ui.Run, error) {
	if s.id.Role != RoleOperator {
		return nil, errViewer
	}
	r, err := s.e.rollback(id, s.id)
	return s.steer(r), err
}

// steer wraps r for this session, or is nil without a run.
func (s sessionEngine) steer(r *sharedRun) ui.Run {
	if r == nil {
		return nil
	}
	return &steer{r: r, id: s.id, e: s.e}
}

// steer is a shared run as one session steers it: every control action is journaled
// with the session's SSH user and key before it applies, and refused for viewers.
type steer struct {
	r  *sharedRun
	id Identity
	e  *Engine
}

// ID is the rollout's ID.
func (s *steer) ID() string { return s.r.x.ID() }

// Plan is the plan the rollout runs.
func (s *steer) Plan() actions.Plan { return s.r.x.Plan() }

// Subscribe follows the run's events, from a snapshot of where it is.
func (s *steer) Subscribe() (<-chan actions.Event, func()) { return s.r.x.Subscribe() }

// Pause holds the rollout at its next safe point.
func (s *steer) Pause() { s.control("pause", s.r.x.Pause) }

// Resume lets a paused rollout go on.
func (s *steer) Resume() { s.control("resume", s.r.x.Resume) }

// Continue goes on from a checkpoint or a pause; it says why when the rollout waits
// for nobody, and refuses a viewer.
func (s *steer) Continue() error {
	var err error
	if !s.control("continue", func() { err = s.r.x.Continue() }) {
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
	s.control(action, func() { s.r.x.Abort(rollback) })
}

// control journals and applies a control action, and reports whether it was applied.
func (s *steer) control(action string, apply func()) bool {
	log := s.e.opt.Log.With("rollout", s.r.x.ID(), "action", action, "user", s.id.User, "key", s.id.Fingerprint)
	if s.id.Role != RoleOperator {
		log.Warn("control refused: viewer key")
		return false
	}
	if err := s.r.x.Note(s.id.Operator(), action); err != nil {
		log.Warn("control not journaled", "err", err)
	}
	log.Info("control")
	apply()
	return true
}
