package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// A paused rollout's replacements in flight stop counting time while it is paused.
func TestAPausedRolloutsClocksStop(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	row := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "web-fra1-07") {
				return l
			}
		}
		return ""
	}
	if r := row(d.waitText("web-fra1-07")); !strings.HasSuffix(strings.TrimSpace(r), "35s") {
		t.Fatalf("before the pause the row reads %q, want 35s", r)
	}
	// Paused 20s ago, 15s after the second wave began (fixedNow is now).
	d.send(runEventMsg{id: fixedID, ev: actions.StateChanged{At: fixedNow.Add(-20 * time.Second), State: actions.StatePaused}})
	if r := row(d.waitText("⏸ paused")); !strings.HasSuffix(strings.TrimSpace(r), "15s") {
		t.Fatalf("paused, the row reads %q, want 15s: the 20s paused do not count", r)
	}
}

// At 200 columns the details sit next to the list, and the bars use the room.
func TestAWideWindowUsesItsRoom(t *testing.T) {
	t.Parallel()
	d := drive(t, loaded(t, demoServers(t), 200, 60), 200, 60)
	s := d.waitText("newest 1.2.0")
	lines := strings.Split(s, "\n")
	if i := strings.Index(lines[8], "│"); i < 0 || len([]rune(lines[8][:i])) > 100 {
		t.Fatalf("the details pane is pinned to the right (rule at %d):\n%s", i, lines[8])
	}
	if bar := strings.Fields(lines[1])[1]; len([]rune(bar)) <= 44 {
		t.Fatalf("at 200 columns the bars stay %d cells wide:\n%s", len([]rune(bar)), lines[1])
	}
}

// The fourth and fifth versions' colours are neither the warning's nor the danger's.
func TestOldVersionsDoNotTakeTheWarningColours(t *testing.T) {
	t.Parallel()
	for _, dark := range []bool{true, false} {
		s := NewStyles(dark)
		for rank := range len(s.Versions) {
			fg := s.VersionStyle(rank).GetForeground()
			if fg == s.Warn.GetForeground() || fg == s.Danger.GetForeground() {
				t.Errorf("dark=%v: version %d is drawn in the warning or danger colour", dark, rank+1)
			}
		}
	}
}
