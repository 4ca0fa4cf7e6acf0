package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// PoolEngine is an Engine that also rolls autoscale pools: the local engine and molt
// serve's session engine are both one. A pool is rolled as a whole (the pool replaces
// its members from its template), never through Start.
type PoolEngine interface {
	// PlanPool reads the pool and plans moving its template to req.Target.
	PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error)
	// StartPool begins the pool rollout of plan in the background.
	StartPool(ctx context.Context, plan actions.PoolPlan) (Run, error)
}

// poolPlannedMsg ends the planning of generation gen of a pool stage.
type poolPlannedMsg struct {
	gen  int
	plan actions.PoolPlan
	err  error
}

func planPoolCmd(ctx context.Context, e PoolEngine, gen int, req actions.PoolRequest) tea.Cmd {
	return func() tea.Msg {
		p, err := e.PlanPool(ctx, req)
		return poolPlannedMsg{gen: gen, plan: p, err: err}
	}
}

// startPoolCmd starts the pool rollout of plan; the live view follows it as any rollout.
func startPoolCmd(ctx context.Context, e PoolEngine, plan actions.PoolPlan) tea.Cmd {
	return func() tea.Msg {
		run, err := e.StartPool(ctx, plan)
		return runStartedMsg{kind: "rollout", run: run, err: err}
	}
}

// pausable reports whether Pause can hold run: not a pool rollout, whose runs say so
// (actions.PoolRollout, the engine's Run and molt serve's all have Pausable).
func pausable(run Run) bool {
	p, ok := run.(interface{ Pausable() bool })
	return !ok || p.Pausable()
}
