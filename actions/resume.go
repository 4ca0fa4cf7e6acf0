package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// Resume reopens the rollout journaled at path to continue it. Run reconciles the
// journal with the cloud by tags first: it adopts droplets a create made before the
// process died, destroys duplicates, re-checks health, and goes on from there. A done
// rollout that keeps old droplets is finalised: the kept droplets are destroyed.
func Resume(client *godo.Client, path string, opt Options) (*Executor, error) {
	e, err := reopen(client, path, opt)
	if err != nil {
		return nil, err
	}
	if e.state.Final() && !e.holdsKept() {
		if e.lastUnclear.IsZero() {
			e.j.Close()
			return nil, fmt.Errorf("rollout %s is already %s; there is nothing to resume", e.id, e.state)
		}
		// A create answered in error may have been committed after the end: look.
		e.orphansOnly = true
	}
	return e, nil
}

// Rollback reopens the rollout journaled at path to roll it back, whether it is running
// (interrupted), done, or half rolled back already.
func Rollback(client *godo.Client, path string, opt Options) (*Executor, error) {
	e, err := reopen(client, path, opt)
	if err != nil {
		return nil, err
	}
	if e.state == StateRolledBack || e.state == StateAborted && len(e.served()) == 0 {
		e.j.Close()
		return nil, fmt.Errorf("rollout %s is already %s; there is nothing to roll back", e.id, e.state)
	}
	if err := e.reversible(); err != nil {
		e.j.Close()
		return nil, err
	}
	e.rollbackAsk = true
	return e, nil
}

func reopen(client *godo.Client, path string, opt Options) (*Executor, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	j, recs, err := OpenJournal(path)
	if err != nil {
		return nil, err
	}
	h := recs[0].Header
	if h.Pool != nil {
		j.Close()
		return nil, fmt.Errorf("rollout %s rolls pool %s: continue it with `molt resume %s`, or roll it back with `molt rollback %s`", h.ID, h.Pool.Pool.Name, h.ID, h.ID)
	}
	if opt.Account != nil {
		if err := CheckAccount(h.ID, h.Plan.Account, *opt.Account); err != nil {
			j.Close()
			return nil, err
		}
	}
	e := newExecutor(client, h.ID, h.Plan, j, opt, time.Time{})
	e.resumed, e.recs = true, recs
	e.replay(recs)
	e.b = NewBroadcaster(e.replayedStatus(e.b.Status()))
	return e, nil
}

// replayedStatus is st with the replacements and the rollout's state as the journal
// (and, once reconciled, the cloud) has them, so that a subscriber starts from where the
// rollout is rather than from the bare plan.
func (e *Executor) replayedStatus(st Status) Status {
	st = st.Clone()
	e.mu.Lock()
	st.State, st.Failures, st.Budget = e.state, e.failures, e.budget
	e.mu.Unlock()
	for _, s := range e.slots {
		st.slot(s.r.Slot, func(sl *SlotStatus) {
			sl.Phase, sl.NewID, sl.NewIP, sl.Step = s.phase, s.newID, s.newIP, ""
			if s.phase == PhaseFailed {
				sl.Err = s.reason
			}
		})
		if s.phase != PhasePending && s.wave > st.Wave {
			st.Wave = s.wave
		}
	}
	return st
}

// served are the replacements whose new droplet went into service.
func (e *Executor) served() []*slot {
	return inPhase(e.slots, PhaseHandedOver, PhaseSoaked, PhaseDraining, PhaseDone, PhaseRollingBack)
}

// holdsKept reports whether a done rollout still keeps old droplets.
func (e *Executor) holdsKept() bool {
	return e.state == StateDone && len(inPhase(e.slots, PhaseDone)) > 0 && e.plan.Strategy.Retire.Mode == RetireKeep &&
		!e.finalised
}

// replay rebuilds the slots and the rollout's state from the journal.
func (e *Executor) replay(recs []Record) {
	failures := 0
	creates := map[int]string{} // create intents' tags, by seq
	for _, r := range recs {
		e.replaySafety(r)
		switch r.Kind {
		case KindPhase:
			e.replayPhase(r)
			if r.Phase == PhaseFailed {
				failures++
			}
		case KindState, KindEnd, KindFinalised:
			e.replayState(r)
			e.finalised = e.finalised || r.finalises()
		case KindResult:
			if r.Unclear && (r.Op == OpCreate || r.Op == OpRecreate) {
				e.lastUnclear = later(e.lastUnclear, r.At)
				e.noteUnclearTag(creates[r.Ref])
			}
		case KindIntent:
			e.replayIntent(r)
			if r.Op == OpCreate || r.Op == OpRecreate {
				e.createSent = true
				creates[r.Seq] = r.Target
			}
		}
	}
	e.failures = failures
	recovered := len(recs) > 0 && recs[0].Header != nil && recs[0].Header.Recovered != nil
	if recovered && !e.state.Final() {
		e.recoveredVolumeTags = recs[0].Header.Recovered.VolumeTags
	}
	if recovered {
		// The cloud does not say whether a new droplet beside its old one was handed over:
		// a rollback or a failure hands back (each load balancer and reserved IP read first).
		for _, s := range inPhase(e.slots, PhaseCreated, PhaseActive, PhaseHealthy) {
			s.handoverBegun = s.newID != 0
		}
	}
	if e.state == StatePaused && failures > e.budget {
		e.budget = failures + e.plan.Strategy.MaxFailures // resuming a pause accepts the failures
	}
	if e.plan.Strategy.Retire.Mode == RetireKeep && !e.finalised {
		for _, s := range inPhase(e.slots, PhaseDone) {
			s.kept = true
		}
	}
	e.afterReplay()
}

// replayIntent notes the calls a later hand-back must undo.
func (e *Executor) replayIntent(r Record) {
	switch r.Op {
	case OpLBAdd, OpLBRemove, OpIPAssign:
		for _, n := range r.Slots {
			if s := e.slot(n); s != nil {
				s.handoverBegun = true
			}
		}
	case OpUntag:
		for _, s := range e.slots {
			if slices.Contains(r.Droplets, s.r.Old.ID) {
				s.untagged = true
			}
		}
	case OpRetireTag:
		e.noteRetireTag(r.Target) // never deleted by again: retire.go
	case OpVolumeDetach:
		for _, n := range r.Slots {
			if s := e.slot(n); s != nil && slices.Contains(r.Droplets, s.r.Old.ID) {
				s.volumesMarked = true // markVolumes ran before the detach
			}
		}
	}
}

func (e *Executor) replayPhase(r Record) {
	for _, n := range r.Slots {
		s := e.slot(n)
		if s == nil {
			continue
		}
		s.phase, s.reason = r.Phase, r.Reason
		if r.Phase == PhasePending {
			s.newID, s.newIP = 0, "" // its new droplet went
		}
		if len(r.Droplets) > 0 {
			s.newID = r.Droplets[0]
		}
		if r.IP != "" {
			s.newIP = r.IP
		}
		if r.Target != "" {
			fmt.Sscan(r.Target, &s.restored)
		}
	}
}

func (e *Executor) replayState(r Record) {
	switch {
	case r.Kind == KindEnd:
		e.finishing = ""
		for _, s := range e.slots {
			s.volumesMarked = false // unmarkVolumes ran before the end
		}
		e.recoveredVolumeTags = nil
	case r.State == StateFinishing:
		e.finishing = r.Final
	}
	if r.State == StateRollingBack && !e.rollingBack {
		e.rollbackReason = r.Reason
	}
	switch {
	case r.State == StateCheckpoint:
		e.atCheckpoint = r.Wave
	case r.State == StateRollingBack:
		e.rollingBack = true
	case r.State.Final():
		e.rollingBack = false
	}
	e.state = r.State
	if e.rollingBack {
		e.state = StateRollingBack
	}
}

func (e *Executor) slot(n int) *slot {
	for _, s := range e.slots {
		if s.r.Slot == n {
			return s
		}
	}
	return nil
}

// reconcile makes the slots agree with the cloud before a resumed run goes on.
func (e *Executor) reconcile(ctx context.Context) error {
	final := e.finalBefore()
	if !final && !e.lockDone() {
		if err := e.lock(ctx); err != nil {
			return err
		}
	}
	present, err := e.rolloutDroplets(ctx)
	if err != nil {
		return err
	}
	if err := e.recognise(present, final); err != nil {
		return err
	}
	if err := e.adoptStrays(ctx, present); err != nil {
		return err
	}
	if err := e.cleanUp(ctx, present); err != nil {
		return err
	}
	if err := e.sweepListed(ctx, present); err != nil {
		return err
	}
	if err := e.normalise(present); err != nil {
		return err
	}
	e.verifyLB = true
	if final && e.state == StateRollingBack {
		if err := e.relockNew(ctx); err != nil {
			return err
		}
		return e.lease.refresh(ctx) // the lease on what carries the lock again
	}
	return nil
}

// finalBefore reports whether the rollout had ended before this run (a rollback of a
// done rollout, or a finalisation).
func (e *Executor) finalBefore() bool {
	for _, r := range e.recs {
		if r.Kind == KindEnd {
			return true
		}
	}
	return false
}

// lockDone reports whether the journal shows the lock tag applied to every selected droplet.
func (e *Executor) lockDone() bool {
	if len(e.recs) > 0 && e.recs[0].Header.Recovered != nil {
		return true // recovered from what carries the lock
	}
	results := map[int]bool{}
	for _, r := range e.recs {
		if r.Kind == KindResult && r.Op == OpLock && r.Err == "" {
			results[r.Ref] = true
		}
	}
	locked := 0
	for _, r := range e.recs {
		if r.Kind == KindIntent && r.Op == OpLock && results[r.Seq] {
			locked += len(r.Droplets)
		}
	}
	return locked >= len(e.slots)
}

// adoptStrays matches droplets carrying this rollout's create tags to their slots:
// a slot still pending takes its droplet, any other one is a duplicate and goes.
func (e *Executor) adoptStrays(ctx context.Context, present map[int]godo.Droplet) error {
	ids := slices.Sorted(mapKeys(present))
	for _, id := range ids {
		d := present[id]
		s, restore := e.owner(d)
		if s == nil {
			continue
		}
		if err := e.adoptOne(ctx, s, d, restore); err != nil {
			return err
		}
		if !e.tracked(d) {
			delete(present, id) // a duplicate, destroyed
		}
	}
	return nil
}

func mapKeys(m map[int]godo.Droplet) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// owner finds the slot a droplet was created for, from its group or rollback tag and
// its name; restore says it was a re-creation during a rollback.
func (e *Executor) owner(d godo.Droplet) (*slot, bool) {
	for _, t := range d.Tags {
		rest, ok := strings.CutPrefix(t, RolloutTag(e.id)+":")
		if !ok {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(rest, "g%d", &n); err == nil {
			for _, s := range e.slots {
				if s.r.Group == n && s.r.Old.Name == d.Name {
					return s, false
				}
			}
		}
		if _, err := fmt.Sscanf(rest, "b%d", &n); err == nil {
			return e.slot(n), true
		}
	}
	return nil, false
}

func (e *Executor) adoptOne(ctx context.Context, s *slot, d godo.Droplet, restore bool) error {
	switch {
	case restore && s.restored == 0:
		s.restored = d.ID
		return e.setPhase(s, PhaseRollingBack, "adopted a re-creation on resume")
	case restore && s.restored != d.ID, !restore && s.newID != 0 && s.newID != d.ID:
		return e.destroy(ctx, s, OpDestroyDuplicate, d.ID)
	case !restore && s.newID == 0 && s.phase == PhasePending:
		s.newID, s.created = d.ID, time.Now()
		return e.setPhase(s, PhaseCreated, "adopted on resume")
	case !restore && s.newID == 0:
		return e.destroy(ctx, s, OpDestroyDuplicate, d.ID) // made after the slot was given up
	}
	return nil
}

// cleanUp finishes destroys a crash interrupted: new droplets of replacements that
// failed, were cancelled or were rolled back.
func (e *Executor) cleanUp(ctx context.Context, present map[int]godo.Droplet) error {
	var todo []*slot
	for _, s := range inPhase(e.slots, PhaseFailed, PhaseCancelled, PhaseRolledBack) {
		if _, ok := present[s.newID]; !ok || s.newID == 0 || s.safe.newAlone {
			continue
		}
		if s.phase == PhaseFailed && e.plan.Strategy.KeepFailed {
			continue
		}
		if s.handoverBegun && s.phase != PhaseRolledBack {
			if err := e.handBack(ctx, []*slot{s}, func(s *slot) int { return s.r.Old.ID }); err != nil {
				return err
			}
		}
		todo = append(todo, s)
	}
	removable, err := e.readyToRemove(ctx, todo)
	if err != nil {
		return err
	}
	for _, s := range removable {
		if err := e.destroy(ctx, s, OpDestroyNew, s.newID); err != nil {
			return err
		}
	}
	return nil
}

// normalise sends replacements whose new droplet vanished back to pending, and those
// not yet in service back to be checked again: a health check from before the crash
// proves little now. Each change is journaled and published.
func (e *Executor) normalise(present map[int]godo.Droplet) error {
	var gone, check, wait []*slot
	for _, s := range inPhase(e.slots, PhaseCreated, PhaseActive, PhaseHealthy) {
		d, ok := present[s.newID]
		switch {
		case !ok:
			s.newID, s.newIP = 0, ""
			gone = append(gone, s)
		case d.Status == "active" && s.newIP != "":
			if s.phase != PhaseActive {
				check = append(check, s)
			}
		default:
			s.created = time.Now()
			if s.phase != PhaseCreated {
				wait = append(wait, s)
			}
		}
	}
	return errors.Join(e.setPhases(gone, PhasePending, "its new droplet is gone"),
		e.setPhases(check, PhaseActive, "checked again on resume"),
		e.setPhases(wait, PhaseCreated, "waiting again on resume"))
}

// finalise destroys the old droplets a done rollout kept, journals that it keeps none
// any more (a finalised record), and ends the rollout again, which lifts the lock they
// kept. It is the only meaning of finalise in molt.
func (e *Executor) finalise(ctx context.Context) error {
	var ids []int
	kept, err := e.confirm(ctx, inPhase(e.slots, PhaseDone), oldSide)
	if err != nil {
		return err
	}
	for _, s := range kept {
		if err := e.destroy(ctx, s, OpFinalise, s.r.Old.ID); err != nil {
			return err
		}
		s.kept = false
		ids = append(ids, s.r.Old.ID)
	}
	rec := Record{Kind: KindFinalised, State: StateDone, Droplets: ids}
	if err := e.transition(rec, StateChanged{At: time.Now(), State: StateDone, Reason: finalisedReason}); err != nil {
		return err
	}
	e.finalised = true
	return e.endRollout(ctx, StateDone)
}
