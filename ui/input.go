package ui

import (
	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text field: typed text appends, backspace deletes, ctrl+u
// clears. It draws its own cursor so that views stay deterministic (no blinking).
type lineInput struct {
	value string
	limit int
}

// update applies a key and reports whether the input used it.
func (in *lineInput) update(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace", "ctrl+h":
		r := []rune(in.value)
		if len(r) > 0 {
			in.value = string(r[:len(r)-1])
		}
		return true
	case "ctrl+u":
		in.value = ""
		return true
	}
	if msg.Text == "" || msg.Mod.Contains(tea.ModCtrl) || msg.Mod.Contains(tea.ModAlt) {
		return false
	}
	if in.limit > 0 && len([]rune(in.value))+len([]rune(msg.Text)) > in.limit {
		return true
	}
	in.value += msg.Text
	return true
}

// view draws the value with a block cursor after it.
func (in lineInput) view() string { return in.value + "▏" }
