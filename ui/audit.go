package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/fleet"
)

// The immutability audit in the cockpit: after every fleet read the UI audits the
// spread in the background (Deps.Audit): first without probing, so that drift, age and
// pets show at once, then once more probing health, when a role has a health check. The
// rows carry a mark per finding, the spread a count per role, the details the why.

// auditState is the audit of the fleet shown: the last result, and the one running.
type auditState struct {
	result *fleet.Audit
	// gen is the generation of the newest audit started; older results are dropped.
	gen     int
	running bool
	probing bool
	// again asks for one more audit when the running one ends: a read ended meanwhile.
	again bool
	// unprobed says a probing audit probed nothing: no role has a health check, so
	// later audits do not try.
	unprobed bool
	err      error
}

// auditMsg ends the audit of generation gen.
type auditMsg struct {
	gen   int
	probe bool
	audit *fleet.Audit
	err   error
}

// startAudit audits the spread shown in the background, or once more after the audit
// running (which may have begun before the read).
func (c *common) startAudit() tea.Cmd {
	if c.deps.Audit == nil || c.spread == nil {
		return nil
	}
	if c.audit.running {
		c.audit.again = true
		return nil
	}
	return c.runAudit(false)
}

func (c *common) runAudit(probe bool) tea.Cmd {
	c.audit.gen++
	c.audit.running, c.audit.probing = true, probe
	gen, sp, ctx, run := c.audit.gen, c.spread, c.deps.Context, c.deps.Audit
	return func() tea.Msg { return auditOf(ctx, run, gen, sp, probe) }
}

func auditOf(ctx context.Context, run func(context.Context, *fleet.Spread, bool) (*fleet.Audit, error), gen int, sp *fleet.Spread, probe bool) auditMsg {
	a, err := run(ctx, sp, probe)
	return auditMsg{gen: gen, probe: probe, audit: a, err: err}
}

// onAudit keeps an audit's result (a failed one keeps the last result and says why in
// the status line's note), then starts what follows: the audit asked for meanwhile, or
// the probe.
func (c *common) onAudit(msg auditMsg) tea.Cmd {
	if msg.gen != c.audit.gen {
		return nil
	}
	c.audit.running, c.audit.err = false, msg.err
	if msg.err == nil && msg.audit != nil {
		c.audit.result = msg.audit
		if msg.probe && !msg.audit.Probed {
			c.audit.unprobed = true
		}
	}
	switch {
	case c.audit.again:
		c.audit.again = false
		return c.runAudit(false)
	case msg.err == nil && !msg.probe && !c.audit.unprobed:
		return c.runAudit(true)
	}
	return nil
}

// findingGlyphs mark a server's findings, one cell each, in fleet.FindingKinds' order.
var findingGlyphs = map[fleet.FindingKind]string{
	fleet.OverMaxAge: "◷", fleet.Drifted: "±", fleet.Pet: "♥", fleet.Unhealthy: "✗",
}

// findingWords name the findings as the legend, the counts and the details say them.
var findingWords = map[fleet.FindingKind]string{
	fleet.OverMaxAge: "past max age", fleet.Drifted: "drifted", fleet.Pet: "pet", fleet.Unhealthy: "unhealthy",
}

// auditLegend explains the findings' marks (the fleet help's legend).
const auditLegend = "◷ past its role's max age  ± drifted (changed in place)  ♥ pet  ✗ unhealthy"

// findingKinds are the kinds the audit found on some server: the columns of the rows'
// marks (none: no column).
func (c *common) findingKinds() []fleet.FindingKind {
	a := c.audit.result
	if a == nil {
		return nil
	}
	var out []fleet.FindingKind
	for _, k := range fleet.FindingKinds {
		if a.Count(k) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// findingMarks is a server row's marks: a cell per kind found in the fleet, its glyph
// when the server has that finding.
func (c *common) findingMarks(id int, kinds []fleet.FindingKind) string {
	if len(kinds) == 0 {
		return ""
	}
	var b strings.Builder
	for _, k := range kinds {
		if c.audit.result.Has(id, k) {
			b.WriteString(c.findingStyle(k).Render(findingGlyphs[k]))
		} else {
			b.WriteString(" ")
		}
	}
	return " " + b.String()
}

func (c *common) findingStyle(k fleet.FindingKind) lipgloss.Style {
	switch k {
	case fleet.Unhealthy:
		return c.styles.Danger
	case fleet.Pet:
		return c.styles.Accent
	}
	return c.styles.Warn
}

// roleFindings counts a role's findings for the spread line: "◷3 ±2 ♥1" (empty: none,
// or no audit yet).
func (c *common) roleFindings(role string) string {
	a := c.audit.result
	if a == nil {
		return ""
	}
	ra := a.Role(role)
	var parts []string
	for _, kc := range []struct {
		k fleet.FindingKind
		n int
	}{{fleet.OverMaxAge, ra.OverMaxAge}, {fleet.Drifted, ra.Drifted}, {fleet.Pet, ra.Pets}, {fleet.Unhealthy, ra.Unhealthy}} {
		if kc.n > 0 {
			parts = append(parts, c.findingStyle(kc.k).Render(fmt.Sprintf("%s%d", findingGlyphs[kc.k], kc.n)))
		}
	}
	return strings.Join(parts, " ")
}

// auditNote is the fleet screen's standing note about the audit: running, failed, or
// how far back drift is known.
func (c *common) auditNote() string {
	s, st := c.styles, c.audit
	switch {
	case c.deps.Audit == nil:
		return ""
	case st.result == nil && st.err == nil:
		return s.Muted.Render("◌ audit: reading the action feed for drift…")
	case st.err != nil:
		return s.Danger.Render("✗ audit failed: ") + st.err.Error()
	}
	note := "audit: drift " + driftReach(st.result)
	if st.running && st.probing {
		note += " · probing health…"
	}
	return s.Muted.Render(note)
}

// driftReach says how far back drift is known, briefly.
func driftReach(a *fleet.Audit) string {
	switch {
	case a.Options.Drift == nil:
		return "not read"
	case a.Options.Drift.Complete:
		return "from the whole action feed"
	}
	return "since " + a.DriftFrom.UTC().Format(time.DateOnly) + ", older changes unseen"
}

// serverAudit is the details pane's lines of a server's audit: its age against its
// role's maximum, what changed in place and when, why it is a pet, its health.
func (c *common) serverAudit(srv fleet.Server, role string, width int) []string {
	a, s := c.audit.result, c.styles
	if a == nil {
		return nil
	}
	lines := c.fieldLines("age", c.ageWords(srv, role), width)
	drift, pet := "none "+driftSince(a), ""
	for _, f := range a.Of(srv.ID) {
		switch f.Kind {
		case fleet.Drifted:
			drift = s.Warn.Render("± changed in place: " + fleet.DescribeChanges(f.Changes))
		case fleet.Pet:
			pet = s.Accent.Render("♥ " + f.Detail)
		}
	}
	if a.Options.Drift != nil {
		lines = append(lines, c.fieldLines("drift", drift, width)...)
	}
	if pet != "" {
		lines = append(lines, c.fieldLines("pet", pet, width)...)
	}
	if _, ok := a.Options.Health[srv.ID]; ok {
		lines = append(lines, c.fieldLines("health", c.healthWords(a.HealthOf(srv.ID)), width)...)
	} else if a.Probed {
		lines = append(lines, c.field("health", s.Muted.Render("not checked: "+role+" has no health check")))
	}
	return lines
}

// ageWords is a server's age against its role's maximum lifetime.
func (c *common) ageWords(srv fleet.Server, role string) string {
	a := c.audit.result
	age := fmt.Sprintf("%dd old", srv.AgeDays(a.At))
	switch limit := a.Options.MaxAgeOf(role); {
	case srv.CreatedAt.IsZero():
		return "unknown"
	case a.Has(srv.ID, fleet.OverMaxAge):
		return c.styles.Warn.Render(fmt.Sprintf("◷ %s, past max %s since %s", age, fleet.FormatAge(limit),
			srv.CreatedAt.Add(limit).UTC().Format(time.DateOnly)))
	case limit > 0:
		return age + ", max " + fleet.FormatAge(limit)
	}
	return age + ", no max age"
}

// healthWords is a server's health as last probed.
func (c *common) healthWords(h fleet.Health) string {
	s := c.styles
	text := map[fleet.HealthState]string{fleet.HealthHealthy: s.OK.Render("✓ healthy"),
		fleet.HealthUnhealthy: s.Danger.Render("✗ unhealthy")}[h.State]
	if text == "" {
		text = s.Muted.Render("? unknown")
	}
	if h.Detail != "" {
		text += ": " + h.Detail
	}
	if !h.At.IsZero() {
		text += s.Muted.Render(" (" + h.At.Format("15:04:05") + ")")
	}
	return text
}

// driftSince says since when drift is known, for "none since …".
func driftSince(a *fleet.Audit) string {
	if a.Options.Drift != nil && a.Options.Drift.Complete {
		return "in the whole action feed"
	}
	return "since " + a.DriftFrom.UTC().Format(time.DateOnly)
}

// roleAudit is the details pane's lines of a role's audit: its findings counted, its
// maximum age, and how far back drift is known.
func (c *common) roleAudit(role string, width int) []string {
	a := c.audit.result
	if a == nil {
		return nil
	}
	ra := a.Role(role)
	maxAge := "none"
	if ra.MaxAge > 0 {
		maxAge = fleet.FormatAge(ra.MaxAge)
	}
	lines := []string{c.field("max age", maxAge)}
	counts := c.roleFindings(role)
	if counts == "" {
		counts = c.styles.OK.Render("✓ none")
	} else {
		counts += c.styles.Muted.Render(" (? explains)")
	}
	lines = append(lines, c.field("findings", counts))
	return append(lines, c.fieldLines("drift", "known "+driftReach(a), width)...)
}

// releaseHealth is the details pane's line of a version's servers' health, when probed.
func (c *common) releaseHealth(rel *fleet.Release) []string {
	a := c.audit.result
	if a == nil || !a.Probed {
		return nil
	}
	h := a.ReleaseHealth(rel.Key)
	return []string{c.field("health", fmt.Sprintf("%d healthy · %d unhealthy · %d unknown", h.Healthy, h.Unhealthy, h.Unknown))}
}
