package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// rollout is one rollout from the journal: the engine's summary, the plan and where
// each replacement got to (for the details), and what a rollback would do.
type rollout struct {
	actions.Summary
	plan    actions.Plan
	updated time.Time
	// phases and newIDs are each replacement's last phase and new droplet, by slot.
	phases map[int]actions.Phase
	newIDs map[int]int
	// steps are what rolling it back would do, most recent replacement first.
	steps []actions.RollbackStep
}

// rolloutsLoadedMsg carries the journal's rollouts; startup marks the read made at
// start, which offers to resume an unfinished one.
type rolloutsLoadedMsg struct {
	rollouts []rollout
	err      error
	startup  bool
}

// loadRollouts reads the journal directory in the background.
func loadRollouts(dir string, startup bool) tea.Cmd {
	return func() tea.Msg {
		rs, err := readRollouts(dir)
		return rolloutsLoadedMsg{rollouts: rs, err: err, startup: startup}
	}
}

// readRollouts reads every rollout in dir, newest first. A damaged journal is listed
// too, by its ID and where it is damaged (Summary.Damaged), and reported in the error.
func readRollouts(dir string) ([]rollout, error) {
	list, err := actions.ListRollouts(dir)
	out := make([]rollout, 0, len(list))
	for _, s := range list {
		r := rollout{Summary: s, updated: s.Started, phases: map[int]actions.Phase{}, newIDs: map[int]int{}}
		if recs, rerr := actions.ReadJournal(s.Path); rerr == nil {
			r.fold(recs)
		}
		r.steps, _ = actions.PreviewRollback(s.Path)
		out = append(out, r)
	}
	return out, err
}

// fold reads the plan and each replacement's progress from a journal's records.
func (r *rollout) fold(recs []actions.Record) {
	r.plan = recs[0].Header.Plan
	for _, rec := range recs {
		r.updated = rec.At
		if rec.Kind != "phase" {
			continue
		}
		for _, n := range rec.Slots {
			r.phases[n] = rec.Phase
			if len(rec.Droplets) > 0 {
				r.newIDs[n] = rec.Droplets[0]
			}
		}
	}
}

// canRollBack reports whether a rollback has anything to put back.
func (r rollout) canRollBack() bool {
	return r.State != actions.StateRolledBack && len(r.steps) > 0
}

// waveOf is the wave of a replacement slot.
func (r rollout) waveOf(slot int) int {
	for _, w := range r.plan.Waves {
		for _, rep := range w.Replacements {
			if rep.Slot == slot {
				return w.Index
			}
		}
	}
	return 0
}

// oldImage is the image a replacement's old server ran.
func (r rollout) oldImage(slot int) string {
	for _, rep := range r.plan.Replacements() {
		if rep.Slot == slot {
			return imageName(rep.Old.Image)
		}
	}
	return "-"
}

// rollbackEstimate guesses how long a rollback takes: the waves one after another, each
// powering old droplets on (fast) or re-creating them, then checking their health.
func (r rollout) rollbackEstimate() time.Duration {
	st := r.plan.Strategy
	health := st.Health.Grace.D() + time.Duration(max(st.Health.Threshold, 1))*st.Health.Interval.D()
	slow := map[int]bool{}
	for _, s := range r.steps {
		w := r.waveOf(s.Slot)
		slow[w] = slow[w] || !s.Fast
	}
	var total time.Duration
	for _, isSlow := range slow {
		step := 20 * time.Second
		if isSlow {
			step = actions.DefaultProvisionTime
		}
		total += step + health
	}
	return total
}

// startResume and startRollback ask the engine in the background. The run's view starts
// from the journal's phases; a rollback's shows only what it puts back.
func startResume(ctx context.Context, e Engine, r rollout) tea.Cmd {
	return func() tea.Msg {
		run, err := e.Resume(ctx, r.ID)
		return runStartedMsg{kind: "resume", run: run, err: err, seed: r.phases}
	}
}

func startRollback(ctx context.Context, e Engine, r rollout) tea.Cmd {
	scope := make([]int, 0, len(r.steps))
	for _, st := range r.steps {
		scope = append(scope, st.Slot)
	}
	return func() tea.Msg {
		run, err := e.Rollback(ctx, r.ID)
		return runStartedMsg{kind: "rollback", run: run, err: err, seed: r.phases, scope: scope}
	}
}

// rolloutLegend explains the states of rollouts.
const rolloutLegend = "▶ running  ⏸ paused  ◆ at a checkpoint  ↶ rolled back  ■ aborted or interrupted  ✓ done"

// historySort orders the rollout list: newest started first by default (▼), and the
// selection, state and target A to Z (▲).
type historySort int

const (
	byStarted historySort = iota
	bySelection
	byState
	byTarget
	historySorts
)

// String names the order as the column headers say it.
func (o historySort) String() string {
	return [...]string{"started", "what", "state", "to"}[o]
}

// historyScreen is the list of rollouts from the journal.
type historyScreen struct {
	sort     historySort
	reverse  bool
	rollouts []rollout
	err      error
	loading  bool
	cursor   int
	// details shows the rollout under the cursor in place of the list (narrow windows).
	details bool
	// detailFocus gives the keys to the details beside the list (wide windows).
	detailFocus bool
	// detail is where the details' replacements are scrolled to.
	detail scroller
}

// order sorts the rollouts, keeping the cursor on the one it was on.
func (h *historyScreen) order() {
	id := ""
	if r, ok := h.current(); ok {
		id = r.ID
	}
	slices.SortStableFunc(h.rollouts, func(a, b rollout) int {
		c := 0
		switch h.sort {
		case bySelection:
			c = strings.Compare(a.Selection, b.Selection)
		case byState:
			c = strings.Compare(stateWords(a.State), stateWords(b.State))
		case byTarget:
			c = strings.Compare(a.To, b.To)
		}
		c = cmp.Or(c, b.Started.Compare(a.Started), strings.Compare(b.ID, a.ID))
		if h.reverse {
			return -c
		}
		return c
	})
	for i, r := range h.rollouts {
		if r.ID == id {
			h.cursor = i
		}
	}
}

func (h *historyScreen) current() (rollout, bool) {
	if h.cursor < 0 || h.cursor >= len(h.rollouts) {
		return rollout{}, false
	}
	return h.rollouts[h.cursor], true
}

// rollbackScreen is the guided rollback of one rollout, up to its typed confirmation.
// It exists while it is shown.
type rollbackScreen struct {
	r rollout
	// rows is where the servers going back are scrolled to.
	rows scroller
}

// confirmName is what the operator types to confirm the rollback: the selection.
func (w *rollbackScreen) confirmName() string {
	if w.r.Selection != "" {
		return w.r.Selection
	}
	return w.r.ID
}
