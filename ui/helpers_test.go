package ui

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/dosim"
	"github.com/molt-sh/molt/dosim/dosimtest"
	"github.com/molt-sh/molt/fleet"
)

// fixedNow is the clock of every golden view.
var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func clock() time.Time { return fixedNow }

// loopbackNet matches the per-simulator part of a health address (127.N.), which
// depends on which ranges other simulators on the machine hold.
var (
	loopbackNet = regexp.MustCompile(`^127\.\d+\.`)
	privateNet  = regexp.MustCompile(`^10\.\d+\.`)
)

// demoServers reads the demo fleet from a simulator on the fixed clock, with its
// addresses normalised so that views do not depend on the machine.
// The demo fleet is the same for every test (fixed clock, fixed seed): it is read once.
func demoServers(t *testing.T) []fleet.Server {
	t.Helper()
	demo.Do(func() {
		env := dosimtest.Start(t, dosim.Config{Now: clock})
		demo.servers, demo.err = fleet.Load(context.Background(), env.Client, fleet.LoadOptions{})
		normalise(demo.servers)
	})
	if demo.err != nil {
		t.Fatalf("load the demo fleet: %v", demo.err)
	}
	return slices.Clone(demo.servers)
}

var demo struct {
	sync.Once
	servers []fleet.Server
	err     error
}

// normalise rewrites the per-simulator parts of the servers' addresses.
func normalise(servers []fleet.Server) {
	for i := range servers {
		servers[i].PublicIP = loopbackNet.ReplaceAllString(servers[i].PublicIP, "127.0.")
		servers[i].PrivateIP = privateNet.ReplaceAllString(servers[i].PrivateIP, "10.0.")
	}
}

// loaded builds a model of size w x h showing servers, as if its first load had ended.
func loaded(t *testing.T, servers []fleet.Server, w, h int, tweak ...func(*Deps)) Model {
	t.Helper()
	deps := Deps{
		Load:   func(context.Context, func(int, int)) ([]fleet.Server, error) { return servers, nil },
		Engine: idleEngine{}, JournalDir: t.TempDir(),
		Demo: true, Now: clock, RefreshEvery: -1,
		RateBudget: func() Budget { return Budget{MinuteLeft: 247, MinuteLimit: 250, HourLeft: 4987, HourLimit: 5000} },
	}
	for _, f := range tweak {
		f(&deps)
	}
	m := New(deps)
	m = send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return send(t, m, fleetLoadedMsg{gen: 1, servers: servers})
}

// send runs one message through Update, discarding the Cmd.
func send(t *testing.T, m Model, msg tea.Msg) Model {
	t.Helper()
	next, _ := m.Update(msg)
	return next.(Model)
}

// press sends key presses: single characters, or names such as "space", "enter", "esc".
func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		m = send(t, m, keyMsg(k))
	}
	return m
}

// namedKeys are the keys press takes by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"space": {Code: tea.KeySpace, Text: " "}, "enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape},
	"tab": {Code: tea.KeyTab}, "shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "backspace": {Code: tea.KeyBackspace},
	"up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown}, "left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight},
	"pgup": {Code: tea.KeyPgUp}, "pgdown": {Code: tea.KeyPgDown},
}

func keyMsg(k string) tea.KeyPressMsg {
	if msg, ok := namedKeys[k]; ok {
		return msg
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: []rune(c)[0], Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// screen is the model's view without styles, trailing spaces trimmed.
func screen(m Model) string {
	lines := strings.Split(ansi.Strip(m.Render()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

// settle runs cmd and every Cmd that follows from it through Update, as the program
// would (spinner ticks aside), until none is left or done(m) holds.
func settle(t *testing.T, m Model, cmd tea.Cmd, done func(Model) bool) Model {
	t.Helper()
	queue := []tea.Cmd{cmd}
	deadline := time.Now().Add(30 * time.Second)
	for len(queue) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("settle: still busy after 30s:\n%s", screen(m))
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch msg := c().(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			next, nc := m.Update(msg)
			m = next.(Model)
			queue = append(queue, nc)
			if done != nil && done(m) {
				return m
			}
		}
	}
	return m
}

// pressSettle presses keys, settling the Cmds of each.
func pressSettle(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		next, cmd := m.Update(keyMsg(k))
		m = settle(t, next.(Model), cmd, nil)
	}
	return m
}

// idleEngine is an engine for views that never plan or run anything.
type idleEngine struct{}

var errIdle = errors.New("this test runs no rollouts")

func (idleEngine) Gather(context.Context, PlanRequest) (actions.PlanInput, error) {
	return actions.PlanInput{}, errIdle
}
func (idleEngine) Start(context.Context, actions.Plan) (Run, error) { return nil, errIdle }
func (idleEngine) Resume(context.Context, string) (Run, error)      { return nil, errIdle }
func (idleEngine) Rollback(context.Context, string) (Run, error)    { return nil, errIdle }

// onTop reports whether the dialog on top is a T.
func onTop[T dialog](m Model) bool { _, ok := m.dialogs.top().(T); return ok }

// confirming, asking, offering, quitting and helping report which dialog is open: the
// typed confirmation, the abort question, the resume offer, the quit question, the help.
func confirming(m Model) bool { return onTop[*confirmDialog](m) }

func asking(m Model) bool { return onTop[*abortDialog](m) }

func offering(m Model) bool { return onTop[*offerDialog](m) }

func quitting(m Model) bool { return onTop[*quitDialog](m) }

func helping(m Model) bool { return onTop[*helpDialog](m) }
