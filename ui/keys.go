package ui

import "charm.land/bubbles/v2/key"

// KeyMap is every key the UI answers to. Bindings that change the fleet are disabled in
// read-only mode, which also removes them from the help.
type KeyMap struct {
	Quit, Help, Back key.Binding

	Up, Down, PageUp, PageDown, Top, Bottom  key.Binding
	HalfUp, HalfDown, Switch, Follow         key.Binding
	Collapse, Expand, Enter                  key.Binding
	Select, SelectAll, Filter, Sort, Reverse key.Binding
	Matrix, Refresh, Export, History, Live   key.Binding

	Stage, Confirm, Next, Prev, Inc, Dec, Edit key.Binding
	Pause, Continue, Abort, Rollback           key.Binding
	Resume                                     key.Binding

	// The audit's: select a finding's servers, stage them onto the image each runs.
	SelectDrifted, SelectOld, SelectUnhealthy, StageSame key.Binding

	// Trend shows the spread over time; Window picks its window there.
	Trend, Window key.Binding
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
		HalfUp:   bind([]string{"ctrl+u"}, "ctrl+u", "half a page up"),
		HalfDown: bind([]string{"ctrl+d"}, "ctrl+d", "half a page down"),
		Switch:   bind([]string{"tab"}, "tab", "other pane"),
		Follow:   bind([]string{"f"}, "f", "follow"),
		Collapse: bind([]string{"left"}, "←", "collapse"),
		Expand:   bind([]string{"right"}, "→", "expand"),
		Enter:    bind([]string{"enter"}, "enter", "open/fold"),

		Select:    bind([]string{"space"}, "space", "select"),
		SelectAll: bind([]string{"a"}, "a", "select all shown"),
		Filter:    bind([]string{"/"}, "/", "filter"),
		Sort:      bind([]string{"o"}, "o", "sort by the next column"),
		Reverse:   bind([]string{"O"}, "O", "reverse the sort"),
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
		Edit:    bind([]string{"e"}, "e", "type a value"),

		Pause:    bind([]string{"p"}, "p", "pause/resume"),
		Continue: bind([]string{"c"}, "c", "continue"),
		Abort:    bind([]string{"A"}, "A", "abort"),
		Rollback: bind([]string{"b"}, "b", "roll back"),
		Resume:   bind([]string{"R"}, "R", "resume"),

		SelectDrifted:   bind([]string{"D"}, "D", "select the drifted"),
		SelectOld:       bind([]string{"E"}, "E", "select those past max age"),
		SelectUnhealthy: bind([]string{"U"}, "U", "select the unhealthy"),
		StageSame:       bind([]string{"S"}, "S", "stage onto the image each runs"),

		Trend:  bind([]string{"t"}, "t", "over time"),
		Window: bind([]string{"w"}, "w", "window"),
	}
	if readonly {
		for _, b := range []*key.Binding{&k.Stage, &k.Pause, &k.Continue, &k.Abort, &k.Rollback, &k.Resume, &k.StageSame} {
			b.SetEnabled(false)
		}
	}
	return k
}

// withHelp is b with another description, for screens where a key means more.
func withHelp(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// helpPage is one screen's page of the help dialog: its keys in titled columns, and a
// legend of the glyphs it draws (empty: none).
type helpPage struct {
	groups []helpGroup
	legend string
}

// helpGroup is a titled column of the full help.
type helpGroup struct {
	title string
	items []helpItem
}

// helpItem is a line of the full help: one binding, or two that read as a pair.
type helpItem struct {
	keys, desc string
	on         bool
	// bindings are the keys the line is about.
	bindings []key.Binding
}

func item(b key.Binding) helpItem {
	return helpItem{keys: b.Help().Key, desc: b.Help().Desc, on: b.Enabled(), bindings: []key.Binding{b}}
}

func pair(a, b key.Binding, desc string) helpItem {
	return helpItem{keys: a.Help().Key + " " + b.Help().Key, desc: desc, on: a.Enabled() && b.Enabled(),
		bindings: []key.Binding{a, b}}
}

// halfPage is ctrl+u and ctrl+d in one line of the help.
func halfPage(k KeyMap) helpItem {
	return helpItem{keys: "ctrl+u/d", desc: "half a page", on: k.HalfUp.Enabled(), bindings: []key.Binding{k.HalfUp, k.HalfDown}}
}

// generalHelp is the column every screen's help ends with.
func generalHelp(k KeyMap) helpGroup {
	return helpGroup{"General", []helpItem{item(k.Help), item(k.Quit)}}
}
