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

// common is the context every screen and dialog is handed: what the UI was given, its
// size, keys and styles, the fleet as last read, the selection, the rollout followed and
// the status line. The root model owns it; components read it and change the shared
// parts (the selection, the notice) through it, never each other.
type common struct {
	deps   Deps
	keys   KeyMap
	styles Styles

	width, height int

	spread *fleet.Spread
	// trendRole is the role the spread over time opens on: the one under the fleet
	// list's cursor when t was pressed ("" for the first).
	trendRole string
	// images are the account's private images, read at start and on r.
	images []fleet.Version
	// servers is the fleet as last read, kept droplets included; kept are those.
	servers []fleet.Server
	kept    []keptServer
	// pools are the account's autoscale pools as last read (Deps.Pools).
	pools []fleet.Pool
	load  loadStatus
	// selected is the selected servers by ID: the fleet list edits it, a run that
	// starts clears it, and every screen counts it in the status line.
	selected map[int]bool
	// strategies are the last strategy staged per selection of roles (see
	// StrategyStore).
	strategies map[string]actions.Strategy
	// rollouts are the journal's, as last read (newest first).
	rollouts []rollout
	// live is the run followed (nil before the first); the header shows it from every
	// screen.
	live   *live
	spin   spinner.Model
	notice notice

	// statusRows is the status line's height: 2 while a notice wraps.
	statusRows int

	budget Budget
	// account names the account (its team or email) once read.
	account string
	// home is the account the cockpit is on, once read (Deps.Home). startupRead says
	// the journal's first read arrived; offered, that the offer to resume made once at
	// start was made, or was not needed.
	home                 home
	startupRead, offered bool
	// presence is who is connected to a shared cockpit (molt serve).
	presence PresenceMsg
	// audit is the immutability audit of the fleet shown (audit.go).
	audit auditState

	// styleGen counts the styles built (one per background colour reported), and
	// spreadDrawn is the spread as last drawn (spreadcache.go).
	styleGen    int
	spreadDrawn spreadDrawn
}

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
	// began is when the running read began; readBegan, when the read shown began.
	began, readBegan time.Time
	// waitUntil is when a wait of waitFor the running read began (rate limited) ends.
	waitUntil time.Time
	waitFor   time.Duration
	waits     int
	// fullAt is when the last full read ended, when the loader reads changes between
	// full reads (Deps.FullReadAt).
	fullAt time.Time
}

// notice is a one-line message in the status line until the next key.
type notice struct {
	text string
	bad  bool
}

func newCommon(deps Deps) *common {
	return &common{
		deps:       deps,
		keys:       DefaultKeyMap(deps.Readonly),
		styles:     NewStyles(true),
		width:      MinWidth,
		height:     MinHeight,
		selected:   map[int]bool{},
		strategies: map[string]actions.Strategy{},
		statusRows: 1,
		load:       loadStatus{gen: 1, loading: true},
		spin:       spinner.New(spinner.WithSpinner(spinner.Spinner{Frames: spinner.MiniDot.Frames, FPS: 200 * time.Millisecond})),
	}
}

// bodyHeight is the lines between the header and the status line.
func (c *common) bodyHeight() int { return c.height - 2 - c.statusRows }

// tall says the window has room for each role's legend under its bar; it does not
// change with the status line's height, so that the layout stays put.
func (c *common) tall() bool { return c.height-3 >= 34 }

// say puts a notice in the status line; warn puts one that reports a problem.
func (c *common) say(format string, a ...any) { c.notice = notice{text: fmt.Sprintf(format, a...)} }

func (c *common) warn(format string, a ...any) {
	c.notice = notice{text: fmt.Sprintf(format, a...), bad: true}
}

// now is the UI's clock.
func (c *common) now() time.Time { return c.deps.Now() }

// running reports whether the run followed has not ended.
func (c *common) running() bool { return c.live.running() }

// reload starts a new fleet load; results of older loads will be dropped.
func (c *common) reload() tea.Cmd {
	c.load.gen++
	c.load.loading = true
	c.load.began = c.now()
	c.load.done, c.load.total = 0, 0
	c.load.waitUntil, c.load.waitFor, c.load.waits = time.Time{}, 0, 0
	return startLoad(c.deps.Context, c.load.gen, c.deps.Load)
}

// refreshingNotice stands in the status line while an asked-for refresh runs.
const refreshingNotice = "refreshing the fleet…"

// refresh reads the fleet again now, unless a read is already running.
func (c *common) refresh() tea.Cmd {
	if c.load.loading {
		return nil
	}
	c.notice = notice{text: refreshingNotice}
	return tea.Batch(c.reload(), loadAccountImages(c.deps.Context, c.deps.Images))
}

// refreshQuietly reads the fleet again without a notice; when a read is running, it
// reads once more after it, since that read may have started before the change.
func (c *common) refreshQuietly() tea.Cmd {
	if c.load.loading {
		c.load.again = true
		return nil
	}
	return c.reload()
}

// busy refuses to start a second run while one is going on.
func (c *common) busy() bool {
	if c.running() {
		c.warn("a rollout is running: wait for it to finish (l shows it)")
		return true
	}
	return false
}

func (c *common) sampleBudget() {
	if c.deps.RateBudget != nil {
		c.budget = c.deps.RateBudget()
	}
}

// refusedKey says so when a key that changes the fleet is pressed in read-only mode,
// rather than doing nothing without a word.
func (c *common) refusedKey(msg tea.KeyPressMsg) bool {
	k := c.keys
	for _, b := range []key.Binding{k.Stage, k.Pause, k.Continue, k.Abort, k.Rollback, k.Resume, k.StageSame} {
		for _, name := range b.Keys() {
			if msg.String() == name {
				c.warn("read-only mode: %s is off", b.Help().Desc)
				return true
			}
		}
	}
	return false
}

// strategyFor is where a stage of the roles named key starts: the strategy last staged
// for them, else the default, with the default's own part either way (ownDefaults).
func (c *common) strategyFor(key string) actions.Strategy {
	def := *c.deps.Strategy
	st, ok := c.strategies[key]
	if !ok {
		return def
	}
	return ownDefaults(st, def)
}

// ownDefaults is st with what the cockpit decides, not the role, taken from def: the
// launch template (user data and keys), the drain (the cockpit's --drain, which no
// setting here changes) and the guards' overrides (allowing another role's image or a
// downgrade is meant for one rollout, never remembered for the next).
func ownDefaults(st, def actions.Strategy) actions.Strategy {
	st.Launch = def.Launch
	st.Drain = def.Drain
	st.AllowOtherRole, st.AllowDowngrade = def.AllowOtherRole, def.AllowDowngrade
	return st
}

// rememberStrategy keeps st as the strategy of the roles named key: here at once, and
// through the store in the background, without the cockpit's own part (ownDefaults).
func (c *common) rememberStrategy(key string, st actions.Strategy) tea.Cmd {
	st = ownDefaults(st, actions.Strategy{})
	c.strategies[key] = st
	store := c.deps.Strategies
	if store == nil {
		return nil
	}
	return func() tea.Msg {
		if err := store.Save(key, st); err != nil {
			return strategiesMsg{err: fmt.Errorf("remember the strategy of %s: %w", key, err)}
		}
		return nil
	}
}

// strategiesMsg carries the strategies read from the store, or why one was not kept.
type strategiesMsg struct {
	strategies map[string]actions.Strategy
	err        error
}

// loadStrategies reads the strategies kept, in the background.
func loadStrategies(store StrategyStore) tea.Cmd {
	if store == nil {
		return nil
	}
	return func() tea.Msg {
		st, err := store.Load()
		return strategiesMsg{strategies: st, err: err}
	}
}

// keyHint renders one binding for the key bar.
func (c *common) keyHint(b key.Binding) string {
	return c.styles.KeyName.Render(b.Help().Key) + " " + c.styles.KeyDesc.Render(b.Help().Desc)
}

// roleSpread is the spread of one role, or nil.
func (c *common) roleSpread(role string) *fleet.RoleSpread {
	for _, rs := range c.spread.Roles {
		if rs.Role == role {
			return rs
		}
	}
	return nil
}
