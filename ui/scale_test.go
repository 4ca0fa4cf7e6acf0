package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/molt-sh/molt/fleet"
)

// bigFleet makes the list treat servers as a big fleet: filtered in the background once
// the keys pause.
func bigFleet(m Model) Model {
	m.fleet.list.syncMax = 0
	return m
}

func TestAFilterKeystrokeOnABigFleetDoesNotFilterInUpdate(t *testing.T) {
	t.Parallel()
	m := bigFleet(loaded(t, demoServers(t), 120, 40))
	m = press(t, m, "/")
	next, cmd := m.Update(keyMsg("f"))
	m = next.(Model)
	if cmd == nil || m.fleet.list.filter != "" || m.fleet.filter.value != "f" {
		t.Fatalf("the keystroke filtered at once (filter %q, typed %q, cmd %v)", m.fleet.list.filter, m.fleet.filter.value, cmd != nil)
	}
	// A newer keystroke makes the older pause's filter stale: it is dropped.
	stale := m.fleet.list.filterCmd("f")
	m = press(t, m, "r")
	if m = send(t, m, stale()); m.fleet.list.filter != "" {
		t.Fatalf("a stale filter was shown: %q", m.fleet.list.filter)
	}
}

func TestAFilterOnABigFleetShowsItsRowsOnceTheKeysPause(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	want := screen(press(t, loaded(t, servers, 120, 40), "/", "f", "r", "a", "1"))
	d := drive(t, bigFleet(loaded(t, servers, 120, 40)), 120, 40)
	d.keys("/").typeText("fra1")
	got := d.waitFor("the rows filtered by fra1", func(s string) bool {
		return strings.Contains(s, "edge  4 servers") && !strings.Contains(s, "nyc3")
	})
	if got != want {
		t.Fatalf("the filtered screen differs from the one filtered at each key:\n%s\nwant:\n%s", got, want)
	}
	m := d.finalModel()
	for _, id := range m.fleet.list.visibleIDs() {
		if s := m.fleet.list.servers[id]; s.Region != "fra1" {
			t.Fatalf("%s (%s) is shown under the filter fra1", s.Name, s.Region)
		}
	}
}

func TestGoldenFullRead(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	cases := map[string]time.Time{"since": fixedNow.Add(-6 * time.Minute), "now": fixedNow}
	for name, fullAt := range cases {
		for _, sz := range sizes {
			t.Run(name+"_"+sizeName(sz.w, sz.h), func(t *testing.T) {
				m := loaded(t, servers, sz.w, sz.h, func(d *Deps) { d.FullReadAt = func() time.Time { return fullAt } })
				golden.RequireEqual(t, []byte(screen(m)))
			})
		}
	}
}

func TestGoldenLoadingRateLimited(t *testing.T) {
	t.Parallel()
	m := New(Deps{Demo: true, Now: clock, RefreshEvery: -1, Engine: idleEngine{}, JournalDir: t.TempDir()})
	m = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = send(t, m, fleetProgressMsg{gen: 1, done: 197, total: 500, wait: 59 * time.Second, waits: 1, load: &loadRun{}})
	golden.RequireEqual(t, []byte(screen(m)))
}

func TestTheRefreshKeepsItsPeriodWhenItReadsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	feed := func(d *Deps) { d.FullReadAt = func() time.Time { return fixedNow }; d.RefreshEvery = 0 }
	whole := func(d *Deps) { d.RefreshEvery = 0 }
	for _, tc := range []struct {
		name  string
		tweak func(*Deps)
		want  time.Duration
	}{
		{"through the feed", feed, FeedRefreshEvery},
		{"whole reads", whole, 250 * 7200 * time.Millisecond},
	} {
		m := loaded(t, []fleet.Server{}, 80, 24, tc.tweak)
		m.common.load.total = 250 // pages of the last full read: 50,000 droplets
		if got := m.refreshPeriod(); got != tc.want {
			t.Errorf("%s: refresh every %s, want %s", tc.name, got, tc.want)
		}
	}
}

func sizeName(w, h int) string { return fmt.Sprintf("%dx%d", w, h) }

func TestARefreshThatFoundNothingChangedKeepsTheSpread(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	m := loaded(t, servers, 120, 40)
	sp := m.Spread()
	m.common.load.gen++
	if m = send(t, m, fleetLoadedMsg{gen: m.common.load.gen, servers: servers}); m.Spread() != sp {
		t.Fatal("the same snapshot was grouped again")
	}
	m.common.load.gen++
	if m = send(t, m, fleetLoadedMsg{gen: m.common.load.gen, servers: slices.Clone(servers)}); m.Spread() == sp {
		t.Fatal("a new snapshot was not grouped")
	}
}
