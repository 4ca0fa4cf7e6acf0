package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/digitalocean/godo"
)

// A pool rollout journals as a droplet rollout does: an intent before every call that
// changes something and its result after, a phase record when a replacement moves, a
// state record when the rollout does, and an end record; with its own ops (OpPool*).

// append journals a record. A test's crashAfter makes the journal behave as if the
// process died right after a record it names.
func (r *PoolRollout) append(rec Record) (int, error) {
	seq, err := r.j.Append(rec)
	if err == nil && r.crashAfter != nil && r.crashAfter(rec) {
		r.j.mu.Lock()
		r.j.crashed = true
		r.j.mu.Unlock()
	}
	return seq, err
}

// setState journals and publishes the rollout's state.
func (r *PoolRollout) setState(st State, reason string) error {
	r.state = st
	r.publish(StateChanged{At: time.Now(), State: st, Reason: reason})
	_, err := r.append(Record{Kind: KindState, State: st, Reason: reason})
	return err
}

// setPhase journals and publishes a replacement reaching a phase.
func (r *PoolRollout) setPhase(s *poolSlot, p Phase, reason string) error {
	s.phase = p
	rec := Record{Kind: KindPhase, Wave: s.n, Slots: []int{s.n}, Phase: p, IP: s.newIP, Reason: reason}
	if s.newID != 0 {
		rec.Droplets = []int{s.newID}
	}
	_, err := r.append(rec)
	r.publish(PhaseChanged{At: time.Now(), Slot: s.n, Phase: p, NewID: s.newID, NewIP: s.newIP, Reason: reason})
	return err
}

// do journals an intent, makes the call, and journals its result.
func (r *PoolRollout) do(ctx context.Context, rec Record, class callClass, fn func(context.Context) (*godo.Response, error)) error {
	rec.Kind = KindIntent
	ref, err := r.append(rec)
	if err != nil {
		return err
	}
	callErr := r.api.call(ctx, class, fn)
	res := Record{Kind: KindResult, Ref: ref, Op: rec.Op}
	if callErr != nil {
		res.Err = callErr.Error()
	}
	if _, err := r.append(res); err != nil {
		return err
	}
	return callErr
}

// end ends the rollout in a final state: it lifts the lock and journals the end.
func (r *PoolRollout) end(ctx context.Context, st State) error {
	tag := RolloutTag(r.id)
	err := r.do(ctx, Record{Op: OpPoolRelease, Target: tag}, mutate, func(c context.Context) (*godo.Response, error) {
		return r.api.c.Tags.Delete(c, tag)
	})
	if err != nil && !isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("remove the lock tag %s: %w", tag, err)
	}
	r.state, r.ended = st, true
	r.publish(StateChanged{At: time.Now(), State: st})
	_, err = r.append(Record{Kind: KindEnd, State: st})
	return err
}

// endRun turns how the run went into the journal's last word: a run that did not end
// the rollout leaves it resumable, journaled as interrupted with why.
func (r *PoolRollout) endRun(ctx context.Context, err error) error {
	switch {
	case err == nil, errors.Is(err, errCrashed), errors.Is(err, ErrRolledBack), errors.Is(err, ErrAborted), r.ended:
		return err
	}
	reason := "interrupted: the pool goes on without molt's health check until molt resume"
	if r.rollingBack {
		reason = "interrupted: the template is back, and the pool goes on moving back until molt resume watches it"
	}
	if !errors.Is(err, ErrInterrupted) {
		reason = err.Error()
	}
	if jerr := r.setState(StateInterrupted, reason); jerr != nil {
		return errors.Join(err, jerr)
	}
	return err
}

// closeRun drops the lease (unless the process "died": an injected crash), publishes
// Done, with how the run ended, and closes the events and the journal.
func (r *PoolRollout) closeRun(ctx context.Context, err error) error {
	if !r.j.Crashed() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opt.Timing.CallTimeout)
		r.lease.drop(dctx)
		cancel()
	}
	st := r.Status()
	done := Done{At: time.Now(), State: r.state, Replaced: st.Count(PhaseDone), Failed: st.Count(PhaseFailed),
		RolledBack: st.Count(PhaseRolledBack)}
	if err != nil {
		done.Err = err.Error()
	}
	r.publish(done)
	r.b.Close()
	if cerr := r.j.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}
