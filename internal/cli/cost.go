package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// planCostText is the plan's extra cost for people, "≈" because it rests on the
// estimate's durations.
func planCostText(p actions.Plan) string {
	c := p.Cost
	if c == nil || len(p.Waves) == 0 {
		return ""
	}
	n := len(p.Replacements())
	out := fmt.Sprintf("Cost: ≈ %s for new droplets beside the old ones while they are replaced", fleet.Dollars(c.SurgeUSD, 4))
	if p.Strategy.Retire.Mode == actions.RetireKeep {
		keep := "until finalised"
		if ttl := p.Strategy.Retire.TTL.D(); ttl > 0 {
			keep = "for " + actions.Duration(ttl).Short()
		}
		out += fmt.Sprintf(", ≈ %s to keep %s powered off %s", fleet.Dollars(c.KeepUSD, 4), plural(n, "old droplet"), keep)
		if c.KeepUntilFinalised {
			out += fmt.Sprintf(" (then %s an hour until they are)", fleet.Dollars(c.KeepHourlyUSD, 4))
		}
	}
	out += fmt.Sprintf("; at most %s an hour more than now", fleet.Dollars(c.HourlyUSD, 4))
	if c.Unpriced > 0 {
		out += fmt.Sprintf(" (%s without a price counted as free)", plural(c.Unpriced, "server"))
	}
	return out + ".\n"
}

// spendText is a Spend for the run printer.
func spendText(s actions.Spend) string {
	if s.Extra == 0 {
		return fmt.Sprintf("cost: %s so far for extra droplets; none now", fleet.Dollars(s.SoFarUSD, 4))
	}
	out := fmt.Sprintf("cost: %s so far for extra droplets; now %s, %s an hour", fleet.Dollars(s.SoFarUSD, 4),
		plural(s.Extra, "extra droplet"), fleet.Dollars(s.HourlyUSD, 4))
	if s.Kept > 0 {
		out += fmt.Sprintf(" (%d kept powered off, billed until finalised)", s.Kept)
	}
	return out
}

// runWatch follows a run's events for what the executor does not say itself: after each
// wave and at the end, what the rollout's extra droplets have cost (read from its
// journal), and, for a rollout whose plan read is in the spread history, its
// replacements moved from their old version to the target there.
type runWatch struct {
	ctx     context.Context
	s       *session
	meter   *actions.SpendMeter
	plan    actions.Plan
	hist    *fleet.History
	role    string       // the only role the history may move ("" : any)
	done    map[int]bool // slots counted as moved
	pending []fleet.Move
	targets map[string]fleet.VersionInfo // the versions pending moves go to, by key
	phases  map[int]actions.Phase
}

// newRunWatch watches x; track says the plan's read (a selection by tag, "" for none) was
// kept in the spread history, so the run's moves go there too.
func newRunWatch(ctx context.Context, s *session, x *actions.Executor, track bool, tag string) *runWatch {
	w := &runWatch{ctx: ctx, s: s, meter: actions.NewSpendMeter(x.JournalPath()), plan: x.Plan(), done: map[int]bool{}, phases: map[int]actions.Phase{},
		targets: map[string]fleet.VersionInfo{}}
	if !track {
		return w
	}
	whole, role := readCoverage(tag, fleet.DefaultRolePrefix)
	if !whole && role == "" {
		return w
	}
	if h, err := s.spreadHistory(ctx, fleet.DefaultRolePrefix); err == nil {
		w.hist, w.role = h, role
	}
	return w
}

// after is told every event of the run and returns the events to show after it: the
// cost when a wave other than the last has ended, and at the end of the run.
func (w *runWatch) after(ev actions.Event) []actions.Event {
	switch ev := ev.(type) {
	case actions.PhaseChanged:
		w.phase(ev)
		w.phases[ev.Slot] = ev.Phase
		if w.waveEnded(ev.Slot) {
			return w.flush()
		}
	case actions.Done:
		return w.flush()
	}
	return nil
}

// waveEnded reports whether the replacement's phase ended its wave, the last one aside
// (the run's end says it).
func (w *runWatch) waveEnded(slot int) bool {
	for i, wave := range w.plan.Waves {
		if !slices.ContainsFunc(wave.Replacements, func(r actions.Replacement) bool { return r.Slot == slot }) {
			continue
		}
		if i == len(w.plan.Waves)-1 {
			return false
		}
		for _, r := range wave.Replacements {
			switch w.phases[r.Slot] {
			case actions.PhaseDone, actions.PhaseFailed, actions.PhaseCancelled, actions.PhaseRolledBack:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// phase counts a replacement done as moved to its target, and back when rolled back;
// one onto the image it ran (molt apply --to current) moves nothing.
func (w *runWatch) phase(ev actions.PhaseChanged) {
	if w.hist == nil {
		return
	}
	for _, r := range w.plan.Replacements() {
		if r.Slot != ev.Slot {
			continue
		}
		role := fleet.Options{}.Role(r.Old)
		if w.role != "" && role != w.role {
			return
		}
		t := w.plan.TargetOf(r)
		from, to := "image:"+strconv.Itoa(r.Old.Image.ImageID), "image:"+strconv.Itoa(t.ImageID)
		if from == to {
			return
		}
		w.targets[to] = fleet.VersionInfo{Key: to, Name: t.Name, CreatedAt: t.CreatedAt}
		switch {
		case ev.Phase == actions.PhaseDone && !w.done[ev.Slot]:
			w.done[ev.Slot] = true
			w.pending = append(w.pending, fleet.Move{Role: role, From: from, To: to, N: 1})
		case ev.Phase == actions.PhaseRolledBack && w.done[ev.Slot]:
			w.done[ev.Slot] = false
			w.pending = append(w.pending, fleet.Move{Role: role, From: to, To: from, N: 1})
		}
		return
	}
}

// flush writes the moves so far to the history and reads what the run has cost.
func (w *runWatch) flush() []actions.Event {
	if w.hist != nil && len(w.pending) > 0 {
		if _, err := w.hist.RecordMoves(time.Now(), w.pending, w.targets); err != nil {
			w.s.logf("the spread history was not written: %v", err)
		}
		w.pending = nil
	}
	sp, err := w.meter.Read(time.Now())
	if err != nil {
		return nil
	}
	return []actions.Event{sp}
}

// keptCost says what a rollout that keeps old droplets costs: so far, and an hour now.
func keptCost(s actions.Summary) string {
	if s.Kept == 0 {
		return ""
	}
	sp, err := actions.ReadSpend(s.Path, time.Now())
	if err != nil || sp.Extra == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s an hour, %s so far)", fleet.Dollars(sp.HourlyUSD, 4), fleet.Dollars(sp.SoFarUSD, 2))
}
