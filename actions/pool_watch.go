package actions

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// Watching a pool: every poll reads its members and its newest history event, reads the
// members this run has not seen (or not seen active), locks them, pairs the new ones
// with the plan's replacements, and says what changed; between polls, the new members
// are probed as the health check says. The pool moves toward an image (the target, or
// the previous one in a rollback) and is settled when every member runs it, is active,
// passed the check (rolling forward), and the pool has no change under way.

// OpPoolDestroyStuck destroys a new member that never turned active, once the template
// is back: the pool waits for it forever otherwise (an old member is retired only
// once its replacement is active), and makes the pool whole again when it is gone.
const OpPoolDestroyStuck Op = "pool_destroy_stuck"

// watch follows the pool until it is settled on toward; gate checks the new members.
func (r *PoolRollout) watch(ctx context.Context, toward int, gate bool) error {
	every := pollEvery(r.plan.Minute.D(), r.opt.Timing.PollMin)
	j := newJudges(ctx)
	defer j.stop()
	abort := r.abort
	if r.aborting {
		abort = nil // a rollback is not aborted
	}
	for {
		done, err := r.poll(ctx, toward, gate)
		if err != nil || done {
			return err
		}
		if gate {
			if err := r.gate(j); err != nil {
				return err
			}
		}
		if err := r.until(ctx, abort, j, time.Now().Add(every)); err != nil {
			return err
		}
	}
}

// until waits for the next poll, taking verdicts meanwhile; it ends early on the end of
// ctx (interrupted), an operator's abort, or a failed check.
func (r *PoolRollout) until(ctx context.Context, abort <-chan bool, j *judges, next time.Time) error {
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ErrInterrupted
		case rollback := <-abort:
			return &abortError{rollback: rollback}
		case v := <-j.verdicts:
			if err := r.take(v); err != nil {
				return err
			}
		case <-t.C:
			return nil
		}
	}
}

// poll reads the pool once and takes in what changed; done says it is settled on toward.
func (r *PoolRollout) poll(ctx context.Context, toward int, gate bool) (bool, error) {
	members, err := r.api.poolMembers(ctx, r.plan.Pool.ID)
	if err != nil {
		return false, err
	}
	head, err := r.api.historyHead(ctx, r.plan.Pool.ID)
	if err != nil {
		return false, err
	}
	if err := r.learn(ctx, members); err != nil {
		return false, err
	}
	var untagged []int
	for _, pm := range members {
		if m := r.members[pm.DropletID]; m != nil && !m.tagged {
			untagged = append(untagged, m.id)
		}
	}
	if len(untagged) > 0 {
		if err := r.tagMembers(ctx, untagged); err != nil {
			return false, err
		}
	}
	if err := r.pair(toward); err != nil {
		return false, err
	}
	if !gate {
		if err := r.destroyStuck(ctx); err != nil {
			return false, err
		}
	}
	r.progress(members, head, toward)
	return r.settled(members, head, toward, gate), nil
}

// learn reads the members this run has not seen, or not seen active, and marks those
// no longer in the pool as gone.
func (r *PoolRollout) learn(ctx context.Context, members []fleet.PoolMember) error {
	present := map[int]bool{}
	for _, pm := range members {
		present[pm.DropletID] = true
	}
	for id, m := range r.members {
		m.gone = !present[id]
	}
	for _, pm := range members {
		m := r.members[pm.DropletID]
		if m != nil && m.status == "active" {
			continue
		}
		d, err := r.api.getDroplet(ctx, pm.DropletID)
		if err != nil {
			return err
		}
		if d == nil {
			continue // destroyed since the pool listed it
		}
		if m == nil {
			m = &memberWatch{id: d.ID, seen: time.Now()}
			r.members[d.ID] = m
		}
		r.read(m, d)
	}
	return nil
}

// read takes a member's droplet in.
func (r *PoolRollout) read(m *memberWatch, d *godo.Droplet) {
	m.name, m.status = d.Name, d.Status
	if d.Image != nil {
		m.image = d.Image.ID
	}
	m.tagged = m.tagged || slices.Contains(d.Tags, RolloutTag(r.id))
	if ip, _ := d.PublicIPv4(); ip != "" {
		m.ip = ip
	}
	if m.status == "active" && m.activeAt.IsZero() {
		m.activeAt = time.Now()
	}
}

// newMembers are the members on the target image, in the order they came.
func (r *PoolRollout) newMembers() []*memberWatch {
	var out []*memberWatch
	for _, m := range r.members {
		if m.image == r.plan.Target.ImageID {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b *memberWatch) int { return cmp.Or(a.seen.Compare(b.seen), cmp.Compare(a.id, b.id)) })
	return out
}

// pair follows the replacements: a new member takes the first replacement waiting for
// one; an old member gone ends its replacement once its new member passed the check
// (rolling forward) or rolls it back when its new member is gone (rolling back).
func (r *PoolRollout) pair(toward int) error {
	for _, m := range r.newMembers() {
		if m.gone || r.slotOf(m.id) != nil {
			continue
		}
		if s := r.waitingSlot(); s != nil && !r.rollingBack {
			s.newID = m.id
			if err := r.setPhase(s, PhaseCreated, "made by the pool"); err != nil {
				return err
			}
		}
	}
	for _, s := range r.slots {
		if err := r.follow(s); err != nil {
			return err
		}
	}
	return nil
}

// waitingSlot is the first replacement still waiting for a new member.
func (r *PoolRollout) waitingSlot() *poolSlot {
	for _, s := range r.slots {
		if s.newID == 0 && s.phase == PhasePending {
			return s
		}
	}
	return nil
}

func (r *PoolRollout) slotOf(id int) *poolSlot {
	for _, s := range r.slots {
		if s.newID == id {
			return s
		}
	}
	return nil
}

// follow moves one replacement on from what the members say.
func (r *PoolRollout) follow(s *poolSlot) error {
	if old := r.members[s.old.ID]; old == nil || old.gone {
		s.gone = true
	}
	m := r.members[s.newID]
	switch {
	case s.newID == 0 || m == nil:
	case s.phase == PhaseRollingBack && m.gone:
		return r.setPhase(s, PhaseRolledBack, "the pool retired the new member")
	case s.phase == PhaseCreated && m.status == "active" && m.ip != "":
		s.newIP = m.ip
		return r.setPhase(s, PhaseActive, "")
	case s.phase == PhaseHealthy && s.gone:
		return r.setPhase(s, PhaseDone, fmt.Sprintf("the pool retired %s", s.old.Name))
	}
	return nil
}

// settled reports whether every member runs toward, is active (and passed the check,
// when gating) and the pool has no change under way, with at least as many members as
// it keeps.
func (r *PoolRollout) settled(members []fleet.PoolMember, head *godo.DropletAutoscaleHistoryEvent, toward int, gate bool) bool {
	if head != nil && head.Status == "in_progress" {
		return false
	}
	for _, pm := range members {
		m := r.members[pm.DropletID]
		if m == nil || m.image != toward || pm.Status != "active" || gate && !m.healthy {
			return false
		}
	}
	want := r.plan.Pool.Config.Target
	if want == 0 {
		want = r.plan.Pool.Config.Min
	}
	return len(members) >= want
}

// destroyStuck destroys, while rolling back, new members that never turned active: the
// pool waits for them forever otherwise, and replaces them once they are gone.
func (r *PoolRollout) destroyStuck(ctx context.Context) error {
	for _, m := range r.newMembers() {
		if m.gone || m.status != "new" || time.Since(m.seen) < r.plan.ActiveTimeout.D() {
			continue
		}
		if same, err := r.stillTheMember(ctx, m); err != nil || !same {
			return err
		}
		err := r.do(ctx, Record{Op: OpPoolDestroyStuck, Droplets: []int{m.id}, Reason: "still new after " + r.plan.ActiveTimeout.String()},
			mutate, func(c context.Context) (*godo.Response, error) { return r.api.c.Droplets.Delete(c, m.id) })
		if err != nil && !isStatus(err, http.StatusNotFound) {
			return fmt.Errorf("destroy the stuck member %s (droplet %d): %w", m.name, m.id, err)
		}
		m.gone = true
	}
	return nil
}

// stillTheMember checks, right before molt destroys a member, that the droplet is still
// the one it saw: its name, and the rollout's lock. A droplet gone already needs nothing;
// one that is not the member stops the run (resumable), and molt leaves it alone.
func (r *PoolRollout) stillTheMember(ctx context.Context, m *memberWatch) (bool, error) {
	d, err := r.api.getDroplet(ctx, m.id)
	switch {
	case err != nil:
		return false, err
	case d == nil:
		m.gone = true
		return false, nil
	case d.Name != m.name || !slices.Contains(d.Tags, RolloutTag(r.id)):
		return false, fmt.Errorf("droplet %d is not the new member %s that molt saw (it is %s, tagged %s): molt leaves it alone; look at pool %s, then resume",
			m.id, m.name, d.Name, strings.Join(d.Tags, ", "), r.plan.Pool.Name)
	}
	return true, nil
}

// progress says what changed in the pool, with the time left.
func (r *PoolRollout) progress(members []fleet.PoolMember, head *godo.DropletAutoscaleHistoryEvent, toward int) {
	p := PoolProgress{At: time.Now(), Pool: r.plan.Pool.Name, Toward: versionName(r.plan.Target), Members: len(members),
		Desired: r.plan.Pool.Desired}
	if r.rollingBack {
		p.Toward = versionName(r.plan.From)
	}
	for _, pm := range members {
		m := r.members[pm.DropletID]
		switch {
		case m == nil:
		case m.image == toward:
			p.OnTarget++
		case pm.Status != "deleting":
			p.Behind++
		}
		if m != nil && m.healthy && m.image == r.plan.Target.ImageID {
			p.Healthy++
		}
	}
	if head != nil && head.Status == "in_progress" {
		p.Changing = strings.ToLower(strings.ReplaceAll(head.Reason, "_", " "))
	}
	if head != nil && head.Status == "error" {
		p.PoolError = head.ErrorReason
	}
	last := r.lastProgress
	r.updateETA(p, last)
	p.ETA = Duration(max(0, time.Until(r.eta)).Round(time.Millisecond))
	if last.At.IsZero() || p.Members != last.Members || p.OnTarget != last.OnTarget || p.Behind != last.Behind ||
		p.Healthy != last.Healthy || p.Changing != last.Changing || p.PoolError != last.PoolError || p.Toward != last.Toward {
		r.lastProgress = p
		r.publish(p)
	}
}

// updateETA moves the expected end when the pool moved: a new member came (its old one
// goes a cooldown and a minute later, and the others a replacement each after it), an
// old member went (the next comes a cooldown later), or nothing is known yet.
func (r *PoolRollout) updateETA(p, last PoolProgress) {
	minute := r.plan.Minute.D()
	c := time.Duration(r.plan.Pool.CooldownMinutes) * minute
	step := PoolStep(r.plan.Pool.CooldownMinutes, minute)
	now := time.Now()
	switch {
	case p.Behind == 0 && p.Changing == "":
		r.eta = now
	case r.eta.IsZero() || p.Toward != last.Toward:
		r.eta = now.Add(time.Duration(p.Behind)*step - c)
		if !r.resumed && !r.rollingBack {
			r.eta = r.eta.Add(r.plan.Estimate.Wait.D()) // the cooldown after the pool's last change
		}
	case p.OnTarget > last.OnTarget:
		r.eta = now.Add(c + minute + time.Duration(max(p.Behind-1, 0))*step)
	case p.Behind < last.Behind:
		r.eta = now.Add(time.Duration(p.Behind) * step)
	}
}
