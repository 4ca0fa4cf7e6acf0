package ui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// Update routes a message: keys to the top dialog, the global keys or the screen shown;
// what the whole UI shares (fleet loads, the run followed) to the root's handlers; the
// rest to every screen, which take what is theirs. Handlers change state and return
// Cmds for any IO.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	c := m.common
	c.sampleBudget()
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		c.width, c.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		c.styles = NewStyles(msg.IsDark())
		c.styleGen++
	case tea.KeyPressMsg:
		cmd = m.onKey(msg)
	case tea.MouseWheelMsg, tea.MouseClickMsg:
		cmd = m.onMouse(msg)
	default:
		if fc, ok := m.onFleetMsg(msg); ok {
			cmd = fc
		} else if rc, ok := m.onRunMsg(msg); ok {
			cmd = rc
		} else {
			cmd = m.broadcast(msg)
		}
	}
	m.settle()
	return m, cmd
}

// settle fits the layout to what the update changed: a notice too long for the status
// line opens in a dialog, the status line takes the lines it needs, and the fleet list
// keeps its cursor in view.
func (m Model) settle() {
	c := m.common
	if c.notice.text != "" && c.width >= MinWidth && !m.noticeFits() {
		m.dialogs.push(&messageDialog{text: c.notice.text, bad: c.notice.bad})
		c.notice = notice{}
	}
	c.statusRows = len(m.statusLines())
	m.fleet.follow(c)
}

// broadcast hands a message to every screen; each takes what is its own.
func (m Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range m.all() {
		cmds = append(cmds, m.do(s.update(m.common, msg)))
	}
	return tea.Batch(cmds...)
}

// onKey routes a key: the dialog on top first, then text being typed, then the global
// keys, then the screen shown.
func (m Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	c := m.common
	c.notice = notice{}
	if d := m.dialogs.top(); d != nil {
		if _, asking := d.(*quitDialog); msg.String() == "ctrl+c" && !asking {
			return m.quit()
		}
		a, cmd := d.update(c, msg)
		return m.keyDo(msg, a, cmd)
	}
	s := m.active()
	if t, ok := s.(typer); ok && t.typing() && c.spread != nil && msg.String() != "ctrl+c" {
		return m.do(s.update(c, msg))
	}
	switch {
	case msg.String() == "ctrl+c":
		return m.quit()
	case key.Matches(msg, c.keys.Quit):
		return m.quit()
	case key.Matches(msg, c.keys.Help):
		m.dialogs.push(&helpDialog{page: s.help(c)})
		return nil
	case c.spread == nil:
		return m.loadingKey(msg)
	case c.deps.Readonly && c.refusedKey(msg):
		return nil
	}
	a, cmd := s.update(c, msg)
	return m.keyDo(msg, a, cmd)
}

// keyDo carries out what a component did with a key, and says so when it did nothing.
func (m Model) keyDo(msg tea.KeyPressMsg, a action, cmd tea.Cmd) tea.Cmd {
	if _, ok := a.(ignored); ok {
		where := "on this screen: ? lists its keys"
		if m.dialogs.top() != nil {
			where = "here: the key bar lists the answers"
		}
		m.common.warn("%s does nothing %s", msg.String(), where)
		return cmd
	}
	return m.do(a, cmd)
}

// do carries out what a component asked, then its Cmd.
func (m Model) do(a action, cmd tea.Cmd) tea.Cmd {
	switch a := a.(type) {
	case []action:
		cmds := []tea.Cmd{cmd}
		for _, one := range a {
			cmds = append(cmds, m.do(one, nil))
		}
		return tea.Batch(cmds...)
	case show:
		return tea.Batch(cmd, m.show(a.to, a.with))
	case openDialog:
		m.dialogs.push(a.d)
	case closeDialog:
		m.dialogs.pop()
	case askQuit:
		return tea.Batch(cmd, m.quit())
	case quitNow:
		return tea.Quit
	}
	return cmd
}

// show makes a screen the one shown, dropping the stage or rollback screen it leaves.
func (m Model) show(to Screen, with component) tea.Cmd {
	if to != m.current {
		switch m.current {
		case ScreenStage:
			m.stage = nil
		case ScreenRollback:
			m.wiz = nil
		case ScreenPoolStage:
			m.poolStage = nil
		}
	}
	switch w := with.(type) {
	case *poolStageScreen:
		m.poolStage = w
	case *stageScreen:
		m.stage = w
	case *rollbackScreen:
		m.wiz = w
	}
	m.current = to
	if o, ok := m.active().(opener); ok {
		return o.open(m.common)
	}
	return nil
}

// quit leaves, asking first while a rollout runs (quitting stops it where it is).
func (m Model) quit() tea.Cmd {
	if m.common.running() && !m.common.live.watching() && !m.common.deps.Shared {
		m.dialogs.push(&quitDialog{})
		return nil
	}
	return tea.Quit
}

func (m Model) loadingKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.common.keys.Refresh) && !m.common.load.loading {
		return m.common.reload()
	}
	return nil
}

// onFleetMsg handles the fleet's loads and refreshes and the audit export; ok is false
// for other messages.
func (m Model) onFleetMsg(msg tea.Msg) (tea.Cmd, bool) {
	c := m.common
	switch msg := msg.(type) {
	case fleetProgressMsg:
		return m.onProgress(msg), true
	case fleetLoadedMsg:
		return m.onLoaded(msg), true
	case refreshTickMsg:
		if msg.gen == c.load.refreshGen && !c.load.loading {
			return c.reload(), true
		}
		return nil, true
	case exportDoneMsg:
		onExported(c, msg)
		return nil, true
	case auditMsg:
		return c.onAudit(msg), true
	case imagesMsg:
		if msg.err == nil {
			c.images = msg.images
			if c.servers != nil {
				m.regroup()
			}
		}
		return nil, true
	case accountMsg:
		if msg.err == nil {
			c.account = msg.name
		}
		return nil, true
	case homeMsg:
		c.home = home{known: true, acct: msg.acct, err: msg.err}
		return m.offerResume(false), true
	}
	return nil, false
}

func (m Model) onProgress(msg fleetProgressMsg) tea.Cmd {
	if msg.gen != m.common.load.gen {
		return nil
	}
	m.common.load.done, m.common.load.total = msg.done, msg.total
	if l := &m.common.load; msg.waits > l.waits {
		l.waits, l.waitFor, l.waitUntil = msg.waits, msg.wait, m.common.now().Add(msg.wait)
	}
	return msg.load.wait()
}

// onLoaded shows a freshly read fleet, keeping the cursor and the selection, and arms
// the next refresh. A failed refresh keeps the fleet shown and says why.
func (m Model) onLoaded(msg fleetLoadedMsg) tea.Cmd {
	c := m.common
	if msg.gen != c.load.gen {
		return nil
	}
	c.load.loading = false
	c.load.err = msg.err
	c.load.refreshGen++
	next := refreshAfter(m.refreshPeriod(), c.load.refreshGen)
	if c.load.again {
		c.load.again = false
		next = c.reload()
	}
	if msg.err != nil {
		c.warn("reading the fleet failed: %s", msg.err)
		return next
	}
	c.load.at, c.load.readBegan = c.now(), c.load.began
	if c.deps.FullReadAt != nil {
		c.load.fullAt = c.deps.FullReadAt()
	}
	if c.notice.text == refreshingNotice {
		c.say("read %s at %s", plural(len(msg.servers), "server"), c.load.at.Format("15:04:05"))
	}
	if c.deps.Pools != nil {
		c.pools = c.deps.Pools()
	}
	if c.spread != nil && sameFleet(c.servers, msg.servers) {
		m.fleet.list.pools = poolsByRole(c.pools, c.servers, c.spread) // a pool can change alone (its status)
		m.fleet.list.refold()
		return next // a refresh that found nothing changed: the spread and the list stand
	}
	c.servers = msg.servers
	m.regroup()
	return tea.Batch(next, c.startAudit())
}

// regroup makes the spread of the servers that serve, the old droplets kept by ended
// rollouts apart (the journal says whose they are), and lays the list out again.
func (m Model) regroup() {
	c := m.common
	serving, kept := c.splitKept(c.servers)
	c.spread, c.kept = fleet.NewSpread(serving, fleet.Options{Now: c.load.at}), kept
	m.fleet.list.newer = c.newerRoles()
	m.fleet.list.pools = poolsByRole(c.pools, c.servers, c.spread)
	m.fleet.list.rebuild(c.spread, c.kept)
}

// refreshPeriod is RefreshEvery when a refresh reads only what changed (FullReadAt);
// when every refresh reads the whole fleet, it spaces them so that they spend at most a
// tenth of DigitalOcean's hourly allowance (5,000 requests): 7.2s per page read, at
// least RefreshEvery. A fleet of 20,000 droplets is then read every 12 minutes.
func (m Model) refreshPeriod() time.Duration {
	every := m.common.deps.RefreshEvery
	if every <= 0 || m.common.deps.FullReadAt != nil {
		return every
	}
	return max(every, time.Duration(m.common.load.total)*7200*time.Millisecond)
}

// onRunMsg handles the messages about runs: one started, its events, the journal's
// rollouts, and a shared cockpit's; ok is false for other messages.
func (m Model) onRunMsg(msg tea.Msg) (tea.Cmd, bool) {
	c := m.common
	switch msg := msg.(type) {
	case runStartedMsg:
		return m.onRunStarted(msg), true
	case runEventMsg:
		return m.onRunEvent(msg), true
	case runClosedMsg:
		return nil, true
	case spendMsg:
		c.onSpend(msg)
		return nil, true
	case controlRefusedMsg:
		c.warn("%s", msg.err)
		return nil, true
	case rolloutsLoadedMsg:
		if msg.err == nil || msg.rollouts != nil {
			c.rollouts = msg.rollouts
			if c.spread != nil {
				m.regroup()
			}
		}
		return tea.Batch(m.broadcast(msg), m.offerResume(msg.startup)), true
	case spinner.TickMsg:
		if !c.running() {
			return nil, true
		}
		var cmd tea.Cmd
		c.spin, cmd = c.spin.Update(msg)
		return cmd, true
	case PresenceMsg:
		c.presence = msg
		return nil, true
	case strategiesMsg:
		for k, st := range msg.strategies {
			if _, ok := c.strategies[k]; !ok {
				c.strategies[k] = st
			}
		}
		if msg.err != nil {
			c.warn("%s", msg.err)
		}
		return nil, true
	case WatchMsg:
		return m.watch(msg), true
	}
	return nil, false
}

// onRunStarted shows a run that started (a rollout, resume or rollback) live.
func (m Model) onRunStarted(msg runStartedMsg) tea.Cmd {
	if d, ok := m.dialogs.top().(*confirmDialog); ok {
		d.starting = false
	}
	if d, ok := drivenRefusal(msg); ok {
		m.dialogs.push(d) // another process drives it: say who, offer to watch
		return nil
	}
	if msg.err != nil {
		m.common.warn("could not start the %s: %s", msg.kind, msg.err)
		return nil
	}
	cmd := m.attach(msg.run, msg.kind)
	m.common.live.seedFrom(msg.seed, msg.scope)
	return cmd
}

// attach follows run in the live view, closes the questions that led to it, clears the
// selection and arms the run's event and spinner Cmds.
func (m Model) attach(run Run, kind string) tea.Cmd {
	c := m.common
	m.follow(run, kind)
	kept := (*m.dialogs)[:0]
	for _, d := range *m.dialogs {
		switch d.(type) {
		case *helpDialog, *quitDialog:
			kept = append(kept, d)
		}
	}
	*m.dialogs = kept
	clear(c.selected)
	m.show(ScreenLive, nil)
	return tea.Batch(c.live.wait(), c.spin.Tick)
}

// follow makes run the run the UI follows, leaving the one it followed.
func (m Model) follow(run Run, kind string) {
	if m.common.live != nil {
		m.common.live.leave()
	}
	m.common.live = newLive(run, kind)
	m.liveView.reset()
}

// onRunEvent folds the events into the run followed and waits for the next ones; a
// finished run reloads the fleet so that the spread shows what changed.
func (m Model) onRunEvent(msg runEventMsg) tea.Cmd {
	c := m.common
	if c.live == nil || msg.id != c.live.run.ID() {
		return nil
	}
	cmds := []tea.Cmd{c.live.wait()}
	refresh := false
	for _, ev := range append([]actions.Event{msg.ev}, msg.more...) {
		c.live.apply(ev)
		switch e := ev.(type) {
		case actions.Done:
			c.notice = notice{text: doneWords(e), bad: c.live.doneBad(e)}
			// The journal as the run ended it (what it keeps), and the fleet.
			cmds = append(cmds, loadRollouts(c.deps.JournalDir, false))
			c.live.lockChanged(c.deps.Stale)
			refresh = true
		case actions.WaveStarted:
			if !c.live.locked {
				c.live.locked = true // the lock went on before the first wave
				c.live.lockChanged(c.deps.Stale)
			}
			refresh = true
		case actions.CheckpointReached:
			// At a checkpoint the operator looks at the fleet: show it as the wave left it.
			refresh = true
		}
	}
	if refresh {
		cmds = append(cmds, c.refreshQuietly())
	}
	cmds = append(cmds, c.meterSpend(append([]actions.Event{msg.ev}, msg.more...)))
	return tea.Batch(cmds...)
}

// offerResume offers once, after the journal's first read (startup) and once the
// account the cockpit is on is known, to resume the newest unfinished rollout of that
// account, unless a run is followed already.
func (m Model) offerResume(startup bool) tea.Cmd {
	c := m.common
	c.startupRead = c.startupRead || startup
	if c.offered || !c.startupRead || c.deps.Home != nil && !c.home.known {
		return nil
	}
	c.offered = true
	if mine, others := c.resumable(); len(mine) > 0 && c.live == nil {
		m.dialogs.push(&offerDialog{r: mine[0], others: others})
	}
	return nil
}

// watch follows a run started elsewhere (molt serve): see WatchMsg.
func (m Model) watch(msg WatchMsg) tea.Cmd {
	c := m.common
	if msg.Run == nil || c.running() {
		return nil
	}
	if m.current == ScreenFleet && m.fleet.focus == FocusList {
		return m.attach(msg.Run, msg.Kind)
	}
	m.follow(msg.Run, msg.Kind)
	return tea.Batch(c.live.wait(), c.spin.Tick)
}

func onExported(c *common, msg exportDoneMsg) {
	if msg.err != nil {
		c.warn("export failed: %s", msg.err)
		return
	}
	c.notice = notice{text: fmt.Sprintf("wrote the audit: %s", joinPaths(msg.paths))}
}
