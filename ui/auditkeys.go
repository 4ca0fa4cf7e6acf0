package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// auditKey handles the audit's keys on the fleet list: select a finding's servers in
// the role under the cursor, and stage the selection onto the image each runs. ok is
// false for other keys.
func (f *fleetScreen) auditKey(c *common, msg tea.KeyPressMsg) (a action, cmd tea.Cmd, ok bool) {
	k := c.keys
	switch {
	case key.Matches(msg, k.SelectDrifted):
		f.selectFinding(c, fleet.Drifted)
	case key.Matches(msg, k.SelectOld):
		f.selectFinding(c, fleet.OverMaxAge)
	case key.Matches(msg, k.SelectUnhealthy):
		f.selectFinding(c, fleet.Unhealthy)
	case key.Matches(msg, k.StageSame):
		a, cmd = f.stageSame(c)
	default:
		return nil, nil, false
	}
	return a, cmd, true
}

// selectFinding selects the servers with a finding of kind k in the role under the
// cursor, those the filter shows; when all of them were selected already, it clears
// them instead.
func (f *fleetScreen) selectFinding(c *common, k fleet.FindingKind) {
	cur, _ := f.list.current()
	switch {
	case c.deps.Audit == nil:
		c.warn("no audit in this session: nothing says which servers are %s", findingWords[k])
		return
	case c.audit.result == nil:
		c.warn("the audit has not finished yet: the status line says how it goes")
		return
	case k == fleet.Unhealthy && !c.audit.result.Probed:
		c.warn("health is not probed: no role has a health check in the config file (health: {web: http:8080/healthz})")
		return
	}
	role, where := cur.role, cur.role
	var scope map[int]bool // the pets section's servers, on one of its rows
	if cur.pet {
		where = "the pets of " + petRole(cur.role)
		if cur.kind == rowRole {
			role, where = "", "the pets" // the pets section spans roles
		}
		scope = map[int]bool{}
		if i := f.list.rows.header("role:" + petsKey); i >= 0 {
			for _, id := range f.list.rows.At(i).ids() {
				scope[id] = true
			}
		}
	}
	ids := f.findingIDs(c, k, role, scope)
	if len(ids) == 0 {
		c.say("no server of %s is %s", orDash(where), findingWords[k])
		return
	}
	on := !f.list.allSelected(ids)
	f.list.setSelected(ids, on)
	if !on {
		c.say("cleared %d %s in %s", len(ids), findingWords[k], where)
		return
	}
	c.say("selected %d %s in %s · S: onto their own image", len(ids), findingWords[k], where)
}

// findingIDs are the servers of role ("": of every role), and of scope when it is set,
// with a finding of kind k that the filter shows.
func (f *fleetScreen) findingIDs(c *common, k fleet.FindingKind, role string, scope map[int]bool) []int {
	shown := f.list.visibleIDs()
	var out []int
	for _, fd := range c.audit.result.Findings {
		if fd.Kind == k && (role == "" || fd.Role == role) && (scope == nil || scope[fd.Server.ID]) &&
			slices.Contains(shown, fd.Server.ID) {
			out = append(out, fd.Server.ID)
		}
	}
	return out
}

// stageSame stages the selection (or what is under the cursor) onto the image each
// server runs: a fresh droplet from its own image, for drifted, old or unhealthy ones.
// The plan is made at once, as no image is to be picked.
func (f *fleetScreen) stageSame(c *common) (action, tea.Cmd) {
	a := f.stage(c)
	sh, ok := a.(show)
	if !ok {
		return a, nil
	}
	st := sh.with.(*stageScreen)
	st.target, st.step, st.picked = actions.CurrentImage, stepStrategy, c.pickedBy(st.servers)
	return a, st.gather(c)
}

// pickedBy says which of the audit's findings make each server one to replace onto its
// own image (past max age, drifted, unhealthy), as molt apply's rules say it; nil when
// none does.
func (c *common) pickedBy(servers []fleet.Server) map[int]string {
	a := c.audit.result
	if a == nil {
		return nil
	}
	out := map[int]string{}
	for _, srv := range servers {
		var why []string
		for _, f := range a.Of(srv.ID) {
			if f.Kind != fleet.Pet {
				why = append(why, findingWords[f.Kind]+": "+f.Detail)
			}
		}
		if len(why) > 0 {
			out[srv.ID] = strings.Join(why, "; ")
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// sameImageLines say that a plan puts each server onto the image it runs, and what the
// audit found on the servers it replaces.
func sameImageLines(c *common, p *actions.Plan, width int) []string {
	if !p.SameImage {
		return nil
	}
	line := "onto the image each runs"
	counts := map[string]int{}
	for _, r := range p.Replacements() {
		for _, why := range strings.Split(r.Picked, "; ") {
			if kind, _, ok := strings.Cut(why, ":"); ok {
				counts[kind]++
			}
		}
	}
	var parts []string
	for _, k := range fleet.FindingKinds {
		if n := counts[findingWords[k]]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, findingWords[k]))
		}
	}
	if len(parts) > 0 {
		line += " · the audit found " + strings.Join(parts, ", ")
	}
	return wrap(c.styles.Accent.Render(line), width)
}

// auditHelp is the help's column of the audit's keys (none without an audit).
func (c *common) auditHelp() helpGroup {
	if c.deps.Audit == nil {
		return helpGroup{title: "Audit"}
	}
	k := c.keys
	return helpGroup{"Audit", []helpItem{item(withHelp(k.SelectDrifted, "select the drifted here")),
		item(withHelp(k.SelectOld, "select those past max age")), item(withHelp(k.SelectUnhealthy, "select the unhealthy")),
		item(withHelp(k.StageSame, "stage onto the image each runs"))}}
}

// fleetLegend is the fleet list's legend, with the audit's marks when there is an audit.
func (c *common) fleetLegend() string {
	if c.deps.Audit == nil {
		return fleetLegend
	}
	return fleetLegend + "\n" + auditLegend + " (per role in the spread)"
}
