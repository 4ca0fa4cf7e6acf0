package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

func (a *app) applyCmd() *cobra.Command {
	var o planOptions
	var po poolOptions
	var yes bool
	var pollMin, settle time.Duration
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
			"  molt apply --tag role:worker --to worker-2.2.0 --retire keep=24h --yes -o json\n" +
			"  molt apply --pool api --to api-1.1.0",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if po.name != "" {
				return a.runPoolApply(cmd, o, po, yes, pollMin)
			}
			return a.runApply(cmd, o, yes, pollMin, settle)
		},
	}
	addPlanFlags(cmd.Flags(), &o)
	addPoolFlags(cmd, &po)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	addPollFlag(cmd, &pollMin)
	addSettleFlag(cmd, &settle)
	return cmd
}

// addPollFlag adds the hidden --poll-min: the shortest wait between two polls, which
// tests and demos against the simulator shorten.
func addPollFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "poll-min", 2*time.Second, "shortest wait between two polls of the API")
	_ = cmd.Flags().MarkHidden("poll-min")
}

func (a *app) runApply(cmd *cobra.Command, o planOptions, yes bool, pollMin, settle time.Duration) error {
	if err := o.check(); err != nil {
		return err
	}
	interactive := a.canAsk(cmd)
	if !yes && !interactive {
		return usageError("not on a terminal: pass --yes to replace servers without confirming")
	}
	ctx, s, done, err := a.connectToChange(cmd)
	if err != nil {
		return err
	}
	defer done()
	p, err := buildPlan(ctx, s, o)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if err := refused(p); err != nil {
		if o.output != "json" {
			fmt.Fprint(out, planText(p))
		}
		return err
	}
	ask := newPrompter(cmd)
	if len(p.Waves) == 0 {
		fmt.Fprintf(out, "Nothing to replace.\n%s", planText(p))
		return nil
	}
	if !yes {
		if err := ask.confirm(planText(p), o.name(), "replace these servers"); err != nil {
			return err
		}
	}
	x, err := actions.Start(s.Client, p, engineOptions(s, pollMin, settle))
	if err != nil {
		return err
	}
	return drive(ctx, cmd, ask, x, driveOptions{json: o.output == "json", interactive: interactive && o.output != "json", verbose: s.verbose,
		after: newRunWatch(ctx, s, x, true, o.sel.Tag).after})
}

// addSettleFlag adds --settle: how long a rollout whose create was answered with an
// error looks for droplets the API commits late before it releases its lock.
func addSettleFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "settle", actions.DefaultSettle,
		"after a create answered with an error, look this long for droplets the API commits late before ending (0: do not wait)")
}

// engineOptions are the executor's options for a session: journals in the state
// directory, or beside the embedded simulator for the demo (its world ends with the
// process, so its rollouts cannot be resumed).
func engineOptions(s *session, pollMin, settle time.Duration) actions.Options {
	if settle <= 0 {
		settle = -1 // the engine's "not at all"
	}
	opt := actions.Options{Version: s.version, Timing: actions.Timing{PollMin: pollMin, AdoptDelay: pollMin,
		RetryBase: min(pollMin, time.Second), Settle: settle}}
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
