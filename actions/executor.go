package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// The ways a run can end other than done.
var (
	// ErrInterrupted: the run ended before the rollout did (signal, lost session,
	// checkpoint with nobody to continue it, or an API that kept failing); the rollout
	// can be resumed.
	ErrInterrupted = errors.New("interrupted")
	// ErrRolledBack: replacements failed past the budget (or the operator asked) and the
	// rollout was rolled back; the fleet is as it was.
	ErrRolledBack = errors.New("rolled back")
	// ErrAborted: the operator ended the rollout without rolling back.
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
	// Account is the account the client reaches (ReadAccount). With it, Resume and
	// Rollback refuse a journal of another account at once; without it, Run reads the
	// account itself before it changes anything.
	Account *fleet.Account
	// crashAt injects a crash right after journal record crashAt, crashAfter right after
	// the first record it matches (tests only).
	crashAt    int
	crashAfter func(Record) bool
	// driver stands in for this process in the cloud lease (tests of two machines).
	driver *Driver
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
	lease  *lease

	mu       sync.Mutex
	failures int
	budget   int
	state    State // as shown: paused while the operator holds the rollout
	// base is the rollout's own state under a pause (running, checkpoint, rolling back),
	// with the record and event that entered it and whether that event was shown.
	base      State
	baseRec   Record
	baseEv    Event
	baseShown bool
	// trans keeps journal and events of state changes in the same order.
	trans sync.Mutex

	resumed      bool
	atCheckpoint int  // the wave whose checkpoint a resume passes (-1: none)
	rollbackAsk  bool // a rollback of the whole rollout was asked for
	verifyLB     bool // check LB membership before changing it (after a resume)
	rollingBack  bool // the journal shows a rollback under way
	finalised    bool // the journal shows the kept old droplets destroyed
	// createSent: a create (or re-creation) was sent in this rollout, so droplets it
	// made may be left untracked: the end of the rollout sweeps for them.
	createSent bool
	recs       []Record
	// lastUnclear is when a create was last answered with an error or not at all: the
	// rollout settles before it ends (settle.go).
	lastUnclear time.Time
	// finishing is the final state a rollout that settles is heading for ("" before).
	finishing State
	// unclearTags are the create tags (group or re-creation) of creates answered with an
	// error or not at all: the droplets they may still make carry them.
	unclearTags []string
	// rollbackReason is why the rollback the journal shows began.
	rollbackReason string
	// orphansOnly: the run resumes an ended rollout only to sweep what creates
	// committed after its end left behind.
	orphansOnly bool
	// swept counts the droplets this run destroyed as untracked or duplicates.
	swept int
	// retireTags are the retire tags this rollout's journal shows put on droplets (or
	// about to be): none is used for a second try (retire.go).
	retireTags map[string]bool
	// recoveredVolumeTags are the tags moves of volumes left on them, as a journal
	// rebuilt from the cloud found them: removed as the rollout ends.
	recoveredVolumeTags []string
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
	// untagged: the old droplet was (maybe) taken out of tag-based load balancers, so
	// handing back must tag it again even if it was never kept.
	untagged bool
	// handoverBegun: some handover call was made, so a failure must hand back.
	handoverBegun bool
	// reason is why the replacement reached its phase, when the journal says.
	reason string
	// unclear is when a create for it had an unclear result: it may have a droplet
	// that only its group's tag knows.
	unclear time.Time
	// safe is what the identity checks and the drain keep (identity.go, drain.go).
	safe slotSafety
	// took is how long its new droplet was measured to take to turn active (0: not
	// measured cleanly), journaled with the active phase; failsAt is the API's failed
	// attempts when it was created (any since make the measure unclean).
	took    time.Duration
	failsAt int64
	// volumesMarked: its volumes carry VolumeTag, until the rollout ends.
	volumesMarked bool
}

// Start begins a new rollout of plan: it writes the journal's header and returns an
// executor ready to Run. Nothing in the cloud changes until Run. A plan whose target
// trips a guard its strategy does not allow is refused (a *GuardError).
func Start(client *godo.Client, plan Plan, opt Options) (*Executor, error) {
	if err := plan.Refusal(); err != nil {
		return nil, err
	}
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
	return newExecutor(client, id, plan, j, opt, h.Started), nil
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

// newExecutor makes the executor of a run; started is when the rollout started, for a
// fresh one (zero for a resumed one until it runs).
func newExecutor(client *godo.Client, id string, plan Plan, j *Journal, opt Options, started time.Time) *Executor {
	j.crashAt, j.crashAfter = opt.crashAt, opt.crashAfter
	st := NewStatus(id, plan)
	st.Journal, st.Started = j.Path(), started
	e := &Executor{id: id, plan: plan, j: j, opt: opt, health: opt.HealthClient, atCheckpoint: -1,
		b: NewBroadcaster(st), budget: plan.Strategy.MaxFailures, state: StateRunning, base: StateRunning}
	e.api = &api{c: client, timing: opt.Timing, publish: e.publish, halted: j.Crashed,
		stop: func(ctx context.Context) (context.Context, context.CancelFunc) { return e.stopCtx(ctx, false) }}
	e.lease = &lease{id: id, api: e.api, me: thisDriver(&opt), ttl: opt.Timing.Lease}
	e.api.hold = e.lease.hold
	e.clock = provisionClock{estimate: opt.Timing.ProvisionEstimate, min: opt.Timing.PollMin, guess: opt.Timing.ProvisionEstimate > 0}
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

// SubscribeContext is Subscribe that also leaves when ctx ends.
func (e *Executor) SubscribeContext(ctx context.Context) (<-chan Event, func()) {
	return e.b.SubscribeContext(ctx)
}

// Status returns the current state of the rollout.
func (e *Executor) Status() Status { return e.b.Status() }

func (e *Executor) publish(ev Event) { e.b.Publish(ev) }

// Run executes the rollout until it is done, rolled back, aborted or interrupted (by
// ctx, which stops new mutations; a call in flight finishes and is journaled). It
// returns nil when done, else an error matching ErrRolledBack, ErrAborted or
// ErrInterrupted, or another error that left the rollout resumable.
func (e *Executor) Run(ctx context.Context) (err error) {
	defer func() { err = e.closeRun(ctx, err) }()
	if err := e.bind(ctx); err != nil {
		return err // another account's rollout: nothing journaled, nothing changed
	}
	e.publish(RolloutStarted{At: time.Now(), Rollout: e.id, Selection: e.plan.Selection, Target: versionName(e.plan.Target),
		Waves: len(e.plan.Waves), Replacements: len(e.slots), Resumed: e.resumed, Journal: e.j.Path()})
	if err := e.takeLease(ctx); err != nil {
		var driven *DrivenError
		if errors.As(err, &driven) {
			return err // another process drives it: nothing journaled, nothing changed
		}
		return e.endRun(ctx, err)
	}
	reason := RollbackAsked
	if !e.rollbackAsk && e.rollbackReason != "" {
		reason = e.rollbackReason // a rollback resumed goes on for the reason it began
	}
	if e.rollbackAsk && e.state != StateRollingBack {
		if err := e.setState(StateRollingBack, e.withNote(reason)); err != nil {
			return e.endRun(ctx, err)
		}
	}
	if err := e.prepare(ctx); err != nil {
		return e.endRun(ctx, err)
	}
	switch {
	case e.finishing != "" && !e.rollbackAsk:
		return e.endRun(ctx, e.finish(ctx))
	case e.orphansOnly:
		return e.endRun(ctx, e.sweepEnded(ctx))
	case e.rollbackAsk || e.state == StateRollingBack:
		return e.endRun(ctx, e.rollBack(ctx, reason))
	case e.state == StateDone:
		return e.endRun(ctx, e.finalise(ctx))
	}
	if err := e.runWaves(ctx); err != nil {
		return e.endRun(ctx, err)
	}
	return e.endRun(ctx, e.endRollout(ctx, StateDone))
}

// takeLease takes the cloud lease of a resumed rollout (a fresh one takes it once its
// lock is on), before the run journals anything: a run that another live driver holds
// the rollout from leaves the journal as it was (a rollback refused so must not leave
// its journal saying the rollout is rolling back).
func (e *Executor) takeLease(ctx context.Context) error {
	if !e.resumed {
		return nil
	}
	found, err := e.api.listByTag(ctx, RolloutTag(e.id))
	if err != nil {
		return err
	}
	return e.lease.take(ctx, found)
}

// prepare locks the selection (fresh rollout) or reconciles the journal with the cloud.
func (e *Executor) prepare(ctx context.Context) error {
	if !e.resumed {
		if err := e.setState(StateRunning, "started"); err != nil {
			return err
		}
		return e.lock(ctx)
	}
	if err := e.reconcile(ctx); err != nil {
		return err
	}
	e.publish(Snapshot{Status: e.replayedStatus(e.Status())})
	if st := e.currentState(); st.Final() || st == StateRollingBack || e.finishing != "" {
		return nil
	}
	return e.setState(StateRunning, e.withNote("resumed"))
}

func (e *Executor) runWaves(ctx context.Context) error {
	waves := e.plan.Waves
	left := 0
	for _, w := range waves {
		if !e.waveEnded(w) {
			left++
		}
	}
	e.clock.plan(left)
	for i := 0; i < len(waves); {
		if e.waveEnded(waves[i]) {
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
		if i+1 < len(waves) && !e.waveEnded(waves[i+1]) {
			if err := e.checkpoint(ctx, waves[i]); err != nil {
				return err
			}
		}
		i++
	}
	return nil
}

// waveEnded reports whether every replacement of the wave has ended.
func (e *Executor) waveEnded(w Wave) bool {
	for _, s := range e.waveSlots(w.Index) {
		if !s.ended() {
			return false
		}
	}
	return true
}

// ended reports whether the replacement has nothing more to do: done, failed, cancelled
// or rolled back.
func (s *slot) ended() bool {
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

// How a run ends has one verb, end, and two things that end:
//   - a run ends every time Run returns: endRun turns how it went into the journal's
//     last word and Run's error, then closeRun (deferred) publishes Done and closes the
//     events and the journal;
//   - the rollout ends when it reaches a final state (done, rolled back, aborted):
//     endRollout sweeps untracked droplets, lifts the lock and journals the end
//     record. A run interrupted, or left at a checkpoint or a pause, ends without
//     ending the rollout, which a later run resumes.
//
// A replacement ends too (slot.ended: done, failed, cancelled or rolled back).
// Finalising is not an end: finalise destroys the old droplets a done rollout kept
// (--retire keep), then ends the rollout again, since the lock stayed on them.

// endRun turns how the run went (err) into the journal's last word and Run's error: done
// and the final errors have ended the rollout already; an operator's abort ends it now,
// rolling back or not; anything else leaves it resumable, journaled as interrupted
// unless it waits for the operator.
func (e *Executor) endRun(ctx context.Context, err error) error {
	var ab *abortError
	switch {
	case err == nil, errors.Is(err, errCrashed), errors.Is(err, ErrRolledBack), errors.Is(err, ErrAborted),
		errors.Is(err, ErrNothingToResume), e.orphansOnly:
		return err // the rollout has ended (or had): the journal says so already
	case errors.As(err, &ab):
		e.ctl.take()
		if ab.rollback {
			// A rollback is journaled as one: a signal during it leaves it resumable.
			return e.endRun(ctx, e.rollBack(ctx, "aborted by the operator"))
		}
		// An abort that keeps what is in service is short, and is not journaled as such
		// before it ends: it runs to its end even when a signal comes.
		return e.endRun(ctx, e.abort(context.WithoutCancel(ctx)))
	}
	if st := e.currentState(); errors.Is(err, ErrInterrupted) && (st == StateCheckpoint || st == StatePaused) {
		return err // ended where it waits for the operator: the journal says so already
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

// closeRun drops the lease (unless the process "died": an injected crash), publishes
// Done, with how the run ended, and closes the events and the journal.
func (e *Executor) closeRun(ctx context.Context, err error) error {
	if !e.j.Crashed() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opt.Timing.CallTimeout)
		e.lease.drop(dctx)
		cancel()
	}
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

func (e *Executor) isPaused() bool {
	e.ctl.mu.Lock()
	defer e.ctl.mu.Unlock()
	return e.ctl.paused
}

// setState journals and publishes a change of the rollout's own state.
func (e *Executor) setState(st State, reason string) error {
	return e.transition(Record{Kind: KindState, State: st, Reason: reason}, StateChanged{At: time.Now(), State: st, Reason: reason})
}

// transition journals a change of the rollout's own state (rec) and publishes it (ev).
// While the operator holds the rollout paused the change is shown when the pause ends,
// unless it ends the run; the pause is shown instead.
func (e *Executor) transition(rec Record, ev Event) error {
	e.trans.Lock()
	defer e.trans.Unlock()
	e.mu.Lock()
	show := rec.State.Final() || rec.State == StateInterrupted || !e.isPaused()
	e.base, e.baseRec, e.baseEv, e.baseShown = rec.State, rec, ev, show
	recs := []Record{rec}
	switch {
	case show:
		e.state = rec.State
	case e.state != StatePaused:
		e.state = StatePaused
		ev = StateChanged{At: time.Now(), State: StatePaused, Reason: "paused by the operator"}
		recs = append(recs, Record{Kind: KindState, State: StatePaused, Reason: "paused by the operator"})
		show = true
	}
	e.mu.Unlock()
	if show {
		e.publish(ev)
	}
	_, err := e.j.AppendBatch(recs)
	return err
}

// showPaused journals and shows that the rollout is held paused, with why.
func (e *Executor) showPaused(reason string) error {
	e.trans.Lock()
	defer e.trans.Unlock()
	e.mu.Lock()
	st := e.state
	ok := e.isPaused() && !st.Final() && st != StateInterrupted && st != StatePaused
	if ok {
		e.state = StatePaused
	}
	e.mu.Unlock()
	if !ok {
		return nil
	}
	e.publish(StateChanged{At: time.Now(), State: StatePaused, Reason: reason})
	_, err := e.j.Append(Record{Kind: KindState, State: StatePaused, Reason: reason})
	return err
}

// showUnpaused journals and shows the rollout's own state again once a pause ends.
func (e *Executor) showUnpaused(reason string) error {
	e.trans.Lock()
	defer e.trans.Unlock()
	e.mu.Lock()
	ok := e.state == StatePaused && !e.isPaused()
	if ok {
		e.state = e.base
	}
	rec, ev, shown := e.baseRec, e.baseEv, e.baseShown
	e.baseShown = e.baseShown || ok
	e.mu.Unlock()
	if !ok {
		return nil
	}
	if shown || ev == nil {
		ev = StateChanged{At: time.Now(), State: rec.State, Reason: reason}
	}
	e.publish(ev)
	rec.Seq, rec.At, rec.Reason = 0, time.Time{}, reason
	_, err := e.j.Append(rec)
	return err
}

// endRollout ends the rollout in a final state: it destroys droplets of the rollout's
// creates that nothing tracks, lifts the lock and journals the end record.
func (e *Executor) endRollout(ctx context.Context, st State) error {
	if err := e.settle(ctx, st); err != nil {
		return err
	}
	left, err := e.sweep(ctx)
	if err != nil {
		return err
	}
	if err := e.release(ctx, left); err != nil {
		return err
	}
	if err := e.sweepUnclear(ctx); err != nil {
		return err
	}
	e.lease.clear(ctx, left)
	e.unmarkVolumes(ctx)
	return e.transition(Record{Kind: KindEnd, State: st}, StateChanged{At: time.Now(), State: st})
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
		rec := Record{Kind: KindPhase, Wave: s.wave, Slots: []int{s.r.Slot}, Phase: p, IP: s.newIP, Reason: reason}
		if s.newID != 0 {
			rec.Droplets = []int{s.newID}
		}
		if s.restored != 0 {
			rec.Target = fmt.Sprint(s.restored)
		}
		if p == PhaseActive {
			rec.Took = Duration(s.took)
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
	rec.Kind = KindIntent
	ref, err := e.j.Append(rec)
	if err != nil {
		return err
	}
	callErr := e.api.call(ctx, class, fn)
	res := Record{Kind: KindResult, Ref: ref, Op: rec.Op, Slots: rec.Slots, Group: rec.Group}
	if callErr != nil {
		res.Err = callErr.Error()
		var u *unclearError
		res.Unclear = errors.As(callErr, &u)
		if res.Unclear {
			e.unclearCreate(time.Now())
			e.noteUnclearTag(rec.Target)
		}
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
