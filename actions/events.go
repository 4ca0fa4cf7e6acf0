package actions

import (
	"encoding/json"
	"time"
)

// Phase is where one replacement is in its create-before-destroy life.
type Phase string

// The phases of a replacement, in order; Failed and the rollback phases end it early.
const (
	PhasePending     Phase = "pending"
	PhaseCreated     Phase = "created"     // the new droplet exists, not yet active
	PhaseActive      Phase = "active"      // active, being health checked
	PhaseHealthy     Phase = "healthy"     // passed its health check, not in service yet
	PhaseHandedOver  Phase = "handed_over" // in service in the old one's place, soaking
	PhaseSoaked      Phase = "soaked"      // soaked; the old one is being retired
	PhaseDraining    Phase = "draining"    // the old one, out of service, drains before it retires
	PhaseDone        Phase = "done"        // the old one is retired
	PhaseFailed      Phase = "failed"      // the new one failed; the old one is in service
	PhaseCancelled   Phase = "cancelled"   // stopped before going into service; the old one stays
	PhaseRollingBack Phase = "rolling_back"
	PhaseRolledBack  Phase = "rolled_back" // the old one (or a re-creation) is back in service
)

// State is where a rollout as a whole is.
type State string

// Rollout states. Done, RolledBack and Aborted are final; the others can be resumed.
const (
	StateRunning     State = "running"
	StatePaused      State = "paused"
	StateCheckpoint  State = "checkpoint"
	StateRollingBack State = "rolling_back"
	StateInterrupted State = "interrupted"
	StateDone        State = "done"
	StateRolledBack  State = "rolled_back"
	StateAborted     State = "aborted"
)

// Final reports whether a rollout in this state is over.
func (s State) Final() bool { return s == StateDone || s == StateRolledBack || s == StateAborted }

// Event is something the executor reports. The concrete types below are all there is.
type Event interface {
	// Kind names the event type in JSON output ("wave_started").
	Kind() string
}

// RolloutStarted opens the events of a run (a fresh rollout, a resume or a rollback).
type RolloutStarted struct {
	At           time.Time `json:"at"`
	Rollout      string    `json:"rollout"`
	Selection    string    `json:"selection"`
	Target       string    `json:"target"`
	Waves        int       `json:"waves"`
	Replacements int       `json:"replacements"`
	Resumed      bool      `json:"resumed,omitempty"`
	Journal      string    `json:"journal"`
}

// StateChanged reports the rollout's state, with why.
type StateChanged struct {
	At     time.Time `json:"at"`
	State  State     `json:"state"`
	Reason string    `json:"reason,omitempty"`
}

// WaveStarted reports a wave beginning, with its replacement slots.
type WaveStarted struct {
	At     time.Time `json:"at"`
	Wave   int       `json:"wave"`
	Canary bool      `json:"canary,omitempty"`
	Slots  []int     `json:"slots"`
}

// StepStarted reports a step of a replacement starting (create, wait_active, health,
// handover, soak, move_volumes, retire, hand_back, destroy_new, power_on, recreate).
type StepStarted struct {
	At      time.Time `json:"at"`
	Slot    int       `json:"slot"`
	Step    string    `json:"step"`
	Droplet int       `json:"droplet,omitempty"`
}

// StepFinished reports a step ending, successfully when Err is empty.
type StepFinished struct {
	At      time.Time `json:"at"`
	Slot    int       `json:"slot"`
	Step    string    `json:"step"`
	Droplet int       `json:"droplet,omitempty"`
	Took    Duration  `json:"took"`
	Err     string    `json:"error,omitempty"`
}

// PhaseChanged reports a replacement reaching a phase.
type PhaseChanged struct {
	At     time.Time `json:"at"`
	Slot   int       `json:"slot"`
	Phase  Phase     `json:"phase"`
	NewID  int       `json:"new_id,omitempty"`
	NewIP  string    `json:"new_ip,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// HealthProbe is one health check of a droplet.
type HealthProbe struct {
	At      time.Time `json:"at"`
	Slot    int       `json:"slot"`
	Droplet int       `json:"droplet"`
	Addr    string    `json:"addr"`
	OK      bool      `json:"ok"`
	Detail  string    `json:"detail"`
	Passes  int       `json:"passes"`
}

// Failure reports a replacement failing, and the budget used so far.
type Failure struct {
	At       time.Time `json:"at"`
	Slot     int       `json:"slot"`
	Step     string    `json:"step"`
	Reason   string    `json:"reason"`
	Failures int       `json:"failures"`
	Budget   int       `json:"budget"`
}

// CheckpointReached reports a stop between waves: manual waits for Continue, timed
// goes on by itself at Until.
type CheckpointReached struct {
	At    time.Time `json:"at"`
	Wave  int       `json:"wave"`
	Next  int       `json:"next"`
	Mode  PauseMode `json:"mode"`
	Until time.Time `json:"until,omitzero"`
}

// RateLimitWait reports the executor waiting for the API's rate limit.
type RateLimitWait struct {
	At     time.Time `json:"at"`
	Wait   Duration  `json:"wait"`
	Reason string    `json:"reason"`
}

// APICall is one request to the API, for the log.
type APICall struct {
	At        time.Time `json:"at"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	RequestID string    `json:"request_id,omitempty"`
	Remaining int       `json:"rate_remaining"`
	Took      Duration  `json:"took"`
	Err       string    `json:"error,omitempty"`
}

// StrayDestroyed reports a droplet of the rollout's own creates that nothing tracked
// (a create committed by the API after molt had looked for it) being destroyed before
// the lock is released or on resume. Slot is the replacement it was made for (-1 when
// its name matches none); Group is its create group (0 for a rollback's re-creation).
type StrayDestroyed struct {
	At      time.Time `json:"at"`
	Droplet int       `json:"droplet"`
	Name    string    `json:"name"`
	Group   int       `json:"group,omitempty"`
	Slot    int       `json:"slot"`
	Err     string    `json:"error,omitempty"`
}

// LeftAlone reports a droplet that failed its identity check before molt changed it:
// it is not the droplet the journal names (Name), for Reason. molt never changes it
// again; the rollout pauses unless it is ending.
type LeftAlone struct {
	At      time.Time `json:"at"`
	Slot    int       `json:"slot"`
	Droplet int       `json:"droplet"`
	Name    string    `json:"name"`
	Reason  string    `json:"reason"`
}

// Done closes the events of a run.
type Done struct {
	At         time.Time `json:"at"`
	State      State     `json:"state"`
	Replaced   int       `json:"replaced"`
	Failed     int       `json:"failed"`
	RolledBack int       `json:"rolled_back"`
	Err        string    `json:"error,omitempty"`
}

// Snapshot is the whole current state, sent first to a subscriber that joins late and
// again to one that fell too far behind.
type Snapshot struct {
	Status Status `json:"status"`
}

// Kind implements Event.
func (RolloutStarted) Kind() string { return "rollout_started" }

// Kind implements Event.
func (StateChanged) Kind() string { return "state_changed" }

// Kind implements Event.
func (WaveStarted) Kind() string { return "wave_started" }

// Kind implements Event.
func (StepStarted) Kind() string { return "step_started" }

// Kind implements Event.
func (StepFinished) Kind() string { return "step_finished" }

// Kind implements Event.
func (PhaseChanged) Kind() string { return "phase_changed" }

// Kind implements Event.
func (HealthProbe) Kind() string { return "health_probe" }

// Kind implements Event.
func (Failure) Kind() string { return "failure" }

// Kind implements Event.
func (CheckpointReached) Kind() string { return "checkpoint_reached" }

// Kind implements Event.
func (RateLimitWait) Kind() string { return "rate_limit_wait" }

// Kind implements Event.
func (APICall) Kind() string { return "api_call" }

// Kind implements Event.
func (StrayDestroyed) Kind() string { return "stray_destroyed" }

// Kind implements Event.
func (LeftAlone) Kind() string { return "left_alone" }

// Kind implements Event.
func (Done) Kind() string { return "done" }

// Kind implements Event.
func (Snapshot) Kind() string { return "snapshot" }

// MarshalEvent renders an event as one JSON object with its kind under "type".
func MarshalEvent(e Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	kind, _ := json.Marshal(e.Kind())
	out := append([]byte(`{"type":`), kind...)
	if len(body) > 2 {
		out = append(out, ',')
		out = append(out, body[1:]...)
	} else {
		out = append(out, '}')
	}
	return out, nil
}
