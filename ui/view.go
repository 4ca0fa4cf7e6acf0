package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// View draws the whole screen: header, the current screen's body, status line and key
// bar, with the top dialog composited over them. Alt screen on; the mouse (clicks and
// the wheel) on unless Deps.NoMouse.
func (m Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	if m.deps.NoMouse {
		v.MouseMode = tea.MouseModeNone
	}
	v.WindowTitle = "molt"
	return v
}

// Render is the screen as a string, exactly width x height cells (tests snapshot it).
func (m Model) Render() string {
	c := m.common
	if c.width < MinWidth || c.height < MinHeight {
		return tooSmall(c)
	}
	status := m.statusLines()
	room := c.height - 2 - len(status)
	var body []string
	if c.spread == nil {
		body = loadingView(c, c.width, room)
	} else {
		body = m.active().view(c, c.width, room)
	}
	lines := append([]string{header(c)}, body...)
	for len(lines) < room+1 {
		lines = append(lines, "")
	}
	lines = append(append(lines[:room+1], status...), m.keyBar())
	for i := range lines {
		lines[i] = fit(lines[i], c.width)
	}
	screen := strings.Join(lines, "\n")
	if d := m.dialogs.top(); d != nil {
		return overlayCentered(screen, d.view(c), c.width, c.height)
	}
	return screen
}

// overlayCentered draws dialog over the middle of screen.
func overlayCentered(screen, dialog string, w, h int) string {
	dw, dh := lipgloss.Width(dialog), lipgloss.Height(dialog)
	x, y := max((w-dw)/2, 0), max((h-dh)/2, 0)
	return lipgloss.NewCompositor(lipgloss.NewLayer(screen), lipgloss.NewLayer(dialog).X(x).Y(y).Z(1)).Render()
}

func tooSmall(c *common) string {
	msg := fmt.Sprintf("molt needs a window of at least %dx%d.\nThis one is %dx%d: please make it bigger.\n\nq quits.",
		MinWidth, MinHeight, c.width, c.height)
	return lipgloss.Place(max(c.width, 1), max(c.height, 1), lipgloss.Center, lipgloss.Center, msg)
}

// loadingView is shown until the first load ends: a progress bar, or the error.
func loadingView(c *common, width, height int) []string {
	s := c.styles
	var lines []string
	switch {
	case c.load.err != nil:
		lines = []string{s.Danger.Render("✗ " + c.load.err.Error()), "", "Press r to try again, or q to quit."}
	case c.load.total > 0:
		lines = []string{fmt.Sprintf("Reading the fleet: page %d of %d", c.load.done, c.load.total),
			s.progressBar(float64(c.load.done)/float64(c.load.total), min(width-10, 50))}
		if w := waitWords(c); w != "" {
			lines = append(lines, "", s.Warn.Render(fit(w, width)))
		}
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

// statusLines is the status line: text being typed, or a notice, or the screen's
// standing note, and on the right the selection (or what the screen puts there). A
// notice too long for one line wraps onto a second (longer ones open in a dialog).
func (m Model) statusLines() []string {
	c := m.common
	left, right := m.statusParts()
	if lipgloss.Width(left)+lipgloss.Width(right)+1 <= c.width || c.notice.text == "" {
		return []string{spaceBetween(left, right, c.width)}
	}
	parts := wrapNotice(left, right, c.width)
	if len(parts) == 1 {
		parts = append(parts, "")
	}
	return []string{parts[0], spaceBetween(strings.Join(parts[1:], " "), right, c.width)}
}

// statusParts are the two sides of the status line.
func (m Model) statusParts() (left, right string) {
	c := m.common
	s := c.styles
	typing, note, right := "", "", c.selectionText()
	if sl, ok := m.active().(statusLiner); ok && c.spread != nil {
		typing, note, right = sl.statusLine(c)
	}
	switch {
	case typing != "":
		return typing, right
	case c.notice.text != "" && c.notice.bad:
		return s.Danger.Render("✗ " + c.notice.text), right
	case c.notice.text != "":
		return s.OK.Render("✓ ") + c.notice.text, right
	}
	return note, right
}

// wrapNotice breaks the left side of the status line into lines of width w, the last
// of which leaves room for the right side.
func wrapNotice(left, right string, w int) []string {
	parts := wrap(left, w)
	if len(parts) > 2 || len(parts) == 2 && lipgloss.Width(parts[1])+lipgloss.Width(right)+1 > w {
		parts = wrap(left, w-lipgloss.Width(right)-1)
	}
	return parts
}

// noticeFits reports whether the notice fits on two status lines beside the right side.
func (m Model) noticeFits() bool {
	left, right := m.statusParts()
	return len(wrapNotice(left, right, m.width)) <= 2
}

// selectionText counts the selection for the status line.
func (c *common) selectionText() string {
	if n := len(c.selected); n > 0 {
		return c.styles.Selected.Render(fmt.Sprintf("✓ %d selected", n))
	}
	return ""
}

// keyBar is the short help: the top dialog's answers; or the screen's keys, as many as
// fit, then help and quit, always (unless the screen is taking text).
func (m Model) keyBar() string {
	c := m.common
	keys, tail := m.active().keyBar(c), []key.Binding{c.keys.Help, c.keys.Quit}
	if c.spread == nil {
		keys = []key.Binding{c.keys.Refresh}
	} else if t, ok := m.active().(typer); ok && t.typing() {
		tail = nil
	}
	if d := m.dialogs.top(); d != nil && d.keyBar(c) != nil {
		keys, tail = d.keyBar(c), nil
	}
	var tails []string
	for _, b := range tail {
		tails = append(tails, c.keyHint(b))
	}
	room := c.width - lipgloss.Width(strings.Join(tails, "  ")) - 2
	var parts []string
	for _, b := range keys {
		hint := c.keyHint(b)
		if !b.Enabled() {
			continue
		}
		if room-lipgloss.Width(hint)-2 < 0 {
			break
		}
		parts = append(parts, hint)
		room -= lipgloss.Width(hint) + 2
	}
	return strings.Join(append(parts, tails...), "  ")
}
