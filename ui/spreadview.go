package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/fleet"
)

// roleVersion is one release as a role sees it: its count and share within the role.
type roleVersion struct {
	rel   *fleet.Release
	rank  int
	count int
	share float64
}

func roleVersions(rs *fleet.RoleSpread) []roleVersion {
	out := make([]roleVersion, 0, len(rs.Releases))
	for rank, rel := range rs.Releases {
		n := rel.Roles[rs.Role]
		rv := roleVersion{rel: rel, rank: rank, count: n}
		if rs.Count > 0 {
			rv.share = float64(n) / float64(rs.Count)
		}
		out = append(out, rv)
	}
	return out
}

// spreadBar draws a role's versions as one stacked bar of width w: each version a run of
// its glyph in its colour, as wide as its share (at least one cell when it has servers).
func (s Styles) spreadBar(vs []roleVersion, w int) string {
	widths := barWidths(vs, w)
	var b strings.Builder
	for i, v := range vs {
		b.WriteString(s.VersionStyle(v.rank).Render(strings.Repeat(versionGlyph(v.rank), widths[i])))
	}
	return b.String()
}

// barWidths shares w cells between the versions by count, giving each non-empty version
// at least one and handing the rounding error to the largest.
func barWidths(vs []roleVersion, w int) []int {
	widths := make([]int, len(vs))
	total, largest, used := 0, 0, 0
	for _, v := range vs {
		total += v.count
	}
	if total == 0 {
		return widths
	}
	for i, v := range vs {
		if v.count > 0 {
			widths[i] = max(1, v.count*w/total)
		}
		if v.count > vs[largest].count {
			largest = i
		}
		used += widths[i]
	}
	widths[largest] = max(1, widths[largest]+w-used)
	return widths
}

// legendEntry is one version in a legend: glyph, label, count, share and image age.
func (c *common) legendEntry(v roleVersion, role string) string {
	s := c.styles
	glyph := s.VersionStyle(v.rank).Render(versionGlyph(v.rank))
	age := since(c.spread.At, v.rel.CreatedAt)
	return fmt.Sprintf("%s %s %s %s %s", glyph, shortLabel(v.rel, role), s.Bold.Render(fmt.Sprint(v.count)),
		s.Muted.Render(percent(v.share)), s.Muted.Render(age))
}

func (c *common) legend(rs *fleet.RoleSpread) string {
	var parts []string
	for _, v := range roleVersions(rs) {
		parts = append(parts, c.legendEntry(v, rs.Role))
	}
	return strings.Join(parts, "  ")
}

// roleSummary says how many servers a role has and how many are behind its newest,
// then the audit's findings in it.
func (c *common) roleSummary(rs *fleet.RoleSpread) string {
	sum := plural(rs.Count, "server")
	switch n := c.behind(rs); {
	case n > 0:
		sum += " " + c.styles.Warn.Render(fmt.Sprintf("↓%d behind", n))
	case rs.Newest != nil:
		sum += " " + c.styles.OK.Render("✓ current")
	}
	return strings.TrimSpace(sum + " " + c.roleFindings(rs.Role))
}

const roleColumn = 8

// drawSpread is the version spread, one bar per role. Wide enough, each bar has its
// legend beside it; tall enough, under it; otherwise only the role under the cursor
// gets its legend, on one line below the bars.
func (c *common) drawSpread(width int, tall bool, cursor *fleet.RoleSpread) []string {
	if c.spread == nil {
		return nil
	}
	if lines, ok := c.spreadInline(width); ok {
		return lines
	}
	// Every bar is as wide as the narrowest needs to be, so that they read as one chart.
	sumW := 0
	for _, rs := range c.spread.Roles {
		sumW = max(sumW, lipgloss.Width(c.roleSummary(rs)))
	}
	var lines []string
	for _, rs := range c.spread.Roles {
		lines = append(lines, c.spreadLine(rs, width, sumW))
		if tall {
			lines = append(lines, fit(strings.Repeat(" ", roleColumn+1)+c.legend(rs), width))
		}
	}
	if rs := cursor; !tall && rs != nil {
		lines = append(lines, c.cursorLegend(rs, width))
	}
	return lines
}

func (c *common) spreadLine(rs *fleet.RoleSpread, width, sumW int) string {
	summary := c.roleSummary(rs)
	barW := max(width-roleColumn-2-sumW, 8)
	return fit(pad(rs.Role, roleColumn)+" "+c.styles.spreadBar(roleVersions(rs), barW)+" "+summary, width)
}

// spreadInline puts bar and legend on one line per role when every legend fits beside a
// bar of at least 16 cells.
func (c *common) spreadInline(width int) ([]string, bool) {
	legendW := 0
	for _, rs := range c.spread.Roles {
		legendW = max(legendW, lipgloss.Width(c.legend(rs)))
	}
	// The audit's findings per role end each line whatever else fits.
	findW := 0
	for _, rs := range c.spread.Roles {
		findW = max(findW, lipgloss.Width(c.roleFindings(rs.Role)))
	}
	if findW > 0 {
		findW += 2
	}
	barW := min(width-roleColumn-legendW-3-findW, max(40, width/3)) // wider windows, wider bars
	if barW < 16 {
		return nil, false
	}
	// With room to spare, each line ends with how many servers are behind, as narrower
	// windows say it after the bar.
	sumW := 0
	for _, rs := range c.spread.Roles {
		sumW = max(sumW, lipgloss.Width(c.roleSummary(rs)))
	}
	withSum := roleColumn+1+barW+2+legendW+3+sumW <= width
	var lines []string
	for _, rs := range c.spread.Roles {
		line := pad(rs.Role, roleColumn) + " " + c.styles.spreadBar(roleVersions(rs), barW) + "  " + c.legend(rs)
		if withSum {
			line = fit(line, roleColumn+1+barW+2+legendW+3) + c.roleSummary(rs)
		} else if findW > 0 {
			line = fit(line, roleColumn+1+barW+2+legendW+2) + c.roleFindings(rs.Role)
		}
		lines = append(lines, fit(line, width))
	}
	return lines, true
}

// cursorLegend is the legend of one role on a line of its own, named when room allows.
func (c *common) cursorLegend(rs *fleet.RoleSpread, width int) string {
	legend := c.legend(rs)
	if named := c.styles.Bold.Render(rs.Role) + "  " + legend; lipgloss.Width(named) <= width {
		return named
	}
	return fit("  "+legend, width)
}
