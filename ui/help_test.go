package ui

import (
	"strings"
	"testing"
)

// helpScreens build each screen (and focus) whose help is its own.
var helpScreens = []struct {
	name  string
	build func(t *testing.T) Model
}{
	{"fleet", func(t *testing.T) Model { return loaded(t, demoServers(t), 80, 24) }},
	{"details", func(t *testing.T) Model { return press(t, loaded(t, demoServers(t), 80, 24), "j", "j", "enter") }},
	{"matrix", func(t *testing.T) Model { return press(t, loaded(t, demoServers(t), 80, 24), "m") }},
	{"live", func(t *testing.T) Model {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
		return m
	}},
	{"history", func(t *testing.T) Model {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), 120, 40, inDir(dir)), "h")
	}},
	{"rollback", func(t *testing.T) Model {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), 80, 24, inDir(dir)), "h", "b")
	}},
}

// Each screen's help is its own: the fleet's legend and keys only on the fleet, and
// every key a help lists does something on that screen.
func TestEachScreensHelpListsKeysThatWorkThere(t *testing.T) {
	t.Parallel()
	for _, sc := range helpScreens {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			m := sc.build(t)
			page := m.active().help(m.common)
			help := screen(press(t, sc.build(t), "?"))
			fleetish := sc.name == "fleet" || sc.name == "details"
			if strings.Contains(help, "behind its role's newest") != fleetish {
				t.Fatalf("the %s help shows the fleet's legend: %v\n%s", sc.name, !fleetish, help)
			}
			if sc.name != "fleet" && strings.Contains(help, "select all") {
				t.Fatalf("the %s help lists the fleet's keys:\n%s", sc.name, help)
			}
			for _, g := range page.groups {
				for _, it := range g.items {
					for _, b := range it.bindings {
						if !b.Enabled() {
							continue
						}
						name := b.Keys()[len(b.Keys())-1]
						after := press(t, sc.build(t), name)
						if status := strings.Join(strings.Split(screen(after), "\n")[after.height-3:], " "); strings.Contains(status, "does nothing") {
							t.Errorf("the %s help lists %s (%s), which does nothing there", sc.name, name, it.desc)
						}
					}
				}
			}
		})
	}
}
