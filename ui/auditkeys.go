package ui

import (
	"slices"

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
	ids := f.findingIDs(c, k, cur.role)
	if len(ids) == 0 {
		c.say("no server of %s is %s", orDash(cur.role), findingWords[k])
		return
	}
	on := !f.list.allSelected(ids)
	f.list.setSelected(ids, on)
	if !on {
		c.say("cleared %d %s in %s", len(ids), findingWords[k], cur.role)
		return
	}
	c.say("selected %d %s in %s · S: onto the image each runs", len(ids), findingWords[k], cur.role)
}

// findingIDs are the servers of role with a finding of kind k that the filter shows.
func (f *fleetScreen) findingIDs(c *common, k fleet.FindingKind, role string) []int {
	shown := f.list.visibleIDs()
	var out []int
	for _, fd := range c.audit.result.Findings {
		if fd.Kind == k && fd.Role == role && slices.Contains(shown, fd.Server.ID) {
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
	st.target, st.step = actions.CurrentImage, stepStrategy
	return a, st.gather(c)
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
