package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/molt-sh/molt/actions"
)

// At 80 columns, with a rollout rolling back (the longest badge), the header keeps the
// demo's words and both budgets, labelled.
func TestTheHeaderKeepsTheDemoWordsAndLabelsBothBudgets(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m, _ := liveAt(t, loaded(t, demoServers(t), 80, 24), plan, midRollout(plan))
	d := drive(t, m, 80, 24)
	d.send(runEventMsg{id: fixedID, ev: actions.StateChanged{At: fixedNow, State: actions.StateRollingBack}})
	head := strings.SplitN(d.waitText("↶ rolling back 4/19"), "\n", 2)[0]
	for _, want := range []string{"DEMO", "simulated cloud", "↶ rolling back 4/19", "247/min", "4987/h"} {
		if !strings.Contains(head, want) {
			t.Fatalf("the header %q lacks %q", head, want)
		}
	}
}

// A real account is named as k9s names the cluster: its team (or email), with where it
// comes from when there is room; the budgets keep their width as they change.
func TestTheHeaderNamesTheAccountAndKeepsItsWidth(t *testing.T) {
	t.Parallel()
	var minute atomic.Int32
	minute.Store(247)
	m := loaded(t, demoServers(t), 120, 40, func(d *Deps) {
		d.Demo, d.Target = false, `doctl context "prod"`
		d.Account = func(context.Context) (string, error) { return "acme-platform", nil }
		d.RateBudget = func() Budget {
			return Budget{MinuteLeft: int(minute.Load()), MinuteLimit: 250, HourLeft: 4987, HourLimit: 5000}
		}
	})
	d := drive(t, m, 120, 40)
	head := strings.SplitN(d.waitText(`acme-platform (doctl context "prod")`), "\n", 2)[0]
	if !strings.Contains(head, "min 247/250 · hour 4987/5000") {
		t.Fatalf("the header does not label both budgets: %q", head)
	}
	minute.Store(9)
	next := strings.SplitN(d.keys("j").waitText("min   9/250"), "\n", 2)[0]
	if strings.Index(next, "min ") != strings.Index(head, "min ") {
		t.Fatalf("the header moved as the budget changed:\n%q\n%q", head, next)
	}
}
