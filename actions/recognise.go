package actions

import (
	"context"
	"fmt"

	"github.com/digitalocean/godo"
)

// A resumed run first makes sure the cloud it talks to holds the rollout at all: of the
// droplets the journal says carry the rollout's tags now, at least one must be there,
// with its name. When none is, the run refuses before it changes anything: the journal
// belongs to another account (for a journal written before molt recorded accounts,
// nothing else can tell), or the rollout's droplets were changed outside molt. When
// some are, it goes on, and each droplet is checked again before it is changed.

// UnrecognisedError refuses to resume or roll back a rollout none of whose droplets is
// where its journal says. Nothing was changed.
type UnrecognisedError struct {
	Rollout string
	// Droplets are the droplets expected, as "name (ID)".
	Droplets []string
	// Unbound: the journal records no account.
	Unbound bool
}

// Error says what was looked for and what it most likely means, in one sentence.
func (e *UnrecognisedError) Error() string {
	why := "they were changed or destroyed outside molt"
	if e.Unbound {
		why = "its journal predates account binding, so this is most likely not the account it ran on"
	}
	return fmt.Sprintf("none of the %d droplets rollout %s's journal names (%s) is here with its name and the rollout's tags: %s; nothing was changed",
		len(e.Droplets), e.Rollout, listNames(e.Droplets, 3), why)
}

// expected is a droplet the journal says carries the lock tag now.
type expected struct {
	id   int
	name string
}

// locked are the droplets that carry the lock tag while the rollout holds it and that
// no destroy was sent for: the old droplets not yet retired (or kept, or what a
// rollback restored in their place), and the new ones in service. Once the lock was
// lifted, only kept old droplets carry it.
func (e *Executor) locked(lifted bool) []expected {
	gone := e.destroysSent()
	var out []expected
	add := func(id int, name string, alone bool) {
		if id != 0 && !alone && !gone[id] {
			out = append(out, expected{id, name})
		}
	}
	for _, s := range e.slots {
		name := s.r.Old.Name
		switch {
		case s.kept:
			add(s.r.Old.ID, name, s.safe.oldAlone)
		case lifted, s.phase == PhaseDone:
		case s.phase == PhaseRollingBack || s.phase == PhaseRolledBack:
			add(s.restored, name, false)
		default:
			add(s.r.Old.ID, name, s.safe.oldAlone)
		}
		if !lifted && inPhaseOf(s, PhaseHandedOver, PhaseSoaked, PhaseDraining, PhaseDone, PhaseRollingBack) {
			add(s.newID, name, s.safe.newAlone)
		}
	}
	return out
}

// destroysSent are the droplets the journal shows a destroy sent for.
func (e *Executor) destroysSent() map[int]bool {
	out := map[int]bool{}
	for _, r := range e.recs {
		switch r.Op {
		case OpRetire, OpFinalise, OpDestroyNew, OpDestroyDuplicate, OpDestroyStray:
			for _, id := range r.Droplets {
				out[id] = out[id] || r.Kind == KindIntent
			}
		}
	}
	return out
}

// recognise refuses, before any change, a rollout of which the lock tag's listing
// (present) holds none of the droplets the journal expects there. Once the lock was
// being released (the end was near), only kept old droplets are sure to carry it.
func (e *Executor) recognise(present map[int]godo.Droplet, ended bool) error {
	want := e.locked(ended || e.releaseSent())
	var names []string
	for _, x := range want {
		if d, ok := present[x.id]; ok && d.Name == x.name {
			return nil
		}
		names = append(names, fmt.Sprintf("%s (%d)", x.name, x.id))
	}
	if len(want) == 0 {
		return nil
	}
	return &UnrecognisedError{Rollout: e.id, Droplets: names, Unbound: e.unbound()}
}

// relockNew puts the lock back on the new droplets of an ended rollout being rolled
// back. Each is read first: one no longer there with its name and its group's tag is
// not locked (the rollback checks it again before changing it), and when none is, the
// rollback is refused.
func (e *Executor) relockNew(ctx context.Context) error {
	var ids []int
	var names []string
	gone := e.destroysSent()
	for _, s := range e.served() {
		if s.safe.newAlone || gone[s.newID] {
			continue
		}
		names = append(names, fmt.Sprintf("%s (%d)", s.r.Old.Name, s.newID))
		d, ok, err := e.getDroplet(ctx, s.newID)
		if err != nil {
			return err
		}
		if ok && judge(e.wantOf(s, newSide), *d) == "" {
			ids = append(ids, s.newID)
		}
	}
	if len(ids) == 0 {
		if len(names) > 0 {
			return &UnrecognisedError{Rollout: e.id, Droplets: names, Unbound: e.unbound()}
		}
		return nil
	}
	return e.tagDroplets(ctx, OpLock, RolloutTag(e.id), ids)
}

func inPhaseOf(s *slot, phases ...Phase) bool { return len(inPhase([]*slot{s}, phases...)) == 1 }

// releaseSent reports whether the journal shows the lock being lifted.
func (e *Executor) releaseSent() bool {
	for _, r := range e.recs {
		if r.Kind == KindIntent && r.Op == OpRelease {
			return true
		}
	}
	return false
}
