package ui

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// clicker is a screen or dialog that takes clicks: x and y count from the top left of
// the screen's body (the line under the header), or of the whole window for a dialog.
type clicker interface {
	click(c *common, x, y int) (action, tea.Cmd)
}

// wheelLines is how far one turn of the mouse wheel moves a list.
const wheelLines = 3

// onMouse turns the wheel into moves of the list under it (as ↑ and ↓ would) and hands a
// left click to the dialog on top, or to the screen's body.
func (m Model) onMouse(msg tea.Msg) tea.Cmd {
	c := m.common
	if c.spread == nil || c.deps.NoMouse {
		return nil
	}
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		return m.wheel(msg)
	case tea.MouseClickMsg:
		if msg.Button != tea.MouseLeft {
			return nil
		}
		c.notice = notice{}
		if d := m.dialogs.top(); d != nil {
			if cl, ok := d.(clicker); ok {
				dw, dh := lipgloss.Width(d.view(c)), lipgloss.Height(d.view(c))
				return m.do(cl.click(c, msg.X-max((c.width-dw)/2, 0), msg.Y-max((c.height-dh)/2, 0)))
			}
			return nil
		}
		if cl, ok := m.active().(clicker); ok && msg.Y >= 1 && msg.Y <= c.bodyHeight() {
			return m.do(cl.click(c, msg.X, msg.Y-1))
		}
	}
	return nil
}

// wheel moves what the wheel is over: the screen's list, or the abort dialog's choice.
func (m Model) wheel(msg tea.MouseWheelMsg) tea.Cmd {
	k := tea.KeyPressMsg{Code: tea.KeyDown}
	switch msg.Button {
	case tea.MouseWheelUp:
		k = tea.KeyPressMsg{Code: tea.KeyUp}
	case tea.MouseWheelDown:
	default:
		return nil
	}
	if d := m.dialogs.top(); d != nil {
		if _, ok := d.(*abortDialog); !ok {
			return nil
		}
	}
	var cmds []tea.Cmd
	for range wheelLines {
		cmds = append(cmds, m.onKey(k))
	}
	return tea.Batch(cmds...)
}

// click moves the cursor to the row clicked; a click on the cursor's row does what
// enter does there (fold, or open the details).
func (f *fleetScreen) click(c *common, x, y int) (action, tea.Cmd) {
	if f.focus != FocusList {
		return nil, nil
	}
	top := len(c.spreadView(c.width, c.tall(), f.cursorRole(c))) + 2 // a blank line, the header
	listW := c.width
	if c.width >= wideWidth {
		listW = listWidth(c.width)
	}
	i := f.list.offset + y - top
	if x >= listW || y < top || i >= f.list.rows.Len() {
		return nil, nil
	}
	if i == f.list.cursor {
		f.enter(c)
		return nil, nil
	}
	f.list.cursor = i
	return nil, nil
}

// click moves the cursor to the rollout clicked.
func (h *historyScreen) click(c *common, x, y int) (action, tea.Cmd) {
	rows := c.bodyHeight() - 3
	first := max(0, min(h.cursor-rows/2, len(h.rollouts)-rows))
	i := first + y - 3
	if h.details || y < 3 || i >= len(h.rollouts) || c.width >= wideWidth && x >= historyListWidth {
		return nil, nil
	}
	if i != h.cursor {
		h.cursor, h.detail = i, scroller{}
	}
	return nil, nil
}

// click gives the keys to the pane clicked: the replacements or the events.
func (ls *liveScreen) click(c *common, _, y int) (action, tea.Cmd) {
	lay := ls.layout(c, c.width, c.bodyHeight())
	table := len(lay.head)
	switch {
	case y >= table && y <= table+min(lay.rows, len(c.live.slots())):
		ls.focus = paneSlots
	case y > table+min(lay.rows, len(c.live.slots())):
		ls.focus = paneLog
	}
	return nil, nil
}

// click picks the image or the setting clicked.
func (st *stageScreen) click(c *common, x, y int) (action, tea.Cmd) {
	if st.step == stepImage {
		if i, ok := st.imageAt(c, y); ok {
			st.imageCursor = i
		}
		return nil, nil
	}
	if c.width >= wideWidth && x >= 62 {
		return nil, nil
	}
	rows := len(st.knobsView(c, c.width, st.knobsHeight(c))) - 2
	first := clampInt(st.knob-rows/2, 0, len(knobs)-rows)
	if i := first + y - 3; y >= 3 && i < first+rows {
		st.knob = i
	}
	return nil, nil
}

// knobsHeight is the lines the settings get (as view lays them out).
func (st *stageScreen) knobsHeight(c *common) int {
	height := c.bodyHeight() - 2
	if c.width >= wideWidth {
		return height
	}
	return max(height-len(st.planView(c, c.width))-1, 6)
}

// imageAt is the image on line y of the body, as the picker lays them out.
func (st *stageScreen) imageAt(c *common, y int) (int, bool) {
	rows := st.imageRows(c.bodyHeight() - 2)
	first := max(0, min(st.imageCursor-rows/2, len(st.images)-rows))
	line := 4
	for i := first; i < len(st.images); i++ {
		if i > 0 && st.rank(st.images[i]) > st.rank(st.images[i-1]) {
			line++ // the line between the roles' images and the others'
		}
		if line == y {
			return i, true
		}
		line++
	}
	return 0, false
}

// click picks the choice clicked (enter still does it).
func (d *abortDialog) click(_ *common, _, y int) (action, tea.Cmd) {
	if i := y - 3; i >= 0 && i < len(abortChoices) {
		d.choice = i
	}
	return nil, nil
}
