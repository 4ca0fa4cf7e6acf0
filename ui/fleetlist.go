package ui

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/molt-sh/molt/fleet"
)

// rowKind is what a line of the fleet list shows.
type rowKind int

const (
	rowRole rowKind = iota
	rowVersion
	rowServer
	// rowKept heads a role's old droplets kept (off) by rollouts that ended.
	rowKept
)

// listRow is one line of the fleet list: a role header, a version header, or a server.
type listRow struct {
	kind    rowKind
	role    string
	release *fleet.Release
	// rank is the release's place in its role, 0 for the newest.
	rank   int
	server fleet.Server
	// ids are the servers under a header that the filter lets through.
	ids       []int
	straggler bool
	// versions counts the releases under a role header, nKept its kept droplets.
	versions, nKept int
	// kept is set on a kept droplet's row (and the first of them on its group's header).
	kept *keptServer
}

// key identifies the row across rebuilds, so the cursor can stay on it.
func (r listRow) key() string {
	switch r.kind {
	case rowRole:
		return "role:" + r.role
	case rowVersion:
		return "ver:" + r.role + "|" + r.release.Key
	case rowKept:
		return "kept:" + r.role
	}
	return "srv:" + strconv.Itoa(r.server.ID)
}

// sortOrder orders servers inside a version group; sortVersion orders the version
// groups of each role (newest first, or oldest first reversed), servers by name.
type sortOrder int

const (
	sortName sortOrder = iota
	sortRegion
	sortAge
	sortStatus
	sortVersion
	sortSize
	sortOrders
)

// String names the order as the column headers and notices say it.
func (o sortOrder) String() string {
	return [...]string{"name", "region", "age", "status", "version", "size"}[o]
}

// fleetList is the fleet grouped by role, then version: what is folded, selected and
// under the cursor.
type fleetList struct {
	rows      []listRow
	cursor    int
	offset    int
	collapsed map[string]bool
	// selected is the UI's selection (common.selected), edited in place.
	selected map[int]bool
	filter   string
	sort     sortOrder
	// reverse turns the sort around.
	reverse bool
	// servers is every server in the fleet by ID, for the selection.
	servers map[int]fleet.Server
	// kept are the old droplets kept by rollouts that ended, listed apart.
	kept []keptServer
	// newer are the roles with an image newer than any of their servers run: every one
	// of their servers is behind.
	newer map[string]bool
}

// newFleetList is an empty list whose selection is selected (shared with the other
// screens).
func newFleetList(selected map[int]bool) fleetList {
	return fleetList{collapsed: map[string]bool{}, selected: selected, servers: map[int]fleet.Server{}}
}

// rebuild lays the rows out again from sp, keeping the cursor on the same row when it
// still exists and dropping selected servers that are gone.
func (l *fleetList) rebuild(sp *fleet.Spread, kept []keptServer) {
	keep := ""
	if cur, ok := l.current(); ok {
		keep = cur.key()
	}
	l.kept = kept
	l.servers = map[int]fleet.Server{}
	for _, s := range sp.Servers() {
		l.servers[s.ID] = s
	}
	for id := range l.selected {
		if _, ok := l.servers[id]; !ok {
			delete(l.selected, id)
		}
	}
	l.rows = l.layout(sp)
	l.cursor = min(l.cursor, max(len(l.rows)-1, 0))
	for i, r := range l.rows {
		if r.key() == keep {
			l.cursor = i
		}
	}
}

// relayout lays the rows out again after a change of filter, sort or fold.
func (l *fleetList) relayout(sp *fleet.Spread) { l.rebuild(sp, l.kept) }

// layout builds the rows: for each role its header, then each release newest first with
// its servers, skipping what the filter hides and what is folded.
func (l *fleetList) layout(sp *fleet.Spread) []listRow {
	byGroup := map[string][]fleet.Server{}
	q := parseFilter(l.filter)
	for _, s := range sp.Servers() {
		f := serverFacts{s: s, role: sp.Options.Role(s)}
		if rel := sp.ReleaseOf(s); rel != nil {
			f.label = rel.Label
		}
		if q.match(f) {
			k := f.role + "|" + sp.Options.ReleaseKey(s)
			byGroup[k] = append(byGroup[k], s)
		}
	}
	keptBy := l.keptByRole(q)
	var rows []listRow
	for _, rs := range sp.Roles {
		rows = append(rows, l.roleRows(rs, byGroup, keptBy[rs.Role])...)
		delete(keptBy, rs.Role)
	}
	for _, role := range slices.Sorted(maps.Keys(keptBy)) {
		rows = append(rows, l.roleRows(&fleet.RoleSpread{Role: role}, byGroup, keptBy[role])...)
	}
	return rows
}

func (l *fleetList) roleRows(rs *fleet.RoleSpread, byGroup map[string][]fleet.Server, kept []keptServer) []listRow {
	head := listRow{kind: rowRole, role: rs.Role}
	var body []listRow
	for _, rank := range l.releaseOrder(len(rs.Releases)) {
		rel := rs.Releases[rank]
		servers := byGroup[rs.Role+"|"+rel.Key]
		if len(servers) == 0 {
			continue
		}
		l.sortServers(servers)
		straggler := rs.Newest != nil && (rel != rs.Newest || l.newer[rs.Role])
		vh := listRow{kind: rowVersion, role: rs.Role, release: rel, rank: rank, straggler: straggler}
		for _, s := range servers {
			vh.ids = append(vh.ids, s.ID)
		}
		head.ids = append(head.ids, vh.ids...)
		head.versions++
		body = append(body, vh)
		if l.collapsed[vh.key()] {
			continue
		}
		for _, s := range servers {
			body = append(body, listRow{kind: rowServer, role: rs.Role, release: rel, rank: rank, server: s, straggler: straggler})
		}
	}
	head.nKept = len(kept)
	body = append(body, l.keptRows(rs.Role, kept)...)
	if len(head.ids) == 0 && len(kept) == 0 {
		return nil
	}
	if l.collapsed[head.key()] {
		return []listRow{head}
	}
	return append([]listRow{head}, body...)
}

// releaseOrder is the order of a role's n releases (newest first): reversed when sorted
// by version the other way.
func (l *fleetList) releaseOrder(n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if l.sort == sortVersion && l.reverse {
		slices.Reverse(order)
	}
	return order
}

// sortServers orders the servers of a group by the sort, then by name and ID; age is
// youngest first, size smallest first.
func (l *fleetList) sortServers(servers []fleet.Server) {
	slices.SortStableFunc(servers, func(a, b fleet.Server) int {
		var c int
		switch l.sort {
		case sortRegion:
			c = strings.Compare(a.Region, b.Region)
		case sortAge:
			c = b.CreatedAt.Compare(a.CreatedAt)
		case sortStatus:
			c = strings.Compare(a.Status, b.Status)
		case sortSize:
			c = cmp.Or(cmp.Compare(a.Disk, b.Disk), strings.Compare(a.Size, b.Size))
		}
		c = cmp.Or(c, strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
		if l.reverse && l.sort != sortVersion {
			return -c
		}
		return c
	})
}

// sortMark is the arrow the sorted column's header carries: ▲ smallest (A, youngest)
// first, ▼ largest first; versions go newest first unless reversed.
func (l *fleetList) sortMark() string { return arrow((l.sort == sortVersion) != l.reverse) }

// arrow is ▼ for a column sorted largest (or newest) first, else ▲.
func arrow(descending bool) string {
	if descending {
		return "▼"
	}
	return "▲"
}

// current is the row under the cursor.
func (l *fleetList) current() (listRow, bool) {
	if l.cursor < 0 || l.cursor >= len(l.rows) {
		return listRow{}, false
	}
	return l.rows[l.cursor], true
}

// move shifts the cursor by delta rows, clamped to the list.
func (l *fleetList) move(delta int) {
	l.cursor = max(0, min(l.cursor+delta, len(l.rows)-1))
}

// setFolded folds or unfolds the header under the cursor, or the group of the server
// under it (then moving the cursor to that group's header).
func (l *fleetList) setFolded(folded bool) string {
	cur, ok := l.current()
	if !ok {
		return ""
	}
	switch {
	case cur.kind == rowServer && cur.kept != nil:
		cur = listRow{kind: rowKept, role: cur.role}
	case cur.kind == rowServer:
		cur = listRow{kind: rowVersion, role: cur.role, release: cur.release}
	}
	if folded {
		l.collapsed[cur.key()] = true
	} else {
		delete(l.collapsed, cur.key())
	}
	return cur.key()
}

// toggleSelect selects the server under the cursor, or every server of the header under
// it; when all of them were selected already, it clears them instead.
func (l *fleetList) toggleSelect() {
	cur, ok := l.current()
	if !ok {
		return
	}
	ids := cur.ids
	if cur.kind == rowServer {
		ids = []int{cur.server.ID}
	}
	l.setSelected(ids, !l.allSelected(ids))
}

func (l *fleetList) allSelected(ids []int) bool {
	for _, id := range ids {
		if !l.selected[id] {
			return false
		}
	}
	return len(ids) > 0
}

func (l *fleetList) setSelected(ids []int, on bool) {
	for _, id := range ids {
		if on {
			l.selected[id] = true
		} else {
			delete(l.selected, id)
		}
	}
}

// visibleIDs are the servers the filter lets through, folded or not.
func (l *fleetList) visibleIDs() []int {
	var ids []int
	for _, r := range l.rows {
		if r.kind == rowRole {
			ids = append(ids, r.ids...)
		}
	}
	return ids
}

// selection is the selected servers, in list order (by name, then ID).
func (l *fleetList) selection() []fleet.Server {
	out := make([]fleet.Server, 0, len(l.selected))
	for id := range l.selected {
		out = append(out, l.servers[id])
	}
	slices.SortFunc(out, func(a, b fleet.Server) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}
