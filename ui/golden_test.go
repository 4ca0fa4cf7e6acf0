package ui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
)

// sizes are the window sizes every screen is pinned at.
var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// goldenScreens are the fleet screens, each reached by keys from a fresh model.
var goldenScreens = []struct {
	name string
	keys []string
}{
	{"fleet", nil},
	{"fleet_selected", []string{"j", "space", "j", "j", "space"}},
	{"fleet_folded", []string{"left", "G", "left"}},
	{"fleet_filter", []string{"/", "f", "r", "a", "1"}},
	{"fleet_details", []string{"j", "j", "enter"}},
	{"fleet_scrolled", []string{"G", "ctrl+u"}},
	{"matrix", []string{"m"}},
	{"help", []string{"?"}},
}

func TestGoldenFleetScreens(t *testing.T) {
	t.Parallel()
	servers := demoServers(t)
	for _, sc := range goldenScreens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				m := press(t, loaded(t, servers, sz.w, sz.h), sc.keys...)
				golden.RequireEqual(t, []byte(screen(m)))
			})
		}
	}
}

func TestGoldenLoadingAndTooSmall(t *testing.T) {
	m := New(Deps{Demo: true, Now: clock, RefreshEvery: -1, Engine: idleEngine{}, JournalDir: t.TempDir()})
	m = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	t.Run("loading_80x24", func(t *testing.T) {
		golden.RequireEqual(t, []byte(screen(send(t, m, fleetProgressMsg{gen: 1, done: 3, total: 8, load: &loadRun{}}))))
	})
	t.Run("too_small_60x20", func(t *testing.T) {
		golden.RequireEqual(t, []byte(screen(send(t, m, tea.WindowSizeMsg{Width: 60, Height: 20}))))
	})
}
