package ui

import (
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// Every kind of event the engine emits has a line in the live view's log, the ones an
// operator must see (a stray destroyed, what the rollout costs, a droplet left alone,
// a create answered with an error) included.
func TestEveryEventKindHasALogLine(t *testing.T) {
	t.Parallel()
	run := &fakeRun{id: fixedID, plan: webPlan(t)}
	t.Cleanup(run.end)
	for _, ev := range actions.EventSamples() {
		l := newLive(run, "rollout")
		l.apply(ev)
		if len(l.log) == 0 || strings.TrimSpace(l.log[len(l.log)-1].text) == "" {
			t.Errorf("%s (%T) has no line in the log", ev.Kind(), ev)
		}
	}
}

// The drain has its own words: the step, and the phase.
func TestTheDrainHasItsOwnLines(t *testing.T) {
	t.Parallel()
	run := &fakeRun{id: fixedID, plan: webPlan(t)}
	t.Cleanup(run.end)
	l := newLive(run, "rollout")
	name := l.slotName(0)
	l.apply(actions.PhaseChanged{At: fixedNow, Slot: 0, Phase: actions.PhaseDraining})
	l.apply(actions.StepStarted{At: fixedNow, Slot: 0, Step: "drain", Droplet: 7})
	l.apply(actions.StepFinished{At: fixedNow, Slot: 0, Step: "drain", Droplet: 7, Took: actions.Duration(1e10)})
	l.apply(actions.LeftAlone{At: fixedNow, Slot: 0, Droplet: 5, Name: name, Reason: "renamed since the plan"})
	got := strings.Join(logTexts(l), "\n")
	for _, want := range []string{name + ": draining old", name + ": draining old started (droplet 7)",
		name + ": draining old took 10s", "left droplet 5 alone, never to be changed: renamed since the plan"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in the log:\n%s", want, got)
		}
	}
}

// A step's start and time are quiet: the log leaves them out until a search finds them.
func TestStepLinesAreFoundBySearch(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 120, 40), plan, midRollout(plan))
	d := drive(t, m, 120, 40)
	d.send(runEventMsg{id: fixedID, ev: actions.StepStarted{At: fixedNow, Slot: 0, Step: "drain", Droplet: 300000100}})
	s := d.waitText("Events")
	if strings.Contains(s, "draining old started") {
		t.Fatalf("a step's start shows in the log without a search:\n%s", s)
	}
	d.keys("/").typeText("drain").keys("enter").waitText("draining old started (droplet 300000100)")
}
