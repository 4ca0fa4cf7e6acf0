package ui

import (
	"context"
	"slices"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// trendScreen is the spread over time: per role, its versions' shares of its servers
// over a window (a stacked chart), the rollouts of the journal marked at their times,
// and each version's milestones and lag. It reads the history through Deps.History
// each time it is shown and each time the window changes.
type trendScreen struct {
	// window is the index of the window shown in trendWindows.
	window int
	trend  *fleet.Trend
	err    error
	// loading says a read is under way; gen drops the answers of older reads.
	loading bool
	gen     int
	// first is the first role shown, when they do not all fit; focus is the role to show
	// first once the history is read ("" keeps first).
	first int
	focus string
}

// trendWindows are the windows the screen offers, shortest first.
var trendWindows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour}

// defaultTrendWindow is the window shown first: a week.
const defaultTrendWindow = 1

func newTrendScreen() *trendScreen { return &trendScreen{window: defaultTrendWindow} }

// trendMsg carries the history over a window, read in the background.
type trendMsg struct {
	gen   int
	trend fleet.Trend
	err   error
}

// loadTrend reads the history since since, in the background.
func loadTrend(ctx context.Context, read func(context.Context, time.Time) (fleet.Trend, error), since time.Time, gen int) tea.Cmd {
	return func() tea.Msg {
		t, err := read(ctx, since)
		return trendMsg{gen: gen, trend: t, err: err}
	}
}

// open reads the history and the journal again each time the screen is shown.
func (t *trendScreen) open(c *common) tea.Cmd {
	t.focus = c.trendRole
	return tea.Batch(t.reload(c), loadRollouts(c.deps.JournalDir, false))
}

// reload reads the history over the window shown; nil when the cockpit keeps none.
func (t *trendScreen) reload(c *common) tea.Cmd {
	if c.deps.History == nil {
		return nil
	}
	t.gen++
	t.loading = true
	return loadTrend(c.deps.Context, c.deps.History, c.now().Add(-t.span()), t.gen)
}

// span is the window shown.
func (t *trendScreen) span() time.Duration { return trendWindows[t.window] }

// roles are the roles the trend has, in role order.
func (t *trendScreen) roles() []string {
	if t.trend == nil {
		return nil
	}
	var out []string
	for _, r := range t.trend.Roles {
		out = append(out, r.Role)
	}
	return out
}

func (t *trendScreen) update(c *common, msg tea.Msg) (action, tea.Cmd) {
	switch msg := msg.(type) {
	case trendMsg:
		if msg.gen == t.gen {
			t.loading, t.err = false, msg.err
			if msg.err == nil {
				t.trend = &msg.trend
				if i := slices.Index(t.roles(), t.focus); i >= 0 {
					// The role asked for, with the roles after it filling the page.
					t.first = max(0, min(i, len(t.roles())-t.perPage(c)))
				}
				t.focus = ""
				t.first = min(t.first, max(len(t.roles())-1, 0))
			}
		}
	case tea.KeyPressMsg:
		return t.key(c, msg)
	}
	return nil, nil
}

func (t *trendScreen) key(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	k := c.keys
	if d, ok := moveBy(k, msg, t.perPage(c)); ok {
		t.first = clampInt(t.first+d, 0, max(len(t.roles())-1, 0))
		return nil, nil
	}
	switch {
	case key.Matches(msg, k.Expand):
		return nil, t.pick(c, t.window+1)
	case key.Matches(msg, k.Collapse):
		return nil, t.pick(c, t.window-1)
	case key.Matches(msg, k.Window):
		return nil, t.pick(c, (t.window+1)%len(trendWindows))
	case key.Matches(msg, k.Refresh):
		return nil, tea.Batch(t.reload(c), loadRollouts(c.deps.JournalDir, false))
	case key.Matches(msg, k.Trend, k.Back):
		return show{to: ScreenFleet}, nil
	case key.Matches(msg, k.History):
		return show{to: ScreenHistory}, nil
	}
	return ignored{}, nil
}

// pick shows window i (kept within the windows offered) and reads its history.
func (t *trendScreen) pick(c *common, i int) tea.Cmd {
	i = clampInt(i, 0, len(trendWindows)-1)
	if i == t.window {
		c.say("the window is %s already: %s", windowName(trendWindows[i]),
			map[bool]string{true: "the longest", false: "the shortest"}[i > 0])
		return nil
	}
	t.window = i
	return t.reload(c)
}

// perPage is how many roles a page shows: as many whole ones as fit, at least one.
func (t *trendScreen) perPage(c *common) int { return max(1, t.shown(c, c.bodyHeight())) }

func (t *trendScreen) keyBar(c *common) []key.Binding {
	k := c.keys
	out := []key.Binding{withHelp(k.Window, "window "+windowName(t.span()))}
	if len(t.roles()) > t.perPage(c) {
		out = append(out, pair2(k.Up, k.Down, "roles"))
	}
	return append(out, k.History, withHelp(k.Refresh, "read again"), withHelp(k.Back, "fleet"))
}

// pair2 is two bindings in one key bar entry: ↑/↓ roles.
func pair2(a, b key.Binding, desc string) key.Binding {
	return bind(slices.Concat(a.Keys(), b.Keys()), a.Help().Key+" "+b.Help().Key, desc)
}

func (t *trendScreen) help(c *common) helpPage {
	k := c.keys
	return helpPage{legend: trendLegend, groups: []helpGroup{
		{"Spread over time", []helpItem{item(withHelp(k.Window, "next window: 24h, 7d, 30d, 90d")),
			pair(k.Collapse, k.Expand, "shorter, longer window"), pair(k.Up, k.Down, "scroll the roles"),
			pair(k.PageUp, k.PageDown, "page"), pair(k.Top, k.Bottom, "first, last role"),
			item(withHelp(k.Refresh, "read the history again")), item(k.History),
			item(withHelp(k.Back, "back to the fleet"))}},
		generalHelp(k)}}
}

// trendLegend explains the chart's glyphs.
const trendLegend = "█▓▒░ a role's versions, newest first (at the bottom)   · before the history began\n" +
	"1━━ a rollout of the journal: its number where it started, a line until it ended\n" +
	"lag: server-days behind the role's newest version within the window"

// windowName is a window as the screen names it: 24h, 7d.
func windowName(d time.Duration) string { return formatAge(d) }
