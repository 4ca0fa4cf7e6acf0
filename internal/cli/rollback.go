package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

func (a *app) rollbackCmd() *cobra.Command {
	var output string
	var yes bool
	var pollMin, settle time.Duration
	cmd := &cobra.Command{
		Use:   "rollback ID",
		Short: "Reverse a rollout's replacements",
		Long: "Reverse the replacements of a rollout, most recent first: the old droplet comes back\n" +
			"(powered on when it was kept, else re-created from its previous image), is health\n" +
			"checked, takes its place back on load balancers and reserved IPs, and the new one is\n" +
			"destroyed. Shows what it will do first; on a terminal it asks, elsewhere it needs --yes.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRollback(cmd, args[0], output, yes, pollMin, settle)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	addPollFlag(cmd, &pollMin)
	addSettleFlag(cmd, &settle)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) runRollback(cmd *cobra.Command, id, output string, yes bool, pollMin, settle time.Duration) error {
	if output != "text" && output != "json" {
		return usageError("-o: unknown output %q: use text or json", output)
	}
	if err := checkRolloutArgs([]string{id}); err != nil {
		return err
	}
	interactive := a.canAsk(cmd)
	ask := newPrompter(cmd)
	if !yes && !interactive {
		return usageError("not on a terminal: pass --yes to roll back without confirming")
	}
	ctx, s, done, err := a.connectToChange(cmd)
	if err != nil {
		return err
	}
	defer done()
	here, err := s.account(ctx)
	if err != nil {
		return err
	}
	sum, err := pickRollout([]string{id}, nil, here)
	if err != nil {
		return err
	}
	if sum.Pool != "" {
		return a.rollbackPool(ctx, cmd, s, ask, sum, here, output, yes, pollMin)
	}
	steps, err := actions.PreviewRollback(sum.Path)
	if err != nil {
		return err
	}
	if !yes {
		if err := ask.confirm(rollbackText(sum, steps), sum.ID, "roll back"); err != nil {
			return err
		}
	}
	opt := engineOptions(s, pollMin, settle)
	opt.Account = &here
	x, err := actions.Rollback(s.Client, sum.Path, opt)
	if err != nil {
		return engineError(err)
	}
	err = drive(ctx, cmd, ask, x, driveOptions{json: output == "json", interactive: interactive && output != "json", verbose: s.verbose,
		after: newRunWatch(ctx, s, x, false, "").after})
	return rolledBackAsAsked(cmd, sum.ID, err)
}

// rolledBackAsAsked turns the end of a rollback the operator asked for (molt rollback,
// or a resume of one) into success: rolling back is what was asked.
func rolledBackAsAsked(cmd *cobra.Command, id string, err error) error {
	if actions.RolledBackAsAsked(err) {
		fmt.Fprintf(cmd.OutOrStdout(), "Rollout %s is rolled back.\n", id)
		return nil
	}
	return err
}

// rollbackText is the rollback plan: per replacement, fast (the old droplet is there)
// or a re-creation from the previous image.
func rollbackText(s actions.Summary, steps []actions.RollbackStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Roll back rollout %s (%s, %s -> %s, %s): %d replacements, most recent first.\n",
		s.ID, s.Selection, s.FromText(), s.To, s.State, len(steps))
	for _, st := range steps {
		how := fmt.Sprintf("power on the kept droplet %d, hand back, destroy %d", st.OldID, st.NewID)
		if !st.Kept {
			how = fmt.Sprintf("hand back to droplet %d, destroy %d", st.OldID, st.NewID)
		}
		if !st.Fast {
			how = fmt.Sprintf("re-create from %s, hand over, destroy %d", st.Recreate, st.NewID)
		}
		fmt.Fprintf(&b, "  %-20s %s\n", st.Name, how)
	}
	if len(steps) == 0 {
		b.WriteString("  No replacement went into service: only the lock and unfinished droplets are cleaned up.\n")
	}
	return b.String()
}
