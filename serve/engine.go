package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/ui"
)

// ErrStopping refuses new rollouts while the server stops.
var ErrStopping = errors.New("molt serve is stopping: no new rollouts (it continues the running ones when it starts again)")

// errViewer refuses what a viewer may not do, should a key ever get that far.
var errViewer = errors.New("this key is a viewer's: it cannot change the fleet")

// EngineOptions configure the server's one engine.
type EngineOptions struct {
	// Client talks to the API.
	Client *godo.Client
	// Actions are the executor's options (journal directory, timing, version); the
	// operator is set per run from the session that starts it.
	Actions actions.Options
	// Plan plans a staged rollout (the program's wiring, with its launch templates);
	// nil gathers and plans with package actions alone.
	Plan func(ctx context.Context, req ui.PlanRequest) (actions.Plan, error)
	// ProvisionTime is the expected time from create to active, for the estimates of
	// plans made without Plan (zero: the planner's default).
	ProvisionTime time.Duration
	// Log receives who did what.
	Log *slog.Logger
}

// Engine is the server's one rollout engine: every session plans and starts through
// it, rollouts run under the server's lifetime rather than a session's, and each run is
// shared by every session that watches it.
type Engine struct {
	opt EngineOptions

	// ctx bounds the runs: cancelled only when the server stops.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	stopping bool
	runs     []*sharedRun
	changed  func()
	wg       sync.WaitGroup
}

// sharedRun is a rollout running in the server and who started it.
type sharedRun struct {
	x    *actions.Executor
	kind string // rollout, resume or rollback
	by   string // the SSH user who started it, for the header
	done chan struct{}
}

// NewEngine builds the engine; runs live until Stop.
func NewEngine(opt EngineOptions) (*Engine, error) {
	if opt.Client == nil {
		return nil, errors.New("the engine needs an API client")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Actions.Dir == "" {
		dir, err := actions.DefaultDir()
		if err != nil {
			return nil, err
		}
		opt.Actions.Dir = dir
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{opt: opt, ctx: ctx, cancel: cancel, changed: func() {}}, nil
}

// onChange registers the function told when a run starts or ends.
func (e *Engine) onChange(fn func()) {
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

// running is the runs in progress, oldest first.
func (e *Engine) running() []*sharedRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*sharedRun(nil), e.runs...)
}

// find is the running run of rollout id, or nil.
func (e *Engine) find(id string) *sharedRun {
	for _, r := range e.running() {
		if r.x.ID() == id {
			return r
		}
	}
	return nil
}

// options are the executor's options for a run on behalf of op.
func (e *Engine) options(op actions.Operator) actions.Options {
	o := e.opt.Actions
	o.Operator = &op
	return o
}

// plan gathers what planning needs and plans req.
func (e *Engine) plan(ctx context.Context, req ui.PlanRequest) (actions.Plan, error) {
	if e.opt.Plan != nil {
		return e.opt.Plan(ctx, req)
	}
	in, err := actions.Gather(ctx, e.opt.Client, req.Selection, req.Servers, req.Target, req.Strategy)
	if err != nil {
		return actions.Plan{}, err
	}
	if e.opt.ProvisionTime > 0 {
		in.ProvisionTime = e.opt.ProvisionTime
	}
	return actions.NewPlan(in)
}

// launch runs x in the background under the server's lifetime and shares it.
func (e *Engine) launch(x *actions.Executor, kind, by string) (*sharedRun, error) {
	r := &sharedRun{x: x, kind: kind, by: by, done: make(chan struct{})}
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

func (e *Engine) run(r *sharedRun) {
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
	st := r.x.Status()
	e.opt.Log.Info("rollout ended", "rollout", r.x.ID(), "state", st.State, "err", errText(err))
	e.notify()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// open starts an executor unless the server is stopping; the check is repeated in
// launch, but failing here first leaves no journal behind.
func (e *Engine) open(fn func() (*actions.Executor, error)) (*actions.Executor, error) {
	e.mu.Lock()
	stopping := e.stopping
	e.mu.Unlock()
	if stopping {
		return nil, ErrStopping
	}
	return fn()
}

// start begins a new rollout of plan for id.
func (e *Engine) start(plan actions.Plan, id Identity) (*sharedRun, error) {
	x, err := e.open(func() (*actions.Executor, error) {
		return actions.Start(e.opt.Client, plan, e.options(id.Operator()))
	})
	if err != nil {
		return nil, err
	}
	return e.launch(x, "rollout", id.User)
}

// resume continues rollout rid, or joins it when it runs here already.
func (e *Engine) resume(rid string, op actions.Operator, by string) (*sharedRun, error) {
	if r := e.find(rid); r != nil {
		return r, nil
	}
	x, err := e.open(func() (*actions.Executor, error) {
		return actions.Resume(e.opt.Client, actions.JournalPath(e.journalDir(), rid), e.options(op))
	})
	if err != nil {
		return nil, err
	}
	return e.launch(x, "resume", by)
}

// rollback rolls rollout rid back; a rollout running here is aborted with rollback
// from its live view instead.
func (e *Engine) rollback(rid string, id Identity) (*sharedRun, error) {
	if e.find(rid) != nil {
		return nil, fmt.Errorf("rollout %s is running: abort it with a rollback from its live view (A, then r)", rid)
	}
	x, err := e.open(func() (*actions.Executor, error) {
		return actions.Rollback(e.opt.Client, actions.JournalPath(e.journalDir(), rid), e.options(id.Operator()))
	})
	if err != nil {
		return nil, err
	}
	return e.launch(x, "rollback", id.User)
}

func (e *Engine) journalDir() string { return e.opt.Actions.Dir }
