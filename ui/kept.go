package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// keptServer is an old droplet a rollout that ended powered off and keeps for a fast
// rollback: it serves nothing, so it is left out of the spread and listed apart, under
// its role.
type keptServer struct {
	fleet.Server
	// role is the role it had when the rollout began (the handover may have taken its
	// role tag away with a tag-based load balancer); rollout is the one keeping it.
	role, rollout string
	// until is when the rollout's keep time ends (zero: kept until finalised).
	until time.Time
}

// splitKept parts the fleet into the servers that serve and the old droplets kept by
// rollouts that have ended (off, and still locked by a rollout not running here).
func (c *common) splitKept(servers []fleet.Server) (serving []fleet.Server, kept []keptServer) {
	for _, s := range servers {
		if k, ok := c.keptOf(s); ok {
			kept = append(kept, k)
			continue
		}
		serving = append(serving, s)
	}
	return serving, kept
}

// keptOf reports whether s is an old droplet kept by a rollout that has ended, and
// what the journal says of it.
func (c *common) keptOf(s fleet.Server) (keptServer, bool) {
	id := actions.LockOf(s.Tags)
	if id == "" || s.Status != "off" || c.inFlight(id) {
		return keptServer{}, false
	}
	k := keptServer{Server: s, rollout: id, role: fleet.Options{}.Role(s)}
	plan, ended, ok := c.planOf(id)
	if !ok {
		return k, true
	}
	for _, rep := range plan.Replacements() {
		if rep.Old.ID == s.ID && k.role == fleet.NoRole {
			k.role = fleet.Options{}.Role(rep.Old)
		}
	}
	if ttl := plan.Strategy.Retire.TTL.D(); ttl > 0 {
		k.until = ended.Add(ttl)
	}
	return k, true
}

// inFlight reports whether rollout id is the run followed here and the fleet shown was
// read before it ended: its droplets were still in its hands.
func (c *common) inFlight(id string) bool {
	l := c.live
	if l == nil || l.run.ID() != id {
		return false
	}
	return l.done == nil || c.load.readBegan.Before(l.done.At)
}

// planOf is the plan of rollout id and when it ended: the run followed here, or the
// journal's.
func (c *common) planOf(id string) (actions.Plan, time.Time, bool) {
	if l := c.live; l != nil && l.run.ID() == id && l.done != nil {
		return l.run.Plan(), l.done.At, true
	}
	i := slices.IndexFunc(c.rollouts, func(r rollout) bool { return r.ID == id })
	if i < 0 {
		return actions.Plan{}, time.Time{}, false
	}
	return c.rollouts[i].plan, c.rollouts[i].updated, true
}

// keptWords says who keeps the droplet and for how long: "off, by rollout …-ab12, 23h left".
func (k keptServer) keptWords(now time.Time) string {
	switch {
	case k.until.IsZero():
		return fmt.Sprintf("off, by rollout %s until it is finalised", k.rollout)
	case !now.Before(k.until):
		return fmt.Sprintf("off, by rollout %s, its keep time over", k.rollout)
	}
	return fmt.Sprintf("off, by rollout %s, %s left", k.rollout, formatAge(k.until.Sub(now)))
}

// ttlLeft is the keep time left, short: "23h", "until finalised", "over".
func (k keptServer) ttlLeft(now time.Time) string {
	switch {
	case k.until.IsZero():
		return "until finalised"
	case !now.Before(k.until):
		return "keep time over"
	}
	return formatAge(k.until.Sub(now)) + " left"
}

// keptByRole groups the kept droplets the filter lets through by role, by name.
func (l *fleetList) keptByRole(q filterQuery) map[string][]keptServer {
	out := map[string][]keptServer{}
	for _, k := range l.kept {
		if q.match(serverFacts{s: &k.Server, role: k.role, label: "kept"}) {
			out[k.role] = append(out[k.role], k)
		}
	}
	for _, ks := range out {
		slices.SortFunc(ks, func(a, b keptServer) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// keptRows are a role's kept droplets under their header, unless folded.
func (l *fleetList) keptRows(role string, kept []keptServer) []rowSeg {
	if len(kept) == 0 {
		return nil
	}
	rows := []rowSeg{{row: listRow{kind: rowKept, role: role, kept: &kept[0], nKept: len(kept)}}}
	if l.collapsed["kept:"+role] {
		return rows
	}
	return append(rows, rowSeg{row: listRow{kind: rowServer, role: role}, kept: kept})
}

// onKept reports whether the cursor is on kept droplets (their group or one of them).
func (f *fleetScreen) onKept() bool {
	cur, ok := f.list.current()
	return ok && cur.kept != nil
}

// keptHeader heads a role's kept droplets: how many, whose, and for how long.
func (f *fleetScreen) keptHeader(c *common, r listRow) string {
	s := c.styles
	info := []string{plural(r.nKept, "server"), "rollout " + r.kept.rollout, r.kept.ttlLeft(c.now())}
	return "  " + f.foldGlyph(r) + " " + s.Muted.Render("○") + " " + s.Bold.Render("kept (off)") + "  " +
		s.Muted.Render(strings.Join(info, " · "))
}

// keptDetails describes a kept droplet, or its group.
func (c *common) keptDetails(r listRow, width int) []string {
	s, k := c.styles, r.kept
	if r.kind == rowKept {
		return []string{s.Bold.Render("kept (off)"), c.field("servers", strconv.Itoa(r.nKept)),
			c.field("rollout", k.rollout), c.field("left", k.ttlLeft(c.now())),
			s.Muted.Render("Old droplets powered off for a fast rollback."), s.Muted.Render("h lists the rollout; b there rolls it back.")}
	}
	lines := []string{s.Bold.Render(k.Name), c.field("id", strconv.Itoa(k.ID)), c.field("role", k.role)}
	lines = append(lines, c.fieldLines("kept", k.keptWords(c.now()), width)...)
	return append(lines,
		c.field("image", imageName(k.Image)),
		c.field("status", c.statusView(k.Status, 0)),
		c.field("region", k.Region+" · "+k.Size),
		c.field("created", created(k.Server)))
}
