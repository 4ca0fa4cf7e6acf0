package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
)

// costScreens are the places the cockpit says what things cost.
var costScreens = []struct {
	name  string
	build func(t *testing.T, w, h int) Model
}{
	// The role's run rate in its header, and in the details beside the list when wide.
	{"role", func(t *testing.T, w, h int) Model {
		return loaded(t, demoServers(t), w, h)
	}},
	// The version's, likewise.
	{"version", func(t *testing.T, w, h int) Model {
		return press(t, loaded(t, demoServers(t), w, h), "j")
	}},
	{"stage_plan", func(t *testing.T, w, h int) Model {
		m, _ := stagedWeb(t, w, h)
		return pressSettle(t, m, "enter", "+", "+", "+")
	}},
	{"live_spend", func(t *testing.T, w, h int) Model {
		plan := webPlan(t)
		spend := actions.Spend{At: fixedNow, SoFarUSD: 0.01234, HourlyUSD: 0.0714, Extra: 4}
		m, _ := liveAt(t, loaded(t, demoServers(t), w, h), plan, append(midRollout(plan), spend))
		return m
	}},
}

func TestGoldenCost(t *testing.T) {
	t.Parallel()
	for _, sc := range costScreens {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, sz.w, sz.h), func(t *testing.T) {
				golden.RequireEqual(t, []byte(screen(sc.build(t, sz.w, sz.h))))
			})
		}
	}
}

func TestCostWords(t *testing.T) {
	keep := actions.Plan{Waves: []actions.Wave{{}}, Cost: &actions.Cost{SurgeUSD: 0.0123, KeepUSD: 1.5, HourlyUSD: 0.25,
		KeepHourlyUSD: 0.25}}
	keep.Strategy.Retire = actions.Retire{Mode: actions.RetireKeep, TTL: actions.Duration(6 * time.Hour)}
	forever := keep
	forever.Strategy.Retire.TTL = 0
	forever.Cost = &actions.Cost{SurgeUSD: 0.0123, HourlyUSD: 0.25, KeepHourlyUSD: 0.25, KeepUntilFinalised: true, Unpriced: 2}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"run rate", runRate(fleet.Cost{Hourly: 0.107142, Monthly: 1152}), "$0.1071/h · $1,152.00/mo"},
		{"run rate, unpriced", runRate(fleet.Cost{Unpriced: 3}), "$0.0000/h · $0.00/mo (3 without a price)"},
		{"no plan cost", planCostLine(actions.Plan{}), ""},
		{"destroy", planCostLine(actions.Plan{Waves: []actions.Wave{{}}, Cost: &actions.Cost{SurgeUSD: 0.0006, HourlyUSD: 0.1428}}),
			"cost ≈ $0.0006 for new droplets beside the old · at most $0.1428/h more"},
		{"keep for a while", planCostLine(keep),
			"cost ≈ $0.0123 for new droplets beside the old · ≈ $1.5000 to keep the old off for 6h · at most $0.2500/h more"},
		{"keep until finalised", planCostLine(forever),
			"cost ≈ $0.0123 for new droplets beside the old · ≈ $0.0000 to keep the old off until finalised (then $0.2500/h) · at most $0.2500/h more (2 servers without a price counted as free)"},
		{"confirm, no cost", confirmCostLine(actions.Plan{}), ""},
		{"confirm, keep for a while", confirmCostLine(keep), "extra cost ≈ $1.5123 with the old kept off for 6h · at most $0.2500/h more"},
		{"confirm, keep until finalised", confirmCostLine(forever), "extra cost ≈ $0.0123 with the old kept off until finalised · at most $0.2500/h more"},
		{"confirm, destroy", confirmCostLine(actions.Plan{Waves: []actions.Wave{{}}, Cost: &actions.Cost{SurgeUSD: 0.0006, HourlyUSD: 0.1428}}),
			"extra cost ≈ $0.0006 · at most $0.1428/h more"},
		{"spend", spendWords(actions.Spend{SoFarUSD: 0.01234, HourlyUSD: 0.0714, Extra: 4}), "extra $0.0123 so far, $0.0714/h for 4"},
		{"spend, kept", spendWords(actions.Spend{SoFarUSD: 2, HourlyUSD: 0.5, Extra: 6, Kept: 6}), "extra $2.0000 so far, $0.5000/h for 6 (6 kept off)"},
		{"spend, over", spendWords(actions.Spend{SoFarUSD: 0.5}), "extra $0.5000 so far, none now"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestLiveSpendFromTheJournal follows a run whose journal is in the cockpit's journal
// directory: a phase change reads what its extra droplets cost, and the header says it.
func TestLiveSpendFromTheJournal(t *testing.T) {
	t.Parallel()
	plan := webPlan(t)
	m := loaded(t, demoServers(t), 80, 24)
	writeJournal(t, m.deps.JournalDir, plan, true)
	m, _ = liveAt(t, m, plan, nil)
	// The Cmd onRunEvent batches after a phase change (run alone: the run's own wait
	// would block on the fake run).
	r := plan.Replacements()[0]
	cmd := m.common.meterSpend([]actions.Event{actions.PhaseChanged{At: fixedNow, Slot: r.Slot, Phase: actions.PhaseCreated, NewID: 9}})
	if cmd == nil {
		t.Fatal("a phase change reads no spend")
	}
	if again := m.common.meterSpend([]actions.Event{actions.WaveStarted{At: fixedNow}}); again != nil {
		t.Error("the journal is read again within spendEvery")
	}
	m = send(t, m, cmd())
	if m.live.spend == nil {
		t.Fatalf("no spend read from the journal")
	}
	if s := screen(m); !strings.Contains(s, "extra $") || !strings.Contains(s, "so far") {
		t.Errorf("the live header lacks the spend:\n%s", s)
	}
}
