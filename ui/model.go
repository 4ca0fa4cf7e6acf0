package ui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// Screen is the view the UI shows.
type Screen int

// The screens, in the order the help lists them.
const (
	ScreenFleet Screen = iota
	ScreenMatrix
	ScreenStage
	ScreenLive
	ScreenHistory
	ScreenRollback
	// ScreenTrend is the spread over time (trend.go).
	ScreenTrend
	// ScreenPoolStage stages an autoscale pool's rollout (poolstage.go).
	ScreenPoolStage
)

// Focus is what receives the keys that are not global.
type Focus int

// The focus targets.
const (
	FocusList Focus = iota
	FocusFilter
	FocusDetails
)

// Minimum terminal size; below it the UI asks for a bigger window.
const (
	MinWidth  = 80
	MinHeight = 24
)

// wideWidth is the width from which the details pane sits beside the list.
const wideWidth = 110

// Model is the root of the UI, a thin router: it owns the shared context, one component
// per screen and the stack of dialogs, hands each message to the one it is for, and
// carries out what they ask (show a screen, open a dialog, quit).
type Model struct {
	*common
	*screens
	dialogs *overlay
}

// screens are the components, one per screen; stage and rollback exist only while
// shown.
type screens struct {
	current  Screen
	fleet    *fleetScreen
	matrix   *matrixScreen
	stage    *stageScreen
	liveView *liveScreen
	history  *historyScreen
	wiz      *rollbackScreen
	// poolStage exists only while shown, as stage does.
	poolStage *poolStageScreen
	trend     *trendScreen
}

// New builds the UI around deps.
func New(deps Deps) Model {
	c := newCommon(deps.withDefaults())
	c.load.began = c.now()
	return Model{
		common: c,
		screens: &screens{fleet: newFleetScreen(c.selected), matrix: &matrixScreen{}, liveView: newLiveScreen(),
			history: &historyScreen{}, trend: newTrendScreen()},
		dialogs: &overlay{},
	}
}

// Init starts the first fleet load (New counted it), asks the terminal for its
// background colour and reads the journal. The first frame waits for none of them.
func (m Model) Init() tea.Cmd {
	c := m.common
	return tea.Batch(startLoad(c.deps.Context, c.load.gen, c.deps.Load), tea.RequestBackgroundColor,
		loadRollouts(c.deps.JournalDir, true), loadStrategies(c.deps.Strategies),
		loadAccount(c.deps.Context, c.deps.Account), loadAccountImages(c.deps.Context, c.deps.Images),
		loadHome(c.deps.Context, c.deps.Home))
}

// active is the component of the screen shown.
func (s *screens) active() component {
	switch s.current {
	case ScreenMatrix:
		return s.matrix
	case ScreenStage:
		return s.stage
	case ScreenLive:
		return s.liveView
	case ScreenHistory:
		return s.history
	case ScreenRollback:
		return s.wiz
	case ScreenTrend:
		return s.trend
	case ScreenPoolStage:
		return s.poolStage
	}
	return s.fleet
}

// all is every component that exists, for messages any of them may be waiting for.
func (s *screens) all() []component {
	out := []component{s.fleet, s.matrix, s.liveView, s.history, s.trend}
	if s.stage != nil {
		out = append(out, s.stage)
	}
	if s.wiz != nil {
		out = append(out, s.wiz)
	}
	if s.poolStage != nil {
		out = append(out, s.poolStage)
	}
	return out
}

// Screen is the screen shown.
func (m Model) Screen() Screen { return m.current }

// Focus is the focused pane: the fleet screen's, or the list elsewhere.
func (m Model) Focus() Focus {
	if m.current != ScreenFleet {
		return FocusList
	}
	return m.fleet.focus
}

// Selected is the selected servers, sorted by name.
func (m Model) Selected() []fleet.Server { return m.fleet.list.selection() }

// Following is the ID of the rollout the UI follows while it runs, "" when none runs:
// what leaving the UI now would stop.
func (m Model) Following() string {
	if !m.common.running() || m.common.live.watching() {
		return "" // a watch stops nothing: another process drives it
	}
	return m.common.live.run.ID()
}

// Spread is the fleet as last read, or nil before the first load ends.
func (m Model) Spread() *fleet.Spread { return m.common.spread }
