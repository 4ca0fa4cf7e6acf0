package actions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
)

// Before molt destroys, powers off, untags or detaches a droplet, it checks that the
// droplet still is the one the journal names: the same name, and the rollout's lock tag
// on an old droplet or its create group's tag on a new one. A droplet that fails the
// check is left alone for good (journaled as left_alone) and the rollout pauses with
// the reason; one that is gone counts as destroyed, as a destroy answered 404 does.
//
// The check reads the droplets in the fewest requests: one list by tag for a batch
// (a wave's old droplets by the lock tag, new ones by their group's tag), or one read
// per droplet when there are fewer droplets than the lock tag's listing has pages.

// KindLeftAlone is a journal record: the droplet Droplets[0] of replacement Slots[0]
// is not the one the journal names (Names[0], carrying tag Target), for Reason, so molt
// leaves it alone from then on. Journals before it have none.
const KindLeftAlone RecordKind = "left_alone"

// slotSafety is what the identity checks and the drain keep for one replacement.
type slotSafety struct {
	// oldAlone and newAlone: the old (new) droplet failed its identity check; molt never
	// changes it again.
	oldAlone, newAlone bool
	// oldLeft and newLeft are when the old (new) droplet left its load balancers or
	// reserved IP, which its drain runs from.
	oldLeft, newLeft time.Time
	// oldGone: the last identity check found the old droplet gone (destroyed), so
	// retiring it takes no call.
	oldGone bool
}

// side says which droplet of a replacement a check is about.
type side bool

const (
	oldSide side = false // the droplet being replaced: the lock tag
	newSide side = true  // the droplet molt made: its group's tag
)

// want is a droplet about to be changed, as the journal names it.
type want struct {
	s    *slot
	side side
	id   int
	name string
	tag  string
}

func (e *Executor) wantOf(s *slot, sd side) want {
	if sd == oldSide {
		return want{s: s, side: sd, id: s.r.Old.ID, name: s.r.Old.Name, tag: RolloutTag(e.id)}
	}
	return want{s: s, side: sd, id: s.newID, name: s.r.Old.Name, tag: GroupTag(e.id, s.r.Group)}
}

// alone reports whether the slot's droplet on that side was left alone.
func (s *slot) alone(sd side) bool {
	if sd == oldSide {
		return s.safe.oldAlone
	}
	return s.safe.newAlone
}

// judge compares a droplet with what the journal names; "" means it is the one.
func judge(w want, d godo.Droplet) string {
	switch {
	case d.Name != w.name:
		return fmt.Sprintf("droplet %d is named %s now, not %s", w.id, d.Name, w.name)
	case !slices.Contains(d.Tags, w.tag):
		return fmt.Sprintf("droplet %d (%s) no longer carries %s", w.id, w.name, w.tag)
	}
	return ""
}

// identity is what an identity check found of one droplet: why it is not the one the
// journal names ("" when it is), or that it is gone.
type identity struct {
	why  string
	gone bool
}

// identify reads the wanted droplets and returns, by ID, what the check found.
func (e *Executor) identify(ctx context.Context, wants []want) (map[int]identity, error) {
	byTag := map[string][]want{}
	var tags []string
	for _, w := range wants {
		if _, ok := byTag[w.tag]; !ok {
			tags = append(tags, w.tag)
		}
		byTag[w.tag] = append(byTag[w.tag], w)
	}
	out := map[int]identity{}
	for _, tag := range tags {
		if err := e.identifyByTag(ctx, tag, byTag[tag], out); err != nil {
			return nil, fmt.Errorf("check the droplets carrying %s are still the rollout's: %w", tag, err)
		}
	}
	return out, nil
}

// identifyByTag lists tag when that takes fewer requests than reading each droplet,
// and reads the ones the listing lacks, to tell a droplet gone from one changed.
func (e *Executor) identifyByTag(ctx context.Context, tag string, wants []want, out map[int]identity) error {
	listed := map[int]godo.Droplet{}
	if e.pages(tag) <= len(wants) {
		found, err := e.api.listByTag(ctx, tag)
		if err != nil {
			return err
		}
		for _, d := range found {
			listed[d.ID] = d
		}
	}
	for _, w := range wants {
		d, ok := listed[w.id]
		if !ok {
			got, exists, err := e.getDroplet(ctx, w.id)
			if err != nil {
				return err
			}
			if !exists {
				out[w.id] = identity{gone: true} // nothing left to change
				continue
			}
			d = *got
		}
		out[w.id] = identity{why: judge(w, d)}
	}
	return nil
}

// pages is how many requests listing tag takes: one for a create group's tag, and for
// the lock tag one per 200 droplets it is on (old droplets not yet destroyed, and new
// ones).
func (e *Executor) pages(tag string) int {
	if tag != RolloutTag(e.id) {
		return 1
	}
	n := 0
	for _, s := range e.slots {
		if s.phase != PhaseDone || s.kept {
			n++
		}
		if s.newID != 0 {
			n++
		}
	}
	return max(1, (n+199)/200)
}

// getDroplet reads one droplet; exists is false when the API says it is gone.
func (e *Executor) getDroplet(ctx context.Context, id int) (d *godo.Droplet, exists bool, err error) {
	err = e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		d, resp, err = e.api.c.Droplets.Get(c, id)
		return resp, err
	})
	if isStatus(err, 404) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read droplet %d: %w", id, err)
	}
	return d, true, nil
}

// confirm checks the droplets on one side of slots before they are changed and returns
// the slots whose droplet is the one the journal names (or is gone). The others are
// left alone for good, and the rollout pauses with the reason; once the operator goes
// on, the rest are checked again, as the pause may have been long. During an abort
// that keeps what is in service there is nobody to pause for: they are left alone and
// the abort goes on.
func (e *Executor) confirm(ctx context.Context, slots []*slot, sd side) ([]*slot, error) {
	for {
		slots = slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return s.alone(sd) })
		if len(slots) == 0 {
			return nil, nil
		}
		wants := make([]want, len(slots))
		for i, s := range slots {
			wants[i] = e.wantOf(s, sd)
		}
		verdicts, err := e.identify(ctx, wants)
		if err != nil {
			return nil, err
		}
		var reasons []string
		for _, w := range wants {
			if w.side == oldSide {
				w.s.safe.oldGone = verdicts[w.id].gone
			}
			if why := verdicts[w.id].why; why != "" {
				if err := e.leaveAlone(w, why); err != nil {
					return nil, err
				}
				reasons = append(reasons, why)
			}
		}
		if len(reasons) == 0 {
			return slots, nil
		}
		if err := e.holdFor(ctx, strangerReason(reasons)); err != nil {
			return nil, err
		}
	}
}

// strangerReason is the pause's reason: what the checks found, and what molt did.
func strangerReason(reasons []string) string {
	return "identity check: " + strings.Join(reasons, "; ") +
		": changed outside molt, so molt leaves it alone and never destroys it; continue to go on with the rest"
}

// leaveAlone journals that a droplet failed its identity check and is never to be
// changed again. An old droplet's replacement is in service, so it is done.
func (e *Executor) leaveAlone(w want, why string) error {
	rec := Record{Kind: KindLeftAlone, Wave: w.s.wave, Slots: []int{w.s.r.Slot}, Droplets: []int{w.id},
		Names: []string{w.name}, Target: w.tag, Reason: why}
	if _, err := e.j.Append(rec); err != nil {
		return err
	}
	e.publish(LeftAlone{At: time.Now(), Slot: w.s.r.Slot, Droplet: w.id, Name: w.name, Reason: why})
	if w.side == newSide {
		w.s.safe.newAlone = true
		return nil
	}
	w.s.safe.oldAlone, w.s.kept = true, false
	if w.s.phase == PhaseDone {
		return nil // finalising: it was done already
	}
	return e.setPhase(w.s, PhaseDone, fmt.Sprintf("old droplet %d left in place: %s", w.id, why))
}

// holdFor pauses the rollout for the operator with reason, and returns once they go
// on (nil) or the run ends. An abort that keeps what is in service, and the
// finalisation of a done rollout, do not pause: the LeftAlone events said it.
func (e *Executor) holdFor(ctx context.Context, reason string) error {
	if e.aborting() || e.currentState().Final() {
		return nil
	}
	e.ctl.mu.Lock()
	e.ctl.paused = true
	e.ctl.changed()
	e.ctl.mu.Unlock()
	if err := e.showPaused(reason); err != nil {
		return err
	}
	return e.gate(ctx)
}

// aborting reports an abort that keeps what is in service under way: it runs to its
// end, with nobody to answer a pause. (A rollback has taken the controls too, but it
// can hold between its steps.)
func (e *Executor) aborting() bool {
	e.ctl.mu.Lock()
	taken := e.ctl.taken
	e.ctl.mu.Unlock()
	return taken && e.currentState() != StateRollingBack
}

// replaySafety rebuilds, from a journal record, what was left alone and when droplets
// left service.
func (e *Executor) replaySafety(r Record) {
	switch {
	case r.Kind == KindLeftAlone && len(r.Slots) == 1 && len(r.Droplets) == 1:
		if s := e.slot(r.Slots[0]); s != nil {
			s.safe.oldAlone = s.safe.oldAlone || r.Droplets[0] == s.r.Old.ID
			s.safe.newAlone = s.safe.newAlone || r.Droplets[0] != s.r.Old.ID
		}
	case r.Kind == KindPhase && r.Phase == PhaseHandedOver:
		for _, n := range r.Slots {
			if s := e.slot(n); s != nil {
				s.safe.oldLeft = r.At
			}
		}
	case r.Kind == KindIntent && r.Op == OpUntag:
		for _, s := range e.slots {
			if slices.Contains(r.Droplets, s.r.Old.ID) {
				s.safe.oldLeft = r.At
			}
		}
	}
}

// afterReplay settles what replay left: a done old droplet left alone is not kept.
func (e *Executor) afterReplay() {
	for _, s := range e.slots {
		if s.safe.oldAlone {
			s.kept = false
		}
	}
}
