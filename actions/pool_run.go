package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// The ops a pool rollout journals before it calls the API.
const (
	OpPoolLock     Op = "pool_lock"     // tag the pool's members with the rollout's tag
	OpPoolTemplate Op = "pool_template" // point the pool's template at the target image
	OpPoolRestore  Op = "pool_restore"  // point the pool's template back at the image it had
	OpPoolRelease  Op = "pool_release"  // lift the lock: remove the rollout's tag
)

// PoolRollout rolls a droplet autoscale pool onto a new image (see PoolPlan): one per
// run (a fresh apply, a resume or a rollback). Drive it with Run, watch it with
// Subscribe, and stop it with Abort; it has no pause, since nothing can hold the pool.
type PoolRollout struct {
	id     string
	plan   PoolPlan
	view   Plan
	api    *api
	lease  *lease
	j      *Journal
	b      *Broadcaster
	opt    Options
	health *http.Client
	slots  []*poolSlot
	abort  chan bool
	// members are the pool's members as this run has seen them, by droplet ID.
	members map[int]*memberWatch
	eta     time.Time

	state                State
	resumed, rollbackAsk bool
	rollingBack, ended   bool
	locked, templateSet  bool
	restored, aborting   bool
	lastProgress         PoolProgress
	reason               string // why the rollout is rolling back
	started              time.Time
	// crashAfter, when set, crashes the rollout right after a record it matches (tests).
	crashAfter func(Record) bool
}

// poolSlot is the replacement of one member the plan names: the pool picks which old
// member goes when, so a slot is paired with the new members in the order they come,
// and is done once its new member passed molt's check and its old member is gone.
type poolSlot struct {
	n     int
	old   PoolMember
	phase Phase
	newID int
	newIP string
	gone  bool
}

// memberWatch is a member as this run knows it.
type memberWatch struct {
	id       int
	name     string
	image    int
	ip       string
	status   string // the droplet's: new, active, off
	tagged   bool
	seen     time.Time
	activeAt time.Time
	gone     bool
	// The health gate: passed or failed once judged, and whether a check is under way.
	healthy, failed, checking bool
}

// gateFailure is a new member that failed molt's check: the rollout rolls back.
type gateFailure struct{ reason string }

func (g *gateFailure) Error() string { return g.reason }

// StartPool begins a pool rollout of plan: it writes the journal's header and returns a
// rollout ready to Run. Nothing in the cloud changes until Run.
func StartPool(client *godo.Client, plan PoolPlan, opt Options) (*PoolRollout, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if plan.Replaced == 0 {
		return nil, fmt.Errorf("pool %s's template is already %s: there is nothing to roll", plan.Pool.Name, versionName(plan.Target))
	}
	if err := plan.Refusal(); err != nil {
		return nil, err
	}
	id := NewRolloutID(time.Now())
	h := Header{ID: id, Started: time.Now().UTC(), Operator: *opt.Operator, Molt: opt.Version, Plan: plan.header(), Pool: &plan}
	j, err := CreateJournal(opt.Dir, h)
	if err != nil {
		return nil, err
	}
	return newPoolRollout(client, id, plan, j, opt), nil
}

func newPoolRollout(client *godo.Client, id string, plan PoolPlan, j *Journal, opt Options) *PoolRollout {
	j.crashAt = opt.crashAt
	r := &PoolRollout{id: id, plan: plan, view: plan.View(), j: j, opt: opt, health: opt.HealthClient,
		abort: make(chan bool, 1), members: map[int]*memberWatch{}, state: StateRunning}
	for _, m := range plan.Members {
		if m.Replace {
			r.slots = append(r.slots, &poolSlot{n: len(r.slots), old: m, phase: PhasePending})
		}
		status := m.Status
		if status != "active" {
			status = "" // read again at the first poll
		}
		r.members[m.ID] = &memberWatch{id: m.ID, name: m.Name, image: m.ImageID, status: status}
	}
	st := NewStatus(id, r.view)
	st.Journal = j.Path()
	r.b = NewBroadcaster(st)
	r.api = &api{c: client, timing: opt.Timing, publish: r.publish, halted: j.Crashed}
	r.lease = &lease{id: id, api: r.api, me: thisDriver(&opt), ttl: opt.Timing.Lease}
	r.api.hold = r.lease.hold
	return r
}

// header is the plan as the journal's header carries it for every reader of journals:
// the selection, the target, the health check and the source images. It has no waves,
// so that no droplet rollout can ever be made of it; Header.Pool holds the pool's plan.
func (p PoolPlan) header() Plan {
	st := DefaultStrategy()
	st.Health, st.ActiveTimeout, st.LB, st.ReservedIP = p.Health, p.ActiveTimeout, HandoverNone, HandoverNone
	sources := map[string]int{}
	for _, m := range p.Members {
		if m.Replace {
			sources[m.Image]++
		}
	}
	return Plan{Selection: "pool " + p.Pool.Name, Target: p.Target, Strategy: st, Sources: sources, Account: p.Account}
}

// View is the rollout as a droplet plan shows it: one wave per member the pool replaces
// (it replaces one at a time), each replacing that member, for the views and printers
// that draw replacements.
func (p PoolPlan) View() Plan {
	v := p.header()
	for _, m := range p.Members {
		if !m.Replace {
			continue
		}
		old := fleet.Server{ID: m.ID, Name: m.Name, Region: p.Pool.Region, Size: p.Pool.Size, Status: m.Status,
			Image: fleet.Version{Name: m.Image}, Pool: p.Pool.Name, PoolID: p.Pool.ID}
		n := len(v.Waves)
		v.Waves = append(v.Waves, Wave{Index: n, Replacements: []Replacement{{Slot: n, Group: n + 1, Old: old}}})
	}
	v.Estimate = Estimate{Duration: p.Estimate.Duration, APICalls: p.Estimate.APICalls}
	return v
}

// ID is the rollout's ID.
func (r *PoolRollout) ID() string { return r.id }

// Plan is the rollout as a droplet plan shows it (see PoolPlan.View).
func (r *PoolRollout) Plan() Plan { return r.view }

// PoolPlan is the pool's plan.
func (r *PoolRollout) PoolPlan() PoolPlan { return r.plan }

// JournalPath is the file the rollout journals to.
func (r *PoolRollout) JournalPath() string { return r.j.Path() }

// Subscribe returns the rollout's events, starting with a snapshot, and a function to
// stop receiving them.
func (r *PoolRollout) Subscribe() (<-chan Event, func()) { return r.b.Subscribe() }

// Status returns the current state of the rollout.
func (r *PoolRollout) Status() Status { return r.b.Status() }

// Abort ends the rollout: with rollback, molt restores the template and watches the
// pool move back; without, it stops gating and leaves the pool to finish on its own.
// An abort once a rollback is under way changes nothing.
func (r *PoolRollout) Abort(rollback bool) {
	select {
	case r.abort <- rollback:
	default:
	}
}

func (r *PoolRollout) publish(ev Event) { r.b.Publish(ev) }

// Run drives the rollout until it is done, rolled back, aborted or interrupted (by ctx:
// molt stops watching, and the pool goes on without its health gate until a resume).
// It returns nil when done, else an error matching ErrRolledBack, ErrAborted or
// ErrInterrupted, or another error that left the rollout resumable.
func (r *PoolRollout) Run(ctx context.Context) (err error) {
	r.started = time.Now()
	defer func() { err = r.closeRun(ctx, err) }()
	if err := r.bind(ctx); err != nil {
		return err // another account's rollout: nothing journaled, nothing changed
	}
	r.publish(RolloutStarted{At: r.started, Rollout: r.id, Selection: r.view.Selection, Target: versionName(r.plan.Target),
		Waves: len(r.slots), Replacements: len(r.slots), Resumed: r.resumed, Journal: r.j.Path()})
	return r.endRun(ctx, r.run(ctx))
}

func (r *PoolRollout) run(ctx context.Context) error {
	if r.resumed {
		if err := r.takeOver(ctx); err != nil {
			return err
		}
	}
	switch {
	case !r.resumed:
		if err := r.setState(StateRunning, "started"); err != nil {
			return err
		}
	case !r.rollingBack && !r.rollbackAsk:
		if err := r.setState(StateRunning, "resumed"); err != nil {
			return err
		}
	}
	if !r.locked {
		if err := r.lock(ctx); err != nil {
			return err
		}
	}
	if r.rollbackAsk || r.rollingBack {
		reason := r.reason
		if r.rollbackAsk || reason == "" {
			reason = "rollback requested"
		}
		return r.rollBack(ctx, reason)
	}
	if !r.templateSet {
		if err := r.setTemplate(ctx); err != nil {
			return err
		}
	}
	return r.rollForward(ctx)
}

// rollForward watches the pool replace its members, gating on each new one.
func (r *PoolRollout) rollForward(ctx context.Context) error {
	err := r.watch(ctx, r.plan.Target.ImageID, true)
	var gf *gateFailure
	var ab *abortError
	switch {
	case err == nil:
		r.finishSlots(PhaseDone, "")
		return r.end(ctx, StateDone)
	case errors.As(err, &gf):
		return r.rollBack(ctx, gf.reason)
	case errors.As(err, &ab) && ab.rollback:
		return r.rollBack(ctx, "aborted by the operator")
	case errors.As(err, &ab):
		if err := r.end(ctx, StateAborted); err != nil {
			return err
		}
		return fmt.Errorf("%w: the pool goes on replacing its members on its own, without molt's health check", ErrAborted)
	}
	return err
}

// rollBack puts the template back and watches the pool return to the previous image.
func (r *PoolRollout) rollBack(ctx context.Context, reason string) error {
	r.aborting = true // a rollback is not aborted
	if !r.rollingBack {
		r.reason = reason
		if err := r.setState(StateRollingBack, reason); err != nil {
			return err
		}
		r.rollingBack = true
		if err := r.startRollback(); err != nil {
			return err
		}
	}
	if !r.restored {
		if err := r.restoreTemplate(ctx); err != nil {
			return err
		}
	}
	if err := r.watch(ctx, r.plan.From.ImageID, false); err != nil {
		return err
	}
	r.finishSlots(PhaseRolledBack, "")
	if err := r.end(ctx, StateRolledBack); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", ErrRolledBack, r.reason)
}

// startRollback marks the replacements: those with a new member roll back, the others
// are cancelled.
func (r *PoolRollout) startRollback() error {
	for _, s := range r.slots {
		switch {
		case s.phase == PhaseFailed || s.phase == PhaseRolledBack || s.phase == PhaseCancelled:
		case s.newID != 0:
			if err := r.setPhase(s, PhaseRollingBack, ""); err != nil {
				return err
			}
		default:
			if err := r.setPhase(s, PhaseCancelled, "the template was put back before the pool replaced it"); err != nil {
				return err
			}
		}
	}
	return nil
}

// finishSlots ends every replacement not ended yet in p (done, or rolled back).
func (r *PoolRollout) finishSlots(p Phase, reason string) {
	for _, s := range r.slots {
		if s.phase == PhaseRollingBack || p == PhaseDone && s.phase != PhaseDone && s.phase != PhaseFailed {
			_ = r.setPhase(s, p, reason)
		}
	}
}

// lock tags the pool's members with the rollout's tag, then settles a race with another
// rollout that locked them meanwhile as a droplet rollout does (fairlock.go: the older
// goes on, the younger lifts its lock and stops), and takes the lease.
func (r *PoolRollout) lock(ctx context.Context) error {
	members, err := r.api.poolMembers(ctx, r.plan.Pool.ID)
	if err != nil {
		return err
	}
	ids := make([]int, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.DropletID)
	}
	if err := r.tagMembers(ctx, ids); err != nil {
		return err
	}
	r.locked = true
	if !r.resumed {
		return holdLock(ctx, r.api, r.id, ids, r.opt.Timing.PollMin, r.lease.take, r.loseLock)
	}
	// A resumed run took the lease before (takeOver), and it went on the members with the
	// lock. Another rollout that locked the pool while this one had no driver holds it now:
	// this one lifts its lock and stops, naming it.
	found, err := r.api.listByTag(ctx, RolloutTag(r.id))
	if err != nil {
		return err
	}
	if rival := rivalOf(r.id, found, ids); rival != nil {
		return r.loseLock(ctx, rival)
	}
	return nil
}

// takeOver reads the leases on what carries the rollout's lock before a resumed run
// changes anything: another live driver's refuses the run (a *DrivenError).
func (r *PoolRollout) takeOver(ctx context.Context) error {
	found, err := r.api.listByTag(ctx, RolloutTag(r.id))
	if err != nil {
		return err
	}
	return r.lease.take(ctx, found)
}

// loseLock ends a rollout that lost the race for the pool before it changed anything
// but its own lock, which goes; the error names the winner.
func (r *PoolRollout) loseLock(ctx context.Context, le *LockedError) error {
	if err := r.end(ctx, StateAborted); err != nil {
		return errors.Join(le, err)
	}
	return fmt.Errorf("%w: %w", ErrAborted, le)
}

// tagMembers puts the lock on droplets. A 404 says the tag is missing, or a member went
// since the pool listed it (the pool retires members as it goes): molt creates the tag
// and tags the droplets one by one, leaving out those that are gone.
func (r *PoolRollout) tagMembers(ctx context.Context, ids []int) error {
	tag := RolloutTag(r.id)
	for chunk := range slices.Chunk(ids, tagBatch) {
		err := r.tagChunk(ctx, tag, chunk)
		if isStatus(err, http.StatusNotFound) {
			err = r.do(ctx, Record{Op: OpCreateTag, Target: tag}, mutate, func(c context.Context) (*godo.Response, error) {
				_, resp, err := r.api.c.Tags.Create(c, &godo.TagCreateRequest{Name: tag})
				return resp, err
			})
			for _, id := range chunk {
				if err != nil {
					break
				}
				if err = r.tagChunk(ctx, tag, []int{id}); isStatus(err, http.StatusNotFound) {
					err = nil // gone
				}
			}
		}
		if err != nil {
			return fmt.Errorf("lock the members of pool %s: %w", r.plan.Pool.Name, err)
		}
	}
	for _, id := range ids {
		if m := r.members[id]; m != nil {
			m.tagged = true
		}
	}
	if l := r.lease.current(); l != "" {
		// The lease goes on what the lock holds at once, as a droplet rollout's goes on its
		// droplets from birth (best effort: the next renewal tags whatever carries the lock).
		_ = r.api.tagRaw(ctx, l, ids)
	}
	return nil
}

func (r *PoolRollout) tagChunk(ctx context.Context, tag string, ids []int) error {
	return r.do(ctx, Record{Op: OpPoolLock, Target: tag, Droplets: ids}, mutate, func(c context.Context) (*godo.Response, error) {
		return r.api.c.Tags.TagResources(c, tag, &godo.TagResourcesRequest{Resources: dropletResources(ids)})
	})
}

// setTemplate points the template at the target, unless it is there already (a resume
// after the call); a template someone else changed since the plan is left alone.
func (r *PoolRollout) setTemplate(ctx context.Context) error {
	w, err := r.api.getPool(ctx, r.plan.Pool.ID)
	if err != nil {
		return err
	}
	target := strconv.Itoa(r.plan.Target.ImageID)
	switch ref := w.templateRef(); {
	case ref == target:
		r.templateSet = true
		return nil
	case ref != r.plan.FromRef || w.templateDigest() != r.plan.Pool.TemplateDigest:
		if err := r.end(ctx, StateAborted); err != nil {
			return err
		}
		return fmt.Errorf("%w: the template of pool %s changed since the plan (someone else changed the pool); nothing was changed: plan again",
			ErrAborted, r.plan.Pool.Name)
	}
	err = r.do(ctx, Record{Op: OpPoolTemplate, Target: r.plan.Pool.ID, Names: []string{target}}, mutate,
		func(c context.Context) (*godo.Response, error) { return r.api.putTemplateImage(c, w, target) })
	if err != nil {
		return fmt.Errorf("update the template of pool %s: %w", r.plan.Pool.Name, err)
	}
	r.templateSet = true
	return nil
}

// restoreTemplate points the template back at the image it had, unless it is there.
func (r *PoolRollout) restoreTemplate(ctx context.Context) error {
	w, err := r.api.getPool(ctx, r.plan.Pool.ID)
	if err != nil {
		return err
	}
	if w.templateRef() != r.plan.FromRef {
		err = r.do(ctx, Record{Op: OpPoolRestore, Target: r.plan.Pool.ID, Names: []string{r.plan.FromRef}}, mutate,
			func(c context.Context) (*godo.Response, error) { return r.api.putTemplateImage(c, w, r.plan.FromRef) })
		if err != nil {
			return fmt.Errorf("restore the template of pool %s: %w", r.plan.Pool.Name, err)
		}
	}
	r.restored = true
	r.eta = time.Time{}
	return nil
}
