package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// One rollout has one driver. A resume or a rollback of a rollout another process
// drives is refused by the engine (*actions.DrivenError); the cockpit says who drives
// it and offers to watch it instead: its journal, followed read-only in the live view.

// drivenDialog says who drives the rollout the operator tried to resume or roll back,
// and offers to watch it.
type drivenDialog struct {
	err  *actions.DrivenError
	kind string // what was refused: resume or rollback
}

// drivenRefusal is the dialog for a run refused because another process drives it.
func drivenRefusal(msg runStartedMsg) (*drivenDialog, bool) {
	var de *actions.DrivenError
	if !errors.As(msg.err, &de) {
		return nil, false
	}
	return &drivenDialog{err: de, kind: msg.kind}, true
}

// watchKey watches the rollout instead.
var watchKey = bind([]string{"w"}, "w", "watch it")

func (d *drivenDialog) update(c *common, msg tea.KeyPressMsg) (action, tea.Cmd) {
	switch {
	case key.Matches(msg, watchKey):
		c.say("watching %s read-only: %s drives it", d.err.Rollout, d.err.Driver)
		return closeDialog{}, watchCmd(c.deps.Context, c.deps.JournalDir, d.err)
	case key.Matches(msg, c.keys.Back, c.keys.Quit):
		return closeDialog{}, nil
	}
	return ignored{}, nil
}

func (d *drivenDialog) view(c *common) string {
	s, e := c.styles, d.err
	body := []string{s.Title.Render("Rollout " + e.Rollout + " is driven by another process"), "",
		"driven by " + s.Bold.Render(e.Driver.String()) + driverSince(c, e)}
	did := d.kind + " it"
	if d.kind == "rollback" {
		did = "roll it back"
	}
	body = append(body, "", "A rollout has one driver, so molt did not "+did+".",
		"Watch it here (read-only), or steer it where it runs.", "",
		s.KeyName.Render("w")+" watch it   "+s.KeyName.Render("esc")+" close")
	return s.Dialog.Render(strings.Join(body, "\n"))
}

// driverSince says until when the driver's lease runs, or since when it drives.
func driverSince(c *common, e *actions.DrivenError) string {
	loc := c.now().Location()
	switch {
	case !e.Until.IsZero():
		return ", its lease until " + e.Until.In(loc).Format("15:04:05")
	case !e.Driver.Since.IsZero():
		return ", since " + e.Driver.Since.In(loc).Format("2006-01-02 15:04")
	}
	return ""
}

func (*drivenDialog) keyBar(*common) []key.Binding {
	return []key.Binding{watchKey, answer("esc", "close")}
}

// watchCmd opens the rollout's journal to watch it.
func watchCmd(ctx context.Context, dir string, e *actions.DrivenError) tea.Cmd {
	return func() tea.Msg {
		w, err := newJournalWatch(ctx, actions.JournalPath(dir, e.Rollout), e.Driver.String())
		if err != nil {
			return runStartedMsg{kind: "watch", err: fmt.Errorf("read the journal of %s: %w", e.Rollout, err)}
		}
		return runStartedMsg{kind: "watch", run: w}
	}
}

// watchEvery is how often a watched journal is read again.
var watchEvery = 500 * time.Millisecond

// journalWatch is a rollout another process drives, as its journal tells it: a Run
// that steers nothing. Its events are the journal's records since the header, read
// again every watchEvery until the rollout ends or the watch is left.
type journalWatch struct {
	ctx    context.Context
	path   string
	driver string
	header actions.Header
	stop   chan struct{}
	once   sync.Once
}

func newJournalWatch(ctx context.Context, path, driver string) (*journalWatch, error) {
	recs, err := actions.ReadJournal(path)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || recs[0].Header == nil {
		return nil, errors.New("it has no header")
	}
	return &journalWatch{ctx: ctx, path: path, driver: driver, header: *recs[0].Header, stop: make(chan struct{})}, nil
}

func (w *journalWatch) ID() string         { return w.header.ID }
func (w *journalWatch) Plan() actions.Plan { return w.header.Plan }

// Pause, Resume and Abort steer nothing: the live view refuses them for a watch.
func (w *journalWatch) Pause()     {}
func (w *journalWatch) Resume()    {}
func (w *journalWatch) Abort(bool) {}

// Continue refuses: another process drives the rollout.
func (w *journalWatch) Continue() error {
	return fmt.Errorf("watching only: %s; continue it there", w.drives())
}

// drives says who drives the rollout watched.
func (w *journalWatch) drives() string { return w.driver + " drives rollout " + w.header.ID }

// Subscribe follows the journal: a snapshot of the plan first, then an event per
// record, until the rollout ends or the watch is left.
func (w *journalWatch) Subscribe() (<-chan actions.Event, func()) {
	ch := make(chan actions.Event, 64)
	go w.follow(ch)
	return ch, func() { w.once.Do(func() { close(w.stop) }) }
}

func (w *journalWatch) follow(ch chan<- actions.Event) {
	defer close(ch)
	st := actions.NewStatus(w.header.ID, w.header.Plan)
	st.State, st.Started = actions.StateRunning, w.header.Started
	if !w.send(ch, actions.Snapshot{Status: st}) {
		return
	}
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	phases := map[int]actions.Phase{}
	for seen := 1; ; {
		recs, err := actions.ReadJournal(w.path)
		if err == nil {
			for _, rec := range recs[min(seen, len(recs)):] {
				for _, ev := range recordEvents(rec, phases) {
					if !w.send(ch, ev) {
						return
					}
				}
				if rec.Kind == actions.KindEnd {
					return
				}
			}
			seen = max(seen, len(recs))
		}
		select {
		case <-tick.C:
		case <-w.stop:
			return
		case <-w.ctx.Done():
			return
		}
	}
}

// send hands ev on unless the watch was left.
func (w *journalWatch) send(ch chan<- actions.Event, ev actions.Event) bool {
	select {
	case ch <- ev:
		return true
	case <-w.stop:
		return false
	case <-w.ctx.Done():
		return false
	}
}

// recordEvents are the events a journal record tells: a replacement's phase, the
// rollout's state, its end (counted from phases, each replacement's last phase).
func recordEvents(rec actions.Record, phases map[int]actions.Phase) []actions.Event {
	var out []actions.Event
	switch rec.Kind {
	case actions.KindPhase:
		for i, n := range rec.Slots {
			ev := actions.PhaseChanged{At: rec.At, Slot: n, Phase: rec.Phase, Reason: rec.Reason}
			if i < len(rec.Droplets) && rec.Phase == actions.PhaseCreated {
				ev.NewID = rec.Droplets[i]
			}
			out = append(out, ev)
			phases[n] = rec.Phase
		}
	case actions.KindState:
		out = append(out, actions.StateChanged{At: rec.At, State: rec.State, Reason: rec.Reason})
	case actions.KindEnd:
		done := actions.Done{At: rec.At, State: rec.State, Err: rec.Reason}
		for _, p := range phases {
			switch p {
			case actions.PhaseDone:
				done.Replaced++
			case actions.PhaseFailed:
				done.Failed++
			case actions.PhaseRolledBack:
				done.RolledBack++
			}
		}
		out = append(out, done)
	}
	return out
}

// watching reports whether the run followed is watched, not driven, here.
func (l *live) watching() bool { _, ok := l.run.(*journalWatch); return ok }
