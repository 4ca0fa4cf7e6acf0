package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// columns are the widths of a server row's columns, sized to the whole fleet so that
// they do not jump while scrolling.
type columns struct{ name, region, size, ip, status int }

func fleetColumns(servers []fleet.Server) columns {
	c := columns{name: 8, region: 7, size: 5, ip: 9, status: 7} // room for the headers and their sort arrow
	for _, s := range servers {
		c.name = max(c.name, min(len(s.Name), 28))
		c.region = max(c.region, len(s.Region))
		c.size = max(c.size, len(s.Size))
		c.ip = max(c.ip, len(s.PublicIP))
		c.status = max(c.status, len(s.Status)+2)
	}
	return c
}

// listView draws rows of the fleet list in a window of width x height.
func (f *fleetScreen) listView(c *common, width, height int) []string {
	if f.list.rows.Len() == 0 {
		msg := "No servers in this fleet."
		if f.list.filter != "" {
			msg = fmt.Sprintf("No server matches %q. Press esc to clear the filter.", f.list.filter)
			if tags := parseFilter(f.list.filter).tagTerms(); len(tags) > 0 {
				msg += fmt.Sprintf(" (%s is read as a tag: the help, ?, lists the filter's words)", strings.Join(tags, ", "))
			}
		}
		return wrap(c.styles.Muted.Render(msg), width)
	}
	cols := f.list.cols
	first := window(f.list.offset, f.list.cursor, height-1, f.list.rows.Len())
	lines := []string{f.listHeader(c, cols, width)}
	for i := first; i < f.list.rows.Len() && len(lines) < height; i++ {
		lines = append(lines, f.rowView(c, f.list.rows.At(i), cols, width, i == f.list.cursor))
	}
	return lines
}

// listHeader names the server rows' columns, the sorted one with its arrow (the
// version sort on the left, where the versions' headers are).
func (f *fleetScreen) listHeader(c *common, cols columns, width int) string {
	name := func(o sortOrder, w int) string {
		label := o.String()
		if o == sortAge {
			label = "age"
		}
		if f.list.sort == o {
			label += f.list.sortMark()
		}
		return pad(label, w)
	}
	head := pad(name(sortVersion, 8), 9) + strings.Join([]string{name(sortName, cols.name), name(sortRegion, cols.region),
		name(sortSize, cols.size), pad("ip", cols.ip), name(sortStatus, cols.status), name(sortAge, 5)}, " ")
	if f.list.sort != sortVersion {
		head = "         " + head[9:]
	}
	return c.styles.Muted.Render(fit(head, width))
}

// rowView draws one row; the cursor row is reversed and marked with › so that it shows
// without colour too.
func (f *fleetScreen) rowView(c *common, r listRow, cols columns, width int, cursor bool) string {
	var body string
	switch r.kind {
	case rowRole:
		body = f.roleHeader(c, r)
	case rowVersion:
		body = f.versionHeader(c, r)
	case rowKept:
		body = f.keptHeader(c, r)
	case rowPool:
		body = f.poolRowView(c, r)
	default:
		body = f.serverRow(c, r, cols)
	}
	mark := f.selectMark(c, r)
	if cursor {
		return c.styles.Cursor.Render(fit("›"+ansi.Strip(mark+body), width))
	}
	return fit(" "+mark+body, width)
}

// selectMark is ✓ for a selected server or a header whose servers are all selected,
// ◐ for a header with some of them selected.
func (f *fleetScreen) selectMark(c *common, r listRow) string {
	n, all := f.list.selectedIn(r)
	switch {
	case n > 0 && n == all:
		return c.styles.Selected.Render("✓") + " "
	case n > 0:
		return c.styles.Selected.Render("◐") + " "
	}
	return "  "
}

func (f *fleetScreen) foldGlyph(r listRow) string {
	if f.list.collapsed[r.key()] {
		return "▸"
	}
	return "▾"
}

func (f *fleetScreen) roleHeader(c *common, r listRow) string {
	s := c.styles
	if r.pet {
		parts := []string{plural(r.count, "server"), "outside the immutable model"}
		return f.foldGlyph(r) + " " + s.Accent.Render("♥ pets") + "  " + s.Muted.Render(strings.Join(parts, " · "))
	}
	parts := []string{plural(r.count, "server"), plural(r.versions, "version")}
	rs := c.roleSpread(r.role)
	if img, ok := c.newerImage(rs); ok {
		parts = append(parts, fmt.Sprintf("newest image %s · %d behind it", strings.TrimPrefix(imageName(img), r.role+"-"), c.behind(rs)))
	} else if rs != nil && rs.Newest != nil {
		parts = append(parts, "newest "+shortLabel(rs.Newest, r.role))
	}
	if r.nKept > 0 {
		parts = append(parts, fmt.Sprintf("%d kept (off)", r.nKept))
	}
	if rs != nil {
		parts = append(parts, monthly(rs.Cost)...)
	}
	return f.foldGlyph(r) + " " + s.GroupHead.Render(r.role) + "  " + s.Muted.Render(strings.Join(parts, " · "))
}

func (f *fleetScreen) versionHeader(c *common, r listRow) string {
	s := c.styles
	if r.pet {
		info := []string{plural(r.count, "server"), "image " + since(c.spread.At, r.release.CreatedAt) + " old"}
		return "  " + f.foldGlyph(r) + " " + s.Accent.Render("♥") + " " + s.Bold.Render(petRole(r.role)) + "  " + r.release.Label +
			"  " + s.Muted.Render(strings.Join(info, " · "))
	}
	glyph := s.VersionStyle(r.rank).Render(versionGlyph(r.rank))
	label := s.VersionStyle(r.rank).Bold(true).Render(r.release.Label)
	info := append([]string{plural(r.count, "server"), "image " + since(c.spread.At, r.release.CreatedAt) + " old"},
		monthly(r.release.Cost)...)
	state := s.OK.Render("✓ newest")
	switch {
	case r.straggler:
		state = s.Warn.Render("↓ behind")
	case c.roleSpread(r.role) == nil || c.roleSpread(r.role).Newest == nil:
		state = ""
	}
	return "  " + f.foldGlyph(r) + " " + glyph + " " + label + "  " + state + "  " + s.Muted.Render(strings.Join(info, " · "))
}

func (f *fleetScreen) serverRow(c *common, r listRow, cols columns) string {
	s := c.styles
	srv := r.server
	mark := "  "
	switch {
	case r.kept != nil:
		mark = s.Muted.Render("○") + " "
	case actions.LockOf(srv.Tags) != "":
		mark = s.Accent.Render("⟳") + " "
	case srv.Pool != "":
		mark = s.Accent.Render("⧉") + " " // its pool replaces it (fleetpool.go)
	case r.pet:
		mark = s.Accent.Render("♥") + " "
	case r.straggler:
		mark = s.Warn.Render("↓") + " "
	}
	name := pad(srv.Name, cols.name)
	if r.straggler {
		name = s.Warn.Render(name)
	}
	ip := srv.PublicIP
	if ip == "" {
		ip = "-"
	}
	fields := []string{name, s.Muted.Render(pad(srv.Region, cols.region)), s.Muted.Render(pad(srv.Size, cols.size)),
		pad(ip, cols.ip), c.statusView(srv.Status, cols.status), s.Muted.Render(pad(since(c.spread.At, srv.CreatedAt), 5))}
	return "    " + mark + strings.Join(fields, " ") + c.findingMarks(srv.ID, c.findingKinds())
}

// petRole is what the pets section calls a pet's role: its role, or "no role".
func petRole(role string) string {
	if role == fleet.NoRole {
		return "no role"
	}
	return role
}

// statusView renders a droplet status with a glyph (● active, ◌ new, ○ off), padded
// to w cells when w is positive.
func (c *common) statusView(status string, w int) string {
	s := c.styles
	text, style := "? "+status, s.Warn
	switch status {
	case "active":
		text, style = "● "+status, s.OK
	case "new":
		text, style = "◌ "+status, s.Accent
	case "off":
		text, style = "○ "+status, s.Muted
	}
	if w > 0 {
		text = pad(text, w)
	}
	return style.Render(text)
}
