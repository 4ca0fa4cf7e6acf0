package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// detailsView describes the row under the cursor: a server, a version or a role.
func (f *fleetScreen) detailsView(c *common, width int) []string {
	cur, ok := f.list.current()
	if !ok {
		return []string{c.styles.Muted.Render("Nothing under the cursor.")}
	}
	var lines []string
	switch {
	case cur.kept != nil:
		lines = c.keptDetails(cur, width)
	case cur.kind == rowServer:
		lines = c.serverDetails(cur, width)
	case cur.kind == rowVersion && cur.pet:
		lines = c.petVersionDetails(cur, width)
	case cur.kind == rowVersion:
		lines = c.versionDetails(cur)
	case cur.kind == rowPool:
		lines = c.poolDetails(cur.pool.spread)
	case cur.pet:
		lines = c.petsDetails(cur, width)
	default:
		lines = c.roleDetails(cur, width)
	}
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// field is one "label  value" line of the details pane.
func (c *common) field(label, value string) string {
	return c.styles.Muted.Render(pad(label, 9)) + value
}

// fieldLines is a field whose value wraps under itself to fit width.
func (c *common) fieldLines(label, value string, width int) []string {
	parts := wrap(value, max(width-9, 10))
	out := []string{c.field(label, parts[0])}
	for _, p := range parts[1:] {
		out = append(out, strings.Repeat(" ", 9)+p)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (c *common) serverDetails(r listRow, width int) []string {
	s, srv := c.styles, r.server
	state := s.OK.Render("✓ on newest")
	if r.pet && c.audit.result != nil {
		state = s.Accent.Render("♥ pet") // the audit's "pet" line says why
	} else if r.pet {
		state = s.Accent.Render("♥ pet: " + fleet.PetReason(srv, c.spread.Options.RolePrefix))
	} else if r.straggler {
		state = s.Warn.Render("↓ behind " + c.newestLabel(c.roleSpread(r.role)))
	} else if rs := c.roleSpread(r.role); rs == nil || rs.Newest == nil {
		state = s.Muted.Render("no role tag")
	}
	img := fmt.Sprintf("%s · %s old (#%d)", r.release.Label, since(c.spread.At, srv.Image.CreatedAt), srv.Image.ImageID)
	if id := actions.LockOf(srv.Tags); id != "" {
		state = s.Accent.Render("⟳ in rollout " + id)
	}
	lines := []string{
		s.Bold.Render(srv.Name),
		c.field("id", strconv.Itoa(srv.ID)),
		c.field("role", r.role),
	}
	lines = append(lines, c.fieldLines("version", state, width)...)
	lines = append(lines, c.fieldLines("image", img, width)...)
	lines = append(lines, c.serverAudit(srv, r.role, width)...)
	lines = append(lines,
		c.field("status", c.statusView(srv.Status, 0)),
		c.field("region", srv.Region+" · "+srv.Size),
		c.field("public", orDash(srv.PublicIP)),
		c.field("private", orDash(srv.PrivateIP)),
		c.field("created", created(srv)))
	// Tags, features and volumes can be many: they wrap rather than lose their end.
	for _, f := range [][2]string{{"tags", strings.Join(srv.Tags, " ")}, {"features", strings.Join(srv.Features, " ")},
		{"volumes", strings.Join(srv.VolumeIDs, " ")}} {
		lines = append(lines, c.fieldLines(f[0], orDash(f[1]), width)...)
	}
	return lines
}

// created is when the server was created, in UTC.
func created(srv fleet.Server) string {
	if srv.CreatedAt.IsZero() {
		return "-"
	}
	return srv.CreatedAt.UTC().Format("2006-01-02 15:04")
}

func (c *common) versionDetails(r listRow) []string {
	s, rel := c.styles, r.release
	rs := c.roleSpread(r.role)
	state := s.OK.Render("✓ newest of " + r.role)
	if r.straggler {
		state = s.Warn.Render("↓ behind " + c.newestLabel(rs))
	}
	share := 0.0
	if rs.Count > 0 {
		share = float64(rel.Roles[r.role]) / float64(rs.Count)
	}
	img := fmt.Sprintf("#%d %s", rel.Image.ImageID, orDash(rel.Image.Type))
	if rel.Image.Distribution != "" {
		img += " · " + rel.Image.Distribution
	}
	return append([]string{
		s.VersionStyle(r.rank).Render(versionGlyph(r.rank)) + " " + s.Bold.Render(rel.Label),
		c.field("state", state),
		c.field("image", img),
		c.field("built", since(c.spread.At, rel.CreatedAt)+" ago"),
		c.field("servers", fmt.Sprintf("%d in %s (%s)", rel.Roles[r.role], r.role, percent(share))),
		c.field("cost", runRate(rel.Cost)),
		c.field("regions", countsLine(rel.Regions)),
		c.field("image in", orDash(strings.Join(rel.Image.Regions, " "))),
	}, c.releaseHealth(rel)...)
}

func (c *common) roleDetails(r listRow, width int) []string {
	s := c.styles
	rs := c.roleSpread(r.role)
	if rs == nil {
		rs = &fleet.RoleSpread{Role: r.role}
	}
	lines := []string{s.Bold.Render(r.role), c.field("servers", strconv.Itoa(rs.Count)), c.field("versions", strconv.Itoa(len(rs.Releases))),
		c.field("cost", runRate(rs.Cost))}
	if r.nKept > 0 {
		lines = append(lines, c.field("kept", fmt.Sprintf("%d old droplets, off, for a fast rollback", r.nKept)))
	}
	lines = append(lines, c.roleAudit(r.role, width)...)
	if rs.Newest == nil {
		return append(lines, s.Muted.Render("No role tag: nothing says which version these should run."))
	}
	if img, ok := c.newerImage(rs); ok {
		lines = append(lines, c.fieldLines("newest", imageName(img)+" · "+since(c.spread.At, img.CreatedAt)+" old, on no server yet", width)...)
		lines = append(lines, c.field("running", rs.Newest.Label))
	} else {
		lines = append(lines, c.field("newest", rs.Newest.Label))
	}
	behind := s.OK.Render("✓ none")
	if n := c.behind(rs); n > 0 {
		behind = s.Warn.Render(fmt.Sprintf("↓ %d of %d", n, rs.Count))
	}
	lines = append(lines, c.field("behind", behind))
	oldest := rs.Releases[len(rs.Releases)-1]
	return append(lines, c.field("oldest", fmt.Sprintf("%s · %s old", oldest.Label, since(c.spread.At, oldest.CreatedAt))))
}

// petsDetails describes the pets section: what a pet is, how many there are per role,
// and how to bring them into the model.
func (c *common) petsDetails(r listRow, width int) []string {
	s := c.styles
	perRole := map[string]int{}
	for _, run := range r.runs {
		for _, srv := range run {
			perRole[petRole(c.spread.Options.Role(*srv))]++
		}
	}
	lines := []string{s.Accent.Render("♥ pets"), c.field("servers", strconv.Itoa(r.count)), c.field("roles", countsLine(perRole))}
	lines = append(lines, "")
	lines = append(lines, wrap(s.Muted.Render("Outside the immutable model: built from a public distribution image and never "+
		"replaced by molt, or without a role tag. Nothing says which image they should run."), width)...)
	return append(lines, wrap(s.Muted.Render("To bring them in: select them (space), stage (s) and pick their role's image."), width)...)
}

// petVersionDetails describes a role's pets on one distribution image.
func (c *common) petVersionDetails(r listRow, width int) []string {
	s, rel := c.styles, r.release
	img := fmt.Sprintf("#%d %s", rel.Image.ImageID, orDash(rel.Image.Type))
	if rel.Image.Distribution != "" {
		img += " · " + rel.Image.Distribution
	}
	lines := []string{
		s.Accent.Render("♥") + " " + s.Bold.Render(rel.Label),
		c.field("role", petRole(r.role)),
		c.field("servers", plural(r.count, "pet")),
		c.field("image", img),
		c.field("built", since(c.spread.At, rel.CreatedAt)+" ago"),
	}
	if len(r.runs) > 0 && len(r.runs[0]) > 0 {
		lines = append(lines, c.fieldLines("why", fleet.PetReason(*r.runs[0][0], c.spread.Options.RolePrefix), width)...)
	}
	return lines
}

// countsLine renders a count per key, sorted by key: "fra1 6 · nyc3 6".
func countsLine(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return orDash(strings.Join(parts, " · "))
}
