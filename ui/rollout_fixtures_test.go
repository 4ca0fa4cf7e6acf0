package ui

import (
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// fakeRun is a run whose events the test sends itself; it records how it was steered.
type fakeRun struct {
	id     string
	plan   actions.Plan
	mu     sync.Mutex
	steer  []string
	refuse error // what Continue answers
	// subs are the channels handed out, closed when the test ends.
	subs []chan actions.Event
}

// steered is how the run was steered so far (Cmds steer it from their goroutines).
func (f *fakeRun) steered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.steer...)
}

func (f *fakeRun) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.steer = append(f.steer, s)
}

func (f *fakeRun) ID() string         { return f.id }
func (f *fakeRun) Plan() actions.Plan { return f.plan }
func (f *fakeRun) Subscribe() (<-chan actions.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan actions.Event)
	f.subs = append(f.subs, ch)
	return ch, func() {}
}

// end closes the run's channels, as a run that ended would.
func (f *fakeRun) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		close(ch)
	}
	f.subs = nil
}
func (f *fakeRun) Pause()  { f.note("pause") }
func (f *fakeRun) Resume() { f.note("resume") }
func (f *fakeRun) Continue() error {
	f.note("continue")
	return f.refuse
}
func (f *fakeRun) Abort(rollback bool) {
	f.note(map[bool]string{true: "abort+rollback", false: "abort"}[rollback])
}

const fixedID = "20260314-092653-ab12"

// stagedWeb is a fixed-clock world whose UI has the web role selected and the stage
// screen open on its images.
func stagedWeb(t *testing.T, w, h int, tweak ...func(*Deps)) (Model, *world) {
	t.Helper()
	wd := newWorldAt(t, clock)
	for _, f := range tweak {
		f(&wd.deps)
	}
	m := New(wd.deps)
	m = send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	m = settle(t, m, m.Init(), nil)
	m = pressSettle(t, m, "/")
	m = pressSettle(t, m, strings.Split("role:web", "")...)
	return pressSettle(t, m, "enter", "g", "space", "s"), wd
}

// webPlan is the plan of the web role onto web-1.6.0 at surge 4 on the fixed clock.
// It is the same for every test, and made once.
func webPlan(t *testing.T) actions.Plan {
	t.Helper()
	web.Do(func() {
		m, _ := stagedWeb(t, 80, 24)
		m = pressSettle(t, m, "enter", "+", "+", "+")
		if m.stage.plan == nil {
			web.err = m.stage.planErr
			return
		}
		web.plan = *m.stage.plan
	})
	if web.err != nil {
		t.Fatalf("no plan: %v", web.err)
	}
	return web.plan
}

var web struct {
	sync.Once
	plan actions.Plan
	err  error
}

// liveAt shows a fake run of plan with events up to the middle of its second wave.
func liveAt(t *testing.T, m Model, plan actions.Plan, events []actions.Event) (Model, *fakeRun) {
	t.Helper()
	run := &fakeRun{id: fixedID, plan: plan}
	t.Cleanup(run.end)
	next, _ := m.Update(runStartedMsg{kind: "rollout", run: run})
	m = next.(Model)
	for _, ev := range events {
		m = send(t, m, runEventMsg{id: fixedID, ev: ev})
	}
	return m, run
}

// midRollout is a rollout 90s old: its canary done, the second wave provisioning and
// checking health.
func midRollout(plan actions.Plan) []actions.Event {
	t0 := fixedNow.Add(-90 * time.Second)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	w0, w1 := plan.Waves[0].Replacements, plan.Waves[1].Replacements
	evs := []actions.Event{
		actions.RolloutStarted{At: at(0), Rollout: fixedID, Selection: "web", Target: "web-1.6.0", Waves: len(plan.Waves), Replacements: len(plan.Replacements())},
		actions.StateChanged{At: at(0), State: actions.StateRunning, Reason: "started"},
		actions.WaveStarted{At: at(1), Wave: 0},
	}
	for i, r := range w0 {
		id := 300000100 + i
		evs = append(evs,
			actions.APICall{At: at(1), Method: "POST", Path: "/v2/droplets", Status: 202, RequestID: "5f1c2a9e-77aa", Remaining: 4990 - i},
			actions.StepStarted{At: at(1), Slot: r.Slot, Step: "create"},
			actions.PhaseChanged{At: at(2), Slot: r.Slot, Phase: actions.PhaseCreated, NewID: id},
			actions.PhaseChanged{At: at(40), Slot: r.Slot, Phase: actions.PhaseActive, NewID: id, NewIP: "127.0.1." + itoa(i)},
			actions.HealthProbe{At: at(42), Slot: r.Slot, Droplet: id, Addr: "127.0.1." + itoa(i) + ":8080", OK: true, Detail: "HTTP 200", Passes: 2},
			actions.PhaseChanged{At: at(50), Slot: r.Slot, Phase: actions.PhaseDone, NewID: id})
	}
	evs = append(evs, actions.WaveStarted{At: at(55), Wave: 1})
	for i, r := range w1 {
		id := 300000110 + i
		evs = append(evs,
			actions.StepStarted{At: at(55), Slot: r.Slot, Step: "create"},
			actions.PhaseChanged{At: at(56), Slot: r.Slot, Phase: actions.PhaseCreated, NewID: id})
		if i < 2 {
			evs = append(evs,
				actions.PhaseChanged{At: at(85), Slot: r.Slot, Phase: actions.PhaseActive, NewIP: "127.0.2." + itoa(i)},
				actions.StepStarted{At: at(85), Slot: r.Slot, Step: "health"},
				actions.HealthProbe{At: at(88), Slot: r.Slot, Droplet: id, Addr: "127.0.2." + itoa(i) + ":8080", OK: i == 0, Detail: map[bool]string{true: "HTTP 200", false: "HTTP 503"}[i == 0], Passes: 1 - i})
		}
	}
	return append(evs, actions.APICall{At: at(89), Method: "GET", Path: "/v2/droplets?tag_name=molt:" + fixedID + ":g2", Status: 200, RequestID: "9d04be11-0c3f", Remaining: 4971})
}

func itoa(i int) string { return string(rune('0' + i)) }

// writeJournal journals a finished rollout of plan on the fixed clock: every
// replacement done (or the first few, when stopped is set), then its end.
func writeJournal(t *testing.T, dir string, plan actions.Plan, stopped bool) {
	t.Helper()
	h := actions.Header{ID: fixedID, Started: fixedNow.Add(-time.Hour), Operator: actions.Operator{User: "ops", Host: "bastion"}, Plan: plan}
	j, err := actions.CreateJournal(dir, h)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	at := h.Started
	for i, r := range plan.Replacements() {
		if stopped && i >= 5 {
			break
		}
		at = at.Add(10 * time.Second)
		for _, p := range []actions.Phase{actions.PhaseCreated, actions.PhaseDone} {
			if _, err := j.Append(actions.Record{At: at, Kind: "phase", Slots: []int{r.Slot}, Phase: p, Droplets: []int{300000200 + i}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	end := actions.Record{At: at.Add(time.Second), Kind: "end", State: actions.StateDone}
	if stopped {
		end = actions.Record{At: at.Add(time.Second), Kind: "state", State: actions.StateInterrupted, Reason: "interrupted"}
	}
	if _, err := j.Append(end); err != nil {
		t.Fatal(err)
	}
}
