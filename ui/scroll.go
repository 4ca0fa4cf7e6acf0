package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// far is a move past either end of any list: g and G clamp it.
const far = 1 << 30

// moveBy is how far a moving key goes in a list that shows page lines: a line, half a
// page, a page, or to an end; ok is false for any other key.
func moveBy(k KeyMap, msg tea.KeyPressMsg, page int) (delta int, ok bool) {
	page = max(page, 1)
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.HalfUp):
		return -max(page/2, 1), true
	case key.Matches(msg, k.HalfDown):
		return max(page/2, 1), true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -far, true
	case key.Matches(msg, k.Bottom):
		return far, true
	}
	return 0, false
}

// clampInt bounds v to lo..hi (lo when hi < lo).
func clampInt(v, lo, hi int) int { return max(lo, min(v, hi)) }

// scroller is the window of a list without a cursor (a log, a table): the first line
// shown. A scroller that follows is pinned to where its owner anchors it (the newest
// log line, the replacement in flight) until a key moves it; follow() pins it again.
type scroller struct {
	offset int
	pinned bool
}

// move scrolls by delta lines in a list of total lines showing height of them, from
// first (where the list is drawn now).
func (s *scroller) move(delta, first, total, height int) {
	s.offset = clampInt(first+delta, 0, max(total-height, 0))
	s.pinned = true
}

// follow lets the owner anchor the window again.
func (s *scroller) follow() { s.pinned = false }

// first is the first line to show: the pinned offset, or anchor when following, kept
// inside the list.
func (s scroller) first(anchor, total, height int) int {
	off := anchor
	if s.pinned {
		off = s.offset
	}
	return clampInt(off, 0, max(total-height, 0))
}

// window is the first row to show so that cursor stays inside height rows, moving the
// previous window (offset) as little as possible.
func window(offset, cursor, height, total int) int {
	height = max(height, 1)
	if cursor < offset {
		offset = cursor
	}
	if cursor >= offset+height {
		offset = cursor - height + 1
	}
	return clampInt(offset, 0, max(total-height, 0))
}

// position says which lines of a list are shown, "11–20 of 229", or nothing when all
// of them are.
func position(first, shown, total int) string {
	if total <= shown || shown <= 0 {
		return ""
	}
	return fmt.Sprintf("%d–%d of %d", first+1, min(first+shown, total), total)
}
