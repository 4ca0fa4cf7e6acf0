package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// R on the fleet says when there is nothing to resume, and offers the newest
// unfinished rollout when there is one.
func TestResumeOnTheFleetSaysWhyOrOffers(t *testing.T) {
	t.Parallel()
	d := drive(t, loaded(t, demoServers(t), 80, 24), 80, 24)
	d.keys("R").waitText("nothing to resume: no rollout in the journal is unfinished")
	dir := journalWith(t, true)
	d = drive(t, loaded(t, demoServers(t), 80, 24, inDir(dir)), 80, 24)
	d.waitText("An unfinished rollout is in the journal")
	d.keys("esc").waitFor("the offer to close", func(s string) bool { return !strings.Contains(s, "unfinished rollout") })
	d.keys("R").waitText("An unfinished rollout is in the journal", fixedID)
}

// While a rollout waits at a checkpoint, the fleet offers l and c, and c continues it.
func TestContinueFromTheFleetAtACheckpoint(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, run := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	d.keys("esc").send(runEventMsg{id: fixedID, ev: actions.CheckpointReached{At: fixedNow, Wave: 1, Next: 2, Mode: "manual"}})
	s := d.waitText("c continue the rollout")
	if bar := barOf(s); !strings.Contains(bar, "l live") {
		t.Fatalf("the fleet's key bar does not offer the live view: %q", bar)
	}
	d.keys("c")
	waitUntil(t, "c to continue the run", func() bool { return slices.Contains(run.steered(), "continue") })
}

// A key that means nothing on a screen says so, instead of nothing.
func TestKeysThatDoNothingSaySo(t *testing.T) {
	t.Parallel()
	d := drive(t, loaded(t, demoServers(t), 80, 24), 80, 24)
	for _, k := range []string{":", "tab", "ctrl+x"} {
		d.keys(k).waitText(k + " does nothing on this screen: ? lists its keys")
	}
	if s := d.keys("c").screen(); !strings.Contains(statusOf(s), "nothing to continue") {
		t.Fatalf("c with no checkpoint should say why: %q", statusOf(s))
	}
}

// A wrong confirmation word, then enter, says why in the dialog itself.
func TestAWrongConfirmationSaysWhyInTheDialog(t *testing.T) {
	t.Parallel()
	m, _ := stagedWeb(t, 80, 24)
	m = pressSettle(t, m, "enter", "+", "+", "+", "enter")
	d := drive(t, m, 80, 24)
	s := d.keys("w", "x", "enter").waitText(`"wx" is not "web"`)
	if !strings.Contains(s, "Type web to start") || !strings.Contains(statusOf(s), `type "web" exactly`) {
		t.Fatalf("a wrong word should be refused where it was typed:\n%s", s)
	}
}

// The abort dialog opens on keeping the rollout going: enter at once aborts nothing, and
// k and r (cursor-up and refresh elsewhere) answer nothing; the arrows pick the others.
func TestTheAbortDialogDefaultsToTheSafeChoice(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, run := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	s := d.keys("A").waitText("Abort the rollout?")
	if !strings.Contains(s, "› keep going") {
		t.Fatalf("the abort dialog should open on keeping the rollout going:\n%s", s)
	}
	d.keys("r").waitText("r does nothing here")
	if s := d.keys("k").screen(); !strings.Contains(s, "› keep going") { // k is only up, as elsewhere
		t.Fatalf("k moved off keeping the rollout going:\n%s", s)
	}
	d.keys("enter").waitFor("the dialog to close", func(s string) bool { return !strings.Contains(s, "Abort the rollout?") })
	if got := run.steered(); len(got) != 0 {
		t.Fatalf("enter on the default aborted: %v", got)
	}
	d.keys("A", "down").waitText("› roll back")
	d.keys("enter").waitText("abort asked (roll back)")
	waitUntil(t, "the run to be aborted with a rollback", func() bool { return slices.Equal(run.steered(), []string{"abort+rollback"}) })
}

// Quitting while a rollout runs asks, says molt will print how to resume it, and ends
// the program on y (molt then exits 4 with the rollout's ID: internal/cli's leaveTUI).
func TestQuittingMidRolloutSaysHowToResumeAndEnds(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24, func(d *Deps) { d.Demo = false }), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	d.keys("q").waitText("A rollout is running. Quit anyway?", "molt resume "+fixedID)
	d.keys("y")
	d.wait()
}
