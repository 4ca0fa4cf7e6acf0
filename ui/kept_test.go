package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// Old droplets a finished rollout keeps (off, still tagged with it, their role tag gone
// with a tag-based load balancer) show under their role as kept (off) with the keep
// time left, out of the spread, and not as in a rollout.
func TestKeptDropletsShowUnderTheirRoleWithTheTimeLeft(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	plan.Strategy.Retire = actions.Retire{Mode: "keep", TTL: actions.Duration(24 * time.Hour)}
	dir := t.TempDir()
	writeJournal(t, dir, plan, false)
	kept := map[int]bool{}
	for _, r := range plan.Replacements()[:3] {
		kept[r.Old.ID] = true
	}
	servers := demoServers(t)
	for i, s := range servers {
		if kept[s.ID] {
			servers[i].Status = "off"
			servers[i].Tags = append(slices.DeleteFunc(slices.Clone(s.Tags), func(t string) bool { return t == "role:web" }),
				actions.RolloutTag(fixedID))
		}
	}
	d := drive(t, loaded(t, servers, 120, 40, inDir(dir)), 120, 40)
	d.waitText("3 kept (off)")
	typeFilter(d, "role:web")
	s := d.waitText("kept (off)  3 servers · rollout " + fixedID + " · 23h left")
	if strings.Contains(s, fleet.NoRole) || strings.Contains(s, "⟳") {
		t.Fatalf("kept droplets show without their role, or as in a rollout:\n%s", s)
	}
	if !strings.Contains(s, "○ web-fra1-01") {
		t.Fatalf("a kept droplet's row is not marked off:\n%s", s)
	}
	web := d.read(func(m Model) string { return strings.Join(strings.Fields(screen(m)), " ") })
	if !strings.Contains(web, "18 servers") {
		t.Fatalf("the web role should count its 18 servers in service, not the kept ones:\n%s", s)
	}
	bars := strings.Split(s, "\n")[1:4]
	for _, b := range bars {
		if got, want := len([]rune(strings.Fields(b)[1])), len([]rune(strings.Fields(bars[0])[1])); got != want {
			t.Fatalf("the roles' bars differ in width:\n%s", strings.Join(bars, "\n"))
		}
	}
	d.keys("G").waitText("kept     off, by rollout", "23h")
	d.keys("space").waitText("kept droplets are not replaced")
}

// Right after the run followed here ends, its kept droplets go under their role from
// its plan, before the journal is read again.
func TestKeptDropletsOfTheRunJustEndedKeepTheirRole(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	plan.Strategy.Retire = actions.Retire{Mode: "keep", TTL: actions.Duration(time.Hour)}
	m, _ := liveAt(t, loaded(t, demoServers(t), 120, 40), plan, midRollout(plan))
	m = send(t, m, runEventMsg{id: fixedID, ev: actions.Done{At: fixedNow, State: actions.StateAborted, Replaced: 4}})
	servers := demoServers(t)
	old := plan.Replacements()[0].Old.ID
	for i, s := range servers {
		if s.ID == old {
			servers[i].Status = "off"
			servers[i].Tags = []string{actions.RolloutTag(fixedID)}
		}
	}
	m = send(t, m, fleetLoadedMsg{gen: m.load.gen, servers: servers})
	m = press(t, m, "esc", "/", "r", "o", "l", "e", ":", "w", "e", "b", "enter")
	if s := screen(m); !strings.Contains(s, "1 kept (off)") || !strings.Contains(s, "· 1h left") {
		t.Fatalf("the kept droplet of the run just ended is not under web with its time left:\n%s", s)
	}
}
