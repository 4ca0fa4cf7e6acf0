package actions

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// A create that failed or went unanswered may still be committed by the API later: after
// molt listed the group's tag to adopt what it made, and after it created again. Such a
// droplet is tracked by nobody. Every droplet molt creates carries the lock tag from
// birth, so before the lock is released molt lists it once and destroys the droplets of
// its own creates (group and rollback re-creation tags) that the journal does not track;
// a resume does the same with the listing it reconciles from.

// createdBy returns the create that made d, from its tags: group n of this rollout
// (rollback false), or the re-creation of slot n during a rollback (rollback true).
func (e *Executor) createdBy(d godo.Droplet) (n int, rollback, ok bool) {
	prefix := RolloutTag(e.id) + ":"
	for _, t := range d.Tags {
		rest, found := strings.CutPrefix(t, prefix)
		if !found || len(rest) < 2 || (rest[0] != 'g' && rest[0] != 'b') {
			continue
		}
		if v, err := strconv.Atoi(rest[1:]); err == nil && v >= 0 && rest[1] != '+' && rest[1] != '-' {
			return v, rest[0] == 'b', true
		}
	}
	return 0, false, false
}

// tracked reports whether the journal has d as a replacement's new droplet, or as the
// droplet a rollback restored in the old one's place.
func (e *Executor) tracked(d godo.Droplet) bool {
	for _, s := range e.slots {
		if d.ID == s.newID || d.ID == s.restored {
			return true
		}
	}
	return false
}

// sweep lists the rollout's droplets by the lock tag (one call) and destroys the ones
// a create of this rollout made that nothing tracks. It returns what is left carrying
// the lock tag, for the release. A rollout that never sent a create skips it (and
// returns nil: the release lists for itself if it has to).
func (e *Executor) sweep(ctx context.Context) ([]godo.Droplet, error) {
	if !e.createSent {
		return nil, nil
	}
	found, err := e.api.listByTag(ctx, RolloutTag(e.id))
	if err != nil {
		return nil, err
	}
	left := make([]godo.Droplet, 0, len(found))
	for _, d := range found {
		if _, _, ok := e.createdBy(d); ok && !e.tracked(d) {
			if err := e.destroyStray(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		left = append(left, d)
	}
	return left, nil
}

// sweepListed destroys the untracked droplets of this rollout's creates among those a
// resume listed, and drops them from present: after adoptStrays, those whose name and
// tag match no replacement.
func (e *Executor) sweepListed(ctx context.Context, present map[int]godo.Droplet) error {
	for _, id := range slices.Sorted(mapKeys(present)) {
		d := present[id]
		if _, _, ok := e.createdBy(d); !ok || e.tracked(d) {
			continue
		}
		if err := e.destroyStray(ctx, d); err != nil {
			return err
		}
		delete(present, id)
	}
	return nil
}

// destroyStray destroys a droplet of this rollout's creates that nothing tracks,
// journaled as op destroy_stray, and reports it. One already gone counts as destroyed.
func (e *Executor) destroyStray(ctx context.Context, d godo.Droplet) error {
	n, rollback, _ := e.createdBy(d)
	rec := Record{Op: OpDestroyStray, Droplets: []int{d.ID}, Names: []string{d.Name}}
	ev := StrayDestroyed{At: time.Now(), Droplet: d.ID, Name: d.Name, Slot: -1}
	if rollback {
		rec.Slots, rec.Target, ev.Slot = []int{n}, RollbackGroupTag(e.id, n), n
	} else {
		rec.Group, rec.Target, ev.Group = n, GroupTag(e.id, n), n
		for _, s := range e.slots {
			if s.r.Group == n && s.r.Old.Name == d.Name {
				rec.Slots, rec.Wave, ev.Slot = []int{s.r.Slot}, s.wave, s.r.Slot
			}
		}
	}
	err := e.do(ctx, rec, mutate, func(c context.Context) (*godo.Response, error) { return e.api.c.Droplets.Delete(c, d.ID) })
	if err != nil && !isStatus(err, 404) {
		ev.Err = err.Error()
		e.publish(ev)
		return fmt.Errorf("destroy untracked droplet %d (%s): %w", d.ID, d.Name, err)
	}
	e.swept++
	e.publish(ev)
	return nil
}
