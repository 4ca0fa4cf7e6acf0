package actions

import "time"

// Record is one line of a journal. Kind says which fields mean something.
type Record struct {
	Seq      int        `json:"seq"`
	At       time.Time  `json:"at"`
	Kind     RecordKind `json:"kind"`
	Op       Op         `json:"op,omitempty"`
	Ref      int        `json:"ref,omitempty"`
	Wave     int        `json:"wave,omitempty"`
	Group    int        `json:"group,omitempty"`
	Slots    []int      `json:"slots,omitempty"`
	Names    []string   `json:"names,omitempty"`
	Droplets []int      `json:"droplets,omitempty"`
	Target   string     `json:"target,omitempty"`
	Phase    Phase      `json:"phase,omitempty"`
	State    State      `json:"state,omitempty"`
	IP       string     `json:"ip,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	Err      string     `json:"error,omitempty"`
	Unclear  bool       `json:"unclear,omitempty"`
	Header   *Header    `json:"header,omitempty"`
	Operator *Operator  `json:"operator,omitempty"`

	// Final is the final state a finishing rollout is heading for (state records).
	Final State `json:"final,omitempty"`
	// Took is how long the new droplet took to turn active, as measured (active phase
	// records; absent when an API error or an adoption muddied the measure).
	Took Duration `json:"took,omitempty"`
}

// RecordKind is what a journal record says; it is the record's "kind" in JSON.
type RecordKind string

// The kinds of journal records.
const (
	// KindHeader opens a journal: Header (the plan, the operator, the start time).
	KindHeader RecordKind = "header"
	// KindIntent is an Op with its target, written before the API call that does it.
	KindIntent RecordKind = "intent"
	// KindResult follows an intent: Ref (the intent's Seq), Err, or Unclear when the
	// outcome is unknown.
	KindResult RecordKind = "result"
	// KindPhase: a replacement (Slots[0]) reached Phase, with its new droplet and IP.
	KindPhase RecordKind = "phase"
	// KindState: the rollout as a whole changed State (running, paused, checkpoint, ...).
	KindState RecordKind = "state"
	// KindEnd: the rollout ended in State (done, rolled back, aborted).
	KindEnd RecordKind = "end"
	// KindControl: Operator asked for the action in Op (free text: pause, resume,
	// continue, abort, ...) on a shared run.
	KindControl RecordKind = "control"
	// KindFinalised: the old droplets a done rollout kept (Droplets) are destroyed, and
	// it keeps none any more. Journals before it said so with a state record, done, for
	// the reason "finalised"; Record.finalises reads both.
	KindFinalised RecordKind = "finalised"
)

// Op is what an intent (and its result) does; it is the record's "op" in JSON.
type Op string

// The operations a rollout journals before it calls the API.
const (
	OpLock             Op = "lock"              // tag the selection with the rollout's tag
	OpCreateTag        Op = "create_tag"        // create a tag the API wants to exist first
	OpCreate           Op = "create"            // create a group's new droplets
	OpRecreate         Op = "recreate"          // re-create an old droplet in a rollback
	OpDestroyNew       Op = "destroy_new"       // destroy a new droplet that failed or is rolled back
	OpDestroyDuplicate Op = "destroy_duplicate" // destroy a second droplet made for one replacement
	OpDestroyStray     Op = "destroy_stray"     // destroy a droplet of the rollout's creates that nothing tracks
	OpRetire           Op = "retire"            // destroy old droplets: by ID, or by their retire tag (Target)
	OpRetireTag        Op = "retire_tag"        // tag old droplets that passed their check for one delete by tag
	OpFinalise         Op = "finalise"          // destroy an old droplet kept for a fast rollback
	OpLBAdd            Op = "lb_add"            // add droplets to a load balancer
	OpLBRemove         Op = "lb_remove"         // remove droplets from a load balancer
	OpIPAssign         Op = "ip_assign"         // point a reserved IP at a droplet
	OpPowerOff         Op = "power_off"         // power off an old droplet to keep it
	OpPowerOn          Op = "power_on"          // power a kept old droplet back on
	OpTag              Op = "tag"               // give droplets back a tag-based load balancer's tag
	OpUntag            Op = "untag"             // take droplets out of a tag-based load balancer
	OpVolumeDetach     Op = "volume_detach"     // detach a volume
	OpVolumeAttach     Op = "volume_attach"     // attach a volume
	OpRelease          Op = "release"           // lift the lock: remove the rollout's tag
)

// finalisedReason is the reason of the state change that finalising shows, and the one
// journals before KindFinalised recorded finalisation with.
const finalisedReason = "finalised"

// finalises reports whether r records the kept old droplets of a done rollout destroyed:
// a finalised record, or the state record that stood for one before.
func (r Record) finalises() bool {
	return r.Kind == KindFinalised || r.Kind == KindState && r.State == StateDone && r.Reason == finalisedReason
}
