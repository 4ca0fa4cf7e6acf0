package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/digitalocean/godo"
	"github.com/molt-sh/molt/actions"
	"github.com/spf13/cobra"
)

func (a *app) unlockCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "unlock ID",
		Short: "Lift a rollout's lock without driving it (when you know better)",
		Long: "Lift the lock of a rollout without resuming or rolling it back: its lock tag goes from\n" +
			"every droplet, and nothing else changes. Droplets its creates made stay, tracked by no\n" +
			"rollout: molt says which. Prefer `molt recover` then `molt resume` or `molt rollback`,\n" +
			"which keep every guarantee. Refused while a live driver holds the rollout's lease. On a\n" +
			"terminal it asks for the rollout's ID to be typed; elsewhere it needs --yes.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.runUnlock(cmd, args[0], yes) },
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) runUnlock(cmd *cobra.Command, id string, yes bool) error {
	if !actions.ValidRolloutID(id) {
		return usageError("%q is not a rollout ID (such as 20250612-153000-7f3a)", id)
	}
	interactive := a.canAsk(cmd)
	if !yes && !interactive {
		return usageError("not on a terminal: pass --yes to unlock without confirming")
	}
	dir, err := actions.DefaultDir()
	if err != nil {
		return err
	}
	s, err := a.connect(cmd.Context(), cmd, connectOptions{})
	if err != nil {
		return err
	}
	defer s.Close()
	ask := newPrompter(cmd)
	confirm := func(u actions.Unlocked) error {
		if yes {
			return nil
		}
		return ask.confirm(unlockText(id, u, false), id, "lift the lock")
	}
	u, err := actions.Unlock(cmd.Context(), s.Client, id, actions.Options{Dir: dir, Version: s.version}, confirm)
	if err != nil {
		return engineError(s.explain(err))
	}
	out := cmd.OutOrStdout()
	fmt.Fprint(out, unlockText(id, u, true))
	if u.Journaled {
		fmt.Fprintf(out, "Its journal here ends: aborted, unlocked by you.\n")
	}
	return nil
}

// unlockText says what lifting the lock leaves behind: before (done false) or after.
func unlockText(id string, u actions.Unlocked, done bool) string {
	var b strings.Builder
	stay := "will stay"
	if done {
		stay = "stay"
		fmt.Fprintf(&b, "Lifted the lock of rollout %s.\n", id)
	} else {
		fmt.Fprintf(&b, "Lift the lock of rollout %s: %d droplets carry it.\n", id, len(u.Old)+len(u.Made))
	}
	writeDroplets(&b, fmt.Sprintf("Old droplets it had selected (they %s as they are)", stay), u.Old)
	writeDroplets(&b, fmt.Sprintf("Droplets it created (they %s, tracked by no rollout: destroy them or keep them)", stay), u.Made)
	return b.String()
}

func writeDroplets(w io.Writer, title string, ds []godo.Droplet) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, d := range ds {
		image := ""
		if d.Image != nil {
			image = d.Image.Name
		}
		fmt.Fprintf(w, "  %-20s %-10d %-8s %s\n", d.Name, d.ID, d.Status, image)
	}
}
