package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/molt-sh/molt/actions"
	"github.com/molt-sh/molt/fleet"
	"github.com/spf13/cobra"
)

func (a *app) resumeCmd() *cobra.Command {
	var output string
	var yes bool
	var pollMin, settle time.Duration
	cmd := &cobra.Command{
		Use:   "resume [ID]",
		Short: "Continue a rollout that stopped",
		Long: "Continue a rollout whose process stopped (a signal, a lost session, a checkpoint with\n" +
			"nobody to answer). molt reconciles the journal with the cloud by tags first: droplets a\n" +
			"create made are adopted, duplicates destroyed, health checked again. Without ID it\n" +
			"resumes the only unfinished rollout. A done rollout that keeps old droplets is\n" +
			"finalised (the kept droplets destroyed) once their time is up, or with --yes.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runResume(cmd, args, output, yes, pollMin, settle)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output: text or json")
	addPollFlag(cmd, &pollMin)
	addSettleFlag(cmd, &settle)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "finalise a done rollout now, destroying the old droplets it keeps")
	return cmd
}

func (a *app) runResume(cmd *cobra.Command, args []string, output string, yes bool, pollMin, settle time.Duration) error {
	if output != "text" && output != "json" {
		return usageError("-o: unknown output %q: use text or json", output)
	}
	if err := checkRolloutArgs(args); err != nil {
		return err
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
	sum, err := pickRollout(args, func(s actions.Summary) bool { return s.Unfinished() }, here)
	if err != nil {
		return err
	}
	if sum.Pool != "" {
		return a.resumePool(ctx, cmd, s, sum, here, output, pollMin)
	}
	if sum.Kept > 0 && !yes && (sum.KeptUntil.IsZero() || time.Now().Before(sum.KeptUntil)) {
		return fmt.Errorf("rollout %s is done and keeps %d old droplets for a fast rollback%s; pass --yes to destroy them now",
			sum.ID, sum.Kept, keptUntil(sum))
	}
	opt := engineOptions(s, pollMin, settle)
	opt.Account = &here
	x, err := actions.Resume(s.Client, sum.Path, opt)
	if err != nil {
		return engineError(err)
	}
	interactive := a.canAsk(cmd) && output != "json"
	err = drive(ctx, cmd, newPrompter(cmd), x, driveOptions{json: output == "json", interactive: interactive, verbose: s.verbose,
		after: newRunWatch(ctx, s, x, false, "").after})
	return rolledBackAsAsked(cmd, sum.ID, err)
}

func keptUntil(s actions.Summary) string {
	if s.KeptUntil.IsZero() {
		return ""
	}
	return " until " + s.KeptUntil.Local().Format(time.DateTime)
}

// checkRolloutArgs refuses an argument that is not a rollout ID, before anything else.
func checkRolloutArgs(args []string) error {
	if len(args) == 1 && !actions.ValidRolloutID(args[0]) {
		return usageError("%q is not a rollout ID (such as 20250612-153000-7f3a); see `molt rollouts`", args[0])
	}
	return nil
}

// pickRollout finds the rollout named by args, or without one the only rollout of the
// account here that fits; none or several is an error that lists them. A rollout of
// another account is refused, naming both (journals that predate account binding
// belong to any).
func pickRollout(args []string, fits func(actions.Summary) bool, here fleet.Account) (actions.Summary, error) {
	dir, err := actions.DefaultDir()
	if err != nil {
		return actions.Summary{}, err
	}
	if err := checkRolloutArgs(args); err != nil {
		return actions.Summary{}, err
	}
	if len(args) == 1 {
		sum, err := actions.Summarize(actions.JournalPath(dir, args[0]))
		var de *actions.DamagedError
		switch {
		case errors.Is(err, os.ErrNotExist):
			return sum, fmt.Errorf("there is no rollout %s in %s; if its journal was lost, rebuild it with `molt recover %s`; see `molt rollouts`", args[0], dir, args[0])
		case errors.As(err, &de):
			return sum, fmt.Errorf("%v; rebuild it from the cloud with `molt recover %s`", err, args[0])
		}
		if err != nil {
			return sum, err
		}
		return sum, actions.CheckAccount(sum.ID, sum.Account, here)
	}
	list, err := actions.ListRollouts(dir)
	if err != nil && len(list) == 0 {
		return actions.Summary{}, err
	}
	var ids, elsewhere []string
	var found []actions.Summary
	for _, s := range list {
		switch {
		case !fits(s):
		case actions.CheckAccount(s.ID, s.Account, here) != nil:
			elsewhere = append(elsewhere, fmt.Sprintf("%s (%s)", s.ID, s.Account))
		default:
			found = append(found, s)
			ids = append(ids, s.ID+" ("+string(s.State)+")")
		}
	}
	damaged := damagedError(list)
	switch {
	case len(found) == 0 && damaged != nil:
		return actions.Summary{}, fmt.Errorf("there is no unfinished rollout that can be read: %w", damaged)
	case len(found) == 0 && len(elsewhere) > 0:
		return actions.Summary{}, fmt.Errorf("there is no unfinished rollout of %s; of other accounts: %s", here, strings.Join(elsewhere, ", "))
	case len(found) == 0:
		return actions.Summary{}, errors.New("there is no unfinished rollout; see `molt rollouts`")
	case len(found) == 1 && damaged == nil:
		return found[0], nil
	case damaged != nil:
		return actions.Summary{}, usageError("name the rollout to resume: %s; besides, %v", strings.Join(ids, ", "), damaged)
	}
	return actions.Summary{}, usageError("%d rollouts are unfinished; name one: %s", len(found), strings.Join(ids, ", "))
}
