package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/digitalocean/godo"
)

// Two operators who confirm rollouts of overlapping selections at once both lock: each
// tags its selection, then lists its own lock tag to see whether another rollout's tag
// is on the same droplets. Exactly one goes on, by a rule both apply alike: the older
// rollout (the smaller ID) wins.
//
//   - A rollout that finds an older one on its droplets loses at once: it lifts its own
//     lock (it has changed nothing else) and stops, naming the winner.
//   - A rollout that finds only younger ones waits for them to lift their locks: each
//     of them tagged before it listed, and the winner's tag was on before that listing
//     or came after it, so either the younger saw the older (and leaves) or it listed
//     before the older tagged, saw nothing and went on. That one takes its lease at
//     once, so the older stops waiting as soon as it sees it (or after lockWait) and
//     loses instead: never both, never neither.

// lockWait bounds how long the older of two rollouts that locked at once waits for the
// younger to lift its lock.
const lockWait = 30 * time.Second

// lockHeld checks, once the lock is on, that no other rollout locked the droplets since
// the plan read them, settles a race as above, and takes the lease.
func (e *Executor) lockHeld(ctx context.Context, ids []int) error {
	return holdLock(ctx, e.api, e.id, ids, e.opt.Timing.PollMin, e.lease.take, e.loseLock)
}

// holdLock is lockHeld for any rollout (a droplet rollout's or a pool rollout's): it
// lists the lock tag of rollout id until the droplets it locked (ids) carry no other
// rollout's lock, then takes the lease on what it found (take); it loses to an older
// rival, or to one that took its lease, or after lockWait (lose).
func holdLock(ctx context.Context, a *api, id string, ids []int, poll time.Duration,
	take func(context.Context, []godo.Droplet) error, lose func(context.Context, *LockedError) error) error {
	deadline := time.Now().Add(lockWait)
	for {
		found, err := a.listByTag(ctx, RolloutTag(id))
		if err != nil {
			return err
		}
		rival := rivalOf(id, found, ids)
		if rival == nil {
			return take(ctx, found)
		}
		if rival.Rollout < id || rivalDrives(rival.Rollout, found) || time.Now().After(deadline) {
			return lose(ctx, rival)
		}
		if err := sleep(ctx, max(poll, 10*time.Millisecond)); err != nil {
			return err
		}
	}
}

// rivalOf is the other rollout locking the droplets ids of rollout id (the oldest, when
// several), with the servers it holds; nil when none.
func rivalOf(id string, found []godo.Droplet, ids []int) *LockedError {
	var le *LockedError
	for _, d := range found {
		if !slices.Contains(ids, d.ID) {
			continue
		}
		for _, t := range d.Tags {
			other := LockOf([]string{t})
			switch {
			case other == "" || other == id:
			case le == nil || other < le.Rollout:
				le = &LockedError{Rollout: other, Servers: []string{d.Name}}
			case le.Rollout == other:
				le.Servers = append(le.Servers, d.Name)
			}
		}
	}
	return le
}

// rivalDrives reports whether the rival has taken its lease: it won.
func rivalDrives(rival string, found []godo.Droplet) bool {
	return len(leasesOf(rival, found)) > 0
}

// loseLock ends a rollout that lost the race for its selection before it changed
// anything: its own lock is lifted, and the error names the winner.
func (e *Executor) loseLock(ctx context.Context, le *LockedError) error {
	if err := e.endRollout(ctx, StateAborted); err != nil {
		return errors.Join(le, err)
	}
	return fmt.Errorf("%w: %w", ErrAborted, le)
}
