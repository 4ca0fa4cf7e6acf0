package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// trendTitleRows are the lines above the roles: the title and window, what the history
// holds, a blank line.
const trendTitleRows = 3

// trendAxis is the width of the share axis left of each chart: "100%┤".
const trendAxis = 5

// chartRows is a chart's height in a body of height lines: a third of a short body,
// which pages the roles one at a time; a fifth of a taller one, which shows several.
func chartRows(height int) int {
	if height < 30 {
		return clampInt(height/3, 4, 10)
	}
	return clampInt(height/5, 4, 10)
}

// trendBlockRows is the lines one role takes: its name, the chart, the rollout and time
// lines, the versions under a header, its rollouts, and a blank line.
func trendBlockRows(height, versions, rollouts int) int {
	return 1 + chartRows(height) + 2 + 1 + versions + rollouts + 1
}

// view draws the window picker and as many roles from the first shown as fit.
func (t *trendScreen) view(c *common, width, height int) []string {
	lines := t.title(c, width, height)
	switch {
	case c.deps.History == nil:
		return append(lines, c.styles.Muted.Render("This cockpit keeps no spread history."))
	case t.trend == nil && t.err != nil:
		return append(lines, c.styles.Danger.Render(fit("✗ "+t.err.Error(), width)))
	case t.trend == nil:
		return append(lines, c.styles.Muted.Render("Reading the spread history…"))
	case len(t.trend.Roles) == 0:
		return append(lines, c.styles.Muted.Render(fit("No servers in this window yet.", width)))
	}
	marks := t.marks(c)
	for _, role := range t.roles()[t.first:] {
		block := t.roleBlock(c, role, marks, width, height)
		if len(lines) > trendTitleRows && len(lines)+len(block)-1 > height {
			break
		}
		lines = append(lines, block...)
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines[:min(len(lines), height)]
}

// shown is how many roles the view draws from the first shown.
func (t *trendScreen) shown(c *common, height int) int {
	used, n := trendTitleRows, 0
	marks := t.marks(c)
	for _, role := range t.roles()[t.first:] {
		rows := trendBlockRows(height, len(t.versions(role)), len(marks.of(role))) - 1
		if n > 0 && used+rows > height {
			break
		}
		used, n = used+rows+1, n+1
	}
	return n
}

// title is the screen's name with the windows offered (the one shown bracketed), which
// roles are shown, and what the history holds.
func (t *trendScreen) title(c *common, width, height int) []string {
	s := c.styles
	var picker []string
	for i, d := range trendWindows {
		if i == t.window {
			picker = append(picker, s.Accent.Render("["+windowName(d)+"]"))
		} else {
			picker = append(picker, s.Muted.Render(" "+windowName(d)+" "))
		}
	}
	left := s.Title.Render("Spread over time") + "  " + strings.Join(picker, "")
	right := ""
	if roles := t.roles(); t.trend != nil && len(roles) > 0 {
		n := t.shown(c, height)
		if n < len(roles) {
			right = s.Muted.Render(fmt.Sprintf("roles %d–%d of %d", t.first+1, t.first+n, len(roles)))
		}
	}
	return []string{spaceBetween(left, right, width), s.Muted.Render(fit(t.held(c), width)), ""}
}

// held says what the history holds for the window, or that it is being read.
func (t *trendScreen) held(c *common) string {
	switch {
	case t.trend == nil:
		return ""
	case t.loading:
		return "reading the history over " + windowName(t.span()) + "…"
	case t.trend.From.IsZero():
		return "no history yet: molt keeps a sample each time it reads the fleet and the spread changed"
	}
	return fmt.Sprintf("since %s · history from %s, %s in the window", t.stamp(c, t.trend.Since),
		t.stamp(c, t.trend.From), plural(len(t.trend.Samples), "sample"))
}

// stamp is a time of the trend as the screen writes it: 03-14 09:26.
func (t *trendScreen) stamp(c *common, at time.Time) string {
	if at.IsZero() {
		return "-"
	}
	return at.In(c.now().Location()).Format("01-02 15:04")
}

// versions are role's versions over the window, newest first.
func (t *trendScreen) versions(role string) []fleet.VersionTrend {
	var out []fleet.VersionTrend
	for _, v := range t.trend.Versions {
		if v.Role == role {
			out = append(out, v)
		}
	}
	return out
}

// roleBlock is one role: its name and lag, the chart, the rollouts and times under it,
// its versions' milestones and its rollouts.
func (t *trendScreen) roleBlock(c *common, role string, marks trendMarks, width, height int) []string {
	s := c.styles
	vs := t.versions(role)
	n := max(width-trendAxis-1, 8)
	now := t.trend.At(t.trend.Until).RoleTotal(role)
	head := s.Bold.Render(role) + s.Muted.Render(fmt.Sprintf("  %s now · lag %s over %s", plural(now, "server"),
		lagWords(t.roleLag(role)), windowName(t.span())))
	lines := append([]string{head}, t.chart(c, role, vs, n, chartRows(height))...)
	mine := marks.of(role)
	lines = append(lines, s.Muted.Render("    └")+s.Accent.Render(string(markLine(mine.marks(), n))),
		strings.Repeat(" ", trendAxis)+s.Muted.Render(t.timeLine(c, n)))
	lines = append(lines, t.versionLines(c, role, vs)...)
	for _, m := range mine {
		lines = append(lines, t.rolloutLine(c, m))
	}
	return append(lines, "")
}

// roleLag is role's lag over the window.
func (t *trendScreen) roleLag(role string) float64 {
	for _, r := range t.trend.Roles {
		if r.Role == role {
			return r.LagServerDays
		}
	}
	return 0
}

// chart is role's stacked chart, rows high and n columns wide, with its share axis.
func (t *trendScreen) chart(c *common, role string, vs []fleet.VersionTrend, n, rows int) []string {
	order := make([]string, len(vs))
	for i, v := range vs {
		order[i] = v.Key
	}
	cols := t.trend.Columns(role, n)
	grid := make([][]int, rows) // top row first
	for r := range grid {
		grid[r] = make([]int, n)
	}
	for x, col := range cols {
		for r, cell := range stackCells(col, order, rows) {
			grid[rows-1-r][x] = cell
		}
	}
	lines := make([]string, rows)
	for r := range grid {
		lines[r] = c.styles.Muted.Render(shareAxis(r, rows)) + c.cells(grid[r])
	}
	return lines
}

// shareAxis labels a chart row: 100% at the top, 50% in the middle, 0% at the bottom.
func shareAxis(r, rows int) string {
	switch r {
	case 0:
		return "100%┤"
	case rows / 2:
		return " 50%┤"
	case rows - 1:
		return "  0%┤"
	}
	return "    │"
}

// cells draws a row of the chart, a run of like cells at a time.
func (c *common) cells(row []int) string {
	var b strings.Builder
	for i := 0; i < len(row); {
		j := i
		for j < len(row) && row[j] == row[i] {
			j++
		}
		switch v := row[i]; v {
		case cellUnknown:
			b.WriteString(c.styles.Muted.Render(strings.Repeat("·", j-i)))
		case cellEmpty:
			b.WriteString(strings.Repeat(" ", j-i))
		default:
			b.WriteString(c.styles.VersionStyle(v).Render(strings.Repeat(versionGlyph(v), j-i)))
		}
		i = j
	}
	return b.String()
}

// timeLine labels the window's start, middle and end: times for a day, dates beyond.
func (t *trendScreen) timeLine(c *common, n int) string {
	format := func(at time.Time) string {
		at = at.In(c.now().Location())
		if t.span() < 48*time.Hour {
			return at.Format("15:04")
		}
		return at.Format("01-02")
	}
	return timeLine(format(t.trend.Since), format(t.trend.Since.Add(t.span()/2)), "now", n)
}

// versionLines are role's versions under a header: when each was first seen, reached
// half and all of the role's servers, and its lag over the window.
func (t *trendScreen) versionLines(c *common, role string, vs []fleet.VersionTrend) []string {
	s := c.styles
	labelW := 7
	for _, v := range vs {
		labelW = max(labelW, len([]rune(trendLabel(v, role))))
	}
	labelW = min(labelW, 18)
	row := func(glyph, label, first, half, all, lag string) string {
		return fmt.Sprintf("%s %s  %-12s %-12s %-12s %s", glyph, pad(label, labelW), first, half, all, lag)
	}
	out := []string{s.Muted.Render(row(" ", "version", "first seen", "50%", "100%", "lag"))}
	for i, v := range vs {
		first := t.stamp(c, v.FirstSeen)
		if !v.FirstSeen.IsZero() && v.FirstSeen.Equal(t.trend.From) {
			first = "≤" + first // live since the history began, maybe before
		}
		out = append(out, row(s.VersionStyle(i).Render(versionGlyph(i)), trendLabel(v, role), first,
			t.stamp(c, v.Reached50), t.stamp(c, v.Reached100), lagWords(v.LagServerDays)))
	}
	return out
}

// trendLabel drops the role from a version's label, as the fleet does.
func trendLabel(v fleet.VersionTrend, role string) string {
	if l, ok := strings.CutPrefix(v.Label, role+"-"); ok && l != "" {
		return l
	}
	return v.Label
}

// rolloutLine is a rollout under the chart: its number, when, what onto what, and how
// it ended.
func (t *trendScreen) rolloutLine(c *common, m roleMark) string {
	s := c.styles
	r := m.r
	when := t.stamp(c, r.Started)
	if !r.Ended.IsZero() {
		when += "–" + r.Ended.In(c.now().Location()).Format("15:04")
	}
	return s.Accent.Render(markName(m.n)) + " " + when + " " + r.Selection + " → " + r.To + s.Muted.Render(
		fmt.Sprintf("  %s, %d/%d replaced", stateWords(r.State), r.Replaced, r.Planned))
}

// roleMark is a rollout marked on the charts: its number and the rollout.
type roleMark struct {
	n        int
	r        rollout
	from, to int
	// roles are the roles whose servers it replaced.
	roles []string
}

// trendMarks are the journal's rollouts that started within the window, oldest first,
// numbered, with the roles each replaced.
type trendMarks []roleMark

// marks numbers the rollouts of the journal that started within the window.
func (t *trendScreen) marks(c *common) trendMarks {
	if t.trend == nil {
		return nil
	}
	n := max(c.width-trendAxis-1, 8)
	var out trendMarks
	rs := slices.Clone(c.rollouts)
	slices.SortStableFunc(rs, func(a, b rollout) int { return a.Started.Compare(b.Started) })
	for _, r := range rs {
		from, ok := columnAt(r.Started, t.trend.Since, t.trend.Until, n)
		if r.Damaged != "" || !ok {
			continue
		}
		to, ended := columnAt(r.Ended, t.trend.Since, t.trend.Until, n)
		if !ended {
			to = -1
		}
		out = append(out, roleMark{n: len(out) + 1, r: r, from: from, to: to, roles: rolloutRoles(r)})
	}
	return out
}

// of is the marks of the rollouts that replaced servers of role.
func (ms trendMarks) of(role string) roleMarks {
	var out roleMarks
	for _, m := range ms {
		if slices.Contains(m.roles, role) {
			out = append(out, m)
		}
	}
	return out
}

// roleMarks are one role's rollouts on its chart.
type roleMarks []roleMark

func (ms roleMarks) marks() []trendMark {
	out := make([]trendMark, len(ms))
	for i, m := range ms {
		out[i] = trendMark{n: m.n, from: m.from, to: m.to}
	}
	return out
}

// rolloutRoles are the roles whose servers a rollout replaced.
func rolloutRoles(r rollout) []string {
	var out []string
	for _, rep := range r.plan.Replacements() {
		if role := (fleet.Options{}).Role(rep.Old); !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return out
}
