package actions

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/molt-sh/molt/fleet"
)

// Summary is one rollout as `molt rollouts` lists it, read from its journal.
type Summary struct {
	ID        string         `json:"id"`
	Started   time.Time      `json:"started"`
	Operator  Operator       `json:"operator"`
	Selection string         `json:"selection"`
	From      map[string]int `json:"from"`
	To        string         `json:"to"`
	State     State          `json:"state"`
	Reason    string         `json:"reason,omitempty"`
	Replaced  int            `json:"replaced"`
	Planned   int            `json:"planned"`
	// KeptUntil is when old droplets kept for a fast rollback may be destroyed (zero when
	// none are kept, or kept until finalised).
	Kept      int       `json:"kept,omitempty"`
	KeptUntil time.Time `json:"kept_until,omitzero"`
	Path      string    `json:"journal"`
	// Account is the account the rollout ran on (nil: its journal predates accounts).
	Account *fleet.Account `json:"account,omitempty"`
	// Pool names the autoscale pool a pool rollout rolls ("" for a droplet rollout).
	Pool string `json:"pool,omitempty"`

	// Damaged says where a journal that cannot be read is damaged ("damaged at line
	// 16", "no header"); such a summary has only its ID and Path besides.
	Damaged string `json:"damaged,omitempty"`
	// Recovered is set when the journal was rebuilt from the cloud (molt recover).
	Recovered bool `json:"recovered,omitempty"`
	// Ended is when the rollout last ended (zero while it has not).
	Ended time.Time `json:"ended,omitzero"`
	// UnclearCreates counts the creates answered with an error or not at all: the API
	// may have committed them after the rollout ended.
	UnclearCreates int `json:"unclear_creates,omitempty"`
}

// MayHaveLateDroplets reports whether droplets its creates made may have come after the
// rollout ended, within window of its end: it ended, and a create was answered with an
// error.
func (s Summary) MayHaveLateDroplets(now time.Time, window time.Duration) bool {
	return s.State.Final() && s.UnclearCreates > 0 && now.Sub(s.Ended) < window
}

// Unfinished reports whether the rollout has not ended (no final state yet), so that a
// run can resume it. A done rollout that keeps old droplets has ended, though resuming
// it finalises it.
func (s Summary) Unfinished() bool { return s.Damaged == "" && !s.State.Final() }

// FromText renders the source versions, most servers first ("web-1.4.0 (3), web-1.5.0 (1)").
func (s Summary) FromText() string {
	names := make([]string, 0, len(s.From))
	for n := range s.From {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if s.From[names[i]] != s.From[names[j]] {
			return s.From[names[i]] > s.From[names[j]]
		}
		return names[i] < names[j]
	})
	for i, n := range names {
		names[i] = fmt.Sprintf("%s (%d)", n, s.From[n])
	}
	return strings.Join(names, ", ")
}

// Summarize reads a journal into a Summary.
func Summarize(path string) (Summary, error) {
	recs, err := ReadJournal(path)
	if err != nil {
		return Summary{}, err
	}
	h := recs[0].Header
	s := Summary{ID: h.ID, Started: h.Started, Operator: h.Operator, Selection: h.Plan.Selection, From: h.Plan.Sources,
		To: versionName(h.Plan.Target), State: StateRunning, Planned: len(h.Plan.Replacements()), Path: path,
		Account: h.Plan.Account, Recovered: h.Recovered != nil}
	if h.Pool != nil {
		s.Pool, s.Planned = h.Pool.Pool.Name, h.Pool.Replaced
	}
	phases := map[int]Phase{}
	var ended time.Time
	finalised := false
	for _, r := range recs[1:] {
		switch r.Kind {
		case KindPhase:
			for _, n := range r.Slots {
				phases[n] = r.Phase
			}
		case KindResult:
			if r.Unclear && (r.Op == OpCreate || r.Op == OpRecreate) {
				s.UnclearCreates++
			}
		case KindState, KindEnd, KindFinalised:
			s.State, s.Reason = r.State, r.Reason
			if r.Kind == KindEnd {
				ended = r.At
			}
			finalised = finalised || r.finalises()
		}
	}
	for _, p := range phases {
		if p == PhaseDone {
			s.Replaced++
		}
	}
	if s.State.Final() {
		s.Ended = ended
	}
	if h.Plan.Strategy.Retire.Mode == RetireKeep && s.State == StateDone && !finalised {
		s.Kept = s.Replaced
		if ttl := h.Plan.Strategy.Retire.TTL.D(); ttl > 0 {
			s.KeptUntil = ended.Add(ttl)
		}
	}
	return s, nil
}

// ListRollouts summarises every journal in dir, newest first. A directory that does
// not exist holds no rollouts. A journal that cannot be read is listed too, with where
// it is damaged, and its error is returned with the list.
func ListRollouts(dir string) ([]Summary, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("list journals: %w", err)
	}
	var out []Summary
	var errs []error
	for _, p := range paths {
		s, err := Summarize(p)
		var de *DamagedError
		if errors.As(err, &de) {
			s = Summary{ID: rolloutOfPath(p), Path: p, Damaged: de.Where()}
		}
		if err != nil {
			errs = append(errs, err)
			if de == nil {
				continue
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Summary) int { return strings.Compare(b.ID, a.ID) })
	return out, errors.Join(errs...)
}

// RollbackStep is what a rollback will do for one replacement.
type RollbackStep struct {
	Slot     int    `json:"slot"`
	Name     string `json:"name"`
	NewID    int    `json:"new_id"`
	OldID    int    `json:"old_id"`
	Fast     bool   `json:"fast"`     // the old droplet is still there (kept or not yet retired)
	Kept     bool   `json:"kept"`     // the old droplet is powered off, kept for this
	Recreate string `json:"recreate"` // the image it is re-created from, when not fast
}

// PreviewRollback says what rolling back the rollout journaled at path would do,
// most recent replacement first, without touching anything; or, as Rollback would, that
// it cannot be rolled back (an *IrreversibleError).
func PreviewRollback(path string) ([]RollbackStep, error) {
	recs, err := ReadJournal(path)
	if err != nil {
		return nil, err
	}
	if p := recs[0].Header.Pool; p != nil {
		return nil, fmt.Errorf("rollout %s rolls pool %s: `molt rollback %s` puts the template's image %s back", recs[0].Header.ID, p.Pool.Name, recs[0].Header.ID, versionName(p.From))
	}
	e := &Executor{plan: recs[0].Header.Plan}
	for _, w := range e.plan.Waves {
		for _, r := range w.Replacements {
			e.slots = append(e.slots, &slot{r: r, wave: w.Index, phase: PhasePending})
		}
	}
	e.id = recs[0].Header.ID
	e.replay(recs)
	if err := e.reversible(); err != nil {
		return nil, err
	}
	var out []RollbackStep
	for i := len(e.slots) - 1; i >= 0; i-- {
		s := e.slots[i]
		if !slices.Contains([]Phase{PhaseHandedOver, PhaseSoaked, PhaseDraining, PhaseDone, PhaseRollingBack}, s.phase) {
			continue
		}
		st := RollbackStep{Slot: s.r.Slot, Name: s.r.Old.Name, NewID: s.newID, OldID: s.r.Old.ID}
		st.Kept = s.kept
		st.Fast = s.kept || s.phase != PhaseDone || s.restored != 0
		if !st.Fast {
			st.Recreate = versionName(s.r.Old.Image)
		}
		out = append(out, st)
	}
	return out, nil
}

// LearnedProvisionTime is how long droplets took to turn active in the newest rollout
// journaled in dir that saw any (the median, as molt observed it), or 0. Seeding a
// rollout's Timing.ProvisionEstimate with it saves the polls of learning it again.
func LearnedProvisionTime(dir string) time.Duration {
	list, _ := ListRollouts(dir)
	for _, s := range list {
		if d := provisionTimes(s.Path); d > 0 {
			return d
		}
	}
	return 0
}

func provisionTimes(path string) time.Duration {
	recs, err := ReadJournal(path)
	if err != nil || recs[0].Header.Pool != nil { // a pool's members are seen when polled, not made
		return 0
	}
	if d := measured(recs); d > 0 {
		return d
	}
	created := map[int]time.Time{}
	var took []time.Duration
	for _, r := range recs {
		if r.Kind != KindPhase || len(r.Droplets) == 0 {
			continue
		}
		switch id := r.Droplets[0]; r.Phase {
		case PhaseCreated:
			created[id] = r.At
		case PhaseActive:
			if at, ok := created[id]; ok && r.Reason == "" {
				took = append(took, r.At.Sub(at))
			}
		}
	}
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	return took[len(took)/2]
}

// measured is the median of the provisioning times the journal recorded as measured
// (Record.Took) in the last wave that measured any: the newest, after the rollout had
// learnt (0 for journals before molt recorded them, or with none measured cleanly).
func measured(recs []Record) time.Duration {
	last := -1
	var took []time.Duration
	for _, r := range recs {
		if r.Kind != KindPhase || r.Phase != PhaseActive || r.Took <= 0 {
			continue
		}
		if r.Wave != last {
			last, took = r.Wave, nil
		}
		took = append(took, r.Took.D())
	}
	if len(took) == 0 {
		return 0
	}
	slices.Sort(took)
	return took[len(took)/2]
}
