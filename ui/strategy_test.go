package ui

import (
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/molt-sh/molt/actions"
)

// strategyAt is the stage screen of the web role on web-1.6.0, its plan made, with the
// cursor on the knob called name.
func strategyAt(t *testing.T, name string, tweak ...func(*Deps)) (*driver, *world) {
	t.Helper()
	m, wd := stagedWeb(t, 80, 24, tweak...)
	d := drive(t, m, 80, 24)
	d.keys("enter").waitText("19 replacements in 19 waves")
	for range knobNamed(name) {
		d.keys("down")
	}
	d.waitText("› " + name)
	return d, wd
}

// The strategy's keys plan again from what was read when the image was picked: ten
// presses make no API call; r reads the account again.
func TestStrategyChangesPlanAgainWithoutTheAPI(t *testing.T) {
	t.Parallel()
	d, wd := strategyAt(t, "surge")
	if n := wd.engine.gathers.Load(); n != 1 {
		t.Fatalf("picking the image read the account %d times, want once", n)
	}
	for range 10 {
		d.keys("right")
	}
	d.waitText("19 replacements in 2 waves")
	d.keys("left").waitText("19 replacements in 2 waves") // surge 10 → 9
	if n := wd.engine.gathers.Load(); n != 1 {
		t.Fatalf("11 changes of strategy read the account %d times in all, want once", n)
	}
	d.keys("r").waitText("account as read at")
	waitUntil(t, "r to read the account again", func() bool { return wd.engine.gathers.Load() == 2 })
}

// ← and → both cycle the health check; its port and path can be typed.
func TestHealthCheckCyclesBothWaysAndItsPortAndPathCanBeTyped(t *testing.T) {
	t.Parallel()
	d, _ := strategyAt(t, "health check")
	for _, want := range []string{"‹ none ›", "‹ tcp ›", "‹ http ›", "‹ tcp ›"} {
		k := "left"
		if want == "‹ tcp ›" && strings.Contains(d.screen(), "‹ http ›") {
			k = "right"
		}
		d.keys(k).waitText("health check   " + want)
	}
	d.keys("left", "down", "e", "ctrl+u", "x", "enter").waitText("health port: want a whole number")
	d.keys("ctrl+u", "9", "0", "0", "0", "enter").waitText("› " + pad("health port", 14) + " ‹ 9000 ›")
	d.keys("down", "e", "ctrl+u")
	for _, k := range "/ready/deep" {
		d.keys(string(k))
	}
	d.keys("enter").waitText("‹ /ready/deep ›")
	d.keys("up", "up", "right", "right").waitText("health check   ‹ none ›", "! no health check")
}

// Load balancers, reserved IPs, volumes, grace, min-ready and retire are settings here
// too, and the plan follows them.
func TestEveryStrategySettingIsOnTheStageScreen(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		knob, keys, want string
	}{
		{"load balancers", "right", "‹ none ›"},
		{"reserved IPs", "right", "‹ none ›"},
		{"move volumes", "right", "‹ yes ›"},
		{"grace", "right", "‹ 10s ›"},
		{"min ready", "right", "‹ 30s ›"},
		{"retire old", "right", "‹ keep ›"},
		{"retire old", "e", "‹ destroy▏ ›"},
	} {
		t.Run(tc.knob+" "+tc.keys, func(t *testing.T) {
			t.Parallel()
			d, _ := strategyAt(t, tc.knob)
			d.keys(tc.keys).waitText("› "+pad(tc.knob, 14)+" "+tc.want, "19 replacements")
		})
	}
	d, _ := strategyAt(t, "retire old")
	s := d.keys("e", "ctrl+u")
	for _, k := range "keep=36h" {
		s.keys(string(k))
	}
	if p := d.keys("enter").waitText("‹ keep=36h ›"); strings.Contains(p, "--retire") {
		t.Fatalf("the plan still points at the CLI's flag:\n%s", p)
	}
}

// memStore is a strategy store in memory.
type memStore struct {
	mu    sync.Mutex
	saved map[string]actions.Strategy
}

func (s *memStore) Load() (map[string]actions.Strategy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.saved), nil
}

func (s *memStore) Save(key string, st actions.Strategy) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved[key] = st
	return nil
}

func (s *memStore) get(key string) (actions.Strategy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.saved[key]
	return st, ok
}

// The last strategy staged for a role is where its next stage starts, in this session
// and the next (through the store).
func TestTheLastStrategyPerRoleIsRemembered(t *testing.T) {
	t.Parallel()
	store := &memStore{saved: map[string]actions.Strategy{}}
	d, _ := strategyAt(t, "surge", func(deps *Deps) { deps.Strategies = store })
	d.keys("right", "right").waitText("‹ 3 ›", "19 replacements in 7 waves")
	d.keys("esc", "esc").waitText("space select")
	waitUntil(t, "the strategy to be saved", func() bool { st, ok := store.get("web"); return ok && st.Surge == 3 })
	if st, _ := store.get("web"); st.Launch.Source != "" || len(st.Launch.SSHKeys) > 0 {
		t.Fatalf("the saved strategy carries the launch template: %+v", st.Launch)
	}
	d.keys("s").waitText("web-1.6.0-broken")
	d.keys("enter").waitText("19 replacements in 7 waves")

	next, _ := stagedWeb(t, 80, 24, func(deps *Deps) { deps.Strategies = store })
	d = drive(t, next, 80, 24)
	d.keys("enter").waitText("› "+pad("surge", 14)+" ‹ 3 ›", "19 replacements in 7 waves")
}

// What the cockpit decides, not the role, is never remembered: a role's last strategy
// comes back with the cockpit's launch template, its drain (--drain) and its guard
// overrides, whatever the stage that left it had.
func TestARememberedStrategyKeepsTheCockpitsDrainAndGuards(t *testing.T) {
	t.Parallel()
	def := actions.DefaultStrategy()
	def.Drain = actions.Duration(30 * time.Second)
	def.Launch = actions.Launch{Source: "flags", SSHKeys: []string{"12345"}}
	store := &memStore{saved: map[string]actions.Strategy{}}
	c := newCommon(Deps{Strategy: &def, Strategies: store})

	staged := def
	staged.Surge, staged.Drain, staged.AllowDowngrade, staged.AllowOtherRole = 7, 0, true, true
	if msg := c.rememberStrategy("web", staged)(); msg != nil {
		t.Fatalf("saving: %+v", msg)
	}
	saved, _ := store.get("web")
	if saved.Surge != 7 || saved.Drain != 0 || saved.AllowDowngrade || saved.AllowOtherRole || saved.Launch.Source != "" {
		t.Fatalf("the store kept the cockpit's part: %+v", saved)
	}
	got := c.strategyFor("web")
	if got.Surge != 7 || got.Drain != def.Drain || got.AllowDowngrade || got.AllowOtherRole || got.Launch.Source != "flags" {
		t.Fatalf("the next stage starts from %+v, want surge 7 with the cockpit's drain, launch and no overrides", got)
	}
}

// A plan whose target trips a guard says so under Plan, in the cockpit's words, and
// enter does not ask to start it; with the override in the cockpit's strategy it
// starts as any other.
func TestAGuardedPlanIsRefusedOnTheStageScreen(t *testing.T) {
	t.Parallel()
	m, _ := stagedWeb(t, 120, 40)
	d := drive(t, m, 120, 40)
	d.keys("down", "enter").waitText("→ web-1.6.0-broken", "✗ refused: 2 servers run a newer version")
	s := d.keys("enter").waitText("nothing to start: a guard refuses the plan", "press ! and type what you mean")
	if strings.Contains(s, "Type web to start") || strings.Contains(s, "--allow-downgrade if") {
		t.Fatalf("a refused plan asks to start, or points at the flag as a setting:\n%s", s)
	}

	m, _ = stagedWeb(t, 120, 40, func(deps *Deps) { deps.Strategy.AllowDowngrade = true })
	d = drive(t, m, 120, 40)
	s = d.keys("down", "enter").waitText("→ web-1.6.0-broken", "21 replacements")
	if strings.Contains(s, "refused") {
		t.Fatalf("an allowed downgrade is refused:\n%s", s)
	}
	d.keys("enter").waitText("Type web to start")
}
