package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// component is one screen of the cockpit (fleet, matrix, stage, live, history, rollback).
// The root shows one at a time: it hands the screen the keys no dialog and no global
// binding took, and the messages the root does not handle itself, and draws the
// screen's body between the header and the status line.
type component interface {
	// update handles a key, or a message that may be meant for this screen; it returns
	// what the root should do next (nil: nothing) and a Cmd for any IO.
	update(c *common, msg tea.Msg) (action, tea.Cmd)
	// view draws the body in width x height cells, at most height lines.
	view(c *common, width, height int) []string
	// keyBar is the keys worth showing under the screen, most useful first.
	keyBar(c *common) []key.Binding
	// help is the screen's page of the help dialog.
	help(c *common) helpPage
}

// opener is a screen that has work to do each time it is shown (read the journal).
type opener interface {
	open(c *common) tea.Cmd
}

// typer is a screen that is taking text: every key but ctrl+c goes to it, the global
// keys included, and its key bar stands alone.
type typer interface {
	typing() bool
}

// statusLiner is a screen with words of its own for the status line: text being typed
// (which a notice does not hide), a standing note (which a notice does), and the right
// side (by default the selection).
type statusLiner interface {
	statusLine(c *common) (typing, note, right string)
}

// dialog is a question or a page drawn over the screen. The one on top of the overlay
// stack takes every key until it closes.
type dialog interface {
	update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd)
	view(c *common) string
	// keyBar is the answers the dialog takes; nil leaves the screen's key bar.
	keyBar(c *common) []key.Binding
}

// action is what a screen or a dialog asks the root to do besides its Cmd: show another
// screen, open or close a dialog, or quit. Components never reach each other; the root
// is the only one that switches on these.
type action any

type (
	// show makes a screen the one shown; with is its new component, for the screens
	// made afresh each time (stage, rollback). Leaving the stage or the rollback screen
	// drops it.
	show struct {
		to   Screen
		with component
	}
	// openDialog puts a dialog on top of the overlay stack.
	openDialog struct{ d dialog }
	// closeDialog takes the top dialog off the stack.
	closeDialog struct{}
	// quitNow leaves the program; askQuit asks first while a rollout runs.
	quitNow struct{}
	askQuit struct{}
	// ignored says the key meant nothing to the component; the status line says so.
	ignored struct{}
)

// overlay is the stack of open dialogs, the last on top.
type overlay []dialog

func (o overlay) top() dialog {
	if len(o) == 0 {
		return nil
	}
	return o[len(o)-1]
}

func (o *overlay) push(d dialog) { *o = append(*o, d) }

func (o *overlay) pop() {
	if len(*o) > 0 {
		*o = (*o)[:len(*o)-1]
	}
}

// answer is a binding that names one answer of a dialog.
func answer(keys, desc string) key.Binding { return bind([]string{keys}, keys, desc) }
