package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// endRun ends the run on the live view: the replacements not done get phase (failed ones
// first, as many as failed), then Done with state.
func endRun(d *driver, plan actions.Plan, failed int, state actions.State) {
	for _, ev := range endEvents(plan, failed, state) {
		d.send(runEventMsg{id: fixedID, ev: ev})
	}
}

// endEvents are the events that end a run of plan as endRun does.
func endEvents(plan actions.Plan, failed int, state actions.State) []actions.Event {
	var out []actions.Event
	at := fixedNow.Add(time.Second)
	for i, r := range plan.Replacements() {
		ph := actions.PhaseCancelled
		if i < failed {
			ph = actions.PhaseFailed
		}
		if i < 4 && failed == 0 {
			continue // midRollout's first wave is done
		}
		ev := actions.PhaseChanged{At: at, Slot: r.Slot, Phase: ph}
		if ph == actions.PhaseFailed {
			ev.Reason = "health check: HTTP 503 for 5m0s"
		}
		out = append(out, ev)
	}
	reason := map[actions.State]string{actions.StateAborted: "aborted", actions.StateRolledBack: "rolled back: 1 failed, more than --max-failures 0"}[state]
	return append(out, actions.Done{At: at, State: state, Failed: failed, Err: reason})
}

// progressLine is the live view's bar and the words after it.
func progressLine(s string) string { return strings.Split(s, "\n")[2] }

// The bar fills with replaced servers only: an aborted run that replaced 4 of 19 is at
// 21%, its cancelled ones drawn as cancelled; a failed one that replaced none is at 0%.
func TestTheProgressBarFillsWithReplacedServersOnly(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	for _, tc := range []struct {
		name    string
		failed  int
		state   actions.State
		percent string
		words   string
		glyphs  string
	}{
		{"aborted", 0, actions.StateAborted, " 21%", "4 replaced · 15 cancelled", "█─"},
		{"failed", 1, actions.StateRolledBack, "  0%", "1 failed · 18 cancelled", "✗─"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
			if tc.failed > 0 {
				m, _ = liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan)[:3])
			}
			d := drive(t, m, 80, 24)
			endRun(d, plan, tc.failed, tc.state)
			line := progressLine(d.waitText(tc.words))
			if !strings.Contains(line, tc.percent) || strings.Contains(line, "100%") {
				t.Fatalf("the bar of a run that ended %s reads %q, want %s", tc.words, line, tc.percent)
			}
			for _, g := range tc.glyphs {
				if !strings.ContainsRune(line, g) {
					t.Fatalf("the bar %q has no %q cells", line, g)
				}
			}
			if tc.failed > 0 && strings.ContainsRune(line, '█') {
				t.Fatalf("the bar %q fills although nothing was replaced", line)
			}
		})
	}
}

// A droplet the identity check left alone is a bad line in the events, naming its
// server; an old droplet draining says so in the replacements.
func TestTheLiveViewSaysWhatIsLeftAloneAndWhatDrains(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	w1 := plan.Waves[1].Replacements
	at := fixedNow.Add(-time.Second)
	evs := append(midRollout(plan),
		actions.PhaseChanged{At: at, Slot: w1[2].Slot, Phase: actions.PhaseDraining},
		actions.LeftAlone{At: at, Slot: w1[3].Slot, Droplet: w1[3].Old.ID, Name: w1[3].Old.Name, Reason: "it is not tagged role:web"})
	m, _ := liveAt(t, loaded(t, demoServers(t), 120, 40), plan, evs)
	last := m.common.live.log[len(m.common.live.log)-1]
	want := w1[3].Old.Name + ": left droplet " + strconv.Itoa(w1[3].Old.ID) + " alone, never to be changed: it is not tagged role:web"
	if last.text != want || !last.bad || !last.at.Equal(at) {
		t.Fatalf("the last event line is %+v, want %q, bad", last, want)
	}
	if s := screen(m); !strings.Contains(s, "draining old") {
		t.Fatalf("the draining replacement does not say so:\n%s", s)
	}
}
