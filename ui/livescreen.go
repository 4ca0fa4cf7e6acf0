package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// livePane is the part of the live screen that scrolls.
type livePane int

const (
	paneSlots livePane = iota
	paneLog
)

// liveScreen shows the run followed (common.live): its progress, a row per replacement
// and the event log, each scrolling on its own (tab switches), and steers it. The log
// can be searched.
type liveScreen struct {
	focus       livePane
	slots, log  scroller
	search      lineInput
	searching   bool
	searchQuery string
}

func newLiveScreen() *liveScreen { return &liveScreen{search: lineInput{limit: 64}} }

// reset starts the screen afresh for a new run.
func (ls *liveScreen) reset() { *ls = *newLiveScreen() }

func (ls *liveScreen) typing() bool { return ls.searching }

// update steers the run (pause and resume, continue at a checkpoint, abort, which asks
// how first) and moves around the screen.
func (ls *liveScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	switch {
	case !ok:
		return nil, nil
	case ls.searching:
		ls.searchKey(k)
		return nil, nil
	}
	if ls.scrollKey(c, k) {
		return nil, nil
	}
	return ls.runKey(c, k)
}

// runKey handles the keys that steer the run or leave the screen.
func (ls *liveScreen) runKey(c *common, k tea.KeyPressMsg) (action, tea.Cmd) {
	l, keys := c.live, c.keys
	running := l.running()
	switch {
	case key.Matches(k, keys.Pause, keys.Continue, keys.Abort) && running && l.watching():
		c.warn("watching only: %s; steer it where it runs", l.run.(*journalWatch).drives())
	case key.Matches(k, keys.Back) && ls.searchQuery != "":
		ls.searchQuery, ls.search.value = "", ""
	case key.Matches(k, keys.Back):
		return show{to: ScreenFleet}, nil
	case key.Matches(k, keys.History):
		return show{to: ScreenHistory}, nil
	case key.Matches(k, keys.Pause) && running && !pausable(l.run):
		c.warn("%s", poolNoPause)
	case key.Matches(k, keys.Pause) && running:
		if l.status.State == actions.StatePaused {
			return nil, control(l.run.Resume)
		}
		return nil, control(l.run.Pause)
	case key.Matches(k, keys.Continue) && running:
		return nil, controlErr(l.run.Continue)
	case key.Matches(k, keys.Abort) && running:
		return openDialog{&abortDialog{}}, nil
	case key.Matches(k, keys.Pause, keys.Continue, keys.Abort):
		c.warn("the %s has ended: nothing to %s", l.kind, k.String())
	default:
		return ignored{}, nil
	}
	return nil, nil
}

// scrollKey moves the focused pane, switches panes, follows again, or opens the search;
// it reports whether the key was one of those.
func (ls *liveScreen) scrollKey(c *common, k tea.KeyPressMsg) bool {
	lay := ls.layout(c, c.width, c.bodyHeight())
	switch {
	case key.Matches(k, c.keys.Switch):
		ls.focus = 1 - ls.focus
	case key.Matches(k, c.keys.Filter):
		ls.focus, ls.searching, ls.search.value = paneLog, true, ls.searchQuery
	case key.Matches(k, c.keys.Follow):
		ls.pane().follow()
	default:
		d, ok := moveBy(c.keys, k, ls.paneRows(lay))
		if !ok {
			return false
		}
		total, first := ls.paneSpan(c, lay)
		ls.pane().move(d, first, total, ls.paneRows(lay))
		if ls.focus == paneLog && first+d >= total-lay.logRows {
			ls.log.follow() // at the bottom, the log follows the newest line again
		}
	}
	return true
}

// searchKey edits the search; the log follows every keystroke. Enter keeps it, esc
// drops it.
func (ls *liveScreen) searchKey(k tea.KeyPressMsg) {
	switch k.String() {
	case "enter":
		ls.searching = false
	case "esc":
		ls.searching, ls.search.value = false, ""
	default:
		ls.search.update(k)
	}
	ls.searchQuery = ls.search.value
	ls.log.follow()
}

func (ls *liveScreen) pane() *scroller {
	if ls.focus == paneLog {
		return &ls.log
	}
	return &ls.slots
}

func (ls *liveScreen) paneRows(lay liveLayout) int {
	if ls.focus == paneLog {
		return lay.logRows
	}
	return lay.rows
}

// paneSpan is the focused pane's length and the first line it shows now.
func (ls *liveScreen) paneSpan(c *common, lay liveLayout) (total, first int) {
	if ls.focus == paneLog {
		lines := ls.logLines(c)
		return len(lines), ls.logFirst(len(lines), lay.logRows)
	}
	slots := c.live.slots()
	return len(slots), ls.slotFirst(c, slots, lay.rows)
}

// liveLayout is how the live screen shares its height: the lines above the table, the
// table's rows and the log's.
type liveLayout struct {
	head          []string
	rows, logRows int
}

func (ls *liveScreen) layout(c *common, width, height int) liveLayout {
	head := []string{liveTitle(c), liveProgress(c, width), liveWave(c)}
	if note := liveNote(c); note != "" {
		head = append(head, note)
	}
	logH := max(4, (height-len(head)-2)*2/5)
	rows := max(height-len(head)-logH-2, 1)
	// A short table leaves its room to the log.
	shown := min(rows, len(c.live.slots()))
	return liveLayout{head: head, rows: rows, logRows: height - len(head) - shown - 2}
}

// view is the live rollout: progress with ETA, the current wave, a row per replacement,
// and the event log below.
func (ls *liveScreen) view(c *common, width, height int) []string {
	lay := ls.layout(c, width, height)
	lines := append(lay.head, ls.slotTable(c, width, lay.rows)...)
	lines = append(lines, ls.logView(c, lay.logRows)...)
	for i := range lines {
		lines[i] = fit(lines[i], width)
	}
	return lines
}

// paneTitle marks the focused pane's title, so that the focus shows without colour;
// blank stands in for the mark on the other pane.
func (ls *liveScreen) paneTitle(c *common, p livePane, title, blank string) string {
	if ls.focus == p {
		return c.styles.Title.Render("▸ " + title)
	}
	return blank + c.styles.Bold.Render(title)
}

// slotTable is a row per replacement under a header, kept around the first one not
// over yet unless scrolled.
func (ls *liveScreen) slotTable(c *common, width, rows int) []string {
	s, slots := c.styles, c.live.slots()
	first := ls.slotFirst(c, slots, rows)
	head := ls.paneTitle(c, paneSlots, pad("old", 18), "  ") + " " + s.Muted.Render(fmt.Sprintf("%s %s %s time",
		pad("new", newColumn(c)), pad("phase", 19), pad("health", 7)))
	lines := []string{spaceBetween(head, s.Muted.Render(position(first, rows, len(slots))), width)}
	for i := first; i < len(slots) && len(lines) <= rows; i++ {
		lines = append(lines, slotRow(c, slots[i], newColumn(c)))
	}
	return lines
}

func (ls *liveScreen) slotFirst(c *common, slots []actions.SlotStatus, rows int) int {
	return ls.slots.first(slotAnchor(c.live, slots)-rows/3, len(slots), rows)
}

// logLines are the event log's lines the search lets through; without a search, all
// but the quiet ones (each step's start and time).
func (ls *liveScreen) logLines(c *common) []logLine {
	q := strings.ToLower(ls.searchQuery)
	var out []logLine
	for _, e := range c.live.log {
		if q == "" && !e.quiet || q != "" && strings.Contains(strings.ToLower(e.text), q) {
			out = append(out, e)
		}
	}
	return out
}

func (ls *liveScreen) logFirst(total, rows int) int { return ls.log.first(total-rows, total, rows) }

// logView is the log's title and the rows that fit: the newest, unless scrolled.
func (ls *liveScreen) logView(c *common, rows int) []string {
	s, lines := c.styles, ls.logLines(c)
	first := ls.logFirst(len(lines), rows)
	info := fmt.Sprintf("(%d, newest last)", len(lines))
	if pos := position(first, rows, len(lines)); pos != "" {
		info = pos + ", newest last"
	}
	if ls.searchQuery != "" {
		info = fmt.Sprintf("%d of %d match %q", len(lines), len(c.live.log), ls.searchQuery) + prefixed(" · ", position(first, rows, len(lines)))
	}
	out := []string{ls.paneTitle(c, paneLog, "Events", "") + "  " + s.Muted.Render(info)}
	for i := first; i < len(lines) && len(out) <= rows; i++ {
		out = append(out, logLineView(c, lines[i]))
	}
	return out
}

// statusLine shows the search being typed or kept.
func (ls *liveScreen) statusLine(c *common) (typing, note, right string) {
	s := c.styles
	switch {
	case ls.searching:
		typing = s.Accent.Render("/ ") + ls.search.view() + s.Muted.Render("  enter keep · esc clear")
	case ls.searchQuery != "":
		note = s.Accent.Render("search: ") + ls.searchQuery + s.Muted.Render(" (esc clears)")
	}
	return typing, note, c.selectionText()
}

// keyBar offers what the run allows (continue only at a checkpoint), then how to move.
func (ls *liveScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	if ls.searching {
		return []key.Binding{answer("enter", "keep the search"), answer("esc", "clear it"), answer("ctrl+c", "quit")}
	}
	other := withHelp(k.Switch, map[livePane]string{paneSlots: "events", paneLog: "replacements"}[ls.focus])
	if !c.running() || c.live.watching() {
		return []key.Binding{withHelp(k.Back, "fleet"), k.History, other, withHelp(k.Filter, "search")}
	}
	out := []key.Binding{k.Pause}
	if !pausable(c.live.run) {
		out = nil // a pool rollout: nothing holds a pool (poolengine.go)
	}
	if c.live.status.Checkpoint != nil {
		out = []key.Binding{k.Continue, k.Pause}
	}
	return append(out, k.Abort, withHelp(k.Back, "fleet"), other)
}

func (ls *liveScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: liveLegend, groups: []helpGroup{
		{"Rollout", []helpItem{item(k.Pause), item(withHelp(k.Continue, "continue at a checkpoint")), item(k.Abort),
			item(k.History), item(withHelp(k.Back, "back to the fleet (the rollout goes on)"))}},
		{"Move", []helpItem{item(withHelp(k.Switch, "replacements or events")), pair(k.Up, k.Down, "scroll"),
			pair(k.PageUp, k.PageDown, "page"), halfPage(k), pair(k.Top, k.Bottom, "top, bottom"),
			item(withHelp(k.Follow, "follow the rollout again")), item(withHelp(k.Filter, "search the events"))}},
		generalHelp(k)}}
}

// liveLegend explains the glyphs of the live view.
const liveLegend = "✓ done  ⠋ in flight  · waiting  ✗ failed  – cancelled  ↶ rolled back\n" +
	"bar: █ replaced ✗ failed ─ cancelled ▒ put back ░ to do · ▸ focused pane"

// control steers the run from a Cmd: steering journals, which is IO.
func control(fn func()) tea.Cmd {
	return func() tea.Msg {
		fn()
		return nil
	}
}

// controlRefusedMsg says why the run did not take a control action.
type controlRefusedMsg struct{ err error }

// controlErr steers the run from a Cmd, reporting a refusal (a continue when the run
// waits for nobody) as a controlRefusedMsg.
func controlErr(fn func() error) tea.Cmd {
	return func() tea.Msg {
		if err := fn(); err != nil {
			return controlRefusedMsg{err: err}
		}
		return nil
	}
}
