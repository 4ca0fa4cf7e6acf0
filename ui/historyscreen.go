package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// open reads the journal again each time the history is shown.
func (h *historyScreen) open(c *common) tea.Cmd {
	h.loading = true
	h.details = false
	return loadRollouts(c.deps.JournalDir, false)
}

// update takes the journal's rollouts as they are read, and the keys of the list.
func (h *historyScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case rolloutsLoadedMsg:
		h.loading = false
		h.err = msg.err
		h.rollouts = slices.Clone(msg.rollouts)
		h.cursor = min(h.cursor, max(len(msg.rollouts)-1, 0))
		h.order()
	case tea.KeyPressMsg:
		return h.key(c, msg)
	}
	return nil, nil
}

func (h *historyScreen) key(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	r, ok := h.current()
	wide := c.width >= wideWidth
	if ok && (h.details || wide && h.detailFocus) &&
		scrollRows(c, &h.detail, msg, len(r.plan.Replacements()), h.detailRoom(c, r)) {
		return nil, nil
	}
	if d, moved := moveBy(k, msg, c.bodyHeight()-2); moved {
		if next := clampInt(h.cursor+d, 0, max(len(h.rollouts)-1, 0)); next != h.cursor {
			h.cursor, h.detail = next, scroller{}
		}
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Switch) && wide:
		h.detailFocus = !h.detailFocus
	case key.Matches(msg, k.Sort):
		h.sort, h.reverse = (h.sort+1)%historySorts, false
		h.order()
		c.say("sorted by %s", h.sort)
	case key.Matches(msg, k.Reverse):
		h.reverse = !h.reverse
		h.order()
		c.say("sorted by %s, %s", h.sort, map[bool]string{false: "the usual way", true: "reversed"}[h.reverse])
	case key.Matches(msg, k.Enter) && ok:
		h.details = !h.details && c.width < wideWidth
	case key.Matches(msg, k.Back):
		if h.details {
			h.details = false
			return nil, nil
		}
		return show{to: ScreenFleet}, nil
	case key.Matches(msg, k.Refresh):
		h.loading = true
		return nil, loadRollouts(c.deps.JournalDir, false)
	case key.Matches(msg, k.Rollback) && ok:
		return openWizard(c, r), nil
	case key.Matches(msg, k.Resume) && ok:
		return nil, resume(c, r)
	case key.Matches(msg, k.Live) && c.live != nil:
		return show{to: ScreenLive}, nil
	case key.Matches(msg, k.Live):
		c.say("no rollout has run in this session")
	default:
		return ignored{}, nil
	}
	return nil, nil
}

// detailRoom is the lines the replacements of r get in the details.
func (h *historyScreen) detailRoom(c *common, r rollout) int {
	w := c.width
	if w >= wideWidth {
		w -= historyListWidth + 3
	}
	return c.bodyHeight() - 2 - len(detailFields(c, r, w)) - 1
}

// keyBar offers what the rollout under the cursor allows.
func (h *historyScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	var out []key.Binding
	r, ok := h.current()
	if ok && !h.details && c.width < wideWidth {
		out = append(out, withHelp(k.Enter, "details"))
	}
	if ok && !c.running() {
		if r.canRollBack() {
			out = append(out, k.Rollback)
		}
		if r.Unfinished() {
			out = append(out, k.Resume)
		}
	}
	if c.live != nil {
		out = append(out, k.Live)
	}
	if c.width >= wideWidth {
		out = append(out, withHelp(k.Switch, map[bool]string{false: "details", true: "list"}[h.detailFocus]))
	}
	if h.details && c.width < wideWidth {
		return append(out, withHelp(k.Back, "list"))
	}
	return append(out, withHelp(k.Back, "fleet"))
}

func (h *historyScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: rolloutLegend, groups: []helpGroup{
		{"Rollouts", []helpItem{pair(k.Up, k.Down, "move, scroll"), pair(k.PageUp, k.PageDown, "page"),
			pair(k.Top, k.Bottom, "top, bottom"), item(withHelp(k.Switch, "list or details (wide)")),
			item(withHelp(k.Sort, "sort: started, what, state, to")), item(k.Reverse),
			item(withHelp(k.Enter, "details; confirm")),
			item(withHelp(k.Rollback, "roll back (a wizard)")), item(withHelp(k.Resume, "resume an unfinished one")),
			item(k.Live), item(k.Refresh), item(k.Back)}},
		generalHelp(k)}}
}

// resume continues an unfinished rollout and follows it live; nil when it cannot, and
// the status line says why.
func resume(c *common, r rollout) tea.Cmd {
	if c.busy() {
		return nil
	}
	if !r.Unfinished() {
		c.warn("rollout %s is %s: there is nothing to resume", r.ID, stateWords(r.State))
		return nil
	}
	if why := c.notHome(r); why != "" {
		c.warn("%s", why)
		return nil
	}
	c.say("resuming %s…", r.ID)
	return startResume(c.deps.Context, c.deps.Engine, r)
}

// openWizard shows the guided rollback of r.
func openWizard(c *common, r rollout) action {
	if c.busy() {
		return nil
	}
	if !r.canRollBack() {
		c.warn("rollout %s has nothing in service to roll back", r.ID)
		return nil
	}
	return show{to: ScreenRollback, with: &rollbackScreen{r: r}}
}

// update asks for the typed confirmation on enter; esc goes back to the history.
func (w *rollbackScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	switch {
	case !ok:
	case scrollRows(c, &w.rows, k, len(w.r.steps), w.room(c.bodyHeight())):
	case key.Matches(k, c.keys.Confirm):
		return openDialog{w.confirmDialog(c)}, nil
	case key.Matches(k, c.keys.Back):
		return show{to: ScreenHistory}, nil
	default:
		return ignored{}, nil
	}
	return nil, nil
}

func (w *rollbackScreen) keyBar(c *common) []key.Binding {
	return []key.Binding{withHelp(c.keys.Confirm, "confirm the rollback"), withHelp(c.keys.Back, "history")}
}

func (w *rollbackScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: "⚡ fast: the old droplet still exists   ↻ re-created from its image", groups: []helpGroup{
		{"Roll back", []helpItem{pair(k.Up, k.Down, "scroll the servers"), pair(k.PageUp, k.PageDown, "page"),
			pair(k.Top, k.Bottom, "top, bottom"), item(withHelp(k.Confirm, "confirm the rollback (type its name)")),
			item(withHelp(k.Back, "back to the history"))}},
		generalHelp(k)}}
}
