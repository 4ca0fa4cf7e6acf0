package actions

import (
	"context"
	"errors"
	"fmt"

	"github.com/digitalocean/godo"
)

// Unlocked is what Unlock did and what it left behind.
type Unlocked struct {
	// Old are the droplets the rollout had selected that still exist (kept powered off
	// among them: Status "off").
	Old []godo.Droplet
	// Made are the droplets its creates made that still exist: no rollout tracks them
	// any more, nor destroys them.
	Made []godo.Droplet
	// Journaled is set when the rollout's journal here now ends with the unlock.
	Journaled bool
}

// Unlock lifts rollout id's lock without driving it: its lock tag and leases go from
// every droplet, and nothing else changes (its create tags stay, as provenance). It is
// for an operator who knows better than molt; a rollout that a live driver holds the
// lease of, or whose journal here another process holds, is refused. When its journal
// is here and readable, it ends, aborted, with who unlocked it. confirm, when set, is
// shown what will be left behind before anything changes, and may stop it.
func Unlock(ctx context.Context, c *godo.Client, id string, opt Options, confirm func(Unlocked) error) (Unlocked, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return Unlocked{}, err
	}
	e := &Executor{id: id, opt: opt}
	e.api = &api{c: c, timing: opt.Timing, publish: func(Event) {}, halted: func() bool { return false }}
	if recs, err := ReadJournal(JournalPath(opt.Dir, id)); err == nil && len(recs) > 0 && recs[0].Header != nil && recs[0].Header.Plan.Account != nil {
		// The journal here says which account the rollout ran on: unlock it only there.
		here, err := e.api.accountRef(ctx)
		if err != nil {
			return Unlocked{}, fmt.Errorf("check that rollout %s belongs to this account: %w", id, err)
		}
		if err := CheckAccount(id, recs[0].Header.Plan.Account, here); err != nil {
			return Unlocked{}, err
		}
	}
	found, err := e.api.listByTag(ctx, RolloutTag(id))
	if err != nil {
		return Unlocked{}, err
	}
	var out Unlocked
	tags := make([][]string, len(found))
	for i, d := range found {
		tags[i] = d.Tags
		if _, _, made := e.createdBy(d); made {
			out.Made = append(out.Made, d)
		} else {
			out.Old = append(out.Old, d)
		}
	}
	if d, until, ok := LeaseOf(id, tags); ok {
		return out, &DrivenError{Rollout: id, Driver: d, Until: until}
	}
	if len(found) == 0 {
		return out, fmt.Errorf("no droplet carries the lock of rollout %s: there is nothing to unlock", id)
	}
	if confirm != nil {
		if err := confirm(out); err != nil {
			return out, err
		}
	}
	j, err := openToEnd(JournalPath(opt.Dir, id))
	if err != nil {
		return out, err
	}
	for _, l := range leasesOf(id, found) {
		if err := e.api.deleteTagRaw(ctx, l.tag); err != nil {
			return out, closeJ(j, fmt.Errorf("remove the lease %s: %w", l.tag, err))
		}
	}
	if err := e.api.deleteTagRaw(ctx, RolloutTag(id)); err != nil {
		return out, closeJ(j, fmt.Errorf("remove the lock tag %s: %w", RolloutTag(id), err))
	}
	if j != nil {
		_, err = j.Append(Record{Kind: KindEnd, State: StateAborted, Reason: "unlocked by " + opt.Operator.String(), Operator: opt.Operator})
		out.Journaled = err == nil
		return out, closeJ(j, err)
	}
	return out, nil
}

// openToEnd opens the journal to journal the unlock: nil when there is none here, or it
// is damaged, or it has ended already.
func openToEnd(path string) (*Journal, error) {
	j, recs, err := OpenJournal(path)
	var de *DrivenError
	switch {
	case errors.As(err, &de):
		return nil, err
	case err != nil:
		return nil, nil // no journal here, or a damaged one: the lock goes all the same
	}
	e := &Executor{}
	e.replay(recs)
	if e.state.Final() {
		return nil, j.Close()
	}
	return j, nil
}

func closeJ(j *Journal, err error) error {
	if j == nil {
		return err
	}
	return errors.Join(err, j.Close())
}
