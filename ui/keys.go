package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the UI answers to. Bindings that change the fleet are disabled in
// read-only mode, which also removes them from the help.
type KeyMap struct {
	Quit, Help, Back key.Binding

	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Collapse, Expand, Enter                 key.Binding
	Select, SelectAll, Filter, Sort         key.Binding
	Matrix, Refresh, Export, History, Live  key.Binding

	Stage, Confirm, Next, Prev, Inc, Dec key.Binding
	Pause, Continue, Abort, Rollback     key.Binding
	Resume                               key.Binding
}

func bind(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// DefaultKeyMap is molt's keys; readonly disables those that change anything.
func DefaultKeyMap(readonly bool) KeyMap {
	k := KeyMap{
		Quit: bind([]string{"q", "ctrl+c"}, "q", "quit"),
		Help: bind([]string{"?"}, "?", "help"),
		Back: bind([]string{"esc"}, "esc", "back"),

		Up:       bind([]string{"up", "k"}, "↑/k", "up"),
		Down:     bind([]string{"down", "j"}, "↓/j", "down"),
		PageUp:   bind([]string{"pgup", "ctrl+b"}, "pgup", "page up"),
		PageDown: bind([]string{"pgdown", "ctrl+f"}, "pgdn", "page down"),
		Top:      bind([]string{"home", "g"}, "g", "top"),
		Bottom:   bind([]string{"end", "G"}, "G", "bottom"),
		Collapse: bind([]string{"left"}, "←", "collapse"),
		Expand:   bind([]string{"right"}, "→", "expand"),
		Enter:    bind([]string{"enter"}, "enter", "open/fold"),

		Select:    bind([]string{"space"}, "space", "select"),
		SelectAll: bind([]string{"a"}, "a", "select all shown"),
		Filter:    bind([]string{"/"}, "/", "filter"),
		Sort:      bind([]string{"o"}, "o", "sort"),
		Matrix:    bind([]string{"m"}, "m", "matrix"),
		Refresh:   bind([]string{"r"}, "r", "refresh"),
		Export:    bind([]string{"x"}, "x", "export"),
		History:   bind([]string{"h"}, "h", "history"),
		Live:      bind([]string{"l"}, "l", "live rollout"),

		Stage:   bind([]string{"s"}, "s", "stage"),
		Confirm: bind([]string{"enter"}, "enter", "confirm"),
		Next:    bind([]string{"tab", "down", "j"}, "tab/↓", "next"),
		Prev:    bind([]string{"shift+tab", "up", "k"}, "↑", "previous"),
		Inc:     bind([]string{"right", "+", "l"}, "→", "change"),
		Dec:     bind([]string{"left", "-", "h"}, "←", "change back"),

		Pause:    bind([]string{"p"}, "p", "pause/resume"),
		Continue: bind([]string{"c"}, "c", "continue"),
		Abort:    bind([]string{"A"}, "A", "abort"),
		Rollback: bind([]string{"b"}, "b", "roll back"),
		Resume:   bind([]string{"R"}, "R", "resume"),
	}
	if readonly {
		for _, b := range []*key.Binding{&k.Stage, &k.Pause, &k.Continue, &k.Abort, &k.Rollback, &k.Resume} {
			b.SetEnabled(false)
		}
	}
	return k
}

// shortHelp is the key bar of the current screen and focus, most useful first; the bar
// adds help and quit.
func (m Model) shortHelp() []key.Binding {
	k := m.keys
	if keys := m.dialogHelp(); keys != nil {
		return keys
	}
	switch {
	case m.spread == nil:
		return []key.Binding{k.Refresh}
	case m.focus == FocusDetails:
		return []key.Binding{k.Back}
	case m.screen == ScreenMatrix:
		return []key.Binding{withHelp(k.Matrix, "list"), k.Export, k.Refresh}
	case m.screen == ScreenStage && m.stage.step == stepImage:
		return []key.Binding{withHelp(k.Enter, "pick"), withHelp(k.Back, "back to the fleet")}
	case m.screen == ScreenStage && !m.stage.startable():
		return []key.Binding{k.Next, k.Inc, withHelp(k.Back, "images")}
	case m.screen == ScreenStage:
		return []key.Binding{withHelp(k.Confirm, "confirm"), k.Next, k.Inc, withHelp(k.Back, "images")}
	case m.screen == ScreenLive && m.live.running():
		return m.liveHelp()
	case m.screen == ScreenLive:
		return []key.Binding{withHelp(k.Back, "fleet"), k.History}
	case m.screen == ScreenHistory:
		return m.historyHelp()
	case m.screen == ScreenRollback:
		return []key.Binding{withHelp(k.Confirm, "confirm the rollback"), withHelp(k.Back, "history")}
	}
	return []key.Binding{k.Select, k.Stage, k.Filter, k.Matrix, k.History, k.Enter, k.Export}
}

// fullHelp is the help overlay of the current screen, in titled columns.
func (m Model) fullHelp() []helpGroup {
	k := m.keys
	switch m.screen {
	case ScreenStage:
		return []helpGroup{{"Stage", []helpItem{pair(k.Up, k.Down, "choose"), pair(k.Dec, k.Inc, "change a setting"),
			item(withHelp(k.Enter, "pick the image, then confirm")), item(withHelp(k.Back, "one step back"))}},
			{"General", []helpItem{item(k.Help), item(k.Quit)}}}
	case ScreenLive:
		return []helpGroup{{"Rollout", []helpItem{item(k.Pause), item(withHelp(k.Continue, "continue at a checkpoint")), item(k.Abort),
			item(k.History), item(withHelp(k.Back, "back to the fleet (the rollout goes on)"))}},
			{"General", []helpItem{item(k.Help), item(k.Quit)}}}
	case ScreenHistory, ScreenRollback:
		return []helpGroup{{"Rollouts", []helpItem{pair(k.Up, k.Down, "move"), item(withHelp(k.Enter, "details; confirm")),
			item(withHelp(k.Rollback, "roll back (a wizard)")), item(withHelp(k.Resume, "resume an unfinished one")),
			item(k.Live), item(k.Refresh), item(k.Back)}},
			{"General", []helpItem{item(k.Help), item(k.Quit)}}}
	}
	return []helpGroup{
		{"Move", []helpItem{pair(k.Up, k.Down, "move"), pair(k.PageUp, k.PageDown, "page"),
			pair(k.Top, k.Bottom, "top, bottom"), pair(k.Collapse, k.Expand, "fold, unfold"), item(k.Enter)}},
		{"Fleet", []helpItem{item(k.Select), item(k.SelectAll), item(k.Filter), item(k.Sort),
			item(k.Matrix), item(k.Refresh), item(k.Export)}},
		{"Rollouts", []helpItem{item(k.Stage), item(k.Live), item(k.History), item(k.Resume)}},
		{"General", []helpItem{item(k.Back), item(k.Help), item(k.Quit)}},
	}
}

// withHelp is b with another description, for screens where a key means more.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// historyHelp offers what the rollout under the cursor allows.
func (m Model) historyHelp() []key.Binding {
	k := m.keys
	var out []key.Binding
	r, ok := m.hist.current()
	if ok && !m.hist.details && m.width < wideWidth {
		out = append(out, withHelp(k.Enter, "details"))
	}
	if ok && !m.live.running() {
		if r.canRollBack() {
			out = append(out, k.Rollback)
		}
		if r.Unfinished() {
			out = append(out, k.Resume)
		}
	}
	if m.live != nil {
		out = append(out, k.Live)
	}
	if m.hist.details && m.width < wideWidth {
		return append(out, withHelp(k.Back, "list"))
	}
	return append(out, withHelp(k.Back, "fleet"))
}

// dialogHelp is the key bar while a question is open: only its answers work then.
func (m Model) dialogHelp() []key.Binding {
	answer := func(keys, desc string) key.Binding { return bind([]string{keys}, keys, desc) }
	switch {
	case m.quitting:
		return []key.Binding{answer("y", "quit"), answer("n", "stay")}
	case m.offer != nil:
		if !m.keys.Resume.Enabled() {
			return []key.Binding{answer("esc", "close")}
		}
		return []key.Binding{m.keys.Resume, m.keys.History, answer("esc", "not now")}
	case m.screen == ScreenRollback && m.wiz.confirming, m.screen == ScreenStage && m.stage.confirming:
		return []key.Binding{answer("enter", "start"), answer("esc", "cancel")}
	case m.screen == ScreenLive && m.live.asking:
		return []key.Binding{answer("r", "roll back"), answer("k", "keep as it is"), answer("esc", "do not abort")}
	}
	return nil
}

// liveHelp offers what the running rollout allows: continue only at a checkpoint.
func (m Model) liveHelp() []key.Binding {
	k := m.keys
	out := []key.Binding{k.Pause}
	if m.live.status.Checkpoint != nil {
		out = []key.Binding{k.Continue, k.Pause}
	}
	return append(out, k.Abort, withHelp(k.Back, "fleet"))
}
