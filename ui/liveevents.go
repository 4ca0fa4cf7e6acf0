package ui

import (
	"fmt"
	"time"

	"github.com/molt-sh/molt/actions"
)

// Every kind of event has a line in the live view's log (TestEveryEventKindHasALogLine
// walks actions.EventSamples): these are the kinds the view's state does not need
// beyond their line.

// applyMore logs the events about one droplet or the bill: steps, strays, spend, and a
// snapshot (a view that joins late, or fell behind).
func (l *live) applyMore(ev actions.Event) {
	switch e := ev.(type) {
	case actions.StepStarted:
		l.addQuiet(e.At, fmt.Sprintf("%s: %s started%s", l.slotName(e.Slot), stepWords(e.Step), dropletSuffix(e.Droplet)))
	case actions.StepFinished:
		l.addQuiet(e.At, fmt.Sprintf("%s: %s took %s", l.slotName(e.Slot), stepWords(e.Step), e.Took.D().Round(1e6)))
	case actions.StrayDestroyed:
		l.add(e.At, l.strayWords(e), e.Err != "")
	case actions.Spend:
		l.add(e.At, spendWords(e), false)
	case actions.PoolProgress:
		l.add(e.At, poolWords(e), e.PoolError != "")
	case actions.Snapshot:
		st := e.Status
		l.add(l.lastAt(), fmt.Sprintf("joined: the %s is %s, %d of %d replaced", l.noun(), stateWords(st.State),
			st.Count(actions.PhaseDone), len(st.Slots)), false)
	}
}

func dropletSuffix(id int) string {
	if id == 0 {
		return ""
	}
	return fmt.Sprintf(" (droplet %d)", id)
}

// strayWords says that a droplet nothing tracked (a create the API committed after it
// answered an error) was destroyed, or could not be.
func (l *live) strayWords(e actions.StrayDestroyed) string {
	what := fmt.Sprintf("droplet %d (%s), made by a create answered with an error and tracked by nothing", e.Droplet, e.Name)
	if e.Slot >= 0 {
		what += ", for " + l.slotName(e.Slot)
	}
	if e.Err != "" {
		return "could not destroy " + what + ": " + e.Err
	}
	return "destroyed " + what
}

// lastAt is when the view last heard of the run: its newest log line, else its start.
func (l *live) lastAt() time.Time {
	if len(l.log) > 0 {
		return l.log[len(l.log)-1].at
	}
	return l.started
}

// addQuiet logs a line the search finds, and the log shows only then.
func (l *live) addQuiet(at time.Time, text string) {
	l.add(at, text, false)
	l.log[len(l.log)-1].quiet = true
}

// noun is what the run is, for people: a watch follows a rollout.
func (l *live) noun() string {
	if l.kind == "watch" {
		return "rollout"
	}
	return l.kind
}
