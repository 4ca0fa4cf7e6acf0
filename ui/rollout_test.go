package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

func TestStageStartsOnlyAfterTheExactName(t *testing.T) {
	m, _ := stagedWeb(t, 80, 24)
	m = pressSettle(t, m, "enter", "+", "+", "+", "enter")
	if !confirming(m) {
		t.Fatalf("enter on a plan did not ask for the confirmation:\n%s", screen(m))
	}
	m = pressSettle(t, m, "w", "e", "enter")
	if m.live != nil || !confirming(m) || !strings.Contains(screen(m), `type "web" exactly`) {
		t.Fatalf("a wrong name should start nothing and say what to type:\n%s", screen(m))
	}
	m = pressSettle(t, m, "esc")
	if confirming(m) {
		t.Fatalf("esc did not close the confirmation")
	}
	m = pressSettle(t, m, "enter", "w", "e", "b", "enter")
	if m.Screen() != ScreenLive || m.live == nil || m.live.done == nil || m.live.done.State != actions.StateDone {
		t.Fatalf("the exact name should start the rollout and show it live to its end:\n%s", screen(m))
	}
}

func TestStrategyKeysChangeTheStrategyAndReplan(t *testing.T) {
	m, _ := stagedWeb(t, 80, 24)
	m = pressSettle(t, m, "enter")
	gen := m.stage.planGen
	m = pressSettle(t, m, "right")
	if m.stage.strategy.Surge != 2 || m.stage.planGen != gen+1 || len(m.stage.plan.Waves) != 10 {
		t.Fatalf("→ on surge: surge %d, plan generation %d, %d waves", m.stage.strategy.Surge, m.stage.planGen, len(m.stage.plan.Waves))
	}
	m = pressSettle(t, m, "down", "left")
	if m.stage.knob != 1 || m.stage.strategy.Canary != 0 {
		t.Fatalf("← on canary 0 should stay off: knob %d, canary %d", m.stage.knob, m.stage.strategy.Canary)
	}
	m = pressSettle(t, m, "down", "down", "right")
	if got := m.stage.strategy.Health.String(); got != "tcp:8080" && !strings.HasPrefix(got, "tcp:") {
		t.Fatalf("→ on health check gave %s, want tcp", got)
	}
	m = pressSettle(t, m, "esc", "esc")
	if m.Screen() != ScreenFleet || m.stage != nil {
		t.Fatalf("esc twice should go back to the fleet, on %v", m.Screen())
	}
}

func TestStageWithoutSelectionTakesTheRowUnderTheCursor(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	m = press(t, cursorTo(t, m, "version edge-1.1.0"), "s")
	if m.Screen() != ScreenStage || len(m.stage.servers) != 6 || m.stage.name != "edge" {
		t.Fatalf("s on the edge-1.1.0 header staged %d servers named %q", len(m.stage.servers), m.stage.name)
	}
}

func TestReadonlyRefusesRollbackAndResume(t *testing.T) {
	dir := journalWith(t, true)
	m := loaded(t, demoServers(t), 80, 24, inDir(dir), func(d *Deps) { d.Readonly = true })
	m = settle(t, m, loadRollouts(dir, true), nil)
	if !offering(m) || !strings.Contains(screen(m), "read-only: resume it with molt resume") {
		t.Fatalf("read-only should still show the unfinished rollout, without offering to resume it:\n%s", screen(m))
	}
	m = pressSettle(t, m, "R")
	if !offering(m) || m.live != nil {
		t.Fatalf("R in read-only mode resumed")
	}
	m = pressSettle(t, m, "esc", "h", "b", "R")
	if m.Screen() != ScreenHistory || m.wiz != nil || m.live != nil {
		t.Fatalf("b or R in read-only history did something: screen %v", m.Screen())
	}
	lines := strings.Split(strings.TrimRight(screen(m), "\n"), "\n")
	if bar := lines[len(lines)-1]; strings.Contains(bar, "roll back") || strings.Contains(bar, "resume") {
		t.Fatalf("read-only history offers mutating keys:\n%s", screen(m))
	}
	if status := lines[len(lines)-2]; !strings.Contains(status, "read-only mode: resume is off") {
		t.Fatalf("R in read-only history said nothing:\n%s", screen(m))
	}
}

func TestAbortAsksThenSteersTheRun(t *testing.T) {
	plan := webPlan(t)
	for _, tc := range []struct {
		answer []string
		want   string
	}{{[]string{"down", "enter"}, "abort+rollback"}, {[]string{"down", "down", "enter"}, "abort"}, {[]string{"esc"}, ""},
		{[]string{"enter"}, ""}} {
		m, run := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
		m = pressSettle(t, m, "A")
		if !asking(m) {
			t.Fatalf("A did not ask how to abort")
		}
		m = pressSettle(t, m, tc.answer...)
		if asking(m) || strings.Join(run.steer, ",") != tc.want {
			t.Fatalf("answer %q steered %v, want %q", tc.answer, run.steer, tc.want)
		}
	}
}

func TestPauseResumeAndContinue(t *testing.T) {
	plan := webPlan(t)
	m, run := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	m = pressSettle(t, m, "p")
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.StateChanged{At: fixedNow, State: actions.StatePaused}})
	if !strings.Contains(screen(m), "⏸ paused") {
		t.Fatalf("a paused rollout does not say so:\n%s", screen(m))
	}
	m = pressSettle(t, m, "p")
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.CheckpointReached{At: fixedNow, Wave: 1, Next: 2, Mode: "manual"}})
	if !strings.Contains(screen(m), "press c to go on with wave 3") {
		t.Fatalf("a checkpoint does not say how to go on:\n%s", screen(m))
	}
	pressSettle(t, m, "c")
	if want := []string{"pause", "resume", "continue"}; !slices.Equal(run.steer, want) {
		t.Fatalf("p, p, c steered %v, want %v", run.steer, want)
	}
}

func TestAContinueThatNothingWaitsForSaysWhy(t *testing.T) {
	plan := webPlan(t)
	m, run := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	run.refuse = fmt.Errorf("%w: the rollout is running and waits for nobody", actions.ErrNothingToContinue)
	m = pressSettle(t, m, "c")
	if !strings.Contains(screen(m), "nothing to continue") {
		t.Fatalf("a refused continue is not shown:\n%s", screen(m))
	}
}

func TestLeavingTheLiveViewKeepsTheRolloutInTheHeader(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	m = press(t, m, "esc")
	if m.Screen() != ScreenFleet || !strings.Contains(strings.SplitN(screen(m), "\n", 2)[0], "rollout 4/19") {
		t.Fatalf("the fleet view does not show the running rollout in its header:\n%s", screen(m))
	}
	m = press(t, m, "space", "s")
	if m.Screen() != ScreenFleet || !strings.Contains(screen(m), "a rollout is running") {
		t.Fatalf("staging a second rollout while one runs should be refused:\n%s", screen(m))
	}
	if m = press(t, m, "l"); m.Screen() != ScreenLive {
		t.Fatalf("l did not go back to the live view")
	}
}

func TestQuitWhileARolloutRunsAsksFirst(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	next, cmd := m.Update(keyMsg("q"))
	m = next.(Model)
	if cmd != nil || !quitting(m) || !strings.Contains(screen(m), "Quit anyway?") {
		t.Fatalf("q during a rollout should ask first:\n%s", screen(m))
	}
	m = press(t, m, "n")
	if quitting(m) {
		t.Fatalf("n did not cancel quitting")
	}
	m = press(t, m, "q")
	if _, cmd := m.Update(keyMsg("y")); cmd == nil || cmd() != tea.Quit() {
		t.Fatalf("y did not quit")
	}
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.Done{At: fixedNow, State: actions.StateDone, Replaced: 19}})
	m.dialogs.pop()
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Fatalf("q after the rollout ended should quit at once")
	}
}
