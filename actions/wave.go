package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/fleet"
)

// tagBatch bounds the resources of one tag or untag request.
const tagBatch = 100

// lock tags every selected droplet with the rollout's tag, so that a second rollout
// touching them is refused. Tagging brings the tag into being; only if the API
// insists on it existing first is it created.
func (e *Executor) lock(ctx context.Context) error {
	var ids []int
	for _, s := range e.slots {
		ids = append(ids, s.r.Old.ID)
	}
	err := e.tagDroplets(ctx, OpLock, RolloutTag(e.id), ids)
	if isClientError(err) {
		// A definite refusal (a selected droplet gone since the plan): every resume would
		// meet it again, and nothing has changed yet, so the rollout ends here.
		if cerr := e.endRollout(ctx, StateAborted); cerr != nil {
			return errors.Join(err, cerr)
		}
		return fmt.Errorf("%w: the selection could not be locked, nothing was changed: %w", ErrAborted, err)
	}
	if err != nil {
		return err
	}
	return e.lockHeld(ctx, ids)
}

// tagDroplets tags droplets in batches, creating the tag (once) when the API says it
// is missing.
func (e *Executor) tagDroplets(ctx context.Context, op Op, tag string, ids []int) error {
	for chunk := range slices.Chunk(ids, tagBatch) {
		err := e.tagChunk(ctx, op, tag, chunk)
		if isStatus(err, 404) {
			if err = e.createTag(ctx, tag); err == nil {
				err = e.tagChunk(ctx, op, tag, chunk)
			}
		}
		if err != nil {
			return fmt.Errorf("tag droplets %s: %w", tag, err)
		}
	}
	return nil
}

func (e *Executor) tagChunk(ctx context.Context, op Op, tag string, ids []int) error {
	return e.do(ctx, Record{Op: op, Target: tag, Droplets: ids}, mutate, func(c context.Context) (*godo.Response, error) {
		return e.api.c.Tags.TagResources(c, tag, &godo.TagResourcesRequest{Resources: dropletResources(ids)})
	})
}

func (e *Executor) createTag(ctx context.Context, tag string) error {
	return e.do(ctx, Record{Op: OpCreateTag, Target: tag}, mutate, func(c context.Context) (*godo.Response, error) {
		_, resp, err := e.api.c.Tags.Create(c, &godo.TagCreateRequest{Name: tag})
		return resp, err
	})
}

func dropletResources(ids []int) []godo.Resource {
	out := make([]godo.Resource, 0, len(ids))
	for _, id := range ids {
		out = append(out, godo.Resource{ID: strconv.Itoa(id), Type: godo.DropletResourceType})
	}
	return out
}

// runWave takes a wave's replacements from wherever they are to done or failed.
func (e *Executor) runWave(ctx context.Context, w Wave) error {
	slots := e.waveSlots(w.Index)
	var nums []int
	for _, s := range slots {
		nums = append(nums, s.r.Slot)
	}
	e.publish(WaveStarted{At: time.Now(), Wave: w.Index, Canary: w.Canary, Slots: nums})
	if err := e.createAll(ctx, inPhase(slots, PhasePending)); err != nil {
		return err
	}
	if err := e.waitActive(ctx, inPhase(slots, PhaseCreated)); err != nil {
		return err
	}
	if err := e.checkHealth(ctx, inPhase(slots, PhaseActive)); err != nil {
		return err
	}
	if e.overBudget() {
		return errOverBudget
	}
	return e.intoService(ctx, slots)
}

// intoService puts healthy replacements into service, soaks them and retires the old.
func (e *Executor) intoService(ctx context.Context, slots []*slot) error {
	if err := e.handover(ctx, inPhase(slots, PhaseHealthy)); err != nil {
		return err
	}
	if err := e.soak(ctx, inPhase(slots, PhaseHandedOver)); err != nil {
		return err
	}
	if e.overBudget() {
		return errOverBudget
	}
	return e.retire(ctx, inPhase(slots, PhaseSoaked, PhaseDraining))
}

func inPhase(slots []*slot, phases ...Phase) []*slot {
	var out []*slot
	for _, s := range slots {
		if slices.Contains(phases, s.phase) {
			out = append(out, s)
		}
	}
	return out
}

// createAll makes the new droplets, one request per create group.
func (e *Executor) createAll(ctx context.Context, slots []*slot) error {
	for _, group := range byGroup(slots) {
		if err := e.gate(ctx); err != nil {
			return err
		}
		if err := e.createGroup(ctx, group); err != nil {
			return err
		}
	}
	return nil
}

func byGroup(slots []*slot) [][]*slot {
	var out [][]*slot
	index := map[int]int{}
	for _, s := range slots {
		i, ok := index[s.r.Group]
		if !ok {
			i = len(out)
			index[s.r.Group] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

// byWave splits slots by wave, in the order the waves first appear.
func byWave(slots []*slot) [][]*slot {
	var out [][]*slot
	index := map[int]int{}
	for _, s := range slots {
		i, ok := index[s.wave]
		if !ok {
			i = len(out)
			index[s.wave] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

// maxCreateTries bounds the creates of one group after results that were unclear.
const maxCreateTries = 6

// createGroup creates a group's droplets. An unclear result (no answer, 429, 5xx) is
// never retried blindly: the group's tag is listed and what exists is adopted; only the
// missing droplets are created again.
func (e *Executor) createGroup(ctx context.Context, group []*slot) error {
	todo := group
	for try := 0; len(todo) > 0; try++ {
		if try == maxCreateTries {
			return e.failAll(ctx, todo, "create", "the API kept failing to create the droplet")
		}
		created, err := e.createCall(ctx, todo)
		var unclear *unclearError
		switch {
		case errors.As(err, &unclear):
			for _, s := range todo {
				s.unclear = time.Now() // until adopted: an abort adopts it before it cancels
			}
			if err := e.wait(ctx, e.opt.Timing.AdoptDelay, false); err != nil {
				return err
			}
			if err := e.adopt(ctx, todo); err != nil {
				return err
			}
		case err != nil && isClientError(err):
			return e.failAll(ctx, todo, "create", apiMessage(err))
		case err != nil:
			return err
		default:
			if err := e.assign(todo, created); err != nil {
				return err
			}
		}
		todo = inPhase(todo, PhasePending)
	}
	return nil
}

// createCall sends one create (or create-multiple) request for the slots.
func (e *Executor) createCall(ctx context.Context, slots []*slot) ([]godo.Droplet, error) {
	rec := Record{Op: OpCreate, Wave: slots[0].wave, Group: slots[0].r.Group, Target: GroupTag(e.id, slots[0].r.Group)}
	for _, s := range slots {
		rec.Slots = append(rec.Slots, s.r.Slot)
		rec.Names = append(rec.Names, s.r.Old.Name)
	}
	var out []godo.Droplet
	e.createSent = true
	err := e.do(ctx, rec, create, func(c context.Context) (*godo.Response, error) {
		req := e.createRequest(slots[0].r, GroupTag(e.id, slots[0].r.Group), e.plan.TargetOf(slots[0].r).ImageID)
		if image := oldImage(slots); image != 0 {
			req.Tags = append(req.Tags, ImageTag(e.id, image))
		}
		req.Tags = append(req.Tags, WaveTag(e.id, slots[0].wave))
		if len(slots) == 1 {
			d, resp, err := e.api.c.Droplets.Create(c, req)
			if d != nil {
				out = []godo.Droplet{*d}
			}
			return resp, err
		}
		multi := multiRequest(req, rec.Names)
		var resp *godo.Response
		var err error
		out, resp, err = e.api.c.Droplets.CreateMultiple(c, multi)
		return resp, err
	})
	return out, err
}

// oldImage is the image the old droplets of a create group run, or 0 when they run
// several (a plan made before groups were split by it) or an unknown one.
func oldImage(slots []*slot) int {
	image := slots[0].r.Old.Image.ImageID
	for _, s := range slots[1:] {
		if s.r.Old.Image.ImageID != image {
			return 0
		}
	}
	return image
}

// createRequest copies the old droplet's region, size, VPC, tags, features and name.
func (e *Executor) createRequest(r Replacement, groupTag string, image int) *godo.DropletCreateRequest {
	old, launch := r.Old, e.plan.Strategy.Launch
	return &godo.DropletCreateRequest{
		Name: old.Name, Region: old.Region, Size: old.Size, Image: godo.DropletCreateImage{ID: image},
		SSHKeys: sshKeys(launch.SSHKeys), Backups: old.HasFeature("backups"), IPv6: old.HasFeature("ipv6"),
		Monitoring: old.HasFeature("monitoring"), UserData: launch.UserData, VPCUUID: old.VPCUUID,
		Tags: e.birthTags(old, groupTag),
	}
}

// birthTags are a new droplet's tags: the old one's own, the lock, its create's, the
// mark of a rollout onto the image each runs, and the driver's lease, so that the
// lease is on it from birth.
func (e *Executor) birthTags(old fleet.Server, groupTag string) []string {
	tags := append(UserTags(old.Tags), RolloutTag(e.id), groupTag)
	if e.plan.SameImage {
		tags = append(tags, OwnImageTag(e.id))
	}
	if l := e.lease.current(); l != "" {
		tags = append(tags, l)
	}
	return tags
}

func multiRequest(r *godo.DropletCreateRequest, names []string) *godo.DropletMultiCreateRequest {
	return &godo.DropletMultiCreateRequest{Names: names, Region: r.Region, Size: r.Size, Image: r.Image,
		SSHKeys: r.SSHKeys, Backups: r.Backups, IPv6: r.IPv6, Monitoring: r.Monitoring, UserData: r.UserData,
		Tags: r.Tags, VPCUUID: r.VPCUUID}
}

func sshKeys(keys []string) []godo.DropletCreateSSHKey {
	var out []godo.DropletCreateSSHKey
	for _, k := range keys {
		if id, err := strconv.Atoi(k); err == nil {
			out = append(out, godo.DropletCreateSSHKey{ID: id})
		} else {
			out = append(out, godo.DropletCreateSSHKey{Fingerprint: k})
		}
	}
	return out
}

// assign matches created droplets to slots by name (unique within a group).
func (e *Executor) assign(slots []*slot, created []godo.Droplet) error {
	var matched []*slot
	for _, s := range slots {
		for _, d := range created {
			if d.Name == s.r.Old.Name {
				s.newID, s.created, s.failsAt = d.ID, time.Now(), e.api.failed.Load()
				matched = append(matched, s)
				break
			}
		}
	}
	return e.setPhases(matched, PhaseCreated, "")
}

// adopt lists the group's tag and takes what a create with an unclear result made. A
// name found twice is a duplicate: the extra droplets are destroyed.
func (e *Executor) adopt(ctx context.Context, slots []*slot) error {
	found, err := e.api.listByTag(ctx, GroupTag(e.id, slots[0].r.Group))
	if err != nil {
		return err
	}
	return e.adoptFrom(ctx, slots, found)
}

func (e *Executor) adoptFrom(ctx context.Context, slots []*slot, found []godo.Droplet) error {
	slices.SortFunc(found, func(a, b godo.Droplet) int { return a.ID - b.ID })
	for _, s := range slots {
		for _, d := range found {
			if d.Name != s.r.Old.Name || d.ID == s.newID {
				continue
			}
			if s.newID != 0 {
				if err := e.destroy(ctx, s, OpDestroyDuplicate, d.ID); err != nil {
					return err
				}
				continue
			}
			s.newID, s.created = d.ID, time.Now()
			if err := e.setPhase(s, PhaseCreated, "adopted after an unclear create result"); err != nil {
				return err
			}
		}
	}
	return nil
}

// destroy deletes a droplet; one already gone counts as destroyed.
func (e *Executor) destroy(ctx context.Context, s *slot, op Op, id int) error {
	err := e.do(ctx, Record{Op: op, Wave: s.wave, Slots: []int{s.r.Slot}, Droplets: []int{id}}, mutate,
		func(c context.Context) (*godo.Response, error) { return e.api.c.Droplets.Delete(c, id) })
	if err != nil && !isStatus(err, 404) {
		return fmt.Errorf("destroy droplet %d: %w", id, err)
	}
	if op == OpDestroyDuplicate {
		e.swept++
	}
	return nil
}

// wavePoll is the polling state of one wave's new droplets.
type wavePoll struct {
	slots   []*slot
	created time.Time // when the last of them was created
	polls   int
	last    time.Time
}

// due is when the wave should be polled next.
func (g *wavePoll) due(c *provisionClock) time.Time {
	if g.polls == 0 {
		return g.created.Add(c.first())
	}
	return g.last.Add(c.next(g.last.Sub(g.created)))
}

// waitActive polls each wave's new droplets by its tag (one call per wave, however many
// create requests made it) until every one is active, failing those still new past the
// deadline. A wave is first polled when its last create's droplets should be active.
func (e *Executor) waitActive(ctx context.Context, slots []*slot) error {
	var waves []*wavePoll
	for _, w := range byWave(slots) {
		wp := &wavePoll{slots: w, created: w[0].created}
		for _, s := range w {
			if s.created.After(wp.created) {
				wp.created = s.created
			}
		}
		waves = append(waves, wp)
	}
	for {
		next, pending := time.Time{}, false
		for _, w := range waves {
			if w.slots = inPhase(w.slots, PhaseCreated); len(w.slots) == 0 {
				continue
			}
			pending = true
			if due := w.due(&e.clock); time.Now().Before(due) {
				if next.IsZero() || due.Before(next) {
					next = due
				}
				continue
			}
			w.polls++
			w.last = time.Now()
			if err := e.pollWave(ctx, w.slots, w.polls == 1); err != nil {
				return err
			}
		}
		if !pending {
			return nil
		}
		if err := e.waitHeld(ctx, next); err != nil {
			return err
		}
	}
}

// pollWave lists a wave's new droplets by the wave's tag and moves on those active.
func (e *Executor) pollWave(ctx context.Context, slots []*slot, first bool) error {
	found, err := e.api.listByTag(ctx, WaveTag(e.id, slots[0].wave))
	if err != nil {
		return err
	}
	byID := map[int]godo.Droplet{}
	for _, d := range found {
		byID[d.ID] = d
	}
	if err := e.listGroupsOfMissing(ctx, slots, byID); err != nil {
		return err
	}
	var active []*slot
	for _, s := range slots {
		ok, err := e.pollSlot(ctx, s, byID, first)
		if err != nil {
			return err
		}
		if ok {
			active = append(active, s)
		}
	}
	var measured, unmeasured []*slot
	for _, s := range active {
		if s.took > 0 {
			measured = append(measured, s)
		} else {
			unmeasured = append(unmeasured, s)
		}
	}
	if err := e.setPhases(measured, PhaseActive, ""); err != nil {
		return err
	}
	// The reason keeps such a wait out of what the next rollout learns from this one.
	return e.setPhases(unmeasured, PhaseActive, unmeasuredReason)
}

// listGroupsOfMissing lists, by their create group's tag, the new droplets the wave's
// listing lacks, before any is taken for gone: a droplet made by a molt before the wave
// tag, or in another wave than the one a journal rebuilt from the cloud gives it
// (Recover), carries only its group's tag.
func (e *Executor) listGroupsOfMissing(ctx context.Context, slots []*slot, byID map[int]godo.Droplet) error {
	missing := slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { _, ok := byID[s.newID]; return ok })
	for _, g := range byGroup(missing) {
		found, err := e.api.listByTag(ctx, GroupTag(e.id, g[0].r.Group))
		if err != nil {
			return err
		}
		for _, d := range found {
			byID[d.ID] = d
		}
	}
	return nil
}

// unmeasuredReason marks a droplet that turned active after a wait an API error or an
// adoption lengthened: not a provisioning time to learn from.
const unmeasuredReason = "wait not measured"

// pollSlot looks at one new droplet in a listing: active (true), failed, or not yet.
// The provisioning clock learns from it only when the wait was clean: no API call failed
// since the create (a retry, here or in another group's poll, may have made this look
// late), and the create was answered (an adopted droplet's creation time is only when
// it was found).
func (e *Executor) pollSlot(ctx context.Context, s *slot, byID map[int]godo.Droplet, first bool) (bool, error) {
	d, ok := byID[s.newID]
	elapsed := time.Since(s.created)
	learn := s.unclear.IsZero() && s.failsAt == e.api.failed.Load()
	switch {
	case !ok:
		return false, e.fail(ctx, s, "wait_active", "the new droplet disappeared")
	case d.Status == "active":
		ip, _ := d.PublicIPv4()
		s.newIP, s.took = ip, 0
		if learn {
			e.clock.observe(elapsed, true, first)
			s.took = elapsed
		}
		return true, nil
	case elapsed > e.plan.Strategy.ActiveTimeout.D():
		return false, e.fail(ctx, s, "wait_active", fmt.Sprintf("still %s after %s", d.Status, e.plan.Strategy.ActiveTimeout))
	}
	if learn {
		e.clock.observe(elapsed, false, first)
	}
	return false, nil
}

// checkHealth probes every active new droplet at once; each passes or fails on its own.
func (e *Executor) checkHealth(ctx context.Context, slots []*slot) error {
	var wg sync.WaitGroup
	errs := make([]error, len(slots))
	for i, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.step(s, "health", s.newID, func() error { return e.awaitHealthy(ctx, s, s.newID, s.newIP) })
		}()
	}
	wg.Wait()
	if err := stopError(errs); err != nil {
		return err // an abort or an interruption: no verdict on anyone
	}
	var healthy []*slot
	for i, s := range slots {
		switch err := errs[i]; {
		case err == nil:
			healthy = append(healthy, s)
		default:
			if err := e.fail(ctx, s, "health", err.Error()); err != nil {
				return err
			}
		}
	}
	return e.setPhases(healthy, PhaseHealthy, "")
}

// stopError returns the first error that cuts the run short rather than judges a droplet:
// an interruption or the operator's abort.
func stopError(errs []error) error {
	for _, err := range errs {
		var ab *abortError
		if errors.Is(err, ErrInterrupted) || errors.As(err, &ab) {
			return err
		}
	}
	return nil
}

// failAll fails every slot with the same reason.
func (e *Executor) failAll(ctx context.Context, slots []*slot, step, reason string) error {
	for _, s := range slots {
		if err := e.fail(ctx, s, step, reason); err != nil {
			return err
		}
	}
	return nil
}

// fail ends a replacement that did not work: its new droplet is destroyed (or kept with
// --keep-failed) and its old one stays in service.
func (e *Executor) fail(ctx context.Context, s *slot, step, reason string) error {
	e.recordFailure(s, step, reason)
	if s.handoverBegun {
		if err := e.handBack(ctx, []*slot{s}, func(s *slot) int { return s.r.Old.ID }); err != nil {
			return err
		}
	}
	if ok, err := e.readyToRemove(ctx, []*slot{s}); err != nil {
		return err
	} else if len(ok) == 0 {
		return e.setPhase(s, PhaseFailed, reason) // no new droplet, or one left alone
	}
	if s.newID != 0 && !e.plan.Strategy.KeepFailed {
		if err := e.destroy(ctx, s, OpDestroyNew, s.newID); err != nil {
			return err
		}
	}
	if s.newID != 0 && e.plan.Strategy.KeepFailed {
		// It joined tag-based load balancers at birth and never proved healthy.
		for _, tag := range s.r.TagLBs {
			if err := e.untagLB(ctx, tag, []int{s.newID}); err != nil {
				return err
			}
		}
	}
	return e.setPhase(s, PhaseFailed, reason)
}
