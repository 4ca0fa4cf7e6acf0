package ui

import (
	"time"

	"charm.land/bubbles/v2/spinner"
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

// loadStatus is the state of fleet loading: the generation of the newest load (older
// results are dropped), its progress, and when the fleet shown was read.
type loadStatus struct {
	gen         int
	loading     bool
	done, total int
	at          time.Time
	err         error
	// refreshGen is the generation of the armed periodic refresh.
	refreshGen int
	// again asks for one more read when the running one ends.
	again bool
}

// notice is a one-line message in the status line until the next key.
type notice struct {
	text string
	bad  bool
}

// Model is the root of the UI: which screen and focus are current, the fleet as last
// read, and every pane's state. Panes are plain structs that it owns.
type Model struct {
	deps   Deps
	keys   KeyMap
	styles Styles

	width, height int
	screen        Screen
	focus         Focus
	showHelp      bool

	spread *fleet.Spread
	list   fleetList
	stage  *stage
	live   *live
	hist   historyPane
	wiz    *wizard
	// offer is an unfinished rollout found at start, offered for resuming.
	offer *rollout
	spin  spinner.Model
	// quitting is set while the quit question (a rollout is running) is open.
	quitting bool
	filter   lineInput
	load     loadStatus
	notice   notice

	budgetLeft, budgetLimit int
	// presence is who is connected to a shared cockpit (molt serve).
	presence PresenceMsg
}

// New builds the UI around deps.
func New(deps Deps) Model {
	deps = deps.withDefaults()
	return Model{
		deps:   deps,
		keys:   DefaultKeyMap(deps.Readonly),
		styles: NewStyles(true),
		width:  MinWidth,
		height: MinHeight,
		list:   newFleetList(),
		filter: lineInput{limit: 64},
		load:   loadStatus{gen: 1, loading: true},
		spin:   spinner.New(spinner.WithSpinner(spinner.Spinner{Frames: spinner.MiniDot.Frames, FPS: 200 * time.Millisecond})),
	}
}

// Init starts the first fleet load (New counted it), asks the terminal for its
// background colour and reads the journal. The first frame waits for none of them.
func (m Model) Init() tea.Cmd {
	return tea.Batch(startLoad(m.deps.Context, m.load.gen, m.deps.Load), tea.RequestBackgroundColor,
		loadRollouts(m.deps.JournalDir, true))
}

// reload starts a new fleet load; results of older loads will be dropped.
func (m *Model) reload() tea.Cmd {
	m.load.gen++
	m.load.loading = true
	m.load.done, m.load.total = 0, 0
	return startLoad(m.deps.Context, m.load.gen, m.deps.Load)
}

// Screen is the screen shown.
func (m Model) Screen() Screen { return m.screen }

// Focus is the focused pane.
func (m Model) Focus() Focus { return m.focus }

// Selected is the selected servers, sorted by name.
func (m Model) Selected() []fleet.Server { return m.list.selection() }

// Spread is the fleet as last read, or nil before the first load ends.
func (m Model) Spread() *fleet.Spread { return m.spread }
