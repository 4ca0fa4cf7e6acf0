package ui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// An autoscale pool shows under its role's header as two lines: the pool (status, size,
// cooldown) and its template against its members by image. Its members keep their rows
// in the role's groups, marked ⧉: the pool replaces them, never molt one by one.

// poolLine is one of a pool's lines in the fleet list: 0 the pool, 1 its images.
type poolLine struct {
	spread fleet.PoolSpread
	n      int
}

func (p *poolLine) key() string { return "pool:" + p.spread.Pool.Name + ":" + strconv.Itoa(p.n) }

// poolsByRole files each pool under the role of its members (the first one read), each
// counted over every server read so that a pool is shown whole.
func poolsByRole(pools []fleet.Pool, servers []fleet.Server, sp *fleet.Spread) map[string][]fleet.PoolSpread {
	if len(pools) == 0 || sp == nil {
		return nil
	}
	out := map[string][]fleet.PoolSpread{}
	for _, ps := range fleet.SelectPools(pools, servers, nil, fleet.Selection{}) {
		role := poolRole(ps.Pool, servers, sp)
		out[role] = append(out[role], ps)
	}
	return out
}

func poolRole(p fleet.Pool, servers []fleet.Server, sp *fleet.Spread) string {
	for _, s := range servers {
		if p.HasMember(s.ID) {
			return sp.Options.Role(s)
		}
	}
	return p.Name
}

// poolRows are the lines of role's pools; a folded pool shows its first line only.
func (l *fleetList) poolRows(role string) []rowSeg {
	var out []rowSeg
	for _, ps := range l.pools[role] {
		head := listRow{kind: rowPool, role: role, pool: &poolLine{spread: ps}}
		out = append(out, rowSeg{row: head})
		if !l.collapsed[head.key()] {
			out = append(out, rowSeg{row: listRow{kind: rowPool, role: role, pool: &poolLine{spread: ps, n: 1}}})
		}
	}
	return out
}

// poolAt is the pool of row r when it is one of a pool's lines.
func poolAt(r listRow) (fleet.PoolSpread, bool) {
	if r.kind != rowPool || r.pool == nil {
		return fleet.PoolSpread{}, false
	}
	return r.pool.spread, true
}

func (f *fleetScreen) poolRowView(c *common, r listRow) string {
	s := c.styles
	ps := r.pool.spread
	if r.pool.n == 1 {
		return "      " + s.Muted.Render("template ") + ps.Pool.TemplateName() + " " + c.poolImages(ps)
	}
	info := []string{ps.Pool.Status, ps.Pool.SizeText(), fmt.Sprintf("cooldown %dm", ps.Pool.CooldownMinutes()),
		plural(len(ps.Pool.Members), "member")}
	return "  " + f.foldGlyph(r) + " " + s.Accent.Render("⧉ pool "+ps.Pool.Name) + "  " + s.Muted.Render(strings.Join(info, " · "))
}

// poolImages is the members by image, the template's first, and how many are behind it.
func (c *common) poolImages(ps fleet.PoolSpread) string {
	s := c.styles
	var parts []string
	for _, im := range ps.Census.Images {
		if !im.Template {
			parts = append(parts, fmt.Sprintf("%s ×%d", imageName(im.Image), im.Count))
		}
	}
	behind := s.OK.Render("✓ none behind")
	if ps.Census.Behind > 0 {
		behind = s.Warn.Render(fmt.Sprintf("↓ %d behind the template", ps.Census.Behind))
	}
	return strings.Join(append([]string{s.Muted.Render(templateCount(ps.Census))}, parts...), " · ") + " · " + behind
}

// templateCount is how many members run the template's image: "×4".
func templateCount(c fleet.PoolCensus) string {
	for _, im := range c.Images {
		if im.Template {
			return fmt.Sprintf("×%d", im.Count)
		}
	}
	return "×0"
}

// poolDetails describes a pool in the details pane.
func (c *common) poolDetails(ps fleet.PoolSpread) []string {
	s, p := c.styles, ps.Pool
	lines := []string{s.Bold.Render("pool " + p.Name), c.field("status", p.Status), c.field("size", p.SizeText()),
		c.field("cooldown", fmt.Sprintf("%d min between changes", p.CooldownMinutes())),
		c.field("members", strconv.Itoa(len(p.Members))), c.field("template", p.TemplateName())}
	for _, im := range ps.Census.Images {
		mark := ""
		if im.Template {
			mark = " (template)"
		}
		lines = append(lines, c.field("", fmt.Sprintf("%s ×%d%s", imageName(im.Image), im.Count, mark)))
	}
	behind := s.OK.Render("✓ none")
	if ps.Census.Behind > 0 {
		behind = s.Warn.Render(fmt.Sprintf("↓ %d of %d", ps.Census.Behind, len(p.Members)))
	}
	return append(lines, c.field("behind", behind), s.Muted.Render("The pool replaces its members: roll the pool."))
}
