package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// lastLines is the status line and the key bar of a screen.
func lastLines(m Model) (status, bar string) {
	lines := strings.Split(strings.TrimRight(screen(m), "\n"), "\n")
	return lines[len(lines)-2], lines[len(lines)-1]
}

func TestKeyBarShowsTheAnswersOfAnOpenQuestion(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	m = press(t, m, "A")
	if _, bar := lastLines(m); bar != "↑↓ choose  enter do it  esc keep going" {
		t.Fatalf("the abort question's key bar is %q", bar)
	}
	m = press(t, m, "esc", "q")
	if _, bar := lastLines(m); bar != "y quit  n stay" {
		t.Fatalf("the quit question's key bar is %q", bar)
	}
}

func TestContinueIsOfferedOnlyAtACheckpoint(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	if _, bar := lastLines(m); strings.Contains(bar, "continue") {
		t.Fatalf("continue offered while nothing waits: %q", bar)
	}
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.CheckpointReached{At: fixedNow, Wave: 1, Next: 2}})
	if _, bar := lastLines(m); !strings.HasPrefix(bar, "c continue") {
		t.Fatalf("continue not offered at a checkpoint: %q", bar)
	}
}

func TestAnAskedRefreshSaysWhenItIsDone(t *testing.T) {
	servers := demoServers(t)
	m := press(t, loaded(t, servers, 80, 24), "r")
	if status, _ := lastLines(m); !strings.Contains(status, "refreshing the fleet") {
		t.Fatalf("r does not say it refreshes: %q", status)
	}
	m = send(t, m, fleetLoadedMsg{gen: m.load.gen, servers: servers})
	if status, _ := lastLines(m); strings.Contains(status, "refreshing") || !strings.Contains(status, "read 48 servers") {
		t.Fatalf("after the refresh the status line says %q", status)
	}
}

func TestReadOnlySaysWhyStageDoesNothing(t *testing.T) {
	m := press(t, loaded(t, demoServers(t), 80, 24, func(d *Deps) { d.Readonly = true }), "s")
	if status, _ := lastLines(m); m.Screen() != ScreenFleet || !strings.Contains(status, "read-only mode: stage is off") {
		t.Fatalf("s in read-only mode: screen %v, status %q", m.Screen(), status)
	}
}

func TestDoneWordsSayEachThingOnce(t *testing.T) {
	for _, tc := range []struct {
		e    actions.Done
		want string
	}{
		{actions.Done{State: actions.StateDone, Replaced: 12}, "finished: done · 12 replaced"},
		{actions.Done{State: actions.StateAborted, Replaced: 3, Err: "aborted"}, "finished: aborted · 3 replaced"},
		{actions.Done{State: actions.StateRolledBack, RolledBack: 3, Err: "rolled back: rollback requested"},
			"finished: rolled back · 3 back on the old image · rollback requested"},
		{actions.Done{State: actions.StateRolledBack, Failed: 1, Err: "rolled back: 1 failed, more than --max-failures 0"},
			"finished: rolled back · 1 failed, more than --max-failures 0"},
	} {
		if got := doneWords(tc.e); got != tc.want {
			t.Errorf("doneWords(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestAnEndedRunCountsHowItLeftEachReplacement(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.Done{At: fixedNow.Add(time.Second), State: actions.StateAborted, Replaced: 4}})
	for i, sl := range m.live.status.Slots {
		if sl.Phase != actions.PhaseDone {
			m.live.status.Slots[i].Phase = actions.PhaseCancelled
		}
	}
	if got := liveProgress(m.common, 80); !strings.Contains(got, "4 replaced · 15 cancelled") || strings.Contains(got, "finished") {
		t.Fatalf("the progress line of an aborted run reads %q", got)
	}
}

func TestShortPathCutsUUIDs(t *testing.T) {
	got := shortPath("/v2/load_balancers/4de7ac8b-495b-4884-9a69-1050c6793c01/droplets")
	if got != "/v2/load_balancers/4de7ac8b…/droplets" {
		t.Fatalf("shortPath = %q", got)
	}
	if got := shortPath("/v2/tags/molt:20261127-011803-0688/resources"); got != "/v2/tags/molt:20261127-011803-0688/resources" {
		t.Fatalf("a rollout tag was cut: %q", got)
	}
}

func TestTheStatusLineCountsSelectedServersTheFilterHides(t *testing.T) {
	m := press(t, loaded(t, demoServers(t), 80, 24), "j", "j", "space", "/", "w", "e", "b", "enter")
	if status, _ := lastLines(m); !strings.Contains(status, "✓ 1 selected (1 hidden)") {
		t.Fatalf("a selected server hidden by the filter is not said: %q", status)
	}
}

func TestEnterWithoutAPlanSaysWhy(t *testing.T) {
	m, _ := stagedWeb(t, 80, 24)
	m = pressSettle(t, m, "enter")
	m.stage.plan, m.stage.planErr = nil, errIdle
	if _, bar := lastLines(m); strings.Contains(bar, "confirm") {
		t.Fatalf("confirm offered without a plan: %q", bar)
	}
	m = press(t, m, "enter")
	if status, _ := lastLines(m); confirming(m) || !strings.Contains(status, "nothing to start") {
		t.Fatalf("enter without a plan: confirming %v, status %q", confirming(m), status)
	}
}

func TestTheHeaderDropsTheDemoWordsBeforeCuttingTheRunBadge(t *testing.T) {
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	m.live.status.State = actions.StateRollingBack
	head := strings.SplitN(screen(m), "\n", 2)[0]
	if !strings.Contains(head, "↶ rolling back 4/19 ") {
		t.Fatalf("the header cuts the run badge: %q", head)
	}
}
