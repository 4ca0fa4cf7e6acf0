package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/digitalocean/godo"
)

// moveVolumes moves a replacement's volumes (--move-volumes) from one droplet, out of
// service by now, to the other: from the old to the new before the old retires, and
// back to the restored one in a rollback. Detach, wait, attach, wait.
func (e *Executor) moveVolumes(ctx context.Context, s *slot, from, to int) error {
	if err := e.markVolumes(ctx, s, from); err != nil {
		return err
	}
	for _, vol := range s.r.Volumes {
		err := e.step(s, "move_volumes", to, func() error {
			if err := e.volumeAction(ctx, s, OpVolumeDetach, vol, from); err != nil {
				return err
			}
			return e.volumeAction(ctx, s, OpVolumeAttach, vol, to)
		})
		if err != nil {
			return fmt.Errorf("move volume %s from droplet %d to %d: %w", vol, from, to, err)
		}
	}
	return nil
}

// markVolumes tags the volumes about to leave an old droplet with whose they are
// (VolumeTag): a journal rebuilt from the cloud finds a volume the move left attached to
// nothing by it. Not journaled: the tag changes nothing in service.
func (e *Executor) markVolumes(ctx context.Context, s *slot, from int) error {
	if from != s.r.Old.ID || len(s.r.Volumes) == 0 {
		return nil
	}
	res := make([]godo.Resource, 0, len(s.r.Volumes))
	for _, vol := range s.r.Volumes {
		res = append(res, godo.Resource{ID: vol, Type: godo.VolumeResourceType})
	}
	tag := VolumeTag(e.id, from)
	if err := e.createTagRaw(ctx, tag); err != nil { // a tag of its own: new, so made first
		return fmt.Errorf("tag the volumes of droplet %d: %w", from, err)
	}
	if err := e.tagResourcesRaw(ctx, tag, res); err != nil {
		return fmt.Errorf("tag the volumes of droplet %d: %w", from, err)
	}
	s.volumesMarked = true
	return nil
}

// unmarkVolumes removes, as the rollout ends, the tags markVolumes put on volumes: best
// effort, a tag left is junk once the rollout has ended.
func (e *Executor) unmarkVolumes(ctx context.Context) {
	for _, s := range e.slots {
		if s.volumesMarked {
			_ = e.api.deleteTagRaw(ctx, VolumeTag(e.id, s.r.Old.ID))
			s.volumesMarked = false
		}
	}
	for _, tag := range e.recoveredVolumeTags {
		_ = e.api.deleteTagRaw(ctx, tag)
	}
	e.recoveredVolumeTags = nil
}

// volumeAction attaches or detaches a volume and waits for the action to complete. A
// refusal (422) is fine when the volume is so already (after a resume, or in a rollback
// before volumes moved), which a look at the volume confirms.
func (e *Executor) volumeAction(ctx context.Context, s *slot, op Op, vol string, droplet int) error {
	var action *godo.Action
	err := e.do(ctx, Record{Op: op, Target: vol, Droplets: []int{droplet}, Slots: []int{s.r.Slot}}, mutate,
		func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			if op == OpVolumeAttach {
				action, resp, err = e.api.c.StorageActions.Attach(c, vol, droplet)
			} else {
				action, resp, err = e.api.c.StorageActions.DetachByDropletID(c, vol, droplet)
			}
			return resp, err
		})
	if isStatus(err, 422) {
		if so, verr := e.volumeIs(ctx, vol, droplet, op == OpVolumeAttach); verr != nil || !so {
			return errors.Join(err, verr)
		}
		return nil
	}
	if err != nil {
		return err
	}
	return e.awaitAction(ctx, action, func(c context.Context, id int) (*godo.Action, *godo.Response, error) {
		return e.api.c.StorageActions.Get(c, vol, id)
	})
}

// volumeIs reports whether a volume is attached to a droplet (attached) or not.
func (e *Executor) volumeIs(ctx context.Context, vol string, droplet int, attached bool) (bool, error) {
	var v *godo.Volume
	err := e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
		var resp *godo.Response
		var err error
		v, resp, err = e.api.c.Storage.GetVolume(c, vol)
		return resp, err
	})
	if err != nil {
		return false, fmt.Errorf("read volume %s: %w", vol, err)
	}
	return slices.Contains(v.DropletIDs, droplet) == attached, nil
}

// awaitAction polls an action until it completes, failing if it errors or takes longer
// than the active timeout.
func (e *Executor) awaitAction(ctx context.Context, a *godo.Action, get func(context.Context, int) (*godo.Action, *godo.Response, error)) error {
	deadline := time.Now().Add(e.plan.Strategy.ActiveTimeout.D())
	for a != nil && a.Status == godo.ActionInProgress {
		if time.Now().After(deadline) {
			return fmt.Errorf("action %d (%s) still in progress after %s", a.ID, a.Type, e.plan.Strategy.ActiveTimeout)
		}
		if err := sleep(ctx, e.opt.Timing.PollMin); err != nil {
			return err
		}
		id := a.ID
		err := e.api.call(ctx, read, func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			a, resp, err = get(c, id)
			return resp, err
		})
		if err != nil {
			return fmt.Errorf("follow action %d: %w", id, err)
		}
	}
	if a != nil && a.Status == "errored" {
		return fmt.Errorf("action %d (%s) errored", a.ID, a.Type)
	}
	return nil
}
