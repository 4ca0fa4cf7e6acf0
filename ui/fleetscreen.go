package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// fleetScreen is the home screen: the version spread, the fleet list grouped by role
// and version, the filter, and the details of the row under the cursor.
type fleetScreen struct {
	list   fleetList
	filter lineInput
	focus  Focus
}

func newFleetScreen(selected map[int]bool) *fleetScreen {
	return &fleetScreen{list: newFleetList(selected), filter: lineInput{limit: 64}}
}

func (f *fleetScreen) typing() bool { return f.focus == FocusFilter }

// update handles the fleet screen's keys: the filter being typed, the details pane
// when it has the focus, else the list.
func (f *fleetScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	if cmd, ok := f.list.onFilterMsg(msg); ok {
		return nil, cmd
	}
	k, ok := msg.(tea.KeyPressMsg)
	switch {
	case !ok:
		return nil, nil
	case f.focus == FocusFilter:
		return nil, f.filterKey(k)
	case f.focus == FocusDetails:
		if key.Matches(k, c.keys.Back, c.keys.Enter) {
			f.focus = FocusList
			return nil, nil
		}
		return ignored{}, nil
	}
	return f.listKey(c, k)
}

// filterKey edits the filter; the list follows the keystrokes (a big fleet's once they
// pause: filterasync.go). Enter keeps the filter, esc drops it.
func (f *fleetScreen) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		f.focus = FocusList
		return nil
	case "esc":
		f.filter.value = ""
		f.focus = FocusList
	default:
		f.filter.update(msg)
	}
	return f.list.filterTo(f.filter.value)
}

// listKey handles the keys of the fleet list.
func (f *fleetScreen) listKey(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	if d, ok := moveBy(k, msg, f.listHeight(c)-1); ok {
		f.list.move(d)
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Collapse, k.Expand):
		f.fold(c, key.Matches(msg, k.Collapse))
	case key.Matches(msg, k.Enter):
		f.enter(c)
	default:
		return f.action(c, msg)
	}
	return nil, nil
}

// action handles the fleet keys that do more than move.
func (f *fleetScreen) action(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	switch {
	case key.Matches(msg, k.Select) && f.onKept():
		c.warn("kept droplets are not replaced: roll their rollout back, or let it be finalised (h lists it)")
	case key.Matches(msg, k.Select):
		f.list.toggleSelect()
	case key.Matches(msg, k.SelectAll):
		ids := f.list.visibleIDs()
		f.list.setSelected(ids, !f.list.allSelected(ids))
	case key.Matches(msg, k.Back):
		f.clearOne(c)
	case key.Matches(msg, k.Filter):
		f.focus = FocusFilter
		f.filter.value = f.list.filter
	case key.Matches(msg, k.Sort):
		f.list.sort, f.list.reverse = (f.list.sort+1)%sortOrders, false
		f.list.resort()
		c.say("sorted by %s", f.list.sort)
	case key.Matches(msg, k.Reverse):
		f.list.reverse = !f.list.reverse
		f.list.resort()
		c.say("sorted by %s, %s", f.list.sort, map[bool]string{false: "the usual way", true: "reversed"}[f.list.reverse])
	case key.Matches(msg, k.Matrix):
		return show{to: ScreenMatrix}, nil
	case key.Matches(msg, k.Refresh):
		return nil, c.refresh()
	case key.Matches(msg, k.Export):
		return askExport(c, scopeOf(c, &f.list)), nil
	default:
		return f.runKey(c, msg)
	}
	return nil, nil
}

// runKey handles the fleet keys about rollouts: stage one, follow, continue or resume
// one, list them.
func (f *fleetScreen) runKey(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	switch {
	case key.Matches(msg, k.Stage):
		return f.stage(c), nil
	case key.Matches(msg, k.History):
		return show{to: ScreenHistory}, nil
	case key.Matches(msg, k.Trend):
		c.trendRole = ""
		if cur, ok := f.list.current(); ok && !(cur.pet && cur.kind == rowRole) {
			c.trendRole = cur.role
		}
		return show{to: ScreenTrend}, nil
	case key.Matches(msg, k.Live) && c.live == nil:
		c.say("no rollout has run in this session; h lists past ones")
	case key.Matches(msg, k.Live):
		return show{to: ScreenLive}, nil
	case key.Matches(msg, k.Continue):
		return continueRun(c)
	case key.Matches(msg, k.Resume):
		return offerNewest(c), nil
	default:
		if a, cmd, ok := f.auditKey(c, msg); ok {
			return a, cmd
		}
		return ignored{}, nil
	}
	return nil, nil
}

// continueRun goes on from the checkpoint the run followed waits at, or says why not.
func continueRun(c *common) (action, tea.Cmd) {
	if !c.running() || c.live.status.Checkpoint == nil {
		c.warn("nothing to continue: no rollout waits at a checkpoint")
		return nil, nil
	}
	return nil, controlErr(c.live.run.Continue)
}

// offerNewest offers to resume the newest unfinished rollout of this account in the
// journal, or says there is none.
func offerNewest(c *common) action {
	if c.busy() {
		return nil
	}
	mine, others := c.resumable()
	switch {
	case len(mine) > 0:
		return openDialog{&offerDialog{r: mine[0], others: others}}
	case others > 0:
		c.warn("nothing to resume on this account, only %s (h lists all)", c.othersCount(others))
	default:
		c.warn("nothing to resume: no rollout in the journal is unfinished (h lists them)")
	}
	return nil
}

// stage opens the stage screen on the selection, or on the servers under the cursor
// when nothing is selected.
func (f *fleetScreen) stage(c *common) action {
	if c.running() {
		c.warn("a rollout is running: wait for it to finish (l shows it)")
		return nil
	}
	servers := f.list.selection()
	if cur, ok := f.list.current(); ok && len(servers) == 0 {
		if ps, ok := poolAt(cur); ok {
			return stagePool(c, ps, cur.role) // a pool is rolled whole (poolstage.go)
		}
	}
	if len(servers) == 0 {
		if cur, ok := f.list.current(); ok {
			f.list.setSelected(cur.ids(), true)
			servers = f.list.selection()
		}
	}
	if len(servers) == 0 {
		c.warn("select servers first: space on a server or a version")
		return nil
	}
	st := newStage(servers, c.spread.Options, *c.deps.Strategy)
	st.strategy = c.strategyFor(st.rolesKey())
	return show{to: ScreenStage, with: st}
}

// fold folds or unfolds the group under the cursor, moving the cursor to its header.
func (f *fleetScreen) fold(c *common, folded bool) {
	k := f.list.setFolded(folded)
	f.list.refold()
	if i := f.list.rows.header(k); i >= 0 {
		f.list.cursor = i
	}
}

// enter folds or unfolds a header; on a server in a narrow window it opens the details.
func (f *fleetScreen) enter(c *common) {
	cur, ok := f.list.current()
	if !ok {
		return
	}
	if cur.kind != rowServer {
		f.fold(c, !f.list.collapsed[cur.key()])
		return
	}
	if c.width < wideWidth {
		f.focus = FocusDetails
	}
}

// clearOne undoes the most recent narrowing: first the filter, then the selection.
func (f *fleetScreen) clearOne(c *common) {
	switch {
	case f.list.filter != "":
		f.filter.value = ""
		f.list.filterTo("")
	case len(f.list.selected) > 0:
		n := len(f.list.selected)
		clear(f.list.selected)
		c.say("cleared the selection of %d", n)
	}
}

// listHeight is the number of list rows the fleet screen shows.
func (f *fleetScreen) listHeight(c *common) int {
	if c.spread == nil {
		return 1
	}
	return c.bodyHeight() - len(c.spreadView(c.width, c.tall(), f.cursorRole(c))) - 2 // a blank line, the header
}

// follow keeps the list's window around the cursor after any change.
func (f *fleetScreen) follow(c *common) {
	f.list.offset = window(f.list.offset, f.list.cursor, f.listHeight(c), f.list.rows.Len())
}

// view is the spread bars, then the list with the details pane beside it when the
// window is wide, or instead of it when details are focused.
func (f *fleetScreen) view(c *common, width, height int) []string {
	spread := c.spreadView(width, c.tall(), f.cursorRole(c))
	lines := append(spread, "")
	listH := height - len(lines)
	switch {
	case f.focus == FocusDetails && width < wideWidth:
		return append(lines, f.detailsView(c, width)...)
	case width >= wideWidth:
		listW := listWidth(width)
		list := f.listView(c, listW, listH)
		return append(lines, sideBySide(list, f.detailsView(c, min(width-listW-4, 60)), listW, listH)...)
	}
	return append(lines, f.listView(c, width, listH)...)
}

// listWidth is the fleet list's width beside the details in a wide window: what its
// rows need, so that the details sit next to them rather than at the far right.
func listWidth(width int) int { return min(width-42, 96) }

// cursorRole is the role of the row under the cursor (the first role when none).
func (f *fleetScreen) cursorRole(c *common) *fleet.RoleSpread {
	role := ""
	if cur, ok := f.list.current(); ok {
		role = cur.role
	}
	if rs := c.roleSpread(role); rs != nil {
		return rs
	}
	if len(c.spread.Roles) > 0 {
		return c.spread.Roles[0]
	}
	return nil
}

// statusLine shows the filter being typed or kept, and on the right the selection
// (with the selected servers the filter hides) and the sort.
func (f *fleetScreen) statusLine(c *common) (typing, note, right string) {
	s := c.styles
	switch {
	case f.focus == FocusFilter && f.filter.value == "":
		typing = s.Accent.Render("/ ") + f.filter.view() + s.Muted.Render("  words, role: region: version: name: ip: tag:, -word leaves out")
	case f.focus == FocusFilter:
		typing = s.Accent.Render("/ ") + f.filter.view() + s.Muted.Render("  enter keep · esc clear")
	case f.list.filter != "":
		note = s.Accent.Render("filter: ") + f.list.filter + s.Muted.Render(" (esc clears)")
	default:
		note = c.auditNote()
	}
	var parts []string
	if n := len(f.list.selected); n > 0 {
		sel := fmt.Sprintf("✓ %d selected", n)
		if hidden := f.hiddenSelected(); hidden > 0 {
			// s stages them too: say so while the filter hides them.
			sel += fmt.Sprintf(" (%d hidden)", hidden)
		}
		parts = append(parts, s.Selected.Render(sel))
	}
	if pos := f.position(c); pos != "" {
		parts = append(parts, s.Muted.Render(pos))
	}
	return typing, note, strings.Join(parts, "  ")
}

// position says which rows of the list are shown when not all of them are.
func (f *fleetScreen) position(c *common) string {
	return position(f.list.offset, f.listHeight(c), f.list.rows.Len())
}

// hiddenSelected counts the selected servers the filter hides.
func (f *fleetScreen) hiddenSelected() int {
	if f.list.filter == "" {
		return 0
	}
	n := 0
	for id := range f.list.selected {
		if _, shown := f.list.shown.of[id]; !shown {
			n++
		}
	}
	return n
}

func (f *fleetScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	switch f.focus {
	case FocusFilter:
		return []key.Binding{answer("enter", "keep the filter"), answer("esc", "clear it"), answer("ctrl+c", "quit")}
	case FocusDetails:
		return []key.Binding{k.Back}
	}
	var out []key.Binding
	if c.running() && c.live.status.Checkpoint != nil {
		out = append(out, withHelp(k.Continue, "continue the rollout"))
	}
	out = append(out, k.Select, k.Stage)
	if c.live != nil {
		out = append(out, withHelp(k.Live, "live"))
	}
	return append(out, k.Filter, k.Matrix, k.History, k.Trend, k.Enter, k.Export)
}

// fleetLegend explains the glyphs of the fleet list.
const fleetLegend = "█▓▒░ a role's versions, newest first   ↓ behind its role's newest\n" +
	"⟳ in a rollout   ⧉ in a pool (s on the pool rolls it)   ✓ selected   ◐ partly selected   › cursor\n" + filterLegend

// help is the keys of what has the focus: the list, the filter being typed, or the
// details in place of the list.
func (f *fleetScreen) help(c *common) helpPage {
	k := c.keys
	switch f.focus {
	case FocusFilter:
		return helpPage{groups: []helpGroup{{"Filter", []helpItem{item(answer("enter", "keep the filter")),
			item(answer("esc", "clear it")), item(answer("ctrl+u", "clear what was typed"))}}, generalHelp(k)},
			legend: filterLegend}
	case FocusDetails:
		return helpPage{groups: []helpGroup{{"Details", []helpItem{item(withHelp(k.Back, "back to the list")),
			item(withHelp(k.Enter, "back to the list"))}}, generalHelp(k)}, legend: c.fleetLegend()}
	}
	return helpPage{legend: c.fleetLegend(), groups: append(fleetHelpGroups(k), c.auditHelp())}
}

// filterLegend says what the filter matches.
const filterLegend = "/ finds names and versions; role:web region:nyc3 version:1.5\n" +
	"  name:web-* ip:10.0 tag:env:prod status:off narrow; -region:fra1 leaves out"

// fleetHelpGroups are the fleet screen's keys, in titled columns.
func fleetHelpGroups(k KeyMap) []helpGroup {
	return []helpGroup{
		{"Move", []helpItem{pair(k.Up, k.Down, "move"), pair(k.PageUp, k.PageDown, "page"),
			halfPage(k),
			pair(k.Top, k.Bottom, "top, bottom"), pair(k.Collapse, k.Expand, "fold, unfold"), item(k.Enter)}},
		{"Fleet", []helpItem{item(k.Select), item(k.SelectAll), item(k.Filter), item(k.Sort), item(k.Reverse),
			item(k.Matrix), item(withHelp(k.Trend, "spread over time")), item(k.Refresh), item(k.Export)}},
		{"Rollouts", []helpItem{item(k.Stage), item(k.Live), item(withHelp(k.Continue, "continue at a checkpoint")),
			item(k.History), item(withHelp(k.Resume, "resume an unfinished one"))}},
		{"General", []helpItem{item(k.Back), item(k.Help), item(k.Quit)}},
	}
}
