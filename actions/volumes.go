package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/digitalocean/godo"
)

// moveVolumes moves attached volumes from the old droplets, now out of service, to the
// new ones (--move-volumes): detach, wait, attach, wait.
func (e *Executor) moveVolumes(ctx context.Context, slots []*slot) error {
	for _, s := range slots {
		for _, vol := range s.r.Volumes {
			err := e.step(s, "move_volumes", s.newID, func() error {
				if err := e.volumeAction(ctx, s, "volume_detach", vol, s.r.Old.ID); err != nil {
					return err
				}
				return e.volumeAction(ctx, s, "volume_attach", vol, s.newID)
			})
			if err != nil {
				return fmt.Errorf("move volume %s from droplet %d to %d: %w", vol, s.r.Old.ID, s.newID, err)
			}
		}
	}
	return nil
}

// volumeAction attaches or detaches a volume and waits for the action to complete. A
// refusal because it is so already (after a resume) is fine.
func (e *Executor) volumeAction(ctx context.Context, s *slot, op, vol string, droplet int) error {
	var action *godo.Action
	err := e.do(ctx, Record{Op: op, Target: vol, Droplets: []int{droplet}, Slots: []int{s.r.Slot}}, mutate,
		func(c context.Context) (*godo.Response, error) {
			var resp *godo.Response
			var err error
			if op == "volume_attach" {
				action, resp, err = e.api.c.StorageActions.Attach(c, vol, droplet)
			} else {
				action, resp, err = e.api.c.StorageActions.DetachByDropletID(c, vol, droplet)
			}
			return resp, err
		})
	if isStatus(err, 422) {
		return nil
	}
	if err != nil {
		return err
	}
	return e.awaitAction(ctx, action, func(c context.Context, id int) (*godo.Action, *godo.Response, error) {
		return e.api.c.StorageActions.Get(c, vol, id)
	})
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
