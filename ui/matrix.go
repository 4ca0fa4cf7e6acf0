package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/molt-sh/molt/fleet"
)

// matrixScreen is the region x version matrix, one table per role: servers per region
// on each of the role's versions, ✗ where the newest image is missing from a region.
type matrixScreen struct{ scroll scroller }

func (mx *matrixScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	rows := c.bodyHeight() - 2
	if d, ok := moveBy(c.keys, k, rows); ok {
		total := len(mx.tables(c))
		mx.scroll.move(d, mx.scroll.first(0, total, rows), total, rows)
		return nil, nil
	}
	switch {
	case key.Matches(k, c.keys.Matrix, c.keys.Back):
		return show{to: ScreenFleet}, nil
	case key.Matches(k, c.keys.Refresh):
		return nil, c.refresh()
	case key.Matches(k, c.keys.Export):
		all := c.spread.Servers()
		return askExport(c, auditScope{servers: all, what: fmt.Sprintf("the whole fleet the matrix shows (%s)", plural(len(all), "server"))}), nil
	}
	return ignored{}, nil
}

func (*matrixScreen) keyBar(c *common) []key.Binding {
	return []key.Binding{withHelp(c.keys.Matrix, "list"), c.keys.Export, c.keys.Refresh}
}

func (*matrixScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: "█▓▒░ a role's versions, newest first   · none there   ✗ newest image missing there", groups: []helpGroup{
		{"Matrix", []helpItem{pair(k.Up, k.Down, "scroll"), pair(k.PageUp, k.PageDown, "page"),
			pair(k.Top, k.Bottom, "top, bottom"), item(withHelp(k.Matrix, "back to the list")), item(k.Refresh), item(k.Export)}},
		generalHelp(k)}}
}

// view is the tables under a title, scrolled when they do not fit.
func (mx *matrixScreen) view(c *common, width, height int) []string {
	s := c.styles
	tables := mx.tables(c)
	rows := height - 2
	first := mx.scroll.first(0, len(tables), rows)
	title := s.Bold.Render("Servers per region and version") + s.Muted.Render("  (m or esc: back to the list)")
	lines := []string{spaceBetween(title, s.Muted.Render(position(first, rows, len(tables))), width), ""}
	lines = append(lines, tables[first:min(first+rows, len(tables))]...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// tables are the matrix's lines: a table per role, each followed by a blank line.
func (mx *matrixScreen) tables(c *common) []string {
	var lines []string
	for _, rs := range c.spread.Roles {
		lines = append(lines, c.roleMatrix(rs)...)
		lines = append(lines, "")
	}
	return lines
}

func matrixColumn(label string) int { return max(len(label)+3, 7) }

func (c *common) roleMatrix(rs *fleet.RoleSpread) []string {
	s := c.styles
	head := s.GroupHead.Render(pad(rs.Role, 10))
	for rank, rel := range rs.Releases {
		label := shortLabel(rel, rs.Role)
		head += s.VersionStyle(rank).Render(pad(versionGlyph(rank)+" "+label, matrixColumn(label)))
	}
	lines := []string{head + s.Muted.Render("total")}
	missing := c.missingRegions(rs)
	for _, region := range c.roleRegions(rs) {
		lines = append(lines, c.matrixRow(rs, region, slices.Contains(missing, region)))
	}
	if len(missing) > 0 {
		note := fmt.Sprintf("✗ %s is not in %s: copy the image there before replacing servers in it",
			rs.Newest.Label, strings.Join(missing, ", "))
		lines = append(lines, s.Warn.Render(note))
	}
	return lines
}

func (c *common) matrixRow(rs *fleet.RoleSpread, region string, missing bool) string {
	s := c.styles
	row := s.Muted.Render(pad("  "+region, 10))
	total := 0
	for rank, rel := range rs.Releases {
		w := matrixColumn(shortLabel(rel, rs.Role))
		n := c.roleRegionCount(rs.Role, rel, region)
		total += n
		cell := s.VersionStyle(rank).Render(pad(strconv.Itoa(n), w))
		switch {
		case rank == 0 && missing:
			cell = s.Danger.Render(pad("✗", w))
		case n == 0:
			cell = s.Muted.Render(pad("·", w))
		}
		row += cell
	}
	return row + strconv.Itoa(total)
}

// roleRegionCount counts the role's servers in region on rel.
func (c *common) roleRegionCount(role string, rel *fleet.Release, region string) int {
	n := 0
	for _, srv := range c.spread.Servers() {
		if srv.Region == region && c.spread.Options.Role(srv) == role && c.spread.ReleaseOf(srv) == rel {
			n++
		}
	}
	return n
}

// roleRegions are the regions the role has servers in, sorted.
func (c *common) roleRegions(rs *fleet.RoleSpread) []string {
	seen := map[string]bool{}
	for _, rel := range rs.Releases {
		for region := range rel.Regions {
			if c.roleRegionCount(rs.Role, rel, region) > 0 {
				seen[region] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// missingRegions are the regions where the role has servers but its newest image is not.
func (c *common) missingRegions(rs *fleet.RoleSpread) []string {
	if rs.Newest == nil || len(rs.Newest.Image.Regions) == 0 {
		return nil
	}
	var out []string
	for _, region := range c.roleRegions(rs) {
		if !slices.Contains(rs.Newest.Image.Regions, region) {
			out = append(out, region)
		}
	}
	return out
}
