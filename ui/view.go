package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/molt-sh/molt/actions"
)

// View draws the whole screen: header, the current screen's body, status line and key
// bar, with overlays (help, dialogs) composited on top. Alt screen on, mouse off.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeNone
	v.WindowTitle = "molt"
	return v
}

// Render is the screen as a string, exactly width x height cells (tests snapshot it).
func (m Model) Render() string {
	if m.width < MinWidth || m.height < MinHeight {
		return m.tooSmall()
	}
	body := m.bodyView(m.width, m.height-3)
	lines := []string{m.header()}
	lines = append(lines, body...)
	for len(lines) < m.height-2 {
		lines = append(lines, "")
	}
	lines = append(lines[:m.height-2], m.statusLine(), m.keyBar())
	for i := range lines {
		lines[i] = fit(lines[i], m.width)
	}
	screen := strings.Join(lines, "\n")
	if dialog := m.overlay(); dialog != "" {
		return overlayCentered(screen, dialog, m.width, m.height)
	}
	return screen
}

// overlayCentered draws dialog over the middle of screen.
func overlayCentered(screen, dialog string, w, h int) string {
	dw, dh := lipgloss.Width(dialog), lipgloss.Height(dialog)
	x, y := max((w-dw)/2, 0), max((h-dh)/2, 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(screen), lipgloss.NewLayer(dialog).X(x).Y(y).Z(1)).Render()
}

func (m Model) tooSmall() string {
	msg := fmt.Sprintf("molt needs a window of at least %dx%d.\nThis one is %dx%d: please make it bigger.\n\nq quits.",
		MinWidth, MinHeight, m.width, m.height)
	return lipgloss.Place(max(m.width, 1), max(m.height, 1), lipgloss.Center, lipgloss.Center, msg)
}

// header is the top line: product, where the fleet comes from, badges, the API budget
// left and the time of the last refresh.
func (m Model) header() string {
	full := m.headerLeft(true)
	if lipgloss.Width(full)+lipgloss.Width(m.headerRight())+1 > m.width {
		full = m.headerLeft(false) // the demo's words go first when the badges need the room
	}
	return spaceBetween(m.withPresence(full, m.headerRight()))
}

// headerLeft is the product, where the fleet comes from and the badges; words adds
// "simulated cloud" after the DEMO badge.
func (m Model) headerLeft(words bool) string {
	s := m.styles
	left := s.Title.Render("molt") + " "
	if m.deps.Demo {
		left += s.Demo.Render("DEMO")
		if words {
			left += " " + s.Muted.Render("simulated cloud")
		}
	} else {
		left += s.Accent.Render(m.deps.Target)
	}
	if m.deps.Readonly {
		left += " " + s.Readonly.Render("READ-ONLY")
	}
	if badge := m.runBadge(); badge != "" {
		left += " " + badge
	}
	return left
}

// runBadge shows a running rollout from every screen: its state and progress.
func (m Model) runBadge() string {
	if !m.live.running() {
		return ""
	}
	over, total := m.live.progress()
	text := fmt.Sprintf("%s %d/%d", stripped(m.stateBadge(m.live.status.State)), over, total)
	if m.live.status.State == actions.StateRunning {
		text = fmt.Sprintf("%s rollout %d/%d", m.spin.View(), over, total)
	}
	return m.styles.Running.Render(text)
}

func (m Model) headerRight() string {
	s := m.styles
	var parts []string
	if m.deps.RateBudget != nil && m.budgetLimit > 0 {
		parts = append(parts, fmt.Sprintf("api %d/%d left", m.budgetLeft, m.budgetLimit))
	}
	switch {
	case m.load.loading && !m.load.at.IsZero():
		parts = append(parts, "refreshing…")
	case !m.load.at.IsZero():
		parts = append(parts, "read "+m.load.at.Format("15:04:05"))
	}
	return s.Muted.Render(strings.Join(parts, " · "))
}

// bodyView is the current screen's body, at most height lines.
func (m Model) bodyView(width, height int) []string {
	if m.spread == nil {
		return m.loadingView(width, height)
	}
	switch m.screen {
	case ScreenMatrix:
		return m.matrixView(width, height)
	case ScreenStage:
		return m.stageView(width, height)
	case ScreenLive:
		return m.liveView(width, height)
	case ScreenHistory:
		return m.historyView(width, height)
	case ScreenRollback:
		return m.rollbackView(width, height)
	}
	return m.fleetView(width, height)
}

// loadingView is shown until the first load ends: a progress bar, or the error.
func (m Model) loadingView(width, height int) []string {
	s := m.styles
	var lines []string
	switch {
	case m.load.err != nil:
		lines = []string{s.Danger.Render("✗ " + m.load.err.Error()), "", "Press r to try again, or q to quit."}
	case m.load.total > 0:
		lines = []string{fmt.Sprintf("Reading the fleet: page %d of %d", m.load.done, m.load.total),
			s.progressBar(float64(m.load.done)/float64(m.load.total), min(width-10, 50))}
	default:
		lines = []string{"Reading the fleet…"}
	}
	block := lipgloss.Place(width, height, lipgloss.Center, lipgloss.Center, strings.Join(lines, "\n"))
	return strings.Split(block, "\n")
}

// progressBar is a bar of width w filled to f (0..1), with the percentage after it.
func (s Styles) progressBar(f float64, w int) string {
	f = max(0, min(f, 1))
	full := int(f * float64(w))
	return s.BarFull.Render(strings.Repeat("█", full)) + s.BarEmpty.Render(strings.Repeat("░", w-full)) +
		fmt.Sprintf(" %3.0f%%", f*100)
}

// fleetView is the home screen: the spread bars, then the list with the details pane
// beside it when the window is wide, or instead of it when details are focused.
func (m Model) fleetView(width, height int) []string {
	spread := m.spreadView(width, height >= 34)
	lines := append(spread, "")
	listH := height - len(lines)
	switch {
	case m.focus == FocusDetails && width < wideWidth:
		return append(lines, m.detailsView(width)...)
	case width >= wideWidth:
		detailW := 40
		list := m.listView(width-detailW-2, listH)
		return append(lines, sideBySide(list, m.detailsView(detailW-2), width-detailW-2, listH)...)
	}
	return append(lines, m.listView(width, listH)...)
}

// sideBySide joins two columns of lines, the left padded to lw, separated by a rule.
func sideBySide(left, right []string, lw, height int) []string {
	out := make([]string, 0, height)
	for i := 0; i < height && (i < len(left) || i < len(right)); i++ {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out = append(out, fit(l, lw)+" │ "+r)
	}
	return out
}

// statusLine shows the filter being typed, or a notice, and the selection and sort.
func (m Model) statusLine() string {
	s := m.styles
	left := ""
	switch {
	case m.focus == FocusFilter:
		left = s.Accent.Render("/ ") + m.filter.view() + s.Muted.Render("  enter keep · esc clear")
	case m.notice.text != "" && m.notice.bad:
		left = s.Danger.Render("✗ " + m.notice.text)
	case m.notice.text != "":
		left = s.OK.Render("✓ ") + m.notice.text
	case m.list.filter != "" && m.screen == ScreenFleet:
		left = s.Accent.Render("filter: ") + m.list.filter + s.Muted.Render(" (esc clears)")
	}
	var right []string
	if n := len(m.list.selected); n > 0 {
		sel := fmt.Sprintf("✓ %d selected", n)
		if hidden := m.hiddenSelected(); hidden > 0 && m.screen == ScreenFleet {
			// s stages them too: say so while the filter hides them.
			sel += fmt.Sprintf(" (%d hidden)", hidden)
		}
		right = append(right, s.Selected.Render(sel))
	}
	if m.screen == ScreenFleet && m.spread != nil {
		right = append(right, s.Muted.Render("sort: "+m.list.sort.String()))
	}
	return spaceBetween(left, strings.Join(right, "  "), m.width)
}

// hiddenSelected counts the selected servers the filter hides.
func (m Model) hiddenSelected() int {
	if m.list.filter == "" {
		return 0
	}
	shown := map[int]bool{}
	for _, id := range m.list.visibleIDs() {
		shown[id] = true
	}
	n := 0
	for id := range m.list.selected {
		if !shown[id] {
			n++
		}
	}
	return n
}

// keyBar is the short help: the keys that matter on this screen, as many as fit, then
// help and quit, always.
func (m Model) keyBar() string {
	if m.focus == FocusFilter {
		return m.styles.KeyName.Render("enter") + " " + m.styles.KeyDesc.Render("keep the filter") + "  " +
			m.styles.KeyName.Render("esc") + " " + m.styles.KeyDesc.Render("clear it") + "  " +
			m.styles.KeyName.Render("ctrl+c") + " " + m.styles.KeyDesc.Render("quit")
	}
	var tail []string
	if m.dialogHelp() == nil {
		for _, b := range []key.Binding{m.keys.Help, m.keys.Quit} {
			tail = append(tail, m.keyHint(b))
		}
	}
	room := m.width - lipgloss.Width(strings.Join(tail, "  ")) - 2
	var parts []string
	for _, b := range m.shortHelp() {
		hint := m.keyHint(b)
		if !b.Enabled() {
			continue
		}
		if room-lipgloss.Width(hint)-2 < 0 {
			break
		}
		parts = append(parts, hint)
		room -= lipgloss.Width(hint) + 2
	}
	return strings.Join(append(parts, tail...), "  ")
}

func (m Model) keyHint(b key.Binding) string {
	return m.styles.KeyName.Render(b.Help().Key) + " " + m.styles.KeyDesc.Render(b.Help().Desc)
}

// overlay is the dialog drawn over the screen, if any.
func (m Model) overlay() string {
	switch {
	case m.quitting:
		return m.quitView()
	case m.showHelp:
		return m.helpView()
	case m.offer != nil:
		return m.offerView()
	case m.screen == ScreenRollback && m.wiz.confirming:
		return m.rollbackConfirmView()
	case m.screen == ScreenStage && m.stage.confirming:
		return m.confirmView()
	case m.screen == ScreenLive && m.live.asking:
		return m.abortView()
	}
	return ""
}

// quitView asks before quitting while a rollout runs.
func (m Model) quitView() string {
	s := m.styles
	later := "and it can be resumed later (R in molt, or molt resume)."
	if m.deps.Demo {
		later = "but the demo's simulated cloud ends with molt: nothing to resume."
	}
	return s.Dialog.Render(strings.Join([]string{
		s.Title.Render("A rollout is running. Quit anyway?"), "",
		"Quitting stops it at its next safe point: nothing is left half done,",
		later, "",
		s.KeyName.Render("y") + " quit   " + s.KeyName.Render("n") + " stay"}, "\n"))
}

// abortView asks how to abort: roll back, or leave the fleet as it is.
func (m Model) abortView() string {
	s := m.styles
	return s.Dialog.Render(strings.Join([]string{
		s.Title.Render("Abort the rollout?"), "",
		s.KeyName.Render("r") + "    roll back: put every replaced server back on its old image",
		s.KeyName.Render("k") + "    keep as it is: finish replacements in service, cancel the rest",
		s.KeyName.Render("esc") + "  do not abort"}, "\n"))
}

// helpView lists every enabled key of the current screen, grouped; in a narrow window
// the groups wrap onto two rows.
func (m Model) helpView() string {
	s := m.styles
	var cols []string
	for _, group := range m.fullHelp() {
		var rows []string
		for _, it := range group.items {
			if it.on {
				rows = append(rows, s.KeyName.Render(pad(it.keys, 9))+" "+it.desc)
			}
		}
		if len(rows) > 0 {
			cols = append(cols, s.Bold.Render(group.title)+"\n"+strings.Join(rows, "\n"))
		}
	}
	body := lipgloss.JoinHorizontal(lipgloss.Top, spaced(cols)...)
	if lipgloss.Width(body) > m.width-6 && len(cols) > 2 {
		half := (len(cols) + 1) / 2
		body = lipgloss.JoinHorizontal(lipgloss.Top, spaced(cols[:half])...) + "\n\n" +
			lipgloss.JoinHorizontal(lipgloss.Top, spaced(cols[half:])...)
	}
	legend := s.Muted.Render("█▓▒░ a role's versions, newest first   ↓ behind its role's newest\n" +
		"⟳ in a rollout   ✓ selected   ◐ partly selected   › cursor\n? or esc closes this help")
	return s.Dialog.Render(s.Title.Render("Keys") + "\n\n" + body + "\n\n" + legend)
}

func spaced(cols []string) []string {
	out := make([]string, 0, 2*len(cols))
	for i, c := range cols {
		if i > 0 {
			out = append(out, "    ")
		}
		out = append(out, c)
	}
	return out
}

// helpGroup is a titled column of the full help.
type helpGroup struct {
	title string
	items []helpItem
}

// helpItem is a line of the full help: one binding, or two that read as a pair.
type helpItem struct {
	keys, desc string
	on         bool
}

func item(b key.Binding) helpItem {
	return helpItem{keys: b.Help().Key, desc: b.Help().Desc, on: b.Enabled()}
}

func pair(a, b key.Binding, desc string) helpItem {
	return helpItem{keys: a.Help().Key + " " + b.Help().Key, desc: desc, on: a.Enabled() && b.Enabled()}
}
