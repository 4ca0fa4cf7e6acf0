package ui

import (
	"context"
	"errors"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/fleet"
)

func names(servers []fleet.Server) []string {
	out := make([]string, len(servers))
	for i, s := range servers {
		out[i] = s.Name
	}
	return out
}

// cursorTo moves the cursor down to the first row whose text contains s.
func cursorTo(t *testing.T, m Model, s string) Model {
	t.Helper()
	for i, r := range m.fleet.list.rows.All() {
		if strings.Contains(ansiRow(m, r), s) {
			m.fleet.list.cursor = i
			return m
		}
	}
	t.Fatalf("no row shows %q", s)
	return m
}

func ansiRow(m Model, r listRow) string {
	switch r.kind {
	case rowRole:
		return "role " + r.role
	case rowVersion:
		return "version " + r.release.Label
	}
	return "server " + r.server.Name
}

func TestSpaceSelectsServerThenWholeVersionGroup(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	m = press(t, cursorTo(t, m, "server web-fra1-04"), "space")
	if got := names(m.Selected()); len(got) != 1 || got[0] != "web-fra1-04" {
		t.Fatalf("space on a server selected %v, want web-fra1-04", got)
	}
	m = press(t, cursorTo(t, m, "version web-1.5.0"), "space")
	if got := len(m.Selected()); got != 12 {
		t.Fatalf("space on web-1.5.0 selected %d servers, want its 12", got)
	}
	m = press(t, m, "space")
	if got := len(m.Selected()); got != 0 {
		t.Fatalf("space on a fully selected group left %d selected, want none", got)
	}
	m = press(t, cursorTo(t, m, "role web"), "space")
	if got := len(m.Selected()); got != 21 {
		t.Fatalf("space on the web role selected %d, want 21", got)
	}
	if !strings.Contains(screen(m), "✓ 21 selected") {
		t.Fatalf("the status line does not count the selection:\n%s", screen(m))
	}
}

func TestFilterNarrowsByRegionTagAndIPThenEscClears(t *testing.T) {
	servers := demoServers(t)
	m := loaded(t, servers, 120, 40)
	m = press(t, m, "/", "s", "f", "o", "3")
	if m.Focus() != FocusFilter {
		t.Fatalf("/ did not focus the filter")
	}
	for _, r := range m.fleet.list.rows.All() {
		if r.kind == rowServer && r.server.Region != "sfo3" {
			t.Fatalf("filter sfo3 shows %s in %s", r.server.Name, r.server.Region)
		}
	}
	m = press(t, m, "enter")
	if m.Focus() != FocusList || m.fleet.list.filter != "sfo3" {
		t.Fatalf("enter did not keep the filter: focus %v, filter %q", m.Focus(), m.fleet.list.filter)
	}
	m = press(t, m, "a")
	for _, s := range m.Selected() {
		if s.Region != "sfo3" {
			t.Fatalf("select all shown picked %s in %s", s.Name, s.Region)
		}
	}
	m = press(t, m, "esc")
	if m.fleet.list.filter != "" || len(m.fleet.list.visibleIDs()) != len(servers) {
		t.Fatalf("esc did not clear the filter: %q, %d shown", m.fleet.list.filter, len(m.fleet.list.visibleIDs()))
	}
	m = press(t, m, "/", "e", "n", "v", ":", "s", "t", "a", "g", "enter")
	if n := len(m.fleet.list.visibleIDs()); n != 6 {
		t.Fatalf("filter env:stag shows %d servers, want the 6 staging ones", n)
	}
	last := servers[len(servers)-1] // the highest address, a prefix of no other
	m = press(t, m, "esc", "/", "i", "p", ":")
	m = press(t, m, strings.Split(last.PublicIP, "")...)
	if ids := m.fleet.list.visibleIDs(); len(ids) != 1 || ids[0] != last.ID {
		t.Fatalf("filter %s shows %v, want only %s", last.PublicIP, ids, last.Name)
	}
}

func TestFoldUnfoldAndCursorStaysOnHeader(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	m = cursorTo(t, m, "server web-fra1-04")
	m = press(t, m, "left")
	cur, _ := m.fleet.list.current()
	if cur.kind != rowVersion || cur.release.Label != "web-1.5.0" {
		t.Fatalf("folding from a server left the cursor on %q, want the web-1.5.0 header", ansiRow(m, cur))
	}
	for _, r := range m.fleet.list.rows.All() {
		if r.kind == rowServer && r.release.Label == "web-1.5.0" {
			t.Fatalf("web-1.5.0 folded still shows %s", r.server.Name)
		}
	}
	m = press(t, m, "enter")
	if m.fleet.list.collapsed[cur.key()] {
		t.Fatalf("enter on a folded header did not unfold it")
	}
}

func TestSortCyclesAndKeepsCursorOnServer(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	m = cursorTo(t, m, "server web-nyc3-05")
	m = press(t, m, "o")
	if m.fleet.list.sort != sortRegion {
		t.Fatalf("o sorted by %v, want region", m.fleet.list.sort)
	}
	if cur, _ := m.fleet.list.current(); cur.server.Name != "web-nyc3-05" {
		t.Fatalf("sorting moved the cursor to %q", ansiRow(m, cur))
	}
	m = press(t, m, "o", "o", "o", "o", "o")
	if m.fleet.list.sort != sortName {
		t.Fatalf("six presses of o did not come back to name: %v", m.fleet.list.sort)
	}
}

func TestRefreshKeepsCursorAndSelection(t *testing.T) {
	servers := demoServers(t)
	m := loaded(t, servers, 80, 24)
	m = press(t, cursorTo(t, m, "server worker-sfo3-04"), "space")
	// The server above it is gone and a new one arrived on the next read.
	var next []fleet.Server
	for _, s := range servers {
		if s.Name != "worker-sfo3-03" {
			next = append(next, s)
		}
	}
	extra := servers[0]
	extra.ID, extra.Name = 999, "edge-aaa-00"
	next = append(next, extra)
	up, cmd := m.Update(keyMsg("r"))
	if cmd == nil {
		t.Fatalf("r started no refresh")
	}
	mm := send(t, up.(Model), fleetLoadedMsg{gen: up.(Model).load.gen, servers: next})
	if cur, _ := mm.fleet.list.current(); cur.server.Name != "worker-sfo3-04" {
		t.Fatalf("after the refresh the cursor is on %q, want worker-sfo3-04", ansiRow(mm, cur))
	}
	if got := names(mm.Selected()); len(got) != 1 || got[0] != "worker-sfo3-04" {
		t.Fatalf("after the refresh the selection is %v", got)
	}
}

func TestStaleAndFailedLoads(t *testing.T) {
	servers := demoServers(t)
	m := loaded(t, servers, 80, 24)
	before := m.Spread()
	m = send(t, m, fleetLoadedMsg{gen: 0, servers: servers[:3]})
	if m.Spread() != before {
		t.Fatalf("a stale load (older generation) replaced the fleet")
	}
	next, _ := m.Update(keyMsg("r"))
	m = send(t, next.(Model), fleetLoadedMsg{gen: next.(Model).load.gen, err: errors.New("GET /v2/droplets: 503")})
	if m.Spread() != before || !strings.Contains(screen(m), "✗ reading the fleet failed: GET /v2/droplets: 503") {
		t.Fatalf("a failed refresh should keep the fleet and say why:\n%s", screen(m))
	}
}

func TestFirstLoadFailureOffersRetry(t *testing.T) {
	m := New(Deps{Now: clock, RefreshEvery: -1, Load: func(context.Context, func(int, int)) ([]fleet.Server, error) {
		return nil, errors.New("401 Unable to authenticate you")
	}})
	m = send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = send(t, m, fleetLoadedMsg{gen: 1, err: errors.New("401 Unable to authenticate you")})
	if !strings.Contains(screen(m), "Press r to try again") {
		t.Fatalf("a failed first load should offer a retry:\n%s", screen(m))
	}
	next, cmd := m.Update(keyMsg("r"))
	if cmd == nil || !next.(Model).load.loading {
		t.Fatalf("r after a failed first load did not read again")
	}
}

func TestReadonlyHidesMutatingKeys(t *testing.T) {
	m := loaded(t, demoServers(t), 120, 40, func(d *Deps) { d.Readonly = true })
	view := screen(press(t, m, "?"))
	for _, hidden := range []string{"stage", "resume"} {
		if strings.Contains(view, hidden) {
			t.Fatalf("read-only help still offers %q:\n%s", hidden, view)
		}
	}
	if !strings.Contains(screen(m), "READ-ONLY") {
		t.Fatalf("read-only mode is not shown in the header")
	}
	m = press(t, m, "space", "s")
	if m.Screen() != ScreenFleet {
		t.Fatalf("s in read-only mode opened screen %v", m.Screen())
	}
}

func TestQuitHelpAndResize(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Fatalf("q does not quit")
	}
	m = press(t, m, "?")
	if !strings.Contains(screen(m), "Keys") {
		t.Fatalf("? shows no help")
	}
	m = press(t, m, "q")
	if helping(m) {
		t.Fatalf("q inside the help should close it, not quit")
	}
	m = send(t, m, tea.WindowSizeMsg{Width: 79, Height: 24})
	if !strings.Contains(screen(m), "at least 80x24") {
		t.Fatalf("79 columns should ask for a bigger window:\n%s", screen(m))
	}
	m = send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	if lines := strings.Split(strings.TrimSuffix(screen(m), "\n"), "\n"); len(lines) != 30 {
		t.Fatalf("at 100x30 the view has %d lines", len(lines))
	}
}

func TestExportWritesJSONAndMarkdown(t *testing.T) {
	dir := t.TempDir()
	m := loaded(t, demoServers(t), 120, 40, func(d *Deps) {
		d.ExportDir = dir
		d.Markdown = func(*fleet.Spread, *fleet.Audit) ([]byte, error) { return []byte("# audit\n"), nil }
	})
	next, cmd := press(t, m, "x").Update(keyMsg("enter"))
	if cmd == nil {
		t.Fatalf("x, enter started no export")
	}
	m = send(t, next.(Model), cmd())
	want := filepath.Join(dir, "molt-audit-20260314-092653")
	for _, ext := range []string{".json", ".md"} {
		if _, err := os.Stat(want + ext); err != nil {
			t.Fatalf("export did not write %s: %v", want+ext, err)
		}
	}
	if s := strings.Join(strings.Fields(screen(m)), " "); !strings.Contains(s, "wrote the audit: "+want+".json and .md") {
		t.Fatalf("the export does not show where it wrote:\n%s", screen(m))
	}
}

func TestRefreshSpacesOutWithTheFleetsPages(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24, func(d *Deps) { d.RefreshEvery = 30 * time.Second })
	for _, tc := range []struct {
		pages int
		want  time.Duration
	}{{0, 30 * time.Second}, {1, 30 * time.Second}, {10, 72 * time.Second}, {100, 12 * time.Minute}} {
		m.load.total = tc.pages
		if got := m.refreshPeriod(); got != tc.want {
			t.Errorf("a fleet of %d pages refreshes every %s, want %s", tc.pages, got, tc.want)
		}
	}
}

func TestBarWidthsAddUpAndKeepSmallVersionsVisible(t *testing.T) {
	for _, tc := range []struct {
		counts []int
		width  int
		want   []int
	}{
		{[]int{2, 12, 5, 2}, 40, []int{3, 25, 9, 3}},
		{[]int{1, 999}, 10, []int{1, 9}},
		{[]int{0, 5}, 8, []int{0, 8}},
		{[]int{3, 3, 3}, 9, []int{3, 3, 3}},
	} {
		vs := make([]roleVersion, len(tc.counts))
		for i, n := range tc.counts {
			vs[i] = roleVersion{count: n, rank: i}
		}
		got := barWidths(vs, tc.width)
		if !slices.Equal(got, tc.want) {
			t.Errorf("counts %v in %d cells: widths %v, want %v", tc.counts, tc.width, got, tc.want)
		}
	}
}

func TestLightBackgroundRebuildsStyles(t *testing.T) {
	m := loaded(t, demoServers(t), 80, 24)
	dark := m.styles.OK.GetForeground()
	m = send(t, m, tea.BackgroundColorMsg{Color: color.White})
	if m.styles.OK.GetForeground() == dark {
		t.Fatalf("a light background kept the dark palette")
	}
}
