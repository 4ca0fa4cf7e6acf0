package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// matrixView is the region x version matrix, one table per role: servers per region on
// each of the role's versions, ✗ where the newest image is missing from a region.
func (m Model) matrixView(width, height int) []string {
	s := m.styles
	lines := []string{s.Bold.Render("Servers per region and version") + s.Muted.Render("  (m or esc: back to the list)"), ""}
	for _, rs := range m.spread.Roles {
		lines = append(lines, m.roleMatrix(rs)...)
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	return lines
}

func matrixColumn(label string) int { return max(len(label)+3, 7) }

func (m Model) roleMatrix(rs *fleet.RoleSpread) []string {
	s := m.styles
	head := s.GroupHead.Render(pad(rs.Role, 10))
	for rank, rel := range rs.Releases {
		label := shortLabel(rel, rs.Role)
		head += s.VersionStyle(rank).Render(pad(versionGlyph(rank)+" "+label, matrixColumn(label)))
	}
	lines := []string{head + s.Muted.Render("total")}
	missing := m.missingRegions(rs)
	for _, region := range m.roleRegions(rs) {
		lines = append(lines, m.matrixRow(rs, region, slices.Contains(missing, region)))
	}
	if len(missing) > 0 {
		note := fmt.Sprintf("✗ %s is not in %s: copy the image there before replacing servers in it",
			rs.Newest.Label, strings.Join(missing, ", "))
		lines = append(lines, s.Warn.Render(note))
	}
	return lines
}

func (m Model) matrixRow(rs *fleet.RoleSpread, region string, missing bool) string {
	s := m.styles
	row := s.Muted.Render(pad("  "+region, 10))
	total := 0
	for rank, rel := range rs.Releases {
		w := matrixColumn(shortLabel(rel, rs.Role))
		n := m.roleRegionCount(rs.Role, rel, region)
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
func (m Model) roleRegionCount(role string, rel *fleet.Release, region string) int {
	n := 0
	for _, srv := range m.spread.Servers() {
		if srv.Region == region && m.spread.Options.Role(srv) == role && m.spread.ReleaseOf(srv) == rel {
			n++
		}
	}
	return n
}

// roleRegions are the regions the role has servers in, sorted.
func (m Model) roleRegions(rs *fleet.RoleSpread) []string {
	seen := map[string]bool{}
	for _, rel := range rs.Releases {
		for region := range rel.Regions {
			if m.roleRegionCount(rs.Role, rel, region) > 0 {
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
func (m Model) missingRegions(rs *fleet.RoleSpread) []string {
	if rs.Newest == nil || len(rs.Newest.Image.Regions) == 0 {
		return nil
	}
	var out []string
	for _, region := range m.roleRegions(rs) {
		if !slices.Contains(rs.Newest.Image.Regions, region) {
			out = append(out, region)
		}
	}
	return out
}
