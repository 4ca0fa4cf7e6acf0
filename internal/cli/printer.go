package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/molt-sh/molt/actions"
)

// printer renders events as lines: text for people, or JSON lines with -o json.
type printer struct {
	w       io.Writer
	plan    actions.Plan
	json    bool
	verbose bool
}

func (p *printer) print(ev actions.Event) {
	if p.json {
		if b, err := actions.MarshalEvent(ev); err == nil {
			fmt.Fprintf(p.w, "%s\n", b)
		}
		return
	}
	if line := p.text(ev); line != "" {
		fmt.Fprintln(p.w, line)
	}
}

// name is the server a replacement slot replaces.
func (p *printer) name(slot int) string {
	for _, r := range p.plan.Replacements() {
		if r.Slot == slot {
			return r.Old.Name
		}
	}
	return fmt.Sprintf("slot %d", slot)
}

func (p *printer) text(ev actions.Event) string {
	switch ev := ev.(type) {
	case actions.RolloutStarted:
		verb := "replacing"
		if ev.Resumed {
			verb = "resuming the replacement of"
		}
		return fmt.Sprintf("rollout %s: %s %d servers (%s) with %s in %d waves; journal %s",
			ev.Rollout, verb, ev.Replacements, ev.Selection, ev.Target, ev.Waves, ev.Journal)
	case actions.WaveStarted:
		return p.waveText(ev)
	case actions.PhaseChanged:
		return p.phaseText(ev)
	case actions.Failure:
		return fmt.Sprintf("%s failed at %s: %s (%d failed, %d allowed)", p.name(ev.Slot), ev.Step, ev.Reason, ev.Failures, ev.Budget)
	case actions.CheckpointReached:
		if ev.Mode == actions.PauseTimed {
			return fmt.Sprintf("checkpoint after wave %d: going on at %s", ev.Wave+1, ev.Until.Local().Format("15:04:05"))
		}
		return fmt.Sprintf("checkpoint after wave %d", ev.Wave+1)
	case actions.StateChanged:
		return stateText(ev)
	case actions.PoolProgress:
		return poolProgressText(ev)
	case actions.RateLimitWait:
		return fmt.Sprintf("rate limited by the API: waiting %s", ev.Wait)
	case actions.LeftAlone:
		return fmt.Sprintf("%s: left droplet %d alone, never to be changed: %s", p.name(ev.Slot), ev.Droplet, ev.Reason)
	case actions.StrayDestroyed:
		return p.strayText(ev)
	case actions.APICall:
		if line := createErrorText(ev); line != "" {
			return line
		}
	case actions.Done:
		return fmt.Sprintf("%s: %d replaced, %d failed, %d rolled back", ev.State, ev.Replaced, ev.Failed, ev.RolledBack)
	case actions.Spend:
		return spendText(ev)
	}
	return p.verboseText(ev)
}

func (p *printer) waveText(ev actions.WaveStarted) string {
	names := make([]string, 0, len(ev.Slots))
	for _, s := range ev.Slots {
		names = append(names, p.name(s))
	}
	label := fmt.Sprintf("wave %d/%d", ev.Wave+1, len(p.plan.Waves))
	if ev.Canary {
		label += " (canary)"
	}
	return label + ": " + strings.Join(names, ", ")
}

func (p *printer) phaseText(ev actions.PhaseChanged) string {
	what := map[actions.Phase]string{
		actions.PhaseCreated: fmt.Sprintf("created droplet %d", ev.NewID), actions.PhaseActive: "active at " + ev.NewIP,
		actions.PhaseHealthy: "healthy", actions.PhaseHandedOver: "in service", actions.PhaseSoaked: "soaked",
		actions.PhaseDone: "replaced", actions.PhaseFailed: "failed: " + ev.Reason, actions.PhaseCancelled: "cancelled",
		actions.PhaseRollingBack: "rolling back", actions.PhaseRolledBack: "rolled back", actions.PhasePending: "pending",
		actions.PhaseDraining: fmt.Sprintf("draining the old droplet for %s", p.plan.Strategy.Drain),
	}[ev.Phase]
	if ev.Reason != "" && ev.Phase != actions.PhaseFailed {
		what += " (" + ev.Reason + ")"
	}
	return p.name(ev.Slot) + ": " + what
}

func stateText(ev actions.StateChanged) string {
	if ev.State == actions.StateCheckpoint || ev.State.Final() {
		return ""
	}
	s := "rollout " + strings.ReplaceAll(string(ev.State), "_", " ")
	if ev.Reason != "" {
		s += ": " + ev.Reason
	}
	return s
}

// strayText says that a droplet nothing tracked (a create the API committed late) went.
func (p *printer) strayText(ev actions.StrayDestroyed) string {
	what := fmt.Sprintf("droplet %d (%s), made by a create answered with an error and tracked by nothing", ev.Droplet, ev.Name)
	if ev.Slot >= 0 {
		what += ", for " + p.name(ev.Slot)
	}
	if ev.Err != "" {
		return "could not destroy " + what + ": " + ev.Err
	}
	return "destroyed " + what
}

// createErrorText says, without -v too, that a create was answered with an error (or not
// at all): the API may still make its droplets, which molt looks for by tag.
func createErrorText(ev actions.APICall) string {
	if ev.Method != "POST" || !strings.HasSuffix(ev.Path, "/v2/droplets") || (ev.Err == "" && ev.Status < 400) {
		return ""
	}
	answer := "no answer"
	if ev.Status > 0 {
		answer = fmt.Sprintf("an error (%d)", ev.Status)
	}
	return fmt.Sprintf("a create was answered with %s: the API may still make its droplets; molt looks for them by tag and destroys any it does not track", answer)
}

// verboseText shows API calls, health probes, steps and snapshots under -v.
func (p *printer) verboseText(ev actions.Event) string {
	if !p.verbose {
		return ""
	}
	switch ev := ev.(type) {
	case actions.APICall:
		s := fmt.Sprintf("  %s %s %d %s (request %s, %d left)", ev.Method, ev.Path, ev.Status, ev.Took.D().Round(1e6), ev.RequestID, ev.Remaining)
		if ev.Err != "" && ev.Status == 0 {
			s += ": " + ev.Err
		}
		return s
	case actions.HealthProbe:
		return fmt.Sprintf("  %s: probe %s: %s", p.name(ev.Slot), ev.Addr, ev.Detail)
	case actions.StepStarted:
		return fmt.Sprintf("  %s: %s started", p.name(ev.Slot), ev.Step)
	case actions.StepFinished:
		s := fmt.Sprintf("  %s: %s took %s", p.name(ev.Slot), ev.Step, ev.Took.D().Round(1e6))
		if ev.Err != "" {
			s += ": " + ev.Err
		}
		return s
	case actions.Snapshot:
		st := ev.Status
		return fmt.Sprintf("  rollout %s is %s: %d of %d replaced", st.Rollout, strings.ReplaceAll(string(st.State), "_", " "),
			st.Count(actions.PhaseDone), len(st.Slots))
	}
	return ""
}
