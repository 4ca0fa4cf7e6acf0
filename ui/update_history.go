package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// onRollouts shows the journal's rollouts; the read at start offers to resume the
// newest unfinished one.
func (m *Model) onRollouts(msg rolloutsLoadedMsg) {
	m.hist.loading = false
	m.hist.err = msg.err
	m.hist.rollouts = msg.rollouts
	m.hist.cursor = min(m.hist.cursor, max(len(msg.rollouts)-1, 0))
	if !msg.startup || m.live != nil {
		return
	}
	for i, r := range msg.rollouts {
		if r.Unfinished() {
			m.offer = &msg.rollouts[i]
			return
		}
	}
}

// openHistory shows the rollouts, reading the journal again.
func (m Model) openHistory() (Model, tea.Cmd) {
	m.screen = ScreenHistory
	m.hist.loading = true
	m.hist.details = false
	return m, loadRollouts(m.deps.JournalDir, false)
}

// historyKey handles the keys of the rollout list.
func (m Model) historyKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	h, k := &m.hist, m.keys
	r, ok := h.current()
	switch {
	case key.Matches(msg, k.Up):
		h.cursor = max(h.cursor-1, 0)
	case key.Matches(msg, k.Down):
		h.cursor = min(h.cursor+1, max(len(h.rollouts)-1, 0))
	case key.Matches(msg, k.Enter) && ok:
		h.details = !h.details && m.width < wideWidth
	case key.Matches(msg, k.Back):
		if h.details {
			h.details = false
			return m, nil
		}
		m.screen = ScreenFleet
	case key.Matches(msg, k.Refresh):
		h.loading = true
		return m, loadRollouts(m.deps.JournalDir, false)
	case key.Matches(msg, k.Rollback) && ok:
		return m.openWizard(r)
	case key.Matches(msg, k.Resume) && ok:
		return m.resume(r)
	case key.Matches(msg, k.Live) && m.live != nil:
		m.screen = ScreenLive
	}
	return m, nil
}

// busy refuses to start a second run while one is going on.
func (m *Model) busy() bool {
	if m.live.running() {
		m.notice = notice{text: "a rollout is running: wait for it to finish (l shows it)", bad: true}
		return true
	}
	return false
}

// resume continues an unfinished rollout and follows it live.
func (m Model) resume(r rollout) (Model, tea.Cmd) {
	if m.busy() {
		return m, nil
	}
	if !r.Unfinished() {
		m.notice = notice{text: fmt.Sprintf("rollout %s is %s: there is nothing to resume", r.ID, stateWords(r.State)), bad: true}
		return m, nil
	}
	m.offer = nil
	m.notice = notice{text: "resuming " + r.ID + "…"}
	return m, startResume(m.deps.Context, m.deps.Engine, r)
}

// openWizard starts the guided rollback of r.
func (m Model) openWizard(r rollout) (Model, tea.Cmd) {
	if m.busy() {
		return m, nil
	}
	if !r.canRollBack() {
		m.notice = notice{text: fmt.Sprintf("rollout %s has nothing in service to roll back", r.ID), bad: true}
		return m, nil
	}
	m.wiz = &wizard{r: r, confirm: lineInput{limit: 64}}
	m.screen = ScreenRollback
	return m, nil
}

// wizardKey handles the rollback wizard: enter asks for the typed confirmation.
func (m Model) wizardKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Confirm):
		m.wiz.confirming, m.wiz.confirm.value = true, ""
	case key.Matches(msg, m.keys.Back):
		m.screen, m.wiz = ScreenHistory, nil
	}
	return m, nil
}

// wizardConfirmKey reads the confirmation; enter starts the rollback when it matches.
func (m Model) wizardConfirmKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	w := m.wiz
	switch msg.String() {
	case "esc":
		w.confirming = false
	case "enter":
		if w.starting {
			return m, nil
		}
		if w.confirm.value != w.confirmName() {
			m.notice = notice{text: fmt.Sprintf("type %q exactly to start, or esc to go back", w.confirmName()), bad: true}
			return m, nil
		}
		w.starting = true
		return m, startRollback(m.deps.Context, m.deps.Engine, w.r)
	default:
		w.confirm.update(msg)
	}
	return m, nil
}

// offerKey answers the resume offer made at start.
func (m Model) offerKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	r := *m.offer
	switch {
	case key.Matches(msg, m.keys.Resume):
		return m.resume(r)
	case key.Matches(msg, m.keys.History):
		m.offer = nil
		return m.openHistory()
	case key.Matches(msg, m.keys.Back, m.keys.Quit):
		m.offer = nil
	}
	return m, nil
}
