package actions

import (
	"context"
	"fmt"
	"time"

	"github.com/digitalocean/godo"
)

// ResumePool reopens the pool rollout journaled at path to continue it: Run locks the
// members again, makes sure the template is where the journal says (pointing it at the
// target if the call never happened), and watches the pool from where it is now,
// checking the health of every new member the journal does not know as healthy.
func ResumePool(client *godo.Client, path string, opt Options) (*PoolRollout, error) {
	r, err := reopenPool(client, path, opt)
	if err != nil {
		return nil, err
	}
	if r.state.Final() {
		r.j.Close()
		return nil, fmt.Errorf("rollout %s is already %s; there is nothing to resume", r.id, r.state)
	}
	return r, nil
}

// RollbackPool reopens the pool rollout journaled at path to roll it back, whether it
// runs, is done, or is rolling back already: Run puts the template's previous image back
// and watches the pool replace its members onto it.
func RollbackPool(client *godo.Client, path string, opt Options) (*PoolRollout, error) {
	r, err := reopenPool(client, path, opt)
	if err != nil {
		return nil, err
	}
	if r.state == StateRolledBack || r.state == StateAborted && !r.templateSet {
		r.j.Close()
		return nil, fmt.Errorf("rollout %s is already %s; there is nothing to roll back", r.id, r.state)
	}
	r.rollbackAsk = !r.rollingBack
	return r, nil
}

// IsPoolJournal reports whether the journal at path is a pool rollout's.
func IsPoolJournal(path string) bool {
	recs, err := ReadJournal(path)
	return err == nil && recs[0].Header.Pool != nil
}

func reopenPool(client *godo.Client, path string, opt Options) (*PoolRollout, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	j, recs, err := OpenJournal(path)
	if err != nil {
		return nil, err
	}
	h := recs[0].Header
	if h.Pool == nil {
		j.Close()
		return nil, fmt.Errorf("rollout %s replaces droplets, not a pool", h.ID)
	}
	if opt.Account != nil {
		if err := CheckAccount(h.ID, h.Pool.Account, *opt.Account); err != nil {
			j.Close()
			return nil, err
		}
	}
	r := newPoolRollout(client, h.ID, *h.Pool, j, opt)
	r.resumed = true
	r.replay(recs)
	r.b = NewBroadcaster(r.replayedStatus())
	return r, nil
}

// bind checks, before a resumed run changes anything, that the token reaches the account
// the pool rollout ran on, unless the caller checked it when the journal was opened.
func (r *PoolRollout) bind(ctx context.Context) error {
	if !r.resumed || r.plan.Account == nil || r.opt.Account != nil {
		return nil
	}
	here, err := r.api.accountRef(ctx)
	if err != nil {
		return fmt.Errorf("check that rollout %s belongs to this account: %w", r.id, err)
	}
	return CheckAccount(r.id, r.plan.Account, here)
}

// replay rebuilds the replacements and the rollout's state from the journal. The lock
// is always put on again (tagging is idempotent), so that members made since are held.
func (r *PoolRollout) replay(recs []Record) {
	ok := map[int]bool{}
	for _, rec := range recs {
		if rec.Kind == KindResult && rec.Err == "" {
			ok[rec.Ref] = true
		}
	}
	for _, rec := range recs {
		switch rec.Kind {
		case KindIntent:
			r.templateSet = r.templateSet || rec.Op == OpPoolTemplate && ok[rec.Seq]
			r.restored = r.restored || rec.Op == OpPoolRestore && ok[rec.Seq]
		case KindState, KindEnd:
			r.replayState(rec)
		case KindPhase:
			r.replayPhase(rec)
		}
	}
}

func (r *PoolRollout) replayState(rec Record) {
	r.state = rec.State
	switch {
	case rec.State == StateRollingBack:
		r.rollingBack, r.reason = true, rec.Reason
	case rec.State.Final():
		r.rollingBack = false
	}
	if r.rollingBack {
		r.state = StateRollingBack
	}
}

func (r *PoolRollout) replayPhase(rec Record) {
	if len(rec.Slots) != 1 || rec.Slots[0] < 0 || rec.Slots[0] >= len(r.slots) {
		return
	}
	s := r.slots[rec.Slots[0]]
	s.phase = rec.Phase
	if len(rec.Droplets) > 0 {
		s.newID = rec.Droplets[0]
	}
	if rec.IP != "" {
		s.newIP = rec.IP
	}
	if s.newID == 0 {
		return
	}
	m := r.members[s.newID]
	if m == nil {
		m = &memberWatch{id: s.newID, image: r.plan.Target.ImageID, seen: time.Now()}
		r.members[s.newID] = m
	}
	m.healthy = m.healthy || rec.Phase == PhaseHealthy || rec.Phase == PhaseDone
	m.failed = m.failed || rec.Phase == PhaseFailed
}

// replayedStatus is the plan's status with the replacements and the state as the
// journal has them.
func (r *PoolRollout) replayedStatus() Status {
	st := NewStatus(r.id, r.view)
	st.Journal, st.State = r.j.Path(), r.state
	for _, s := range r.slots {
		st.slot(s.n, func(sl *SlotStatus) { sl.Phase, sl.NewID, sl.NewIP = s.phase, s.newID, s.newIP })
	}
	return st
}
