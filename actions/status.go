package actions

import (
	"slices"
	"time"
)

// Status is the whole state of a rollout as events describe it: what a late subscriber
// needs to draw the screen. Apply folds an event into it.
type Status struct {
	Rollout   string `json:"rollout"`
	State     State  `json:"state"`
	Selection string `json:"selection"`
	Target    string `json:"target"`
	// Started is when this run started (a resumed one: when it was resumed), zero
	// before it does; Resumed and Journal are as RolloutStarted has them.
	Started  time.Time    `json:"started,omitzero"`
	Resumed  bool         `json:"resumed,omitempty"`
	Journal  string       `json:"journal,omitempty"`
	Wave     int          `json:"wave"` // the current wave, -1 before the first
	Waves    []WaveStatus `json:"waves"`
	Slots    []SlotStatus `json:"slots"`
	Failures int          `json:"failures"`
	Budget   int          `json:"budget"`
	// Checkpoint is set while the rollout waits between waves.
	Checkpoint    *CheckpointReached `json:"checkpoint,omitempty"`
	RateRemaining int                `json:"rate_remaining"`
	Err           string             `json:"error,omitempty"`
	// Pool is a pool rollout's last word on its pool (see PoolProgress).
	Pool *PoolProgress `json:"pool,omitempty"`
}

// WaveStatus is a wave and its replacement slots.
type WaveStatus struct {
	Index  int   `json:"index"`
	Canary bool  `json:"canary,omitempty"`
	Slots  []int `json:"slots"`
}

// SlotStatus is one replacement.
type SlotStatus struct {
	Slot    int    `json:"slot"`
	Wave    int    `json:"wave"`
	OldID   int    `json:"old_id"`
	OldName string `json:"old_name"`
	From    string `json:"from"`
	NewID   int    `json:"new_id,omitempty"`
	NewIP   string `json:"new_ip,omitempty"`
	Phase   Phase  `json:"phase"`
	Step    string `json:"step,omitempty"`
	Err     string `json:"error,omitempty"`
}

// NewStatus is the status of a plan that has not started.
func NewStatus(id string, p Plan) Status {
	s := Status{Rollout: id, State: StateRunning, Selection: p.Selection, Target: versionName(p.Target),
		Wave: -1, Budget: p.Strategy.MaxFailures}
	for _, w := range p.Waves {
		ws := WaveStatus{Index: w.Index, Canary: w.Canary}
		for _, r := range w.Replacements {
			ws.Slots = append(ws.Slots, r.Slot)
			s.Slots = append(s.Slots, SlotStatus{Slot: r.Slot, Wave: w.Index, OldID: r.Old.ID, OldName: r.Old.Name,
				From: versionName(r.Old.Image), Phase: PhasePending})
		}
		s.Waves = append(s.Waves, ws)
	}
	return s
}

// Clone returns a deep copy.
func (s Status) Clone() Status {
	c := s
	c.Slots = slices.Clone(s.Slots)
	c.Waves = make([]WaveStatus, len(s.Waves))
	for i, w := range s.Waves {
		c.Waves[i] = w
		c.Waves[i].Slots = slices.Clone(w.Slots)
	}
	if s.Checkpoint != nil {
		cp := *s.Checkpoint
		c.Checkpoint = &cp
	}
	if s.Pool != nil {
		p := *s.Pool
		c.Pool = &p
	}
	return c
}

// Count returns how many replacements are in the phase.
func (s Status) Count(p Phase) int {
	n := 0
	for _, sl := range s.Slots {
		if sl.Phase == p {
			n++
		}
	}
	return n
}

// Apply folds an event into the status.
func (s *Status) Apply(e Event) {
	switch e := e.(type) {
	case Snapshot:
		*s = e.Status.Clone()
	case RolloutStarted:
		s.Rollout, s.Selection, s.Target = e.Rollout, e.Selection, e.Target
		s.Started, s.Resumed, s.Journal = e.At, e.Resumed, e.Journal
	case StateChanged:
		s.State = e.State
		if e.State != StateCheckpoint && e.State != StatePaused {
			s.Checkpoint = nil // a pause at a checkpoint still waits there
		}
	case WaveStarted:
		s.Wave = e.Wave
		s.Checkpoint = nil
	case StepStarted:
		s.slot(e.Slot, func(sl *SlotStatus) { sl.Step = e.Step })
	case StepFinished:
		s.slot(e.Slot, func(sl *SlotStatus) { sl.Step, sl.Err = "", e.Err })
	case PhaseChanged:
		s.applyPhase(e)
	case Failure:
		s.Failures = e.Failures
		s.slot(e.Slot, func(sl *SlotStatus) { sl.Err = e.Reason })
	case CheckpointReached:
		cp := e
		s.State, s.Checkpoint = StateCheckpoint, &cp
	case APICall:
		if e.Remaining > 0 {
			s.RateRemaining = e.Remaining
		}
	case PoolProgress:
		s.Pool = &e
	case Done:
		s.State, s.Err = e.State, e.Err
	}
}

func (s *Status) applyPhase(e PhaseChanged) {
	s.slot(e.Slot, func(sl *SlotStatus) {
		sl.Phase = e.Phase
		if e.NewID != 0 {
			sl.NewID = e.NewID
		}
		if e.NewIP != "" {
			sl.NewIP = e.NewIP
		}
		if e.Phase == PhaseFailed {
			sl.Err = e.Reason
		}
	})
}

func (s *Status) slot(n int, fn func(*SlotStatus)) {
	for i := range s.Slots {
		if s.Slots[i].Slot == n {
			fn(&s.Slots[i])
			return
		}
	}
}
