package ui

import (
	"context"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// Engine is the rollout engine as the UI drives it. The program's wiring implements it
// on package actions with the API client, which the UI never sees.
type Engine interface {
	// Gather reads once what planning needs besides the request (the account's droplet
	// limit, load balancers and reserved IPs whatever the strategy says of them, the
	// rate budget, the selection's launch template); the UI plans from it with
	// actions.NewPlan after every change of strategy, without calling the API again.
	Gather(ctx context.Context, req PlanRequest) (actions.PlanInput, error)
	// Start begins running plan in the background, bounded by ctx, and returns it.
	Start(ctx context.Context, plan actions.Plan) (Run, error)
	// Resume continues the unfinished rollout id in the background.
	Resume(ctx context.Context, id string) (Run, error)
	// Rollback rolls rollout id back in the background.
	Rollback(ctx context.Context, id string) (Run, error)
}

// PlanRequest is a staged rollout: which servers, onto which image, how.
type PlanRequest struct {
	// Selection names the selection as the operator knows it ("web").
	Selection string
	Servers   []fleet.Server
	Target    fleet.Version
	Strategy  actions.Strategy
}

// Run is a rollout running in the background (*actions.Executor is one): the UI watches
// it through Subscribe and steers it with the rest.
type Run interface {
	ID() string
	Plan() actions.Plan
	// Subscribe returns the run's events, starting with a snapshot, and a function to
	// stop receiving them; the channel closes after the run's last event.
	Subscribe() (<-chan actions.Event, func())
	Pause()
	Resume()
	// Continue goes on from a checkpoint or a pause; when the run waits for nobody it
	// changes nothing and says why.
	Continue() error
	Abort(rollback bool)
}
