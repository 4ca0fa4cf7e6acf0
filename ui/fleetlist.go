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
	// rowPool is a line about an autoscale pool of the role (fleetpool.go).
	rowPool
)

// listRow is one line of the fleet list: a role header, a version header, or a server.
type listRow struct {
	kind    rowKind
	role    string
	release *fleet.Release
	// rank is the release's place in its role, 0 for the newest.
	rank   int
	server fleet.Server
	// runs are the servers under a header that the filter lets through, count how many,
	// and groups the range of their groups (groups.list[groups[0]:groups[1]]).
	runs      [][]*fleet.Server
	count     int
	groups    [2]int
	straggler bool
	// pet marks the pets section's rows: its header (role petsKey), and its version
	// headers and servers (role the servers' own).
	pet bool
	// versions counts the releases under a role header, nKept its kept droplets.
	versions, nKept int
	// kept is set on a kept droplet's row (and the first of them on its group's header).
	kept *keptServer
	// pool is set on a pool's lines (rowPool).
	pool *poolLine
}

// ids are the servers of the row: its own, or those under a header that the filter
// lets through.
func (r listRow) ids() []int {
	if r.kind == rowServer {
		return []int{r.server.ID}
	}
	out := make([]int, 0, r.count)
	for _, run := range r.runs {
		for _, s := range run {
			out = append(out, s.ID)
		}
	}
	return out
}

// key identifies the row across rebuilds, so the cursor can stay on it.
func (r listRow) key() string {
	switch r.kind {
	case rowRole:
		return "role:" + r.role
	case rowVersion:
		if r.pet {
			return "pet:" + r.role + "|" + r.release.Key
		}
		return "ver:" + r.role + "|" + r.release.Key
	case rowKept:
		return "kept:" + r.role
	case rowPool:
		return r.pool.key()
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
	rows      rowList
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
	servers map[int]*fleet.Server
	// sp is the spread laid out; all its groups sorted, shown those the filter lets
	// through (see fleetrows.go); cols the server columns' widths, sized to the fleet.
	sp    *fleet.Spread
	all   []group
	full  *groups
	shown *groups
	cols  columns
	// filterGen counts the filter's edits and dataGen the spreads and sorts, so that a
	// filter computed in the background for an older edit or older groups is dropped.
	filterGen, dataGen int
	// syncMax is the largest fleet filtered at each keystroke; a bigger one is filtered
	// in the background once the keys pause (filterasync.go).
	syncMax int
	// kept are the old droplets kept by rollouts that ended, listed apart.
	kept []keptServer
	// newer are the roles with an image newer than any of their servers run: every one
	// of their servers is behind.
	newer map[string]bool
	// pools are the autoscale pools of each role, shown under its header.
	pools map[string][]fleet.PoolSpread
}

// newFleetList is an empty list whose selection is selected (shared with the other
// screens).
func newFleetList(selected map[int]bool) fleetList {
	return fleetList{collapsed: map[string]bool{}, selected: selected, servers: map[int]*fleet.Server{},
		full: &groups{of: map[int]int32{}}, shown: &groups{of: map[int]int32{}}, syncMax: syncFilterMax}
}

// rebuild lays the rows out again from sp, keeping the cursor on the same row when it
// still exists and dropping selected servers that are gone. It groups, sorts and
// filters the fleet and sizes the columns: once per load, not per frame.
func (l *fleetList) rebuild(sp *fleet.Spread, kept []keptServer) {
	l.kept, l.sp = kept, sp
	servers := sp.Servers()
	l.servers = make(map[int]*fleet.Server, len(servers))
	for i := range servers {
		l.servers[servers[i].ID] = &servers[i]
	}
	for id := range l.selected {
		if _, ok := l.servers[id]; !ok {
			delete(l.selected, id)
		}
	}
	l.cols = fleetColumns(servers)
	l.resort()
}

// resort sorts the groups again, then filters and lays them out.
func (l *fleetList) resort() {
	l.dataGen++
	l.all = sortedGroups(l.sp, l.sort, l.reverse, l.newer)
	l.full = filterGroups(l.all, nil)
	l.refilter(l.filter, l.filtered(l.filter))
}

// filtered is the groups filter lets through, the fleet's own when it is empty.
func (l *fleetList) filtered(filter string) *groups {
	if q := parseFilter(filter); len(q) > 0 {
		return filterGroups(l.all, q)
	}
	return l.full
}

// refilter shows the groups filtered by filter.
func (l *fleetList) refilter(filter string, shown *groups) {
	l.filter, l.shown = filter, shown
	l.refold()
}

// refold lays the rows out from the groups shown, after a fold or a filter: the cost
// of the groups and the headers, not of the servers.
func (l *fleetList) refold() {
	keep, had := l.current()
	l.rows = l.layout()
	l.cursor = min(l.cursor, max(l.rows.Len()-1, 0))
	if had {
		if i := l.rows.find(keep, l.shown.of); i >= 0 {
			l.cursor = i
		}
	}
}

// layout builds the rows: for each role its header, then each release newest first with
// its servers, skipping what the filter hides and what is folded.
func (l *fleetList) layout() rowList {
	var rows rowList
	if l.sp == nil {
		return rows
	}
	keptBy := l.keptByRole(parseFilter(l.filter))
	g := 0
	for _, rs := range l.sp.Roles {
		end := g
		for end < len(l.shown.list) && l.shown.list[end].role == rs.Role && !l.shown.list[end].pet {
			end++
		}
		l.roleRows(&rows, rs.Role, g, end, keptBy[rs.Role])
		delete(keptBy, rs.Role)
		g = end
	}
	for _, role := range slices.Sorted(maps.Keys(keptBy)) {
		l.roleRows(&rows, role, g, g, keptBy[role])
	}
	l.petRows(&rows, g, len(l.shown.list))
	return rows
}

// petsKey is the pets section's header key: parentheses cannot be in a tag, so no role
// is named so.
const petsKey = "(pets)"

// petRows adds the pets section: its header and, unless folded, the pets' groups
// from..to of the groups shown, each under its role and release.
func (l *fleetList) petRows(rows *rowList, from, to int) {
	l.sectionRows(rows, listRow{kind: rowRole, role: petsKey, pet: true}, from, to, nil, nil)
}

// roleRows adds a role's header and, unless folded, its pools, its groups from..to of
// the groups shown and its kept droplets.
func (l *fleetList) roleRows(rows *rowList, role string, from, to int, kept []keptServer) {
	head := listRow{kind: rowRole, role: role, nKept: len(kept)}
	l.sectionRows(rows, head, from, to, l.poolRows(role), l.keptRows(role, kept))
}

// sectionRows adds a section of the list: head, and unless it is folded, the rows
// before, a version header and the servers (unless folded) of each of the groups
// from..to shown, then the rows after. A section with no server, nothing kept and no
// rows before (a role's pools) is left out.
func (l *fleetList) sectionRows(rows *rowList, head listRow, from, to int, before, after []rowSeg) {
	head.groups = [2]int{from, to}
	body := before
	for g := from; g < to; g++ {
		gr := l.shown.list[g]
		if len(gr.members) == 0 {
			continue
		}
		row := listRow{kind: rowServer, role: gr.role, release: gr.release, rank: gr.rank, straggler: gr.straggler, pet: gr.pet}
		vh := row
		vh.kind, vh.runs, vh.count, vh.groups = rowVersion, [][]*fleet.Server{gr.members}, len(gr.members), [2]int{g, g + 1}
		head.runs = append(head.runs, gr.members)
		head.count += len(gr.members)
		head.versions++
		body = append(body, rowSeg{row: vh})
		if !l.collapsed[vh.key()] {
			body = append(body, rowSeg{row: row, members: gr.members, group: g})
		}
	}
	body = append(body, after...)
	if head.count == 0 && head.nKept == 0 && len(before) == 0 {
		return
	}
	rows.add(rowSeg{row: head})
	if l.collapsed[head.key()] {
		return
	}
	for _, s := range body {
		rows.add(s)
	}
}

// releaseOrder is the order of a role's n releases (newest first): reversed when sorted
// by version the other way.
func releaseOrder(n int, order sortOrder, reverse bool) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	if order == sortVersion && reverse {
		slices.Reverse(out)
	}
	return out
}

// sortServers orders the servers of a group by the sort, then by name and ID; age is
// youngest first, size smallest first.
func sortServers(servers []*fleet.Server, order sortOrder, reverse bool) {
	slices.SortStableFunc(servers, func(a, b *fleet.Server) int {
		var c int
		switch order {
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
		if reverse && order != sortVersion {
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
	if l.cursor < 0 || l.cursor >= l.rows.Len() {
		return listRow{}, false
	}
	return l.rows.At(l.cursor), true
}

// move shifts the cursor by delta rows, clamped to the list.
func (l *fleetList) move(delta int) {
	l.cursor = max(0, min(l.cursor+delta, l.rows.Len()-1))
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
		cur = listRow{kind: rowVersion, role: cur.role, release: cur.release, pet: cur.pet}
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
	ids := cur.ids()
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
	ids := make([]int, 0, l.shown.count)
	for _, g := range l.shown.list {
		for _, s := range g.members {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// selection is the selected servers, in list order (by name, then ID).
func (l *fleetList) selection() []fleet.Server {
	out := make([]fleet.Server, 0, len(l.selected))
	for id := range l.selected {
		out = append(out, *l.servers[id])
	}
	slices.SortFunc(out, func(a, b fleet.Server) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	return out
}
