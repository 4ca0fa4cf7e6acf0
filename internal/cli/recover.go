package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

func (a *app) recoverCmd() *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "recover [ID]",
		Short: "Rebuild a lost or damaged journal from the rollout's tags in the cloud",
		Long: "Rebuild the journal of a rollout whose state directory was lost, or whose journal is\n" +
			"damaged, from what the cloud holds: the droplets carrying its lock tag, and those its\n" +
			"creates made. Replacements whose old droplet is gone are done; a new droplet beside\n" +
			"its old one is health checked again before it goes into service (or handed back on a\n" +
			"rollback). Then `molt resume ID` or `molt rollback ID` go on as usual. The cloud does\n" +
			"not keep the plan's strategy: give it again with the usual flags (--health, --surge,\n" +
			"...), and --to when the rollout had made no droplet yet (--to current when it replaced\n" +
			"each server onto the image it runs). Without ID it recovers every rollout of the\n" +
			"account that holds a lock and has no readable journal here, and every rollout whose\n" +
			"journal here is damaged. A rollout that holds no lock holds nothing in the cloud: its\n" +
			"damaged journal is replaced by one that ends it (aborted), or only moved aside when\n" +
			"even its header cannot be read.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runRecover(cmd, args, o) },
	}
	addPlanFlags(cmd.Flags(), &o)
	for _, f := range []string{"tag", "region", "name", "output", "older-than", "drifted", "unhealthy", "pets", "max-age", "drift-window"} {
		_ = cmd.Flags().MarkHidden(f)
	}
	return cmd
}

func (a *app) runRecover(cmd *cobra.Command, args []string, o planOptions) error {
	if len(args) == 1 && !actions.ValidRolloutID(args[0]) {
		return usageError("%q is not a rollout ID (such as 20250612-153000-7f3a)", args[0])
	}
	st, err := o.strategy()
	if err != nil {
		return err
	}
	dir, err := actions.DefaultDir()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := a.connect(ctx, cmd, connectOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	ids := args
	if len(ids) == 0 {
		if ids, err = lockedWithoutJournal(cmd, s, dir); err != nil || len(ids) == 0 {
			return err
		}
	}
	opt := actions.Options{Dir: dir, Version: s.version}
	for _, id := range ids {
		ro := actions.RecoverOptions{Strategy: st, Target: o.to}
		if o.to == toCurrent {
			ro.Target, ro.SameImage = "", true
		}
		path, err := actions.Recover(ctx, s.Client, id, ro, opt)
		var held *actions.NothingHeldError
		switch {
		case errors.As(err, &held):
			fmt.Fprintf(cmd.OutOrStdout(), "Rollout %s: %s.\n", id, held)
			continue
		case err != nil:
			return engineError(s.explain(err))
		}
		if err := writeRecovered(cmd.OutOrStdout(), id, path); err != nil {
			return err
		}
	}
	return nil
}

// lockedWithoutJournal lists the rollouts of the account that hold a lock and have no
// readable journal in dir, and those whose journal in dir is damaged.
func lockedWithoutJournal(cmd *cobra.Command, s *session, dir string) ([]string, error) {
	locked, err := actions.LockedRollouts(cmd.Context(), s.Client)
	if err != nil {
		return nil, s.explain(err)
	}
	var ids []string
	for _, id := range locked {
		if _, err := actions.ReadJournal(actions.JournalPath(dir, id)); err != nil {
			ids = append(ids, id)
		}
	}
	list, _ := actions.ListRollouts(dir)
	for _, r := range list {
		if r.Damaged != "" && !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "No rollout of this account holds a lock without a readable journal here, and no journal here is damaged.")
	}
	return ids, nil
}

// writeRecovered says what the rebuilt journal holds and what to do next.
func writeRecovered(w io.Writer, id, path string) error {
	sum, err := actions.Summarize(path)
	if err != nil {
		return err
	}
	if sum.State.Final() {
		fmt.Fprintf(w, "Recovered rollout %s: no droplet carries its lock, so it holds nothing in the cloud; its journal %s now ends it (%s).\n",
			id, path, sum.State)
		return nil
	}
	fmt.Fprintf(w, "Recovered rollout %s from the cloud: %d replacements onto %s, %d done; journal %s.\n",
		id, sum.Planned, sum.To, sum.Replaced, path)
	fmt.Fprintf(w, "Go on with `molt resume %s`, or reverse it with `molt rollback %s`.\n", id, id)
	return nil
}
