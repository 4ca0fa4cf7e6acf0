package ui

import (
	"strings"
	"testing"

	"github.com/molt-sh/molt/fleet"
)

// A plan refused by a guard is overridden only by typing the guard's word: ! alone, or
// ! and enter, or a wrong word, leave it refused; the word re-plans it allowing the
// guard, the stage says which servers trip it, and the confirmation says it overrides.
func TestAGuardIsOverriddenOnlyByTypingItsWord(t *testing.T) {
	t.Parallel()
	m, wd := stagedWeb(t, 120, 40)
	d := drive(t, m, 120, 40)
	d.keys("down", "down", "down", "down", "down", "enter").
		waitText("→ edge-1.2.0", "✗ another role's image: 21 servers (web-fra1-01", "! override the guard")
	d.keys("!").waitText("Override the guard on edge-1.2.0?", "Type edge to allow it")
	d.keys("enter").waitText(`✗ "" is not "edge": nothing overridden`)
	d.typeText("web").keys("enter").waitText(`✗ "web" is not "edge"`)
	d.keys("esc").waitText("✗ another role's image")
	if d.read(func(m Model) string { return yesNo(m.stage.strategy.AllowOtherRole) }) != "no" {
		t.Fatal("leaving the question allowed the other role's image")
	}
	d.keys("!").typeText("edge").keys("enter").waitText("! overridden, another role's image: 21 servers", "21 replacements")
	s := d.keys("enter").waitText("Type web to start", "overriding: another role's image (21 servers)")
	if strings.Contains(s, "✗ refused") {
		t.Fatalf("an overridden guard still refuses:\n%s", s)
	}
	if n := wd.engine.gathers.Load(); n != 1 {
		t.Fatalf("the override read the account again (%d reads), want a re-plan only", n)
	}
	// Another image takes the override back.
	d.keys("esc", "esc", "enter").waitText("→ edge-1.2.0", "✗ another role's image")
}

// A downgrade's word is "downgrade"; the override is never remembered for the role.
func TestADowngradeIsOverriddenByTypingDowngrade(t *testing.T) {
	t.Parallel()
	m, _ := stagedWeb(t, 80, 24)
	d := drive(t, m, 80, 24)
	d.keys("down", "down", "enter").waitText("→ web-1.5.0", "✗ a downgrade: 2 servers")
	d.keys("!").waitText("Type downgrade to allow it")
	d.typeText("downgrade").keys("enter").waitText("! overridden, a downgrade: 2 servers")
	d.keys("right").waitText("surge") // a change of strategy remembers it
	d.keys("esc", "esc")
	c := d.finalModel().common
	if st := c.strategyFor("web"); st.AllowDowngrade || st.AllowOtherRole {
		t.Fatalf("the override was remembered for the role: %+v", st)
	}
}

// ! with nothing refused says so and opens nothing.
func TestOverrideWithNothingRefusedSaysSo(t *testing.T) {
	t.Parallel()
	m, _ := stagedWeb(t, 80, 24)
	d := drive(t, m, 80, 24)
	d.keys("enter").waitText("19 replacements")
	d.keys("!").waitText("nothing to override: no guard refuses this plan")
}

// The drain is a setting on the stage screen: it starts at the cockpit's, → steps it,
// a typed 0 drains nothing, and the plan is made with it.
func TestTheDrainIsASettingOnTheStageScreen(t *testing.T) {
	t.Parallel()
	d, _ := strategyAt(t, "drain")
	d.waitText("› drain          ‹ 2ms ›", "how long an old droplet out of service runs on")
	d.keys("right").waitText("‹ 5s ›")
	planned := func(m Model) string {
		if m.stage.plan == nil || m.stage.busy() {
			return "-"
		}
		return m.stage.plan.Strategy.Drain.String()
	}
	d.waitFor("a plan draining 5s", func(string) bool { return d.read(planned) == "5s" })
	d.keys("e", "ctrl+u", "0", "enter").waitText("‹ 0s ›")
	d.waitFor("a plan draining nothing", func(string) bool { return d.read(planned) == "0s" })
}

// The image picker marks another role's images (!) and those older than what some
// selected servers run (↓), before the operator picks.
func TestThePickerMarksOtherRolesAndDowngrades(t *testing.T) {
	t.Parallel()
	m, _ := stagedWeb(t, 80, 24)
	s := screen(m)
	for _, want := range []string{"›   web-1.6.0 ", "  ↓ web-1.5.0 ", "  ! edge-1.2.0 ", "  ! worker-2.2.0 ",
		"! another role's  ↓ a downgrade (older than some run)  ? named for no role"} {
		if !strings.Contains(s, want) {
			t.Errorf("no %q in the picker:\n%s", want, s)
		}
	}
}

// Images are ranked the selection's roles' first, then other roles', then those whose
// name says no role (a snapshot named by hand), which are marked ?.
func TestThePickerPutsImagesOfNoRoleLastAndMarksThem(t *testing.T) {
	st := &stageScreen{roles: []string{"web"}}
	for _, tc := range []struct {
		v    fleet.Version
		rank int
		mark string
	}{
		{fleet.Version{Name: "web-1.6.0"}, 0, " "},
		{fleet.Version{Name: "golden", Tags: []string{"role:web"}}, 0, " "},
		{fleet.Version{Name: "edge-1.2.0"}, 1, "!"},
		{fleet.Version{Name: "bastion-nyc3 2026-11-29"}, 2, "?"},
	} {
		if r, m := st.rank(tc.v), st.imageMark(tc.v); r != tc.rank || m != tc.mark {
			t.Errorf("%s: rank %d, mark %q; want %d, %q", tc.v.Name, r, m, tc.rank, tc.mark)
		}
	}
}
