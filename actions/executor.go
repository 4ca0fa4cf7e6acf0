package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// The ways a run can end other than done.
var (
	// ErrInterrupted: the run stopped (signal, lost session, checkpoint with nobody to
	// continue it, or an API that kept failing); the rollout can be resumed.
	ErrInterrupted = errors.New("interrupted")
	// ErrRolledBack: replacements failed past the budget (or the operator asked) and the
	// rollout was rolled back; the fleet is as it was.
	ErrRolledBack = errors.New("rolled back")
	// ErrAborted: the operator stopped the rollout without rolling back.
	ErrAborted = errors.New("aborted")
)

// abortError carries an operator's abort from a control point to Run.
type abortError struct{ rollback bool }

func (e *abortError) Error() string { return "aborted by the operator" }

// errOverBudget stops a wave when failures pass --max-failures.
var errOverBudget = errors.New("failures past the budget")

// Options configure an Executor.
type Options struct {
	// Dir is where journals live (default DefaultDir()).
	Dir string
	// Timing scales the engine's clocks (defaults suit DigitalOcean).
	Timing Timing
	// Operator is recorded in the journal (default CurrentOperator()).
	Operator *Operator
	// Version is molt's version, recorded in the journal.
	Version string
	// HealthClient makes HTTP health probes (default: a client without keep-alives).
	HealthClient *http.Client
	// crashAt injects a crash right after journal record crashAt (tests only).
	crashAt int
}

// Executor runs a plan: one per rollout run (a fresh apply, a resume or a rollback).
// Drive it with Run; watch it with Subscribe; steer it with Pause, Resume, Continue
// and Abort from any goroutine.
type Executor struct {
	id     string
	plan   Plan
	api    *api
	j      *Journal
	b      *Broadcaster
	opt    Options
	health *http.Client
	slots  []*slot
	ctl    control
	clock  provisionClock

	mu       sync.Mutex
	failures int
	budget   int
	state    State

	resumed      bool
	atCheckpoint int  // the wave whose checkpoint a resume passes (-1: none)
	rollbackAsk  bool // a rollback of the whole rollout was asked for
	verifyLB     bool // check LB membership before changing it (after a resume)
	rollingBack  bool // the journal shows a rollback under way
	recs         []Record
}

// slot is the live state of one replacement.
type slot struct {
	r     Replacement
	wave  int
	phase Phase
	newID int
	newIP string
	// created is when the new droplet was seen first, for the stuck-in-new deadline.
	created time.Time
	// restored is the droplet serving in the old one's place after a rollback: the old
	// one powered back on, or a re-creation from the previous image.
	restored int
	kept     bool // the old droplet was powered off and kept
	// handoverBegun: some handover call was made, so a failure must hand back.
	handoverBegun bool
}

// Start begins a new rollout of plan: it writes the journal's header and returns an
// executor ready to Run. Nothing in the cloud changes until Run.
func Start(client *godo.Client, plan Plan, opt Options) (*Executor, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	id := NewRolloutID(time.Now())
	h := Header{ID: id, Started: time.Now().UTC(), Operator: *opt.Operator, Molt: opt.Version, Plan: plan}
	j, err := CreateJournal(opt.Dir, h)
	if err != nil {
		return nil, err
	}
	return newExecutor(client, id, plan, j, opt), nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		dir, err := DefaultDir()
		if err != nil {
			return o, err
		}
		o.Dir = dir
	}
	o.Timing = o.Timing.withDefaults()
	if o.Operator == nil {
		op := CurrentOperator()
		o.Operator = &op
	}
	if o.HealthClient == nil {
		o.HealthClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	}
	return o, nil
}

func newExecutor(client *godo.Client, id string, plan Plan, j *Journal, opt Options) *Executor {
	j.crashAt = opt.crashAt
	e := &Executor{id: id, plan: plan, j: j, opt: opt, health: opt.HealthClient, atCheckpoint: -1,
		b: NewBroadcaster(NewStatus(id, plan)), budget: plan.Strategy.MaxFailures, state: StateRunning}
	e.api = &api{c: client, timing: opt.Timing, publish: e.publish, halted: j.Crashed}
	e.clock = provisionClock{estimate: opt.Timing.ProvisionEstimate, min: opt.Timing.PollMin}
	e.ctl.wake = make(chan struct{})
	for _, w := range plan.Waves {
		for _, r := range w.Replacements {
			e.slots = append(e.slots, &slot{r: r, wave: w.Index, phase: PhasePending})
		}
	}
	return e
}

// ID is the rollout's ID.
func (e *Executor) ID() string { return e.id }

// Plan is the plan the executor runs.
func (e *Executor) Plan() Plan { return e.plan }

// JournalPath is the file the executor journals to.
func (e *Executor) JournalPath() string { return e.j.Path() }

// Subscribe returns the executor's events, starting with a snapshot, and a function to
// stop receiving them. Any number of subscribers may join at any time.
func (e *Executor) Subscribe() (<-chan Event, func()) { return e.b.Subscribe() }

// Status returns the current state of the rollout.
func (e *Executor) Status() Status { return e.b.Status() }

func (e *Executor) publish(ev Event) { e.b.Publish(ev) }

// Run executes the rollout until it is done, rolled back, aborted or interrupted (by
// ctx, which stops new mutations; a call in flight finishes and is journaled). It
// returns nil when done, else an error matching ErrRolledBack, ErrAborted or
// ErrInterrupted, or another error that left the rollout resumable.
func (e *Executor) Run(ctx context.Context) (err error) {
	defer func() { err = e.finish(err) }()
	e.publish(RolloutStarted{At: time.Now(), Rollout: e.id, Selection: e.plan.Selection, Target: versionName(e.plan.Target),
		Waves: len(e.plan.Waves), Replacements: len(e.slots), Resumed: e.resumed, Journal: e.j.Path()})
	if e.rollbackAsk && e.state != StateRollingBack {
		if err := e.setState(StateRollingBack, "rollback requested"); err != nil {
			return e.stopped(ctx, err)
		}
	}
	if err := e.prepare(ctx); err != nil {
		return e.stopped(ctx, err)
	}
	switch {
	case e.rollbackAsk || e.state == StateRollingBack:
		return e.stopped(ctx, e.rollBack(ctx, "rollback requested"))
	case e.state == StateDone:
		return e.stopped(ctx, e.finalise(ctx))
	}
	if err := e.runWaves(ctx); err != nil {
		return e.stopped(ctx, err)
	}
	return e.stopped(ctx, e.complete(ctx, StateDone))
}

// prepare locks the selection (fresh rollout) or reconciles the journal with the cloud.
func (e *Executor) prepare(ctx context.Context) error {
	if e.resumed {
		return e.reconcile(ctx)
	}
	if err := e.setState(StateRunning, "started"); err != nil {
		return err
	}
	return e.lock(ctx)
}

func (e *Executor) runWaves(ctx context.Context) error {
	waves := e.plan.Waves
	for i := 0; i < len(waves); {
		if e.waveFinished(waves[i]) {
			i++
			continue
		}
		err := e.runWave(ctx, waves[i])
		if errors.Is(err, errOverBudget) {
			if err := e.failurePolicy(ctx); err != nil {
				return err
			}
			continue // the same wave, from where its replacements are
		}
		if err != nil {
			return err
		}
		if i+1 < len(waves) && !e.waveFinished(waves[i+1]) {
			if err := e.checkpoint(ctx, waves[i]); err != nil {
				return err
			}
		}
		i++
	}
	return nil
}

func (e *Executor) waveFinished(w Wave) bool {
	for _, s := range e.waveSlots(w.Index) {
		if !s.finished() {
			return false
		}
	}
	return true
}

func (s *slot) finished() bool {
	switch s.phase {
	case PhaseDone, PhaseFailed, PhaseCancelled, PhaseRolledBack:
		return true
	}
	return false
}

func (e *Executor) waveSlots(wave int) []*slot {
	var out []*slot
	for _, s := range e.slots {
		if s.wave == wave {
			out = append(out, s)
		}
	}
	return out
}

// stopped turns how the run ended into the journal's last word and Run's error.
func (e *Executor) stopped(ctx context.Context, err error) error {
	var ab *abortError
	switch {
	case err == nil, errors.Is(err, errCrashed), errors.Is(err, ErrRolledBack), errors.Is(err, ErrAborted):
		return err
	case errors.As(err, &ab):
		if ab.rollback {
			return e.stopped(ctx, e.rollBack(context.WithoutCancel(ctx), "aborted by the operator"))
		}
		return e.stopped(ctx, e.abort(context.WithoutCancel(ctx)))
	}
	if st := e.currentState(); errors.Is(err, ErrInterrupted) && (st == StateCheckpoint || st == StatePaused) {
		return err // stopped where it waits for the operator: the journal says so already
	}
	reason := "interrupted"
	if !errors.Is(err, ErrInterrupted) {
		reason = err.Error()
	}
	if jerr := e.setState(StateInterrupted, reason); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

func (e *Executor) finish(err error) error {
	st := e.Status()
	done := Done{At: time.Now(), State: e.currentState(), Replaced: st.Count(PhaseDone),
		Failed: st.Count(PhaseFailed), RolledBack: st.Count(PhaseRolledBack)}
	if err != nil {
		done.Err = err.Error()
	}
	e.publish(done)
	e.b.Close()
	if cerr := e.j.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

func (e *Executor) currentState() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// setState journals and publishes a change of the rollout's state.
func (e *Executor) setState(st State, reason string) error {
	e.mu.Lock()
	e.state = st
	e.mu.Unlock()
	e.publish(StateChanged{At: time.Now(), State: st, Reason: reason})
	_, err := e.j.Append(Record{Kind: "state", State: st, Reason: reason})
	return err
}

// complete releases the lock and ends the journal in a final state.
func (e *Executor) complete(ctx context.Context, st State) error {
	if err := e.release(ctx); err != nil {
		return err
	}
	e.mu.Lock()
	e.state = st
	e.mu.Unlock()
	e.publish(StateChanged{At: time.Now(), State: st})
	_, err := e.j.Append(Record{Kind: "end", State: st})
	return err
}

// setPhase journals and publishes a replacement reaching a phase.
func (e *Executor) setPhase(s *slot, p Phase, reason string) error {
	return e.setPhases([]*slot{s}, p, reason)
}

// setPhases journals replacements reaching a phase together, with one sync.
func (e *Executor) setPhases(slots []*slot, p Phase, reason string) error {
	if len(slots) == 0 {
		return nil
	}
	recs := make([]Record, 0, len(slots))
	for _, s := range slots {
		s.phase = p
		rec := Record{Kind: "phase", Wave: s.wave, Slots: []int{s.r.Slot}, Phase: p, IP: s.newIP, Reason: reason}
		if s.newID != 0 {
			rec.Droplets = []int{s.newID}
		}
		if s.restored != 0 {
			rec.Target = fmt.Sprint(s.restored)
		}
		recs = append(recs, rec)
	}
	_, err := e.j.AppendBatch(recs)
	for _, s := range slots {
		e.publish(PhaseChanged{At: time.Now(), Slot: s.r.Slot, Phase: p, NewID: s.newID, NewIP: s.newIP, Reason: reason})
	}
	return err
}

// do journals an intent, makes the call, and journals its result.
func (e *Executor) do(ctx context.Context, rec Record, class callClass, fn func(context.Context) (*godo.Response, error)) error {
	rec.Kind = "intent"
	ref, err := e.j.Append(rec)
	if err != nil {
		return err
	}
	callErr := e.api.call(ctx, class, fn)
	res := Record{Kind: "result", Ref: ref, Op: rec.Op, Slots: rec.Slots, Group: rec.Group}
	if callErr != nil {
		res.Err = callErr.Error()
		var u *unclearError
		res.Unclear = errors.As(callErr, &u)
	}
	if _, err := e.j.Append(res); err != nil {
		return err
	}
	return callErr
}

// step publishes the start and end of a step of a replacement around fn.
func (e *Executor) step(s *slot, name string, droplet int, fn func() error) error {
	start := time.Now()
	e.publish(StepStarted{At: start, Slot: s.r.Slot, Step: name, Droplet: droplet})
	err := fn()
	fin := StepFinished{At: time.Now(), Slot: s.r.Slot, Step: name, Droplet: droplet, Took: Duration(time.Since(start))}
	if err != nil {
		fin.Err = err.Error()
	}
	e.publish(fin)
	return err
}
