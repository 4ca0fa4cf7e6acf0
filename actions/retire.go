package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/digitalocean/godo"
)

// A wave's old droplets retire together: once they passed their identity check, molt
// tags them with a tag of their own (RetireTag: the rollout, the wave and the try) in one
// request and destroys them with one delete by that tag, two calls however many they
// are. A wave with one old droplet left to destroy is destroyed by ID, one call.
//
// Both calls are journaled: the tag's intent names the droplets it tags, the delete's
// (op retire, the tag as target) every droplet it destroys. A run cut short between
// them, or before the delete's result, leaves the wave's replacements short of done, so
// the resumed run retires the wave again from its identity check: droplets gone since
// count as destroyed, the others are checked again and get the tag of a new try. A tag
// that was ever put on droplets is never deleted by again (a droplet carrying it may
// have failed its check since, and is left alone), so a delete by tag reaches only
// droplets checked just before it.

// retire ends the old droplets' service: destroy them, or power them off and keep them
// (out of tag-based load balancers) for a fast rollback.
func (e *Executor) retire(ctx context.Context, slots []*slot) error {
	if len(slots) == 0 {
		return nil
	}
	if err := e.gate(ctx); err != nil {
		return err
	}
	return e.retireNow(ctx, slots)
}

// retireNow retires without passing the gate (an abort retiring the old droplets of what
// is in service). The old droplets drain and pass their identity check first.
func (e *Executor) retireNow(ctx context.Context, slots []*slot) error {
	slots, err := e.readyToRetire(ctx, slots)
	if err != nil || len(slots) == 0 {
		return err
	}
	for _, s := range slots {
		if err := e.moveVolumes(ctx, s, s.r.Old.ID, s.newID); err != nil {
			return err
		}
	}
	if e.plan.Strategy.Retire.Mode == RetireKeep {
		return e.keepOld(ctx, slots)
	}
	for _, wave := range byWave(slots) {
		if err := e.destroyOld(ctx, wave, OpRetire); err != nil {
			return err
		}
	}
	return e.setPhases(slots, PhaseDone, "")
}

// destroyOld destroys the old droplets of one wave's slots, which passed their identity
// check just now: by their retire tag when two or more are there, else by ID.
func (e *Executor) destroyOld(ctx context.Context, slots []*slot, op Op) error {
	present := slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return s.safe.oldGone })
	if len(present) < 2 {
		return e.destroyMany(ctx, slots, op)
	}
	tag, err := e.freshRetireTag(ctx, slots[0].wave)
	if err != nil {
		return err
	}
	err = e.tagDroplets(ctx, OpRetireTag, tag, oldIDs(present))
	if isClientError(err) {
		// Refused: one of them went since its check. Never deleted by, the tag is left
		// for the droplets to go with; they go one by one.
		return e.destroyMany(ctx, slots, op)
	}
	if err != nil {
		return err
	}
	err = e.deleteByTag(ctx, slots, op, tag)
	if errors.Is(err, errRetireTagGone) {
		// The tag went between the two calls (someone deleted it): nothing says the
		// droplets went with it. They passed their check just now; they go by ID, and
		// those gone already count as destroyed.
		return e.destroyMany(ctx, slots, op)
	}
	return err
}

// errRetireTagGone is a delete by a retire tag answered 404: the tag is gone, and what
// carried it may not be.
var errRetireTagGone = errors.New("the retire tag is gone")

func oldIDs(slots []*slot) []int {
	ids := make([]int, len(slots))
	for i, s := range slots {
		ids[i] = s.r.Old.ID
	}
	return ids
}

// deleteByTag destroys what carries tag: the old droplets of slots (those gone already
// are named by the intent too, so that the journal shows every one destroyed).
func (e *Executor) deleteByTag(ctx context.Context, slots []*slot, op Op, tag string) error {
	rec := Record{Op: op, Wave: slots[0].wave, Target: tag, Droplets: oldIDs(slots)}
	for _, s := range slots {
		rec.Slots = append(rec.Slots, s.r.Slot)
	}
	start := time.Now()
	for _, s := range slots {
		e.publish(StepStarted{At: start, Slot: s.r.Slot, Step: "retire", Droplet: s.r.Old.ID})
	}
	err := e.do(ctx, rec, mutate, func(c context.Context) (*godo.Response, error) { return e.api.c.Droplets.DeleteByTag(c, tag) })
	if isStatus(err, 404) {
		err = errRetireTagGone
	}
	for _, s := range slots {
		fin := StepFinished{At: time.Now(), Slot: s.r.Slot, Step: "retire", Droplet: s.r.Old.ID, Took: Duration(time.Since(start))}
		if err != nil {
			fin.Err = err.Error()
		}
		e.publish(fin)
	}
	if err != nil {
		return fmt.Errorf("destroy the old droplets tagged %s: %w", tag, err)
	}
	return nil
}

// freshRetireTag is the tag of the next try to retire a wave: one that this rollout's
// journal never tagged anything with. A journal rebuilt from the cloud does not know
// the tries before it, so there a tag is listed first and taken only when nothing
// carries it (a droplet left alone since may still carry a try's tag).
func (e *Executor) freshRetireTag(ctx context.Context, wave int) (string, error) {
	for try := 1; ; try++ {
		tag := RetireTag(e.id, wave, try)
		if e.retireTags[tag] {
			continue
		}
		e.noteRetireTag(tag)
		if !e.rebuilt() {
			return tag, nil
		}
		found, err := e.api.listByTag(ctx, tag)
		if err != nil {
			return "", err
		}
		if len(found) == 0 {
			return tag, nil
		}
	}
}

// noteRetireTag notes a retire tag as taken (executors that only replay a journal, such
// as a rollback's preview, are made without the map).
func (e *Executor) noteRetireTag(tag string) {
	if e.retireTags == nil {
		e.retireTags = map[string]bool{}
	}
	e.retireTags[tag] = true
}

// rebuilt reports whether the journal was rebuilt from the cloud (molt recover).
func (e *Executor) rebuilt() bool {
	return len(e.recs) > 0 && e.recs[0].Header != nil && e.recs[0].Header.Recovered != nil
}

// destroyMany destroys the old droplets of slots by ID, at once: the intents are
// journaled together before the calls, and each result as its call ends, so that a
// destroy that keeps failing holds up no other's record. One the identity check found
// gone is journaled destroyed without a call.
func (e *Executor) destroyMany(ctx context.Context, slots []*slot, op Op) error {
	intents := make([]Record, len(slots))
	for i, s := range slots {
		intents[i] = Record{Kind: KindIntent, Op: op, Wave: s.wave, Slots: []int{s.r.Slot}, Droplets: []int{s.r.Old.ID}}
	}
	refs, err := e.j.AppendBatch(intents)
	if err != nil {
		return err
	}
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		wg.Go(func() {
			err := e.step(s, "retire", s.r.Old.ID, func() error {
				if s.safe.oldGone {
					return nil
				}
				return e.api.call(ctx, mutate, func(c context.Context) (*godo.Response, error) { return e.api.c.Droplets.Delete(c, s.r.Old.ID) })
			})
			res := Record{Kind: KindResult, Ref: refs[i], Op: op, Slots: []int{s.r.Slot}}
			if err != nil && !isStatus(err, 404) {
				res.Err = err.Error()
			} else {
				err = nil
			}
			_, jerr := e.j.Append(res)
			errs[i] = errors.Join(err, jerr)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
