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
