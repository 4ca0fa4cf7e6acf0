package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, newApplyCmd) }

func newApplyCmd() *cobra.Command {
	var o planOptions
	var yes bool
	var pollMin time.Duration
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Replace the selected droplets with new ones on the target image",
		Long: "Replace the selected droplets, create before destroy: create each new droplet, wait until\n" +
			"it is active and healthy, hand traffic over, soak, retire the old one. Every step is\n" +
			"journaled; an interrupted rollout resumes with `molt resume`. On a terminal it shows the\n" +
			"plan and asks you to type the selection's name; elsewhere it needs --yes.\n\n" +
			"Exit codes: 0 done, 1 error, 2 usage, 3 failed and rolled back, 4 interrupted and\n" +
			"resumable, 5 locked by another rollout (see docs/engine.md).",
		Example: "  molt apply --tag role:web --to web-1.6.0 --surge 4 --canary 1\n" +
			"  molt apply --tag role:worker --to worker-2.2.0 --retire keep=24h --yes -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runApply(cmd, o, yes, pollMin) },
	}
	addPlanFlags(cmd.Flags(), &o)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	addPollFlag(cmd, &pollMin)
	return cmd
}

// addPollFlag adds the hidden --poll-min: the shortest wait between two polls, which
// tests and demos against the simulator shorten.
func addPollFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "poll-min", 2*time.Second, "shortest wait between two polls of the API")
	_ = cmd.Flags().MarkHidden("poll-min")
}

func runApply(cmd *cobra.Command, o planOptions, yes bool, pollMin time.Duration) error {
	if err := o.check(); err != nil {
		return err
	}
	interactive := isTerminal(os.Stdin) && isTerminal(cmd.OutOrStdout())
	if !yes && !interactive {
		return usageError("not on a terminal: pass --yes to replace servers without confirming")
	}
	ctx, s, done, err := connectToChange(cmd)
	if err != nil {
		return err
	}
	defer done()
	p, err := buildPlan(ctx, s, o)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(p.Waves) == 0 {
		fmt.Fprintf(out, "Nothing to replace: every selected server is skipped.\n%s", planText(p))
		return nil
	}
	if !yes {
		if err := confirm(out, os.Stdin, planText(p), selectionName(o.sel), "replace these servers"); err != nil {
			return err
		}
	}
	x, err := actions.Start(s.Client, p, engineOptions(s, pollMin))
	if err != nil {
		return err
	}
	return drive(ctx, cmd, x, driveOptions{json: o.output == "json", interactive: interactive && o.output != "json", verbose: s.verbose})
}

// engineOptions are the executor's options for a session: journals in the state
// directory, or beside the embedded simulator for the demo (its world ends with the
// process, so its rollouts cannot be resumed).
func engineOptions(s *session, pollMin time.Duration) actions.Options {
	opt := actions.Options{Version: version, Timing: actions.Timing{PollMin: pollMin, AdoptDelay: pollMin, RetryBase: min(pollMin, time.Second)}}
	if dir, err := actions.DefaultDir(); err == nil && s.Sim == nil {
		// Droplets of one account take about as long as last time: start from that.
		opt.Timing.ProvisionEstimate = actions.LearnedProvisionTime(dir)
	}
	if s.Sim != nil {
		dir, err := os.MkdirTemp("", "molt-demo-rollouts-")
		if err == nil {
			opt.Dir = dir
			s.closers = append(s.closers, func() { os.RemoveAll(dir) })
		}
	}
	return opt
}

// confirm shows what will happen and asks the operator to type word.
func confirm(w io.Writer, in io.Reader, shown, word, what string) error {
	fmt.Fprint(w, shown)
	fmt.Fprintf(w, "\nTo %s, type %q: ", what, word)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return &exitError{code: 1, err: errors.New("not confirmed: no answer")}
	}
	if strings.TrimSpace(line) != word {
		return &exitError{code: 1, err: fmt.Errorf("not confirmed: %q is not %q; nothing was changed", strings.TrimSpace(line), word)}
	}
	return nil
}

// driveOptions say how a run is shown and steered.
type driveOptions struct {
	json        bool // JSON lines instead of text lines
	interactive bool // ask the operator at checkpoints and failure pauses
	verbose     bool // show API calls and health probes too
}

// drive runs an executor to its end, printing one line per event, and turns the outcome
// into an exit code: 0 done, 3 rolled back, 4 interrupted (resumable).
func drive(ctx context.Context, cmd *cobra.Command, x *actions.Executor, o driveOptions) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	events, leave := x.Subscribe()
	defer leave()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := &printer{w: cmd.OutOrStdout(), plan: x.Plan(), json: o.json, verbose: o.verbose}
		for ev := range events {
			p.print(ev)
			steer(ctx, cancel, x, ev, o.interactive, cmd)
		}
	}()
	err := x.Run(ctx)
	wg.Wait()
	return outcome(x.ID(), err, context.Cause(ctx))
}

// errStopAtCheckpoint ends a run that reached a manual checkpoint with nobody to answer.
var errStopAtCheckpoint = errors.New("stopped at a checkpoint")

// steer answers the executor's questions: at a manual checkpoint or a pause after
// failures, an operator on a terminal decides; without one the run stops, resumable.
func steer(ctx context.Context, cancel context.CancelCauseFunc, x *actions.Executor, ev actions.Event, interactive bool, cmd *cobra.Command) {
	question := ""
	switch ev := ev.(type) {
	case actions.CheckpointReached:
		if ev.Mode == "manual" {
			question = fmt.Sprintf("Checkpoint after wave %d. Type continue, abort or rollback: ", ev.Wave+1)
		}
	case actions.StateChanged:
		if ev.State == actions.StatePaused {
			question = "Paused. Type continue, abort or rollback: "
		}
	}
	if question == "" {
		return
	}
	if !interactive {
		cancel(errStopAtCheckpoint)
		return
	}
	go ask(ctx, x, question, cmd)
}

func ask(ctx context.Context, x *actions.Executor, question string, cmd *cobra.Command) {
	in := bufio.NewReader(os.Stdin)
	for ctx.Err() == nil {
		fmt.Fprint(cmd.OutOrStdout(), question)
		line, err := in.ReadString('\n')
		switch strings.TrimSpace(line) {
		case "continue", "c":
			if cerr := x.Continue(); cerr != nil {
				fmt.Fprintln(cmd.OutOrStdout(), cerr)
			}
			return
		case "abort":
			x.Abort(false)
			return
		case "rollback":
			x.Abort(true)
			return
		}
		if err != nil {
			return
		}
	}
}

// outcome maps how a run ended to an exit code and one sentence.
func outcome(id string, err, cause error) error {
	resume := fmt.Sprintf("resume with `molt resume %s`", id)
	var locked *actions.LockedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &locked):
		return &exitError{code: 5, err: fmt.Errorf("rollout %s did not start, nothing was changed: %v", id, err)}
	case errors.Is(err, actions.ErrRolledBack):
		return &exitError{code: 3, err: fmt.Errorf("rollout %s failed and was rolled back (%v)", id, err)}
	case errors.Is(err, actions.ErrAborted):
		return &exitError{code: 1, err: fmt.Errorf("rollout %s was aborted; replacements in service were kept", id)}
	case errors.Is(cause, errStopAtCheckpoint):
		return &exitError{code: 4, err: fmt.Errorf("stopped at a checkpoint with nobody to answer; continue with `molt resume %s`", id)}
	case errors.Is(err, actions.ErrInterrupted):
		return &exitError{code: 4, err: fmt.Errorf("interrupted; %s", resume)}
	}
	return &exitError{code: 4, err: fmt.Errorf("rollout %s stopped: %v; %s", id, err, resume)}
}

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
		if ev.Mode == "timed" {
			return fmt.Sprintf("checkpoint after wave %d: going on at %s", ev.Wave+1, ev.Until.Local().Format("15:04:05"))
		}
		return fmt.Sprintf("checkpoint after wave %d", ev.Wave+1)
	case actions.StateChanged:
		return stateText(ev)
	case actions.RateLimitWait:
		return fmt.Sprintf("rate limited by the API: waiting %s", ev.Wait)
	case actions.Done:
		return fmt.Sprintf("%s: %d replaced, %d failed, %d rolled back", ev.State, ev.Replaced, ev.Failed, ev.RolledBack)
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

// verboseText shows API calls and health probes under -v.
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
	}
	return ""
}
