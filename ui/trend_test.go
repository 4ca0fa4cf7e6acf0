package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/molt-sh/molt/fleet"
)

// trendShown is the fleet at w x h with the trend fixture, the spread over time shown
// after keys.
func trendShown(t *testing.T, w, h int, keys ...string) Model {
	t.Helper()
	m := loaded(t, demoServers(t), w, h, withTrend(t))
	return pressSettle(t, m, append([]string{"t"}, keys...)...)
}

func TestGoldenTrend(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		keys []string
	}{
		{"trend", nil},
		{"trend_30d", []string{"right"}},
		{"trend_24h", []string{"left"}},
		{"trend_next_role", []string{"j"}},
	} {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				golden.RequireEqual(t, []byte(screen(trendShown(t, sz.w, sz.h, sc.keys...))))
			})
		}
	}
}

func TestTrendShowsRolesRolloutsAndMilestones(t *testing.T) {
	t.Parallel()
	s := screen(trendShown(t, 120, 40))
	for _, want := range []string{"Spread over time", "[7d]", "web", "1.6.0", "1.5.0", "1 03-08 09:26",
		"2 03-12 09:26", "interrupted", "lag"} {
		if !strings.Contains(s, want) {
			t.Errorf("the screen lacks %q:\n%s", want, s)
		}
	}
}

func TestTrendWindowKeysReadTheHistoryAgain(t *testing.T) {
	t.Parallel()
	m := trendShown(t, 80, 24)
	for _, step := range []struct {
		key  string
		want string
	}{{"w", "[30d]"}, {"w", "[90d]"}, {"w", "[24h]"}, {"right", "[7d]"}, {"left", "[24h]"}} {
		m = pressSettle(t, m, step.key)
		if s := screen(m); !strings.Contains(s, step.want) {
			t.Fatalf("after %s the window is not %s:\n%s", step.key, step.want, s)
		}
		if got, want := m.trend.trend.Until.Sub(m.trend.trend.Since), m.trend.span(); got != want {
			t.Fatalf("after %s the trend covers %s, want %s", step.key, got, want)
		}
	}
	m = pressSettle(t, m, "left")
	if !strings.Contains(statusOf(screen(m)), "the shortest") {
		t.Errorf("left at the shortest window says nothing:\n%s", screen(m))
	}
}

func TestTrendBackToTheFleet(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"esc", "t"} {
		if m := trendShown(t, 80, 24, k); m.Screen() != ScreenFleet {
			t.Errorf("%s leaves the screen at %v", k, m.Screen())
		}
	}
}

func TestTrendWithoutHistory(t *testing.T) {
	t.Parallel()
	m := pressSettle(t, loaded(t, demoServers(t), 80, 24), "t")
	if s := screen(m); !strings.Contains(s, "keeps no spread history") {
		t.Errorf("no hook, no word:\n%s", s)
	}
}

func TestTrendKeyInFleetBarAndHelp(t *testing.T) {
	t.Parallel()
	m := loaded(t, demoServers(t), 120, 40)
	if !strings.Contains(barOf(screen(m)), "t over time") {
		t.Errorf("the fleet's key bar lacks t:\n%s", barOf(screen(m)))
	}
	if s := screen(press(t, m, "?")); !strings.Contains(s, "spread over time") {
		t.Errorf("the fleet's help lacks t:\n%s", s)
	}
}

// TestFlowTrendScreen drives a program to the spread over time and waits for a role.
func TestFlowTrendScreen(t *testing.T) {
	t.Parallel()
	m := loaded(t, demoServers(t), 80, 24, withTrend(t))
	tm := drive(t, m, 80, 24)
	// The journal's first read offers to resume the second rollout (interrupted): say
	// not now first, so that t reaches the fleet rather than the offer.
	tm.waitText("An unfinished rollout", "not now")
	tm.keys("esc")
	tm.waitFor("the offer to close", func(s string) bool { return !strings.Contains(s, "An unfinished rollout") })
	tm.keys("t")
	s := tm.waitText("Spread over time", "api", "lag")
	if !strings.Contains(s, "roles 1–1 of 3") {
		t.Errorf("80x24 pages the roles, one at a time:\n%s", s)
	}
	tm.keys("j")
	tm.waitText("web  6 servers now", "roles 2–2 of 3")
	tm.keys("esc")
	tm.waitText("newest 1.2.0")
	// t on a server of web opens on web.
	tm.keys("/")
	tm.typeText("role:web")
	tm.keys("enter", "j")
	tm.waitText("filter: role:web")
	tm.keys("t")
	tm.waitText("Spread over time", "web  6 servers now", "roles 2–2 of 3")
}

func TestStackCells(t *testing.T) {
	order := []string{"new", "mid", "old"}
	for _, tc := range []struct {
		name string
		col  fleet.Column
		rows int
		want []int
	}{
		{"all on the newest", fleet.Column{Known: 1, Shares: map[string]float64{"new": 1}}, 4, []int{0, 0, 0, 0}},
		{"half and half", fleet.Column{Known: 1, Shares: map[string]float64{"new": 0.5, "old": 0.5}}, 4, []int{0, 0, 2, 2}},
		{"three bands", fleet.Column{Known: 1, Shares: map[string]float64{"new": 0.25, "mid": 0.25, "old": 0.5}}, 4, []int{0, 1, 2, 2}},
		{"a sliver under a cell's middle", fleet.Column{Known: 1, Shares: map[string]float64{"new": 0.1, "old": 0.9}}, 4, []int{2, 2, 2, 2}},
		{"partly known, drawn as known", fleet.Column{Known: 0.5, Shares: map[string]float64{"new": 0.25, "old": 0.25}}, 2, []int{0, 2}},
		{"barely known, drawn as known", fleet.Column{Known: 0.01, Shares: map[string]float64{"old": 0.01}}, 2, []int{2, 2}},
		{"unknown", fleet.Column{Known: 0, Shares: map[string]float64{}}, 2, []int{cellUnknown, cellUnknown}},
		{"no servers", fleet.Column{Known: 1, Shares: map[string]float64{}}, 2, []int{cellEmpty, cellEmpty}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stackCells(tc.col, order, tc.rows); !slices.Equal(got, tc.want) {
				t.Errorf("stackCells = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestColumnAt(t *testing.T) {
	since := fixedNow.Add(-10 * time.Hour)
	for _, tc := range []struct {
		at     time.Time
		want   int
		inside bool
	}{
		{since, 0, true},
		{since.Add(5 * time.Hour), 5, true},
		{since.Add(5*time.Hour - time.Second), 4, true},
		{fixedNow, 9, true},
		{since.Add(-time.Second), 0, false},
		{fixedNow.Add(time.Second), 0, false},
	} {
		got, ok := columnAt(tc.at, since, fixedNow, 10)
		if got != tc.want || ok != tc.inside {
			t.Errorf("columnAt(%s) = %d, %v; want %d, %v", tc.at.Sub(since), got, ok, tc.want, tc.inside)
		}
	}
}

func TestMarkLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		marks []trendMark
		want  string
	}{
		{"none", nil, "──────────"},
		{"one that ended", []trendMark{{n: 1, from: 2, to: 4}}, "──1━━─────"},
		{"one still going", []trendMark{{n: 1, from: 6, to: -1}}, "──────1━━━"},
		{"the later number wins", []trendMark{{n: 1, from: 1, to: 5}, {n: 2, from: 3, to: 3}}, "─1━2━━────"},
		{"many", []trendMark{{n: 10, from: 0, to: 0}, {n: 40, from: 9, to: 9}}, "a────────+"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(markLine(tc.marks, 10)); got != tc.want {
				t.Errorf("markLine = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTimeLine(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{20, "03-07   03-10    now"},
		{12, "03-07    now"}, // the middle would touch a neighbour
		{4, " now"},          // so would the start
	} {
		if got := timeLine("03-07", "03-10", "now", tc.n); got != tc.want {
			t.Errorf("timeLine(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

// Two rollouts run on the demo through the engine — web onto web-1.6.0, then worker
// onto worker-2.2.0 — and every fleet read is kept in a spread history, as the cockpit
// keeps it: the spread over time shows both rollouts, each on its role's chart, and the
// version-lag figures.
func TestFlowTwoRolloutsOnTheTrend(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h, err := fleet.OpenHistory(filepath.Join(t.TempDir(), "accounts", "demo", fleet.HistoryFile("role")), fleet.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	load := w.deps.Load
	w.deps.Load = func(ctx context.Context, progress func(int, int)) ([]fleet.Server, error) {
		servers, err := load(ctx, progress)
		if err == nil {
			if _, err := h.Record(fleet.NewReading(servers, fleet.Options{}, time.Now())); err != nil {
				return nil, err
			}
		}
		return servers, err
	}
	w.deps.History = func(ctx context.Context, since time.Time) (fleet.Trend, error) {
		if err := h.Reload(); err != nil {
			return fleet.Trend{}, err
		}
		return fleet.ComputeTrend(h.Samples(), h.Versions(), since, time.Now()), nil
	}
	tm := drive(t, New(w.deps), 120, 40)
	stageWeb(t, tm, 0)
	waitFor(t, tm, "finished: done")
	keys(tm, "esc")
	waitFor(t, tm, "1.6.0 21 100%")
	keys(tm, "esc", "/") // the filter on web goes, one on worker comes
	tm.typeText("role:worker")
	keys(tm, "enter", "g", "space", "s")
	waitFor(t, tm, "Pick the image", "worker-2.2.0")
	keys(tm, "enter")
	waitFor(t, tm, "Stage a rollout  worker", "→ worker-2.2.0", "waves")
	keys(tm, "enter")
	waitFor(t, tm, "to start")
	tm.typeText("worker")
	keys(tm, "enter")
	waitFor(t, tm, "finished: done")
	keys(tm, "esc")
	waitFor(t, tm, "2.2.0 13 81%") // three with volumes stay: the strategy does not move volumes
	keys(tm, "t")                  // on worker: the page shows it, and web before it to fill the page
	tm.waitText("Spread over time")
	tm.waitText("roles 2–3 of 3", "web  21 servers now", "web → web-1.6.0  done, 19/19 replaced",
		"worker  16 servers now", "worker → worker-2.2.0  done", "server-days")
}
