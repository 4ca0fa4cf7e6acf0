package ui

import (
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// What things cost, as the cockpit says it: a role's and a version's run rate in the
// details, a plan's extra cost on the stage screen (as `molt plan` prints it), and what
// a running rollout's extra droplets have cost so far and cost an hour (the Spend its
// journal gives, read again as the rollout moves).

// runRate is a run rate for the details: "$0.1071/h · $72.00/mo".
func runRate(c fleet.Cost) string {
	out := fleet.Dollars(c.HourlyUSD(), 4) + "/h · " + fleet.Dollars(c.MonthlyUSD(), 2) + "/mo"
	if c.Unpriced > 0 {
		out += fmt.Sprintf(" (%d without a price)", c.Unpriced)
	}
	return out
}

// monthly is a run rate as the fleet list ends a header with it, "$132.00/mo"; none
// when nothing in it has a price.
func monthly(c fleet.Cost) []string {
	if c.Monthly == 0 && c.Hourly == 0 {
		return nil
	}
	return []string{fleet.Dollars(c.MonthlyUSD(), 2) + "/mo"}
}

// planCostLine is a plan's extra cost, estimated: the new droplets beside the old ones,
// the old ones kept powered off, and the most it adds an hour.
func planCostLine(p actions.Plan) string {
	c := p.Cost
	if c == nil || len(p.Waves) == 0 {
		return ""
	}
	out := "cost ≈ " + fleet.Dollars(c.SurgeUSD, 4) + " for new droplets beside the old"
	if p.Strategy.Retire.Mode == actions.RetireKeep {
		keep := "until finalised"
		if ttl := p.Strategy.Retire.TTL.D(); ttl > 0 {
			keep = "for " + formatAge(ttl)
		}
		out += " · ≈ " + fleet.Dollars(c.KeepUSD, 4) + " to keep the old off " + keep
		if c.KeepUntilFinalised {
			out += " (then " + fleet.Dollars(c.KeepHourlyUSD, 4) + "/h)"
		}
	}
	out += " · at most " + fleet.Dollars(c.HourlyUSD, 4) + "/h more"
	if c.Unpriced > 0 {
		out += fmt.Sprintf(" (%s without a price counted as free)", plural(c.Unpriced, "server"))
	}
	return out
}

// confirmCostLine is the plan's extra cost in a line short enough for the confirm
// dialog: the new droplets beside the old and, kept, the old ones off; "" with no price.
func confirmCostLine(p actions.Plan) string {
	c := p.Cost
	if c == nil || len(p.Waves) == 0 {
		return ""
	}
	total, what := c.SurgeUSD, ""
	if p.Strategy.Retire.Mode == actions.RetireKeep {
		total += c.KeepUSD
		what = " with the old kept off until finalised"
		if ttl := p.Strategy.Retire.TTL.D(); ttl > 0 {
			what = " with the old kept off for " + formatAge(ttl)
		}
	}
	return "extra cost ≈ " + fleet.Dollars(total, 4) + what + " · at most " + fleet.Dollars(c.HourlyUSD, 4) + "/h more"
}

// spendWords is what the rollout's extra droplets have cost so far and cost an hour now.
func spendWords(s actions.Spend) string {
	out := "extra " + fleet.Dollars(s.SoFarUSD, 4) + " so far"
	switch {
	case s.Extra == 0:
		return out + ", none now"
	case s.Kept > 0:
		return out + fmt.Sprintf(", %s/h for %d (%d kept off)", fleet.Dollars(s.HourlyUSD, 4), s.Extra, s.Kept)
	}
	return out + fmt.Sprintf(", %s/h for %d", fleet.Dollars(s.HourlyUSD, 4), s.Extra)
}

// spendMsg carries what the run id's extra droplets cost, read from its journal.
type spendMsg struct {
	id    string
	spend actions.Spend
	err   error
}

// spendEvery bounds how often the journal is read for the spend while a run moves.
const spendEvery = 2 * time.Second

// meterSpend reads the spend of the run followed from its journal, in the background,
// after events that change which droplets exist; at most every spendEvery, and always
// once the run is done.
func (c *common) meterSpend(evs []actions.Event) tea.Cmd {
	l := c.live
	if l == nil || c.deps.JournalDir == "" {
		return nil
	}
	moved, done := false, false
	for _, ev := range evs {
		switch ev.(type) {
		case actions.PhaseChanged, actions.WaveStarted:
			moved = true
		case actions.Done:
			done = true
		}
	}
	now := c.now()
	if !done && (!moved || !l.spendAsked.IsZero() && now.Sub(l.spendAsked) < spendEvery) {
		return nil
	}
	l.spendAsked = now
	id, path := l.run.ID(), actions.JournalPath(c.deps.JournalDir, l.run.ID())
	return func() tea.Msg {
		sp, err := actions.ReadSpend(path, now)
		return spendMsg{id: id, spend: sp, err: err}
	}
}

// onSpend keeps the spend of the run followed; a journal that cannot be read (a run of
// another process's journal directory) leaves the line out.
func (c *common) onSpend(msg spendMsg) {
	if c.live != nil && msg.id == c.live.run.ID() && msg.err == nil {
		c.live.spend = &msg.spend
	}
}
