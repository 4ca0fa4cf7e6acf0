// Package engine runs rollouts in the background for every cockpit of one process: the
// local terminal UI and each `molt serve` session drive the same Engine. It plans
// through package actions with the process's API client, runs executors under its own
// lifetime rather than a screen's, shares each running rollout with whoever watches it,
// and stops them at a safe point when the process ends. It is the one implementation of
// ui.Engine; serve adds who may do what on top of it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/molt-sh/molt/ui"
)

// ErrStopping refuses new rollouts while the engine stops.
var ErrStopping = errors.New("molt is stopping: no new rollouts")

// Options configure an Engine.
type Options struct {
	// Context bounds the runs' lifetime (default: until Stop or Close).
	Context context.Context
	// Client talks to the API.
	Client *godo.Client
	// Actions are the executors' options (journal directory, timing, molt's version);
	// Operator is set per run.
	Actions actions.Options
	// Launch finds the launch template (user data, SSH keys) of a selection when the
	// strategy has none; nil means none.
	Launch func(servers []fleet.Server) (actions.Launch, error)
	// ProvisionTime is the expected time from create to active, for the estimates
	// (zero: the planner's default).
	ProvisionTime time.Duration
	// PoolMinute is how long a minute of the autoscale pools' timings lasts (zero: a
	// minute; the embedded simulator's are shorter).
	PoolMinute time.Duration
	// Explain turns an API error into one sentence for the operator; nil keeps it.
	Explain func(error) error
	// Log receives who did what.
	Log *slog.Logger
}

// Engine runs rollouts in the background and shares them. It is safe for concurrent use.
type Engine struct {
	opt Options

	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	stopping bool
	runs     []*Run
	changed  func()
	wg       sync.WaitGroup

	acctMu sync.Mutex
	acct   *fleet.Account // read once it could be
}

// New builds an engine; its runs live until Stop, Close or the end of opt.Context.
func New(opt Options) (*Engine, error) {
	if opt.Client == nil {
		return nil, errors.New("the engine needs an API client")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Explain == nil {
		opt.Explain = func(err error) error { return err }
	}
	if opt.Actions.Dir == "" {
		dir, err := actions.DefaultDir()
		if err != nil {
			return nil, err
		}
		opt.Actions.Dir = dir
	}
	parent := opt.Context
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	return &Engine{opt: opt, ctx: ctx, cancel: cancel, changed: func() {}}, nil
}

// JournalDir is where the engine's journals live.
func (e *Engine) JournalDir() string { return e.opt.Actions.Dir }

// Options are the options the engine was built with, defaults filled in.
func (e *Engine) Options() Options { return e.opt }

// OnChange registers the function told when a run starts or ends (one at a time).
func (e *Engine) OnChange(fn func()) {
	e.mu.Lock()
	e.changed = fn
	e.mu.Unlock()
}

func (e *Engine) notify() {
	e.mu.Lock()
	fn := e.changed
	e.mu.Unlock()
	fn()
}

// Running is the runs in progress, oldest first.
func (e *Engine) Running() []*Run {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Run(nil), e.runs...)
}

// Find is the running run of rollout id, or nil.
func (e *Engine) Find(id string) *Run {
	for _, r := range e.Running() {
		if r.ID() == id {
			return r
		}
	}
	return nil
}

// Plan gathers what planning needs and plans req.
func (e *Engine) Plan(ctx context.Context, req ui.PlanRequest) (actions.Plan, error) {
	in, err := e.Gather(ctx, req)
	if err != nil {
		return actions.Plan{}, err
	}
	return actions.NewPlan(in)
}

// Gather reads what planning needs besides req (the account's droplet limit and count,
// load balancers, reserved IPs, rate budget) and adds the selection's launch template
// when req's strategy has none. It reads load balancers and reserved IPs even when the
// strategy leaves them alone, so that a cockpit can change its mind and plan again
// from the same input.
func (e *Engine) Gather(ctx context.Context, req ui.PlanRequest) (actions.PlanInput, error) {
	st := req.Strategy
	if st.Launch.Source == "" && e.opt.Launch != nil {
		l, err := e.opt.Launch(req.Servers)
		if err != nil {
			return actions.PlanInput{}, err
		}
		st.Launch = l
	}
	all := st
	all.LB, all.ReservedIP = "auto", "auto"
	in, err := actions.Gather(ctx, e.opt.Client, req.Selection, req.Servers, req.Target, all)
	if err != nil {
		return actions.PlanInput{}, e.opt.Explain(err)
	}
	in.Strategy = st
	if e.opt.ProvisionTime > 0 {
		in.ProvisionTime = e.opt.ProvisionTime
	}
	in.SameImage = actions.IsCurrentImage(req.Target) // staged "replace on the same image"
	return in, nil
}

// Start begins a new rollout of plan for op (nil: the user running molt); by names who
// started it for the people watching.
func (e *Engine) Start(plan actions.Plan, op *actions.Operator, by string) (*Run, error) {
	return e.start(func() (rollout, error) { return actions.Start(e.opt.Client, plan, e.options(op)) }, KindRollout, by)
}

// GatherPool reads once what planning a pool rollout needs (the pool, its members and
// template, the load balancers, its history, the account); a cockpit plans from it with
// actions.NewPoolPlan after every change of the health check, without calling the API
// again.
func (e *Engine) GatherPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlanInput, error) {
	minute := e.opt.PoolMinute
	if minute <= 0 {
		minute = time.Minute
	}
	in, err := actions.GatherPool(ctx, e.opt.Client, req.Pool, req.Target, req.Strategy, minute)
	if err != nil {
		return in, e.opt.Explain(err)
	}
	return in, nil
}

// PlanPool gathers (GatherPool) and plans a pool rollout onto req.Target. A pool
// another rollout holds is a *actions.LockedError naming it.
func (e *Engine) PlanPool(ctx context.Context, req actions.PoolRequest) (actions.PoolPlan, error) {
	in, err := e.GatherPool(ctx, req)
	if err != nil {
		return actions.PoolPlan{}, err
	}
	return actions.NewPoolPlan(in)
}

// StartPool begins a pool rollout of plan for op, as Start does a droplet rollout.
func (e *Engine) StartPool(plan actions.PoolPlan, op *actions.Operator, by string) (*Run, error) {
	return e.start(func() (rollout, error) { return actions.StartPool(e.opt.Client, plan, e.options(op)) }, KindRollout, by)
}

// Account is the account the engine's client reaches (read once, then remembered):
// the engine resumes and rolls back only that account's rollouts.
func (e *Engine) Account(ctx context.Context) (fleet.Account, error) {
	e.acctMu.Lock()
	defer e.acctMu.Unlock()
	if e.acct != nil {
		return *e.acct, nil
	}
	acct, err := actions.ReadAccount(ctx, e.opt.Client)
	if err != nil {
		return acct, e.opt.Explain(err)
	}
	e.acct = &acct
	return acct, nil
}

// Resume continues the unfinished rollout id, or joins it when it runs here already.
// A rollout of another account is refused, naming both.
func (e *Engine) Resume(id string, op *actions.Operator, by string) (*Run, error) {
	if r := e.Find(id); r != nil {
		return r, nil
	}
	return e.start(func() (rollout, error) {
		path, opt := actions.JournalPath(e.JournalDir(), id), e.bound(e.options(op))
		if actions.IsPoolJournal(path) {
			return actions.ResumePool(e.opt.Client, path, opt)
		}
		return actions.Resume(e.opt.Client, path, opt)
	}, KindResume, by)
}

// Rollback rolls rollout id back; a rollout running here is aborted with a rollback
// from its live view instead.
func (e *Engine) Rollback(id string, op *actions.Operator, by string) (*Run, error) {
	if e.Find(id) != nil {
		return nil, fmt.Errorf("rollout %s is running: abort it with a rollback from its live view (A, then r)", id)
	}
	return e.start(func() (rollout, error) {
		path, opt := actions.JournalPath(e.JournalDir(), id), e.bound(e.options(op))
		if actions.IsPoolJournal(path) {
			return actions.RollbackPool(e.opt.Client, path, opt)
		}
		return actions.Rollback(e.opt.Client, path, opt)
	}, KindRollback, by)
}

// bound gives the executor the account, so that a rollout of another is refused at once;
// when it cannot be read now, the run reads it itself before it changes anything.
func (e *Engine) bound(o actions.Options) actions.Options {
	if acct, err := e.Account(e.ctx); err == nil {
		o.Account = &acct
	}
	return o
}

// options are the executors' options for a run on behalf of op.
func (e *Engine) options(op *actions.Operator) actions.Options {
	o := e.opt.Actions
	if op != nil {
		o.Operator = op
	}
	return o
}

// start opens a rollout (open) and launches it, unless the engine is stopping; the check
// is repeated in launch, but failing here first leaves no journal behind.
func (e *Engine) start(open func() (rollout, error), kind, by string) (*Run, error) {
	e.mu.Lock()
	stopping := e.stopping
	e.mu.Unlock()
	if stopping {
		return nil, ErrStopping
	}
	x, err := open()
	if err != nil {
		return nil, err
	}
	return e.launch(x, kind, by)
}

// launch runs x in the background under the engine's lifetime and shares it.
func (e *Engine) launch(x rollout, kind, by string) (*Run, error) {
	r := &Run{x: x, Kind: kind, By: by, done: make(chan struct{})}
	e.mu.Lock()
	if e.stopping {
		e.mu.Unlock()
		// The stop began since open: run nothing, but end the journal just begun.
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		_ = x.Run(cancelled)
		return nil, ErrStopping
	}
	e.runs = append(e.runs, r)
	e.wg.Add(1)
	e.mu.Unlock()
	e.opt.Log.Info("rollout started", "rollout", x.ID(), "kind", kind, "by", by, "journal", x.JournalPath())
	go e.run(r)
	e.notify()
	return r, nil
}

func (e *Engine) run(r *Run) {
	defer e.wg.Done()
	err := r.x.Run(e.ctx)
	e.mu.Lock()
	for i, o := range e.runs {
		if o == r {
			e.runs = append(e.runs[:i], e.runs[i+1:]...)
			break
		}
	}
	e.mu.Unlock()
	close(r.done)
	e.opt.Log.Info("rollout ended", "rollout", r.ID(), "state", r.Status().State, "err", errText(err))
	e.notify()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
