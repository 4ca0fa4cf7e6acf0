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

// A create answered with an error (or not answered) may be committed by the API later,
// after molt listed the group's tag and found nothing: the droplet would then carry the
// rollout's tags and be tracked by nobody. So a rollout that had such an answer does
// not release its lock at once when it ends: it stays "finishing" (journaled, with the
// final state it is heading for) until Timing.Settle has passed since the last such
// answer, then sweeps the lock tag for untracked droplets, destroys them (op
// destroy_stray) and only then ends. A run interrupted while finishing leaves the
// rollout resumable: `molt resume` finishes it. Droplets the API commits later still
// (after the settle period) are swept by whatever meets them next: `molt resume` of the
// ended rollout, or a later plan that finds one of them locked (SweepOrphans).

// DefaultSettle is how long a rollout with a create answered in error looks for
// droplets the API commits late before it ends.
const DefaultSettle = 2 * time.Minute

// StateFinishing: every replacement has ended, and the rollout waits for creates the
// API may still commit before it releases its lock. Not final: resumable.
const StateFinishing State = "finishing"

// unclearCreate notes a create (or re-creation) answered with an error or not at all.
func (e *Executor) unclearCreate(at time.Time) {
	e.mu.Lock()
	if at.After(e.lastUnclear) {
		e.lastUnclear = at
	}
	e.mu.Unlock()
}

// noteUnclearTag remembers the create tag of a create answered with an error or not at
// all (unclearTags).
func (e *Executor) noteUnclearTag(tag string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if tag != "" && !slices.Contains(e.unclearTags, tag) {
		e.unclearTags = append(e.unclearTags, tag)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sweepUnclear looks, once the lock is released, for droplets that creates answered
// with an error made between the sweep's listing of the lock tag and the release: the
// release took the lock tag off them too, so that nothing would ever meet them again,
// but they still carry their create's tag. One list per such create; a droplet the API
// commits after this carries the lock tag again (its create asked for it), and whatever
// meets the lock next sweeps it.
func (e *Executor) sweepUnclear(ctx context.Context) error {
	e.mu.Lock()
	tags := slices.Clone(e.unclearTags)
	e.mu.Unlock()
	for _, tag := range tags {
		found, err := e.api.listByTag(ctx, tag)
		if err != nil {
			return err
		}
		for _, d := range found {
			if _, _, ok := e.createdBy(d); ok && !e.tracked(d) {
				if err := e.destroyStray(ctx, d); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// settle holds a rollout that had an unclear create in the finishing state until the
// settle period since the last one has passed. Aborts are ignored from here on (the
// rollout has ended its replacements); a pause holds it; a signal ends the run.
func (e *Executor) settle(ctx context.Context, final State) error {
	e.mu.Lock()
	last := e.lastUnclear
	e.mu.Unlock()
	if last.IsZero() || e.opt.Timing.Settle < 0 {
		return nil
	}
	until := last.Add(e.opt.Timing.Settle)
	if !time.Now().Before(until) {
		return nil
	}
	e.ctl.take()
	e.finishing = final
	reason := fmt.Sprintf("a create was answered with an error: looking for droplets the API commits late until %s",
		until.Local().Format(time.TimeOnly))
	rec := Record{Kind: KindState, State: StateFinishing, Final: final, Reason: reason}
	if err := e.transition(rec, StateChanged{At: time.Now(), State: StateFinishing, Reason: reason}); err != nil {
		return err
	}
	return e.waitHeld(ctx, until)
}

// finish ends a rollout that a run left finishing, in the final state it was heading
// for, and returns what Run returns for that state.
func (e *Executor) finish(ctx context.Context) error {
	final := e.finishing
	if err := e.endRollout(ctx, final); err != nil {
		return err
	}
	switch final {
	case StateRolledBack:
		return &RollbackError{Reason: e.rollbackReason}
	case StateAborted:
		return ErrAborted
	}
	return nil
}

// RollbackAsked is the reason a rollback the operator asked for (molt rollback) is
// journaled with.
const RollbackAsked = "rollback requested"

// RollbackError is how a run that rolled the rollout back ends: it matches
// ErrRolledBack and says why, with the reason the rollback was journaled with when it
// began (so a resumed rollback keeps it).
type RollbackError struct{ Reason string }

// Error reads "rolled back: <reason>".
func (e *RollbackError) Error() string { return ErrRolledBack.Error() + ": " + e.Reason }

// Is makes a RollbackError match ErrRolledBack.
func (e *RollbackError) Is(target error) bool { return target == ErrRolledBack }

// Asked reports whether the rollback was what the operator asked for (molt rollback),
// rather than the answer to failures or to an abort.
func (e *RollbackError) Asked() bool {
	return e.Reason == RollbackAsked || strings.HasPrefix(e.Reason, RollbackAsked+"; ")
}

// RolledBackAsAsked reports whether err ends a rollback the operator asked for.
func RolledBackAsAsked(err error) bool {
	var rb *RollbackError
	return errors.As(err, &rb) && rb.Asked()
}

// sweepEnded is the resume of a rollout that has ended but whose creates were answered
// with an error: reconcile has destroyed what they left behind (droplets committed after
// the rollout ended, carrying its lock tag again); the lock is released once more and
// the end journaled again. When nothing was left, there was nothing to resume.
func (e *Executor) sweepEnded(ctx context.Context) error {
	left, err := e.rolloutDroplets(ctx)
	if err != nil {
		return err
	}
	if e.swept == 0 && len(left) == 0 {
		return fmt.Errorf("%w: rollout %s is already %s and none of its creates left a droplet behind", ErrNothingToResume, e.id, e.state)
	}
	st := e.state
	if err := e.release(ctx, nil); err != nil {
		return err
	}
	if err := e.sweepUnclear(ctx); err != nil {
		return err
	}
	return e.transition(Record{Kind: KindEnd, State: st, Reason: "swept droplets committed late"}, StateChanged{At: time.Now(), State: st})
}

// ErrNothingToResume: the rollout has ended and left nothing to do.
var ErrNothingToResume = errors.New("nothing to resume")

// SweepEnded destroys the droplets that creates of rollout id (journaled in opt.Dir)
// committed after it ended, journaling each in it, and lifts the lock they carry again:
// what a later plan does when it meets them. It returns how many it destroyed; a
// rollout that has not ended, or whose creates were all answered, is an error naming it.
func SweepEnded(ctx context.Context, client *godo.Client, id string, opt Options) (int, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return 0, err
	}
	e, err := Resume(client, JournalPath(opt.Dir, id), opt)
	if err != nil {
		return 0, err
	}
	if !e.orphansOnly {
		e.j.Close()
		return 0, fmt.Errorf("rollout %s has not ended; resume, roll back or finalise it", id)
	}
	err = e.Run(ctx)
	return e.swept, err
}
