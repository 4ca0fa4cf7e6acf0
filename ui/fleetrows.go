package ui

import (
	"iter"
	"sort"

	"github.com/molt-sh/molt/fleet"
)

// The fleet list at scale: a fleet of 100,000 servers is grouped, sorted and filtered
// once per load, sort or filter (groups), and the rows are laid out from the groups
// without a value per server (rowList), so that folding, moving the cursor and drawing
// a frame cost what is shown, not the fleet.

// group is the servers of one release of one role that the filter lets through, in the
// list's order; the servers point into the spread's slice, which is never changed.
type group struct {
	role      string
	release   *fleet.Release
	rank      int
	straggler bool
	// pet says the group holds the role's pets on the release (fleet.PetReason): servers
	// outside the immutable model, listed in the pets section after the roles.
	pet     bool
	members []*fleet.Server
}

// groups is the fleet as the list shows it before folding: every role's groups, in the
// spread's order of roles and the list's order of releases.
type groups struct {
	list []group
	// of is the group of each server the filter lets through, by ID.
	of map[int]int32
	// count is the servers in all groups.
	count int
}

// sortedGroups is every group of the spread, unfiltered, each sorted by the list's order:
// sorted once per load and sort, then filtered by keeping the order. The roles' groups
// come first, in the spread's order of roles; then the pets' groups (servers outside
// the immutable model: fleet.PetReason), in the same order, which the list shows as a
// section of their own. Groups left empty are dropped.
func sortedGroups(sp *fleet.Spread, order sortOrder, reverse bool, newer map[string]bool) []group {
	type at struct {
		rel  *fleet.Release
		role string
	}
	index := map[at][2]int{} // release and role -> index in roles and in pets
	var roles, pets []group
	for _, rs := range sp.Roles {
		for _, rank := range releaseOrder(len(rs.Releases), order, reverse) {
			rel := rs.Releases[rank]
			index[at{rel, rs.Role}] = [2]int{len(roles), len(pets)}
			straggler := rs.Newest != nil && (rel != rs.Newest || newer[rs.Role])
			roles = append(roles, group{role: rs.Role, release: rel, rank: rank, straggler: straggler,
				members: make([]*fleet.Server, 0, rel.Roles[rs.Role])})
			pets = append(pets, group{role: rs.Role, release: rel, rank: rank, pet: true})
		}
	}
	servers := sp.Servers()
	for i := range servers {
		s := &servers[i]
		rel := sp.ReleaseOf(*s)
		if rel == nil {
			continue
		}
		k, ok := index[at{rel, sp.Options.Role(*s)}]
		switch {
		case !ok:
		case fleet.PetReason(*s, sp.Options.RolePrefix) != "":
			pets[k[1]].members = append(pets[k[1]].members, s)
		default:
			roles[k[0]].members = append(roles[k[0]].members, s)
		}
	}
	out := make([]group, 0, len(roles))
	for _, g := range append(roles, pets...) {
		if len(g.members) > 0 {
			sortServers(g.members, order, reverse)
			out = append(out, g)
		}
	}
	return out
}

// filterGroups keeps the servers of all that q lets through, in their order. It reads
// only what it is given, so it can run outside Update.
func filterGroups(all []group, q filterQuery) *groups {
	out := &groups{list: make([]group, len(all)), of: map[int]int32{}}
	for i, g := range all {
		out.list[i] = g
		if len(q) > 0 {
			out.list[i].members = nil
			for _, s := range g.members {
				if q.match(serverFacts{s: s, role: g.role, label: g.release.Label}) {
					out.list[i].members = append(out.list[i].members, s)
				}
			}
		}
		for _, s := range out.list[i].members {
			out.of[s.ID] = int32(i)
		}
		out.count += len(out.list[i].members)
	}
	return out
}

// rowList is the rows of the fleet list: headers one by one, each group's servers as
// one run that makes its rows only when asked.
type rowList struct {
	segs []rowSeg
	// starts is the first row of each segment.
	starts []int
	n      int
}

// rowSeg is one header row, or the rows of a run of servers: a group's (members) or a
// role's kept droplets (kept), each row row with its server.
type rowSeg struct {
	row     listRow
	members []*fleet.Server
	// group is the index of members' group in groups.list.
	group int
	kept  []keptServer
}

func (s rowSeg) len() int {
	if s.row.kind == rowServer {
		return len(s.members) + len(s.kept)
	}
	return 1
}

// add appends a segment (an empty run adds nothing).
func (r *rowList) add(s rowSeg) {
	if n := s.len(); n > 0 {
		r.segs = append(r.segs, s)
		r.starts = append(r.starts, r.n)
		r.n += n
	}
}

// Len is the number of rows.
func (r *rowList) Len() int { return r.n }

// At is row i, made on demand.
func (r *rowList) At(i int) listRow {
	k := sort.Search(len(r.starts), func(k int) bool { return r.starts[k] > i }) - 1
	s := r.segs[k]
	row := s.row
	switch j := i - r.starts[k]; {
	case s.row.kind != rowServer:
	case s.kept != nil:
		row.server, row.kept = s.kept[j].Server, &s.kept[j]
	default:
		row.server = *s.members[j]
	}
	return row
}

// All is every row with its index.
func (r *rowList) All() iter.Seq2[int, listRow] {
	return func(yield func(int, listRow) bool) {
		for i := range r.n {
			if !yield(i, r.At(i)) {
				return
			}
		}
	}
}

// find is the index of the row like want (see listRow.key), or -1. A server is looked up
// in its group (of), not among all the rows.
func (r *rowList) find(want listRow, of map[int]int32) int {
	k := want.key()
	for i, s := range r.segs {
		switch {
		case s.row.kind != rowServer:
			if s.row.key() == k {
				return r.starts[i]
			}
		case want.kind != rowServer:
		case s.kept == nil && want.kept == nil:
			if g, ok := of[want.server.ID]; !ok || int(g) != s.group {
				continue
			}
			for j, m := range s.members {
				if m.ID == want.server.ID {
					return r.starts[i] + j
				}
			}
		case s.kept != nil && want.kept != nil:
			for j := range s.kept {
				if s.kept[j].ID == want.server.ID {
					return r.starts[i] + j
				}
			}
		}
	}
	return -1
}

// header is the index of the header row with key k, or -1.
func (r *rowList) header(k string) int {
	for i, s := range r.segs {
		if s.row.kind != rowServer && s.row.key() == k {
			return r.starts[i]
		}
	}
	return -1
}

// selectedIn counts the selected servers of row r, and its servers: by the selection
// or by the row's servers, whichever is fewer, so that a header over 25,000 servers
// costs nothing when a few are selected.
func (l *fleetList) selectedIn(r listRow) (n, all int) {
	switch {
	case r.kind == rowServer:
		if l.selected[r.server.ID] {
			return 1, 1
		}
		return 0, 1
	case len(l.selected) == 0 || r.count == 0:
		return 0, r.count
	case len(l.selected) < r.count:
		for id := range l.selected {
			if g, ok := l.shown.of[id]; ok && int(g) >= r.groups[0] && int(g) < r.groups[1] {
				n++
			}
		}
		return n, r.count
	}
	for _, run := range r.runs {
		for _, s := range run {
			if l.selected[s.ID] {
				n++
			}
		}
	}
	return n, r.count
}

// sameFleet reports whether b is the slice a, as a loader returns it when it found
// nothing changed (fleet.Inventory.Refresh): a snapshot is never changed once returned,
// so the spread and the list made from it still hold, and a fleet of 100,000 is not
// grouped again every few seconds.
func sameFleet(a, b []fleet.Server) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
