package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// waitFor waits until the screen, as the model draws it, shows every one of texts.
func waitFor(t *testing.T, tm *driver, texts ...string) {
	t.Helper()
	tm.waitText(texts...)
}

func keys(tm *driver, ks ...string) { tm.keys(ks...) }

// stageWeb filters the fleet to the web role, selects it, and stages it onto the image
// listed at position pick (0: web-1.6.0, 1: web-1.6.0-broken), surge 10, then presses
// extra (strategy keys) before confirming.
func stageWeb(t *testing.T, tm *driver, pick int, extra ...string) {
	t.Helper()
	waitFor(t, tm, "newest 1.2.0")
	keys(tm, "/")
	tm.typeText("role:web")
	keys(tm, "enter", "g", "space", "s")
	waitFor(t, tm, "Pick the image", "web-1.6.0-broken") // the images, not only the header
	for range pick {
		keys(tm, "down")
	}
	keys(tm, "enter")
	for range 9 {
		keys(tm, "+")
	}
	waitFor(t, tm, []string{"in 2 waves", "in 3 waves"}[pick])
	keys(tm, extra...)
	keys(tm, "enter")
	waitFor(t, tm, "to start")
	tm.typeText("web")
	keys(tm, "enter")
}

func finalModel(t *testing.T, tm *driver) Model {
	t.Helper()
	return tm.finalModel()
}

func TestFlowRolloutOfWebChangesTheSpread(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := drive(t, New(w.deps), 80, 24)
	stageWeb(t, tm, 0)
	waitFor(t, tm, "finished: done")
	keys(tm, "esc")
	waitFor(t, tm, "21 servers ✓ current")
	m := finalModel(t, tm)
	if m.live.done == nil || m.live.done.State != actions.StateDone || m.live.done.Replaced != 19 {
		t.Fatalf("the rollout did not finish with 19 replaced: %+v", m.live.done)
	}
	for _, rs := range m.Spread().Roles {
		if rs.Role == "web" && (len(rs.Releases) != 1 || rs.Releases[0].Label != "web-1.6.0") {
			t.Fatalf("after the rollout web runs %d versions, want only web-1.6.0", len(rs.Releases))
		}
	}
	if !strings.Contains(screen(m), "web      ") {
		t.Fatalf("the fleet view is not back:\n%s", screen(m))
	}
}

func TestFlowBrokenImageRollsBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// web-1.6.0-broken is a pre-release of 1.6.0, which two web servers run: a downgrade
	// the strategy must allow.
	w.deps.Strategy.AllowDowngrade = true
	tm := drive(t, New(w.deps), 120, 40)
	stageWeb(t, tm, 1)
	waitFor(t, tm, "finished: rolled back")
	keys(tm, "esc")
	waitFor(t, tm, "1.5.0 12 57%")
	m := finalModel(t, tm)
	if m.live.done.State != actions.StateRolledBack || m.live.done.Replaced != 0 {
		t.Fatalf("the broken image should roll back with nothing replaced: %+v", m.live.done)
	}
	if log := strings.Join(logTexts(m.live), "\n"); !strings.Contains(log, ": ✗ ") {
		t.Fatalf("the event log does not show the failing health probes:\n%s", log)
	}
	for _, rel := range m.Spread().Releases {
		if rel.Label == "web-1.6.0-broken" {
			t.Fatalf("%d servers still run the broken image after the rollback", rel.Count)
		}
	}
}

func TestFlowRollbackWizardPutsTheFleetBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tm := drive(t, New(w.deps), 80, 24)
	stageWeb(t, tm, 0, append(slices.Repeat([]string{"down"}, knobNamed("retire old")), "right")...) // retire: keep
	waitFor(t, tm, "finished: done")
	keys(tm, "h")
	waitFor(t, tm, "b roll back")
	keys(tm, "b")
	waitFor(t, tm, "Fast path for all")
	keys(tm, "enter")
	tm.typeText("web")
	keys(tm, "enter")
	waitFor(t, tm, "finished: rolled back")
	keys(tm, "esc")
	waitFor(t, tm, "19 behind")
	m := finalModel(t, tm)
	if m.live.kind != "rollback" || m.live.done.State != actions.StateRolledBack {
		t.Fatalf("the wizard's run is a %s that ended %+v", m.live.kind, m.live.done)
	}
	if over, total := m.live.progress(); over != 19 || total != 19 {
		t.Fatalf("the rollback view counts %d of %d back, want 19 of 19", over, total)
	}
	for _, rs := range m.Spread().Roles {
		if rs.Role == "web" && (len(rs.Releases) != 4 || rs.Newest.Label != "web-1.6.0" || rs.Stragglers != 19) {
			t.Fatalf("after the rollback web should be as before: %d versions, %d behind", len(rs.Releases), rs.Stragglers)
		}
	}
}

func logTexts(l *live) []string {
	out := make([]string, len(l.log))
	for i, e := range l.log {
		out[i] = e.text
	}
	return out
}
