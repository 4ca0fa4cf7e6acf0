package ui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// Update dispatches a message to the handler of its kind; handlers change the model and
// return Cmds for any IO.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.sampleBudget()
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		m.styles = NewStyles(msg.IsDark())
	case tea.KeyPressMsg:
		m, cmd = m.handleKey(msg)
	case fleetProgressMsg:
		m, cmd = m.onProgress(msg)
	case fleetLoadedMsg:
		m, cmd = m.onLoaded(msg)
	case refreshTickMsg:
		if msg.gen == m.load.refreshGen && !m.load.loading {
			cmd = m.reload()
		}
	case exportDoneMsg:
		m.onExported(msg)
	case rolloutsLoadedMsg:
		m.onRollouts(msg)
	default:
		if next, c, ok := m.rolloutMsg(msg); ok {
			m, cmd = next, c
		} else if next, c, ok := m.sharedMsg(msg); ok {
			m, cmd = next, c
		}
	}
	m.list.offset = m.list.window(m.listHeight())
	return m, cmd
}

func (m *Model) sampleBudget() {
	if m.deps.RateBudget != nil {
		m.budgetLeft, m.budgetLimit = m.deps.RateBudget()
	}
}

func (m Model) onProgress(msg fleetProgressMsg) (Model, tea.Cmd) {
	if msg.gen != m.load.gen {
		return m, nil
	}
	m.load.done, m.load.total = msg.done, msg.total
	return m, msg.load.wait()
}

// onLoaded shows a freshly read fleet, keeping the cursor and the selection, and arms
// the next refresh. A failed refresh keeps the fleet shown and says why.
func (m Model) onLoaded(msg fleetLoadedMsg) (Model, tea.Cmd) {
	if msg.gen != m.load.gen {
		return m, nil
	}
	m.load.loading = false
	m.load.err = msg.err
	m.load.refreshGen++
	next := refreshAfter(m.refreshPeriod(), m.load.refreshGen)
	if m.load.again {
		m.load.again = false
		next = m.reload()
	}
	if msg.err != nil {
		m.notice = notice{text: "reading the fleet failed: " + msg.err.Error(), bad: true}
		return m, next
	}
	m.load.at = m.deps.Now()
	if m.notice.text == refreshingNotice {
		m.notice = notice{text: fmt.Sprintf("read %s at %s", plural(len(msg.servers), "server"), m.load.at.Format("15:04:05"))}
	}
	m.spread = fleet.NewSpread(msg.servers, fleet.Options{Now: m.load.at})
	m.list.rebuild(m.spread)
	return m, next
}

// refreshPeriod spaces the automatic refreshes so that they spend at most a tenth of
// DigitalOcean's hourly allowance (5,000 requests): 7.2s per page read, at least
// RefreshEvery. A fleet of 20,000 droplets is read every 12 minutes.
func (m Model) refreshPeriod() time.Duration {
	if m.deps.RefreshEvery <= 0 {
		return m.deps.RefreshEvery
	}
	return max(m.deps.RefreshEvery, time.Duration(m.load.total)*7200*time.Millisecond)
}

// handleKey routes a key: open questions and overlays first, then text being typed,
// then the global keys, then the screen's own.
func (m Model) handleKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	m.notice = notice{}
	switch {
	case m.quitting:
		return m.quitKey(msg)
	case msg.String() == "ctrl+c":
		return m.quit()
	case m.showHelp:
		if key.Matches(msg, m.keys.Help, m.keys.Back, m.keys.Quit) {
			m.showHelp = false
		}
		return m, nil
	case m.offer != nil:
		return m.offerKey(msg)
	case m.focus == FocusFilter:
		return m.filterKey(msg), nil
	case m.screen == ScreenRollback && m.wiz.confirming:
		return m.wizardConfirmKey(msg)
	case m.screen == ScreenStage && m.stage.confirming:
		return m.confirmKey(msg)
	case m.screen == ScreenLive && m.live.asking:
		return m.abortKey(msg)
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Help):
		m.showHelp = true
		return m, nil
	case m.spread == nil:
		return m.loadingKey(msg)
	case m.deps.Readonly && m.refusedKey(msg):
		return m, nil
	}
	return m.screenKey(msg)
}

// refusedKey says so when a key that changes the fleet is pressed in read-only mode,
// rather than doing nothing without a word.
func (m *Model) refusedKey(msg tea.KeyPressMsg) bool {
	k := m.keys
	for _, b := range []key.Binding{k.Stage, k.Pause, k.Continue, k.Abort, k.Rollback, k.Resume} {
		for _, name := range b.Keys() {
			if msg.String() == name {
				m.notice = notice{text: "read-only mode: " + b.Help().Desc + " is off", bad: true}
				return true
			}
		}
	}
	return false
}

// quit leaves, asking first while a rollout runs (quitting stops it where it is).
func (m Model) quit() (Model, tea.Cmd) {
	if m.live.running() && !m.deps.Shared {
		m.quitting = true
		return m, nil
	}
	return m, tea.Quit
}

func (m Model) quitKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "y", "ctrl+c":
		return m, tea.Quit
	case "n", "esc", "q":
		m.quitting = false
	}
	return m, nil
}

func (m Model) loadingKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if key.Matches(msg, m.keys.Refresh) && !m.load.loading {
		return m, m.reload()
	}
	return m, nil
}

func (m Model) screenKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch m.screen {
	case ScreenMatrix:
		return m.matrixKey(msg)
	case ScreenStage:
		return m.stageKey(msg)
	case ScreenLive:
		return m.liveKey(msg)
	case ScreenHistory:
		return m.historyKey(msg)
	case ScreenRollback:
		return m.wizardKey(msg)
	}
	if m.focus == FocusDetails {
		if key.Matches(msg, m.keys.Back, m.keys.Enter) {
			m.focus = FocusList
		}
		return m, nil
	}
	return m.fleetKey(msg)
}

func (m Model) matrixKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Matrix, m.keys.Back):
		m.screen = ScreenFleet
	case key.Matches(msg, m.keys.Refresh):
		return m, m.refresh()
	case key.Matches(msg, m.keys.Export):
		return m, m.export()
	}
	return m, nil
}

// refreshingNotice stands in the status line while an asked-for refresh runs.
const refreshingNotice = "refreshing the fleet…"

// refresh reads the fleet again now, unless a read is already running.
func (m *Model) refresh() tea.Cmd {
	if m.load.loading {
		return nil
	}
	m.notice = notice{text: refreshingNotice}
	return m.reload()
}

// filterKey edits the filter; the list follows every keystroke. Enter keeps the filter,
// esc drops it.
func (m Model) filterKey(msg tea.KeyPressMsg) Model {
	switch msg.String() {
	case "enter":
		m.focus = FocusList
		return m
	case "esc":
		m.filter.value = ""
		m.focus = FocusList
	default:
		m.filter.update(msg)
	}
	m.list.filter = m.filter.value
	m.list.rebuild(m.spread)
	return m
}

// listHeight is the number of list rows the fleet screen shows.
func (m Model) listHeight() int {
	if m.spread == nil {
		return 1
	}
	return m.height - 3 - len(m.spreadView(m.width, m.height-3 >= 34)) - 1
}

// fleetKey handles the keys of the fleet list.
func (m Model) fleetKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	page := max(m.listHeight()-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		m.list.move(-1)
	case key.Matches(msg, k.Down):
		m.list.move(1)
	case key.Matches(msg, k.PageUp):
		m.list.move(-page)
	case key.Matches(msg, k.PageDown):
		m.list.move(page)
	case key.Matches(msg, k.Top):
		m.list.move(-len(m.list.rows))
	case key.Matches(msg, k.Bottom):
		m.list.move(len(m.list.rows))
	case key.Matches(msg, k.Collapse, k.Expand):
		m.fold(key.Matches(msg, k.Collapse))
	case key.Matches(msg, k.Enter):
		m.enter()
	default:
		return m.fleetAction(msg)
	}
	return m, nil
}

// fleetAction handles the fleet keys that do more than move.
func (m Model) fleetAction(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Select):
		m.list.toggleSelect()
	case key.Matches(msg, k.SelectAll):
		ids := m.list.visibleIDs()
		m.list.setSelected(ids, !m.list.allSelected(ids))
	case key.Matches(msg, k.Back):
		m.clearOne()
	case key.Matches(msg, k.Filter):
		m.focus = FocusFilter
		m.filter.value = m.list.filter
	case key.Matches(msg, k.Sort):
		m.list.sort = (m.list.sort + 1) % sortOrders
		m.list.rebuild(m.spread)
		m.notice = notice{text: "sorted by " + m.list.sort.String()}
	case key.Matches(msg, k.Matrix):
		m.screen = ScreenMatrix
	case key.Matches(msg, k.Refresh):
		return m, m.refresh()
	case key.Matches(msg, k.Export):
		return m, m.export()
	case key.Matches(msg, k.Stage):
		return m.openStage()
	case key.Matches(msg, k.History):
		return m.openHistory()
	case key.Matches(msg, k.Live):
		if m.live == nil {
			m.notice = notice{text: "no rollout has run in this session; h lists past ones"}
			return m, nil
		}
		m.screen = ScreenLive
	}
	return m, nil
}

// fold folds or unfolds the group under the cursor, moving the cursor to its header.
func (m *Model) fold(folded bool) {
	k := m.list.setFolded(folded)
	m.list.rebuild(m.spread)
	for i, r := range m.list.rows {
		if r.key() == k {
			m.list.cursor = i
		}
	}
}

// enter folds or unfolds a header; on a server in a narrow window it opens the details.
func (m *Model) enter() {
	cur, ok := m.list.current()
	if !ok {
		return
	}
	if cur.kind != rowServer {
		m.fold(!m.list.collapsed[cur.key()])
		return
	}
	if m.width < wideWidth {
		m.focus = FocusDetails
	}
}

// clearOne undoes the most recent narrowing: first the filter, then the selection.
func (m *Model) clearOne() {
	switch {
	case m.list.filter != "":
		m.list.filter, m.filter.value = "", ""
		m.list.rebuild(m.spread)
	case len(m.list.selected) > 0:
		n := len(m.list.selected)
		m.list.selected = map[int]bool{}
		m.notice = notice{text: fmt.Sprintf("cleared the selection of %d", n)}
	}
}

func (m *Model) onExported(msg exportDoneMsg) {
	if msg.err != nil {
		m.notice = notice{text: "export failed: " + msg.err.Error(), bad: true}
		return
	}
	m.notice = notice{text: "wrote the audit: " + joinPaths(msg.paths)}
}
