package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// liveScreen shows the run followed (common.live): its progress, a row per replacement
// and the event log, and steers it.
type liveScreen struct{}

// reset starts the screen afresh for a new run.
func (ls *liveScreen) reset() {}

// update steers the run: pause and resume, continue at a checkpoint, abort (which
// asks how first).
func (ls *liveScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil, nil
	}
	l, keys := c.live, c.keys
	running := l.running()
	switch {
	case key.Matches(k, keys.Back):
		return show{to: ScreenFleet}, nil
	case key.Matches(k, keys.History):
		return show{to: ScreenHistory}, nil
	case key.Matches(k, keys.Pause) && running:
		if l.status.State == actions.StatePaused {
			return nil, control(l.run.Resume)
		}
		return nil, control(l.run.Pause)
	case key.Matches(k, keys.Continue) && running:
		return nil, controlErr(l.run.Continue)
	case key.Matches(k, keys.Abort) && running:
		return openDialog{&abortDialog{}}, nil
	}
	return nil, nil
}

// keyBar offers what the run allows: continue only at a checkpoint.
func (ls *liveScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	if !c.running() {
		return []key.Binding{withHelp(k.Back, "fleet"), k.History}
	}
	out := []key.Binding{k.Pause}
	if c.live.status.Checkpoint != nil {
		out = []key.Binding{k.Continue, k.Pause}
	}
	return append(out, k.Abort, withHelp(k.Back, "fleet"))
}

func (ls *liveScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: fleetLegend, groups: []helpGroup{
		{"Rollout", []helpItem{item(k.Pause), item(withHelp(k.Continue, "continue at a checkpoint")), item(k.Abort),
			item(k.History), item(withHelp(k.Back, "back to the fleet (the rollout goes on)"))}},
		generalHelp(k)}}
}

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
