package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/molt-sh/molt/actions"
)

// maxLog bounds the event log kept for the live view.
const maxLog = 500

// live is a rollout being watched: the run, its status as its events tell it, when each
// replacement started and ended, its last health probe, and the event log.
type live struct {
	run    Run
	events <-chan actions.Event
	leave  func()
	kind   string // rollout, resume or rollback

	status      actions.Status
	started     time.Time
	slotStarted map[int]time.Time
	slotEnded   map[int]time.Time
	probes      map[int]actions.HealthProbe
	log         []logLine
	done        *actions.Done
	// aborting says how the operator asked to abort, until the run ends.
	aborting string
	// held is the time spent at checkpoints and paused, which the pace leaves out;
	// holdSince is when the current hold began.
	held      time.Duration
	holdSince time.Time
	// holds are the holds that ended, for the replacements' times, which leave them out.
	holds []span
	// seed is where each replacement was by the journal, for a resume or a rollback: the
	// run's first snapshot knows only its plan.
	seed map[int]actions.Phase
	// scope is the replacements a rollback puts back; nil means all.
	scope map[int]bool
	// spend is what the run's extra droplets cost (nil before it is known); spendAsked
	// is when the journal was last read for it (cost.go).
	spend      *actions.Spend
	spendAsked time.Time
	// locked says the run's first wave has started, so its lock tag is on its servers.
	locked bool
}

// lockChanged tells stale (when set) that the run's droplets had their lock tag put on
// or taken off, which the action feed does not show: the old droplets, and the new ones
// made so far (born with the tag, which the end of the run takes off).
func (l *live) lockChanged(stale func([]int)) {
	if stale == nil {
		return
	}
	reps := l.run.Plan().Replacements()
	ids := make([]int, 0, 2*len(reps))
	for _, r := range reps {
		ids = append(ids, r.Old.ID)
	}
	for _, s := range l.status.Slots {
		if s.NewID != 0 {
			ids = append(ids, s.NewID)
		}
	}
	stale(ids)
}

// logLine is one line of the event log: when, what, and whether it went wrong. A quiet
// line (a step starting or ending, which the phases already tell) is found by the
// search only, as molt apply prints it under -v only.
type logLine struct {
	at    time.Time
	text  string
	bad   bool
	quiet bool
}

// runEventMsg carries an event of the run id, and the ones that came right after it:
// a busy run (health probes every few milliseconds) is drawn once per batch, not once
// per event, so that the view keeps up with it.
type runEventMsg struct {
	id   string
	ev   actions.Event
	more []actions.Event
}

// maxBatch bounds the events one runEventMsg carries.
const maxBatch = 512

// runClosedMsg says the run id sent its last event.
type runClosedMsg struct{ id string }

func newLive(run Run, kind string) *live {
	ch, leave := run.Subscribe()
	return &live{run: run, events: ch, leave: leave, kind: kind,
		status:      actions.NewStatus(run.ID(), run.Plan()),
		slotStarted: map[int]time.Time{}, slotEnded: map[int]time.Time{}, probes: map[int]actions.HealthProbe{}}
}

// seedFrom starts the view of a reopened rollout from the journal's phases, limited to
// scope when it is given.
func (l *live) seedFrom(seed map[int]actions.Phase, scope []int) {
	l.seed = seed
	if scope != nil {
		l.scope = map[int]bool{}
		for _, n := range scope {
			l.scope[n] = true
		}
	}
	l.reseed()
}

// reseed puts the journal's phase on replacements the status knows nothing about.
func (l *live) reseed() {
	for i, sl := range l.status.Slots {
		if p, ok := l.seed[sl.Slot]; ok && sl.Phase == actions.PhasePending {
			l.status.Slots[i].Phase = p
		}
	}
}

// slots are the replacements the view shows: all, or a rollback's.
func (l *live) slots() []actions.SlotStatus {
	if l.scope == nil {
		return l.status.Slots
	}
	var out []actions.SlotStatus
	for _, sl := range l.status.Slots {
		if l.scope[sl.Slot] {
			out = append(out, sl)
		}
	}
	return out
}

// over reports whether a replacement has nothing left to do in this run: a rollback's
// is over when it is back (or could not be), a rollout's when it is done or stopped.
func (l *live) over(p actions.Phase) bool {
	if l.kind == "rollback" {
		return p == actions.PhaseRolledBack || p == actions.PhaseCancelled || p == actions.PhaseFailed
	}
	return slotOver(p)
}

// wait is the Cmd that waits for the run's next event; Update re-arms it after each.
func (l *live) wait() tea.Cmd {
	id, ch := l.run.ID(), l.events
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return runClosedMsg{id: id}
		}
		msg := runEventMsg{id: id, ev: ev}
		for len(msg.more) < maxBatch {
			select {
			case next, ok := <-ch:
				if !ok {
					return msg // the next wait reads the close
				}
				msg.more = append(msg.more, next)
			default:
				return msg
			}
		}
		return msg
	}
}

// running reports whether the run has not ended yet.
func (l *live) running() bool { return l != nil && l.done == nil }

// apply folds an event into the view's state.
func (l *live) apply(ev actions.Event) {
	l.status.Apply(ev)
	if at := eventAt(ev); l.started.IsZero() && !at.IsZero() {
		l.started = at // joined after RolloutStarted: count from the first event seen
	}
	switch e := ev.(type) {
	case actions.RolloutStarted:
		l.started = e.At
		l.add(e.At, fmt.Sprintf("started %s of %s → %s: %s in %s", l.kind, e.Selection, e.Target,
			plural(e.Replacements, "replacement"), plural(e.Waves, "wave")), false)
	case actions.StepStarted:
		if _, ok := l.slotStarted[e.Slot]; !ok {
			l.slotStarted[e.Slot] = e.At
		}
		l.applyMore(ev)
	case actions.StepFinished:
		if e.Err != "" {
			l.add(e.At, fmt.Sprintf("%s: %s failed: %s", l.slotName(e.Slot), stepWords(e.Step), e.Err), true)
			break
		}
		l.applyMore(ev)
	case actions.PhaseChanged:
		l.onPhase(e)
	case actions.HealthProbe:
		l.probes[e.Slot] = e
		l.add(e.At, fmt.Sprintf("health %s %s: %s %s", l.slotName(e.Slot), e.Addr, passMark(e.OK), e.Detail), !e.OK)
	default:
		l.applyRun(ev)
	}
}

// applyRun handles the events about the rollout as a whole.
func (l *live) applyRun(ev actions.Event) {
	switch e := ev.(type) {
	case actions.StateChanged:
		l.hold(e.At, e.State == actions.StatePaused || e.State == actions.StateCheckpoint)
		l.add(e.At, "rollout "+stateWords(e.State)+reasonSuffix(e.Reason), e.State == actions.StateRollingBack)
	case actions.WaveStarted:
		l.add(e.At, fmt.Sprintf("wave %d of %d started%s", e.Wave+1, len(l.status.Waves), canaryWord(e.Canary)), false)
	case actions.Failure:
		l.add(e.At, fmt.Sprintf("%s failed at %s: %s (%d of %d allowed)", l.slotName(e.Slot), stepWords(e.Step),
			e.Reason, e.Failures, e.Budget), true)
	case actions.CheckpointReached:
		l.hold(e.At, true)
		l.add(e.At, checkpointWords(e), false)
	case actions.RateLimitWait:
		l.add(e.At, fmt.Sprintf("waiting %s for the API's rate limit: %s", e.Wait, e.Reason), true)
	case actions.APICall:
		l.add(e.At, apiWords(e), e.Err != "" || e.Status >= 400)
	case actions.LeftAlone:
		l.add(e.At, fmt.Sprintf("%s: left droplet %d alone, never to be changed: %s", l.slotName(e.Slot), e.Droplet, e.Reason), true)
	case actions.Done:
		l.done = &e
		l.add(e.At, doneWords(e), l.doneBad(e))
	case actions.Spend:
		l.spend = &e
		l.add(e.At, spendWords(e), false)
	case actions.Snapshot:
		l.status = e.Status.Clone()
		if !e.Status.Started.IsZero() {
			l.started = e.Status.Started // the run's real start, for a view that joins late
		}
		l.reseed()
		l.applyMore(ev)
	default:
		l.applyMore(ev)
	}
}

// hold starts or ends a stretch of waiting for the operator.
func (l *live) hold(at time.Time, waiting bool) {
	switch {
	case waiting && l.holdSince.IsZero():
		l.holdSince = at
	case !waiting && !l.holdSince.IsZero():
		l.held += at.Sub(l.holdSince)
		l.holds = append(l.holds, span{l.holdSince, at})
		l.holdSince = time.Time{}
	}
}

func (l *live) onPhase(e actions.PhaseChanged) {
	// A replacement cancelled before it began never started: it has no time to show.
	if _, ok := l.slotStarted[e.Slot]; !ok && e.Phase != actions.PhasePending && e.Phase != actions.PhaseCancelled {
		l.slotStarted[e.Slot] = e.At
	}
	switch e.Phase {
	case actions.PhaseDone, actions.PhaseFailed, actions.PhaseCancelled, actions.PhaseRolledBack:
		l.slotEnded[e.Slot] = e.At
	}
	text := fmt.Sprintf("%s: %s", l.slotName(e.Slot), phaseWords(e.Phase))
	if e.NewID != 0 && e.Phase == actions.PhaseCreated {
		text += fmt.Sprintf(" (new droplet %d)", e.NewID)
	}
	bad := e.Phase == actions.PhaseFailed || e.Phase == actions.PhaseRollingBack
	l.add(e.At, text+reasonSuffix(e.Reason), bad)
}

func (l *live) add(at time.Time, text string, bad bool) {
	l.log = append(l.log, logLine{at: at, text: text, bad: bad})
	if len(l.log) > maxLog {
		l.log = l.log[len(l.log)-maxLog:]
	}
}

func (l *live) slotName(n int) string {
	for _, s := range l.status.Slots {
		if s.Slot == n {
			return s.OldName
		}
	}
	return fmt.Sprintf("slot %d", n)
}

// progress counts the replacements that are over (done, failed, cancelled, rolled back).
func (l *live) progress() (over, total int) {
	slots := l.slots()
	for _, s := range slots {
		if l.over(s.Phase) {
			over++
		}
	}
	return over, len(slots)
}

func slotOver(p actions.Phase) bool {
	switch p {
	case actions.PhaseDone, actions.PhaseFailed, actions.PhaseCancelled, actions.PhaseRolledBack:
		return true
	}
	return false
}

// eta is the time left: the pace of the waves finished so far (time waiting for the
// operator left out) times the waves left, or before any finished, the plan's estimate.
func (l *live) eta(now time.Time) (time.Duration, bool) {
	over, total := l.progress()
	if l.started.IsZero() || over == total || l.status.State != actions.StateRunning {
		return 0, false
	}
	elapsed := now.Sub(l.started) - l.held
	done, waves := l.wavesOver()
	if done == 0 {
		return max(l.run.Plan().Estimate.Duration.D()-elapsed, 0), true
	}
	return elapsed / time.Duration(done) * time.Duration(waves-done), true
}

// wavesOver counts the waves whose replacements are all over, and the waves in all.
func (l *live) wavesOver() (done, total int) {
	phase := map[int]actions.Phase{}
	for _, s := range l.status.Slots {
		phase[s.Slot] = s.Phase
	}
	for _, w := range l.status.Waves {
		finished := true
		for _, n := range w.Slots {
			finished = finished && l.over(phase[n])
		}
		if finished {
			done++
		}
	}
	return done, len(l.status.Waves)
}

// span is a stretch of time.
type span struct{ from, to time.Time }

// busy is how long a replacement worked from start to end, the time the run was held
// (paused, or waiting at a checkpoint) left out: a paused rollout's clocks stop.
func (l *live) busy(start, end time.Time) time.Duration {
	d := end.Sub(start)
	holds := l.holds
	if !l.holdSince.IsZero() {
		holds = append(holds[:len(holds):len(holds)], span{l.holdSince, end})
	}
	for _, h := range holds {
		from, to := max(h.from.UnixNano(), start.UnixNano()), min(h.to.UnixNano(), end.UnixNano())
		if to > from {
			d -= time.Duration(to - from)
		}
	}
	return max(d, 0)
}

func passMark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

func canaryWord(c bool) string {
	if c {
		return " (canary)"
	}
	return ""
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func apiWords(e actions.APICall) string {
	path := shortPath(e.Path)
	s := fmt.Sprintf("%s %s → %d", e.Method, path, e.Status)
	if e.Status == 0 {
		s = fmt.Sprintf("%s %s → no answer", e.Method, path)
	}
	if e.RequestID != "" {
		s += " · req " + shortID(e.RequestID)
	}
	if e.Remaining > 0 {
		s += fmt.Sprintf(" · %d left", e.Remaining)
	}
	if e.Err != "" {
		s += " · " + e.Err
	}
	return s
}

// shortPath cuts the long IDs in an API path (a load balancer's UUID) to their first
// 8 characters, so that the status and request ID after it fit on the line.
func shortPath(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if len(p) > 16 && strings.Count(p, "-") >= 4 {
			parts[i] = p[:8] + "…"
		}
	}
	return strings.Join(parts, "/")
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func checkpointWords(e actions.CheckpointReached) string {
	if e.Mode == "timed" {
		return fmt.Sprintf("checkpoint after wave %d: going on at %s (c to go on now)", e.Wave+1, e.Until.Format("15:04:05"))
	}
	return fmt.Sprintf("checkpoint after wave %d: press c to go on with wave %d", e.Wave+1, e.Next+1)
}

// doneWords says how a run ended, saying each thing once: the state, the counts that
// are not zero, and the reason when it adds to the state.
func doneWords(e actions.Done) string {
	state := stateWords(e.State)
	var parts []string
	if e.Replaced > 0 || e.State == actions.StateDone {
		parts = append(parts, fmt.Sprintf("%d replaced", e.Replaced))
	}
	reason := strings.TrimPrefix(e.Err, state+": ")
	if failed := fmt.Sprintf("%d failed", e.Failed); e.Failed > 0 && !strings.HasPrefix(reason, failed) {
		parts = append(parts, failed)
	}
	if e.RolledBack > 0 {
		parts = append(parts, fmt.Sprintf("%d back on the old image", e.RolledBack))
	}
	if reason != "" && reason != state {
		parts = append(parts, reason)
	}
	return "finished: " + strings.Join(append([]string{state}, parts...), " · ")
}

// doneBad reports whether an ended run is news to flag: anything but done, except a
// rollback that put everything back as asked.
func (l *live) doneBad(e actions.Done) bool {
	if l.kind == "rollback" && e.State == actions.StateRolledBack && e.Failed == 0 {
		return false
	}
	return e.State != actions.StateDone
}

// stepWords says what a step does, for people.
func stepWords(step string) string {
	words := map[string]string{"create": "creating", "wait_active": "provisioning", "health": "health check",
		"handover": "handing over", "soak": "soaking", "drain": "draining old", "move_volumes": "moving volumes", "retire": "retiring old",
		"hand_back": "handing back", "destroy_new": "destroying new", "power_on": "powering old on",
		"recreate": "re-creating old"}
	if w, ok := words[step]; ok {
		return w
	}
	return strings.ReplaceAll(step, "_", " ")
}

// phaseWords says where a replacement is, for people.
func phaseWords(p actions.Phase) string {
	words := map[actions.Phase]string{actions.PhasePending: "waiting", actions.PhaseCreated: "provisioning",
		actions.PhaseActive: "health check", actions.PhaseHealthy: "healthy", actions.PhaseHandedOver: "in service, soaking",
		actions.PhaseSoaked: "retiring old", actions.PhaseDraining: "draining old", actions.PhaseDone: "done",
		actions.PhaseFailed: "failed", actions.PhaseCancelled: "cancelled", actions.PhaseRollingBack: "rolling back",
		actions.PhaseRolledBack: "rolled back"}
	if w, ok := words[p]; ok {
		return w
	}
	return string(p)
}

// stateWords says where the rollout is, for people.
func stateWords(s actions.State) string {
	words := map[actions.State]string{actions.StateRunning: "running", actions.StatePaused: "paused",
		actions.StateCheckpoint: "at a checkpoint", actions.StateRollingBack: "rolling back",
		actions.StateInterrupted: "interrupted", actions.StateDone: "done", actions.StateRolledBack: "rolled back",
		actions.StateAborted: "aborted"}
	if w, ok := words[s]; ok {
		return w
	}
	return string(s)
}

// eventAt is when an event happened (zero for a snapshot).
func eventAt(ev actions.Event) time.Time {
	switch e := ev.(type) {
	case actions.RolloutStarted:
		return e.At
	case actions.StateChanged:
		return e.At
	case actions.WaveStarted:
		return e.At
	case actions.StepStarted:
		return e.At
	case actions.StepFinished:
		return e.At
	case actions.PhaseChanged:
		return e.At
	case actions.HealthProbe:
		return e.At
	case actions.Failure:
		return e.At
	case actions.CheckpointReached:
		return e.At
	case actions.RateLimitWait:
		return e.At
	case actions.APICall:
		return e.At
	case actions.LeftAlone:
		return e.At
	case actions.Done:
		return e.At
	}
	return time.Time{}
}
