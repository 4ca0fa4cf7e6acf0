package ui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// rolloutMsg handles the messages of staging and of a running rollout; ok is false for
// messages it does not know.
func (m Model) rolloutMsg(msg tea.Msg) (Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case imagesLoadedMsg:
		m.onImages(msg)
	case planReadyMsg:
		m.onPlan(msg)
	case runStartedMsg:
		mm, cmd := m.onRunStarted(msg)
		return mm, cmd, true
	case runEventMsg:
		mm, cmd := m.onRunEvent(msg)
		return mm, cmd, true
	case runClosedMsg:
		return m, nil, true
	case controlRefusedMsg:
		m.notice = notice{text: msg.err.Error(), bad: true}
	case spinner.TickMsg:
		if m.live.running() {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd, true
		}
	default:
		return m, nil, false
	}
	return m, nil, true
}

// openStage starts staging a rollout of the selection, or of the servers under the
// cursor when nothing is selected.
func (m Model) openStage() (Model, tea.Cmd) {
	if m.live.running() {
		m.notice = notice{text: "a rollout is running: wait for it to finish (l shows it)", bad: true}
		return m, nil
	}
	servers := m.list.selection()
	if len(servers) == 0 {
		if cur, ok := m.list.current(); ok {
			ids := cur.ids
			if cur.kind == rowServer {
				ids = []int{cur.server.ID}
			}
			m.list.setSelected(ids, true)
			servers = m.list.selection()
		}
	}
	if len(servers) == 0 {
		m.notice = notice{text: "select servers first: space on a server or a version", bad: true}
		return m, nil
	}
	m.stage = newStage(servers, m.spread.Options, *m.deps.Strategy)
	m.screen = ScreenStage
	return m, loadImages(m.deps.Context, m.deps.Images)
}

func (m *Model) onImages(msg imagesLoadedMsg) {
	if m.stage == nil {
		return
	}
	m.stage.loadingImages = false
	m.stage.imagesErr = msg.err
	m.stage.setImages(msg.images)
}

func (m *Model) onPlan(msg planReadyMsg) {
	if m.stage == nil || msg.gen != m.stage.planGen {
		return
	}
	m.stage.planning = false
	m.stage.planErr = msg.err
	m.stage.plan = nil
	if msg.err == nil {
		p := msg.plan
		m.stage.plan = &p
	}
	if m.stage.confirmWhenReady {
		m.stage.askConfirm()
	}
}

// replan asks the engine for a new plan after any change to the stage.
func (m *Model) replan() tea.Cmd {
	st := m.stage
	st.planGen++
	st.planning = true
	return planCmd(m.deps.Context, m.deps.Engine, st.planGen, st.request())
}

// stageKey handles keys on the stage screen: the confirm overlay first.
func (m Model) stageKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	st, k := m.stage, m.keys
	if st.confirming {
		return m.confirmKey(msg)
	}
	if st.step == stepImage {
		switch {
		case key.Matches(msg, k.Up):
			st.imageCursor = max(st.imageCursor-1, 0)
		case key.Matches(msg, k.Down):
			st.imageCursor = min(st.imageCursor+1, max(len(st.images)-1, 0))
		case key.Matches(msg, k.Enter) && len(st.images) > 0:
			st.target, st.step, st.plan, st.planErr = st.images[st.imageCursor], stepStrategy, nil, nil
			return m, m.replan()
		case key.Matches(msg, k.Back):
			m.screen, m.stage = ScreenFleet, nil
		}
		return m, nil
	}
	return m.strategyKey(msg)
}

func (m Model) strategyKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	st, k := m.stage, m.keys
	switch {
	case key.Matches(msg, k.Next):
		st.knob = (st.knob + 1) % len(knobs)
	case key.Matches(msg, k.Prev):
		st.knob = (st.knob + len(knobs) - 1) % len(knobs)
	case key.Matches(msg, k.Inc, k.Dec):
		d := 1
		if key.Matches(msg, k.Dec) {
			d = -1
		}
		knobs[st.knob].change(&st.strategy, d)
		return m, m.replan()
	case key.Matches(msg, k.Confirm):
		st.askConfirm()
		if !st.confirming && !st.confirmWhenReady {
			m.notice = notice{text: "nothing to start: the plan replaces no server", bad: true}
		}
	case key.Matches(msg, k.Back):
		st.step = stepImage
	}
	return m, nil
}

// confirmKey reads the selection's name; enter starts the rollout when it matches.
func (m Model) confirmKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	st := m.stage
	switch msg.String() {
	case "esc":
		st.confirming = false
	case "enter":
		if st.starting {
			return m, nil
		}
		if st.confirm.value != st.name {
			m.notice = notice{text: fmt.Sprintf("type %q exactly to start, or esc to go back", st.name), bad: true}
			return m, nil
		}
		st.starting = true
		return m, startCmd(m.deps.Context, m.deps.Engine, *st.plan)
	default:
		st.confirm.update(msg)
	}
	return m, nil
}

// onRunStarted shows a run that started (a rollout, resume or rollback) live.
func (m Model) onRunStarted(msg runStartedMsg) (Model, tea.Cmd) {
	if m.stage != nil {
		m.stage.starting = false
	}
	if m.wiz != nil {
		m.wiz.starting, m.wiz.confirming = false, false
	}
	if msg.err != nil {
		m.notice = notice{text: "could not start the " + msg.kind + ": " + msg.err.Error(), bad: true}
		return m, nil
	}
	m, cmd := m.attach(msg.run, msg.kind)
	m.live.seedFrom(msg.seed, msg.scope)
	return m, cmd
}

// attach follows run in the live view and arms its event and spinner Cmds.
func (m Model) attach(run Run, kind string) (Model, tea.Cmd) {
	if m.live != nil {
		m.live.leave()
	}
	m.live = newLive(run, kind)
	m.stage, m.wiz, m.offer = nil, nil, nil
	m.list.selected = map[int]bool{}
	m.screen = ScreenLive
	return m, tea.Batch(m.live.wait(), m.spin.Tick)
}

// onRunEvent folds an event into the live view and waits for the next one; a finished
// run reloads the fleet so that the spread shows what changed.
func (m Model) onRunEvent(msg runEventMsg) (Model, tea.Cmd) {
	if m.live == nil || msg.id != m.live.run.ID() {
		return m, nil
	}
	m.live.apply(msg.ev)
	cmds := []tea.Cmd{m.live.wait()}
	switch e := msg.ev.(type) {
	case actions.Done:
		m.notice = notice{text: doneWords(e), bad: m.live.doneBad(e)}
		cmds = append(cmds, m.refreshQuietly())
	case actions.WaveStarted, actions.CheckpointReached:
		// At a checkpoint the operator looks at the fleet: show it as the wave left it.
		cmds = append(cmds, m.refreshQuietly())
	}
	return m, tea.Batch(cmds...)
}

// refreshQuietly reads the fleet again without a notice; when a read is running, it
// reads once more after it, since that read may have started before the change.
func (m *Model) refreshQuietly() tea.Cmd {
	if m.load.loading {
		m.load.again = true
		return nil
	}
	return m.reload()
}

// liveKey handles keys on the live view; the abort question first.
func (m Model) liveKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	l, k := m.live, m.keys
	if l.asking {
		return m.abortKey(msg)
	}
	running := l.running()
	switch {
	case key.Matches(msg, k.Back):
		m.screen = ScreenFleet
	case key.Matches(msg, k.History):
		return m.openHistory()
	case key.Matches(msg, k.Pause) && running:
		if l.status.State == actions.StatePaused {
			return m, control(l.run.Resume)
		}
		return m, control(l.run.Pause)
	case key.Matches(msg, k.Continue) && running:
		return m, controlErr(l.run.Continue)
	case key.Matches(msg, k.Abort) && running:
		l.asking = true
	}
	return m, nil
}

// abortKey answers the abort question: r rolls back, k keeps the fleet as it is.
func (m Model) abortKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	l := m.live
	switch msg.String() {
	case "r":
		l.asking, l.aborting = false, "roll back"
		return m, control(func() { l.run.Abort(true) })
	case "k":
		l.asking, l.aborting = false, "keep the fleet as it is"
		return m, control(func() { l.run.Abort(false) })
	case "esc", "n":
		l.asking = false
	}
	return m, nil
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
