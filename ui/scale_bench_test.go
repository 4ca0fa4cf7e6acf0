package ui

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

// scaleServers builds n servers in memory the way the simulator's scale seed spreads
// them: four roles, three images each (most servers one release behind), three regions.
func scaleServers(n int) []fleet.Server {
	roles := []string{"web", "api", "worker", "edge"}
	regions := []string{"nyc3", "fra1", "sgp1"}
	base := fixedNow.AddDate(0, -2, 0)
	images := map[string][]fleet.Version{}
	for r, role := range roles {
		for v := range 3 {
			name := fmt.Sprintf("%s-1.%d.0", role, v+2)
			sv := fleet.ParseSemver(name)
			images[role] = append(images[role], fleet.Version{ImageID: 1000 + 10*r + v, Name: name, Type: "snapshot",
				CreatedAt: base.AddDate(0, 0, 7*v), Regions: regions, Status: "available", Semver: sv})
		}
	}
	out := make([]fleet.Server, n)
	for i := range out {
		role := roles[i%len(roles)]
		im := images[role][[]int{0, 1, 1, 2, 2, 2, 1, 2}[(i/len(roles))%8]]
		out[i] = fleet.Server{ID: 100000 + i, Name: fmt.Sprintf("%s-%06d", role, i), Region: regions[(i/7)%3],
			Size: "s-1vcpu-1gb", Disk: 25, Status: "active", CreatedAt: im.CreatedAt.Add(time.Duration(i%72+1) * time.Hour),
			Tags: []string{"role:" + role, "env:prod"}, PublicIP: "127.0." + strconv.Itoa(i/250%250) + "." + strconv.Itoa(i%250),
			PrivateIP: "10.0.0.1", Image: im}
	}
	return out
}

// scaleModel is a model of 120x40 that has loaded servers, with no refresh armed.
func scaleModel(b *testing.B, servers []fleet.Server) Model {
	deps := Deps{Load: func(context.Context, func(int, int)) ([]fleet.Server, error) { return servers, nil },
		Engine: idleEngine{}, JournalDir: b.TempDir(), Demo: true, Now: clock, RefreshEvery: -1}
	var m tea.Model = New(deps)
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m, _ = m.Update(fleetLoadedMsg{gen: 1, servers: servers})
	return m.(Model)
}

// BenchmarkFleetScreen is key to frame on the fleet screen at 120x40: Update with the
// key, then Render, as the program does for every key.
//
//	frame   Render alone
//	cursor  j (down one row), then the frame
//	fold    ← on a version, then → (one key per op, alternating), then the frame
//	filter  a filter keystroke (a letter, then backspace, alternating), then the frame;
//	        a big fleet's list follows once the keys pause (filterasync.go)
//	filtered  what follows the pause: the fleet filtered in the background (a
//	        letter, then none, alternating), then shown and drawn
func BenchmarkFleetScreen(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		servers := scaleServers(n)
		name := strconv.Itoa(n/1000) + "k/"
		b.Run(name+"frame", func(b *testing.B) {
			m := scaleModel(b, servers)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.Render()
			}
		})
		b.Run(name+"cursor", func(b *testing.B) {
			m := scaleModel(b, servers)
			b.ReportAllocs()
			for b.Loop() {
				benchKey(m, "j")
			}
		})
		b.Run(name+"fold", func(b *testing.B) {
			m := scaleModel(b, servers)
			benchKey(m, "j")
			keys := []string{"left", "right"}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				benchKey(m, keys[i%2])
				i++
			}
		})
		b.Run(name+"filter", func(b *testing.B) {
			m := scaleModel(b, servers)
			benchKey(m, "/")
			keys := []string{"7", "backspace"}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				benchKey(m, keys[i%2])
				i++
			}
		})
		b.Run(name+"filtered", func(b *testing.B) {
			m := scaleModel(b, servers)
			l := &m.fleet.list
			filters := []string{"7", "web 7"}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				l.filterGen++
				_, _ = l.onFilterMsg(l.filterCmd(filters[i%2])())
				_ = m.Render()
				i++
			}
		})
	}
}

// benchKey is one key to its frame.
func benchKey(m Model, k string) {
	next, _ := m.Update(keyMsg(k))
	_ = next.(Model).Render()
}
