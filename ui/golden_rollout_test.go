package ui

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/molt-sh/molt/actions"
)

// rolloutScreens build the staging, live, history and rollback screens on the fixed
// clock; dir is the journal directory to hide from the golden files.
var rolloutScreens = []struct {
	name  string
	build func(t *testing.T, w, h int) (m Model, dir string)
}{
	{"stage_images", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return m, wd.engine.dir
	}},
	{"stage_strategy", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return pressSettle(t, m, "enter", "+", "+", "+", "down"), wd.engine.dir
	}},
	{"stage_confirm", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return pressSettle(t, m, "enter", "+", "+", "+", "enter", "w", "e"), wd.engine.dir
	}},
	{"live_running", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return m, ""
	}},
	{"live_abort", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "A"), ""
	}},
	{"quit_dialog", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "q"), ""
	}},
	{"live_help", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "?"), ""
	}},
	{"live_scrolled", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "G", "tab", "g"), ""
	}},
	{"live_aborted", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, append(midRollout(plan), endEvents(plan, 0, actions.StateAborted)...))
		return m, ""
	}},
	{"live_failed", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, append(midRollout(plan)[:3], endEvents(plan, 1, actions.StateRolledBack)...))
		return m, ""
	}},
	{"live_fleet_badge", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "esc"), ""
	}},
	{"notice_wrapped", func(t *testing.T, w, h int) (Model, string) {
		plan := webPlan(t)
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, midRollout(plan))
		return press(t, m, "esc", "G", "space", "s"), ""
	}},
	{"message_too_long", func(t *testing.T, w, h int) (Model, string) {
		m := press(t, loaded(t, demoServers(t), w, h), "r")
		return send(t, m, fleetLoadedMsg{gen: m.load.gen, err: errors.New(strings.Repeat("GET /v2/droplets?page=3: 503 Service Unavailable; ", 6) + "try again later")}), ""
	}},
	{"export_dialog", func(t *testing.T, w, h int) (Model, string) {
		m := loaded(t, demoServers(t), w, h, func(d *Deps) { d.ExportDir = "/home/op/Documents" })
		return press(t, m, append(strings.Split("/role:web", ""), "enter", "x")...), ""
	}},
	{"history", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h"), dir
	}},
	{"history_details", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h", "enter"), dir
	}},
	{"history_details_scrolled", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h", "enter", "tab", "G"), dir
	}},
	{"rollback_wizard", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h", "b"), dir
	}},
	{"rollback_wizard_scrolled", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h", "b", "G"), dir
	}},
	{"rollback_confirm", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, false)
		return pressSettle(t, loaded(t, demoServers(t), w, h, inDir(dir)), "h", "b", "enter", "w"), dir
	}},
	{"resume_offer", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, true)
		m := loaded(t, demoServers(t), w, h, inDir(dir))
		return settle(t, m, loadRollouts(dir, true), nil), dir
	}},
}

// journalWith journals the web plan with old droplets kept: done, or stopped midway.
func journalWith(t *testing.T, stopped bool) string {
	t.Helper()
	plan := webPlan(t)
	plan.Strategy.Retire = actions.Retire{Mode: "keep"}
	dir := t.TempDir()
	writeJournal(t, dir, plan, stopped)
	return dir
}

// tempPath matches a test's temporary directory, shown as the journal's.
var tempPath = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/\S+`)

func inDir(dir string) func(*Deps) { return func(d *Deps) { d.JournalDir = dir } }

func TestGoldenRolloutScreens(t *testing.T) {
	t.Parallel()
	for _, sc := range rolloutScreens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				t.Parallel()
				m, dir := sc.build(t, sz.w, sz.h)
				out := screen(m)
				if dir != "" {
					out = tempPath.ReplaceAllString(out, "$$JOURNAL")
				}
				golden.RequireEqual(t, []byte(out))
			})
		}
	}
}
