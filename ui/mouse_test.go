package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// The mouse is on unless turned off; the wheel scrolls the list and a click moves the
// cursor to the row clicked, or gives the keys to the pane clicked.
func TestTheWheelScrollsAndAClickMovesTheCursor(t *testing.T) {
	t.Parallel()
	m := loaded(t, demoServers(t), 120, 40)
	if mode := m.View().MouseMode; mode != tea.MouseModeCellMotion {
		t.Fatalf("the mouse is off by default (mode %v)", mode)
	}
	if mode := loaded(t, demoServers(t), 120, 40, func(d *Deps) { d.NoMouse = true }).View().MouseMode; mode != tea.MouseModeNone {
		t.Fatalf("NoMouse leaves the mouse on (mode %v)", mode)
	}
	d := drive(t, m, 80, 24)
	d.waitText("1–15 of 62")
	for range 4 {
		d.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown, X: 10, Y: 10})
	}
	d.waitText("1–15 of 62", "› ")
	if cur := d.read(func(m Model) string { return m.fleet.list.rows.At(m.fleet.list.cursor).key() }); cur == "role:edge" {
		t.Fatalf("the wheel did not move the cursor")
	}
	// The header, 4 spread lines, a blank line and the column header come before the rows.
	s := d.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 20, Y: 1 + 4 + 2 + 2}).screen()
	if got := d.read(func(m Model) string { r, _ := m.fleet.list.current(); return r.server.Name }); got != "edge-stg-fra1-04" {
		t.Fatalf("a click on the third row put the cursor on %q:\n%s", got, s)
	}
	d.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 20, Y: 1 + 4 + 2 + 2}).waitText("edge-stg-fra1-04", "tags")
}

// A click on the events gives them the keys (the tab of the live view).
func TestAClickPicksTheLivePane(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	d.waitText("▸ old")
	d.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 5, Y: 19}).waitText("▸ Events")
	d.send(tea.MouseClickMsg{Button: tea.MouseLeft, X: 5, Y: 8}).waitText("▸ old")
	if s := d.screen(); strings.Contains(s, "▸ Events") {
		t.Fatalf("both panes are marked:\n%s", s)
	}
}
