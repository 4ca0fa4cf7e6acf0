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
	deadline := time.Now().Add(lockWait)
	for {
		found, err := e.api.listByTag(ctx, RolloutTag(e.id))
		if err != nil {
			return err
		}
		rival := e.rival(found, ids)
		if rival == nil {
			return e.lease.take(ctx, found)
		}
		if rival.Rollout < e.id || rivalDrives(rival.Rollout, found) || time.Now().After(deadline) {
			return e.loseLock(ctx, rival)
		}
		if err := sleep(ctx, max(e.opt.Timing.PollMin, 10*time.Millisecond)); err != nil {
			return err
		}
	}
}

// rival is the other rollout locking the selected droplets (the oldest, when several),
// with the servers it holds; nil when none.
func (e *Executor) rival(found []godo.Droplet, ids []int) *LockedError {
	var le *LockedError
	for _, d := range found {
		if !slices.Contains(ids, d.ID) {
			continue
		}
		for _, t := range d.Tags {
			other := LockOf([]string{t})
			switch {
			case other == "" || other == e.id:
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
