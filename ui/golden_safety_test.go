package ui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// safetyScreens are the states of the guards, the account binding and the one-driver
// rule: a refused plan, the override question, an overridden plan, the offer that
// leaves another account's rollout out, and a driven rollout, refused then watched.
var safetyScreens = []struct {
	name  string
	build func(t *testing.T, w, h int) (m Model, dir string)
}{
	{"stage_guard_refused", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return pressSettle(t, m, "down", "down", "down", "down", "down", "enter"), wd.engine.dir
	}},
	{"stage_override_question", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return pressSettle(t, m, "down", "down", "down", "down", "down", "enter", "!", "e", "d"), wd.engine.dir
	}},
	{"stage_overridden", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		return pressSettle(t, m, "down", "down", "down", "down", "down", "enter", "!", "e", "d", "g", "e", "enter"), wd.engine.dir
	}},
	{"stage_drain", func(t *testing.T, w, h int) (Model, string) {
		m, wd := stagedWeb(t, w, h)
		m = pressSettle(t, m, "enter")
		for range knobNamed("drain") {
			m = pressSettle(t, m, "down")
		}
		return pressSettle(t, m, "right"), wd.engine.dir
	}},
	{"resume_offer_other_account", func(t *testing.T, w, h int) (Model, string) {
		dir := twoAccounts(t)
		m := loaded(t, demoServers(t), w, h, inDir(dir), onAccount(accountA))
		m = send(t, m, homeMsg{acct: accountA})
		return send(t, m, rolloutsLoadedMsg{rollouts: mustRead(t, dir), startup: true}), dir
	}},
	{"driven_refused", func(t *testing.T, w, h int) (Model, string) {
		return send(t, loaded(t, demoServers(t), w, h), runStartedMsg{kind: "resume", err: drivenBy}), ""
	}},
	{"driven_watching", func(t *testing.T, w, h int) (Model, string) {
		dir := journalWith(t, true)
		m := loaded(t, demoServers(t), w, h, inDir(dir))
		m = send(t, m, runStartedMsg{kind: "resume", err: drivenBy})
		next, cmd := m.Update(keyMsg("w"))
		m = settle(t, next.(Model), cmd, func(m Model) bool {
			return m.common.live != nil && m.common.live.status.State == "interrupted"
		})
		t.Cleanup(m.common.live.leave)
		return m, dir
	}},
}

func TestGoldenSafetyScreens(t *testing.T) {
	t.Parallel()
	for _, sc := range safetyScreens {
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
